/**
 * Drag-and-drop anywhere on the page: while files are dragged over it, a full-page target
 * says what will happen; dropping opens them (the scenario and the files it names).
 */
import { useEffect, useState } from 'react'
import { useExplainer } from '../store/explainer.ts'
import { readFiles } from './readFiles.ts'

/** Only the explainer takes dropped scenario files; the import panel takes its own drops. */
const carriesFiles = (e: DragEvent) => (e.dataTransfer?.types.includes('Files') ?? false) && useExplainer.getState().mode === 'explainer'

export function DropZone() {
  const [over, setOver] = useState(false)
  useEffect(() => {
    // dragenter/dragleave fire for every child crossed: count them.
    let depth = 0
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      depth++
      setOver(true)
    }
    const leave = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      depth = Math.max(0, depth - 1)
      if (depth === 0) setOver(false)
    }
    const overIt = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
    }
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      depth = 0
      setOver(false)
      const files = e.dataTransfer?.files
      if (files?.length) void readFiles(files).then((f) => useExplainer.getState().openFiles(f))
    }
    window.addEventListener('dragenter', enter)
    window.addEventListener('dragleave', leave)
    window.addEventListener('dragover', overIt)
    window.addEventListener('drop', drop)
    return () => {
      window.removeEventListener('dragenter', enter)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('dragover', overIt)
      window.removeEventListener('drop', drop)
    }
  }, [])
  if (!over) return null
  return (
    <div className="pw-dropzone" data-testid="dropzone" aria-hidden="true">
      <p>
        Drop your scenario file here
        <br />
        <span>with the world or cluster files it names, if they are yours too</span>
      </p>
    </div>
  )
}
