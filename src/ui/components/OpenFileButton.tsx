/**
 * "Open a file…": an instructor's scenario, with the world or cluster files it names picked
 * at the same time (several files at once). The same as dropping them onto the page.
 */
import { useRef } from 'react'
import { useExplainer } from '../store/explainer.ts'
import { readFiles } from './readFiles.ts'

export function OpenFileButton() {
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button type="button" className="pw-button" onClick={() => input.current?.click()} title="Open your own scenario file (and the world or cluster files it names); you can also drop them onto the page" data-testid="open-file">
        Open a file…
      </button>
      <input
        ref={input}
        type="file"
        multiple
        accept=".yaml,.yml,text/yaml,application/yaml,application/x-yaml"
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const files = e.target.files
          if (files?.length) void readFiles(files).then((f) => useExplainer.getState().openFiles(f))
          e.target.value = ''
        }}
      />
    </>
  )
}
