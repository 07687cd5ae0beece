/**
 * The xterm.js terminal: keys go through the pure line editor (lineEditor.ts), complete lines
 * run in the shell store, output is written as text (never HTML). Screen reader mode is on,
 * so the output is also exposed to assistive technology as text.
 */
import { FitAddon } from '@xterm/addon-fit'
import { Terminal } from '@xterm/xterm'
import '@xterm/xterm/css/xterm.css'
import { useEffect, useRef } from 'react'
import { complete } from '../../engine/shell/complete.ts'
import { needsMoreInput } from '../../engine/shell/run.ts'
import { prompt } from '../../engine/shell/state.ts'
import { editorInput, newEditor, toTerminal } from './lineEditor.ts'
import type { EditorState } from './lineEditor.ts'
import { useShellStore } from './useShellStore.ts'
import type { ShellCommit } from './useShellStore.ts'

const THEMES = {
  dark: { background: '#0f1419', foreground: '#e6e6e6', cursor: '#ffcc66', selectionBackground: '#3a4656' },
  light: { background: '#fbfbfb', foreground: '#151a21', cursor: '#1f5fbf', selectionBackground: '#c8d7ef' },
} as const

export function XtermView(props: { readonly height: string; readonly theme: 'light' | 'dark'; readonly onCommit: (c: ShellCommit) => void }) {
  const host = useRef<HTMLDivElement>(null)
  const onCommit = useRef(props.onCommit)
  useEffect(() => {
    onCommit.current = props.onCommit
  }, [props.onCommit])

  useEffect(() => {
    const el = host.current
    if (!el) return
    const term = new Terminal({
      screenReaderMode: true,
      cursorBlink: true,
      fontSize: 15,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      scrollback: 5000,
      theme: THEMES[props.theme],
    })
    const fit = new FitAddon()
    term.loadAddon(fit)
    term.open(el)
    try {
      fit.fit()
    } catch {
      /* not laid out yet (hidden panel, test DOM) */
    }
    let editor: EditorState = newEditor(useShellStore.getState().shell?.history ?? [])
    let running = false
    const currentPrompt = () => {
      const sh = useShellStore.getState().shell
      return sh ? prompt(sh) : '$ '
    }
    term.write(toTerminal('packetwalk shell: type `help` for the commands, Tab completes, ↑/↓ walk the history.\n'))
    // A lab brought back from a saved session shows what it printed before the reload.
    const transcript = useShellStore.getState().transcript
    if (transcript) term.write(toTerminal(transcript))
    term.write(currentPrompt())

    const sub = term.onData((data) => {
      const deps = {
        prompt: currentPrompt(),
        complete: (text: string) => {
          const sh = useShellStore.getState().shell
          return sh ? complete(sh, text) : []
        },
        needsMore: (text: string) => needsMoreInput(text) !== undefined,
        cols: term.cols,
      }
      const r = editorInput(editor, data, deps)
      editor = r.state
      for (const a of r.actions) {
        if (a.kind === 'write') term.write(a.text)
        else if (a.kind === 'submit') {
          running = true
          const { run, commit } = useShellStore.getState().run(a.text)
          running = false
          for (const chunk of run.output) term.write(toTerminal(chunk.text))
          if (run.changed || run.traces.length > 0) onCommit.current(commit)
          term.write(currentPrompt())
        } else if (a.kind === 'interrupt') {
          const text = useShellStore.getState().interrupt()
          if (text) term.write(toTerminal(text))
          term.write(currentPrompt())
        } else {
          term.clear()
          term.write(`\x1b[H\x1b[2J${currentPrompt()}${editor.buffer}`)
        }
      }
    })

    // The netns picker moves the prompt: show the new one.
    const unsub = useShellStore.subscribe((s, prev) => {
      if (running || !s.shell || !prev.shell) return
      if (s.shell.netns !== prev.shell.netns || s.shell.label !== prev.shell.label) {
        editor = newEditor(s.shell.history)
        term.write(`\r\n${prompt(s.shell)}`)
      }
    })

    const resize = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => {
      try {
        fit.fit()
      } catch {
        /* ignore */
      }
    }) : undefined
    resize?.observe(el)
    term.focus()
    return () => {
      resize?.disconnect()
      unsub()
      sub.dispose()
      term.dispose()
    }
  }, [props.theme])

  return <div ref={host} className="pw-terminal" style={{ height: props.height }} data-testid="terminal" role="application" aria-label="Terminal: type shell commands" />
}
