/**
 * Placeholder for the dump-import panel (issue 8, UI part). The import helper replaces this
 * file; the layout mounts `<ImportPanel onClose>` where the user chooses "Import a node".
 */
export function ImportPanel({ onClose }: { onClose: () => void }) {
  return (
    <section data-testid="import-panel" aria-label="Import node dumps">
      <p>Importing node dumps is coming soon.</p>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </section>
  )
}
