/**
 * The inputs: a paste box (each paste becomes an input), file and folder pickers, and one
 * card per input with its node name field (prefilled from the folder, bundle, prompt or
 * hostname) and its text. Big texts are shown as a read-only preview so the page stays
 * quick; anonymised texts are shown as the importer read them. Text is always text.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react'
import type { ClipboardEvent } from 'react'
import { inferNodeNames, prefillFor } from './nameInference.ts'
import type { DraftInput } from './persist.ts'
import { readPickedFiles } from './readFiles.ts'
import type { Picked } from './readFiles.ts'
import { draftsSignature, useImportStore } from './useImportStore.ts'

/** Texts longer than this are previewed, not edited in place. */
export const EDIT_LIMIT = 200_000
const PREVIEW_LINES = 200

export function InputsView({ onPicked }: { readonly onPicked: (p: Picked) => void }) {
  const drafts = useImportStore((s) => s.drafts)
  const addInputs = useImportStore((s) => s.addInputs)
  const read = useImportStore((s) => s.read)
  const anonymise = useImportStore((s) => s.anonymise)
  // The anonymised texts, when the last read is of these very inputs (same order as toDumpInputs).
  const shown = anonymise && read?.shown && read.signature === draftsSignature(drafts, anonymise) ? read.shown : undefined
  const nonEmpty = drafts.filter((d) => d.text.trim() !== '')
  /** An input as the importer read it (anonymised): its name, text, and the nodes it fed. */
  const shownFor = (d: DraftInput): Shown | undefined => {
    const s = shown?.[nonEmpty.indexOf(d)]
    if (!s || !read) return undefined
    return { name: s.name, text: s.text, nodes: read.result.nodes.filter((n) => n.files.includes(s.name)).map((n) => n.name) }
  }
  const [box, setBox] = useState('')
  const files = useRef<HTMLInputElement>(null)
  const folder = useRef<HTMLInputElement>(null)

  useEffect(() => {
    // Not in React's types: lets the picker choose a folder (one node per folder).
    folder.current?.setAttribute('webkitdirectory', '')
  }, [])

  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const text = e.clipboardData.getData('text/plain')
    if (text.trim() === '' || box !== '') return
    e.preventDefault()
    addInputs([{ text }])
  }
  const addBox = () => {
    if (box.trim() === '') return
    addInputs([{ text: box }])
    setBox('')
  }
  const pick = async (list: FileList | null, input: HTMLInputElement | null) => {
    if (!list || list.length === 0) return
    const picked = await readPickedFiles(Array.from(list))
    if (input) input.value = ''
    onPicked(picked)
  }

  return (
    <section className="pwi-inputs" aria-labelledby="pwi-inputs-title">
      <h2 id="pwi-inputs-title" className="pwi-h2">
        Your node’s output
      </h2>
      <label className="pwi-paste">
        <span>Paste what the node printed: one command or many, with their prompts; or drop files or a folder anywhere here.</span>
        <textarea
          data-testid="import-paste"
          value={box}
          onChange={(e) => setBox(e.target.value)}
          onPaste={onPaste}
          rows={4}
          spellCheck={false}
          placeholder={'root@k8s-worker1:~# ip route\ndefault via 10.0.0.1 dev eth0 …'}
        />
      </label>
      <div className="pwi-row">
        <button type="button" className="pw-button" onClick={addBox} disabled={box.trim() === ''} data-testid="import-add-text">
          Add as an input
        </button>
        <button type="button" className="pw-button" onClick={() => files.current?.click()}>
          Open files…
        </button>
        <button type="button" className="pw-button" onClick={() => folder.current?.click()}>
          Open a folder…
        </button>
        <input ref={files} type="file" multiple hidden data-testid="import-file-input" onChange={(e) => void pick(e.target.files, e.target)} />
        <input ref={folder} type="file" multiple hidden data-testid="import-folder-input" onChange={(e) => void pick(e.target.files, e.target)} />
      </div>
      {drafts.length > 0 && (
        <ol className="pwi-cards" data-testid="import-inputs">
          {drafts.map((d) => (
            <li key={d.id}>
              <InputCard draft={d} shown={shownFor(d)} anonymise={anonymise} />
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

interface Shown {
  readonly name: string
  readonly text: string
  readonly nodes: readonly string[]
}

const InputCard = memo(function InputCard({ draft, shown, anonymise }: { readonly draft: DraftInput; readonly shown: Shown | undefined; readonly anonymise: boolean }) {
  const setText = useImportStore((s) => s.setText)
  const setNode = useImportStore((s) => s.setNode)
  const remove = useImportStore((s) => s.remove)
  const guesses = useMemo(() => inferNodeNames(draft.text, draft.folder !== undefined ? { folder: draft.folder } : {}), [draft.text, draft.folder])
  const prefill = prefillFor(guesses)
  const lines = useMemo(() => countLines(draft.text), [draft.text])
  const big = draft.text.length > EDIT_LIMIT
  const fieldId = `pwi-node-${draft.id}`
  const from = draft.nodeEdited ? 'you named it' : prefill.from ? `from the ${prefill.from}` : prefill.several ? `several nodes: ${prefill.several.join(', ')} (each named by its prompt)` : 'not named in the text'
  return (
    <article className="pwi-card" data-testid="import-input" aria-label={anonymise ? (shown?.name ?? 'input') : draft.name}>
      <header className="pwi-card-head">
        <strong className="pwi-card-name">{anonymise ? (shown?.name ?? '…') : draft.name}</strong>
        <span className="pw-muted">
          {lines.toLocaleString('en')} line{lines === 1 ? '' : 's'}
        </span>
        <button type="button" className="pw-button pwi-small" onClick={() => remove(draft.id)} aria-label={`Remove ${anonymise ? (shown?.name ?? 'this input') : draft.name}`}>
          Remove
        </button>
      </header>
      <div className="pwi-node-field">
        <label htmlFor={fieldId}>Node</label>
        {anonymise ? (
          // The real name must not show while anonymising: the node(s) as read, read-only.
          <input id={fieldId} data-testid="import-node-name" value={shown?.nodes.join(', ') ?? '…'} readOnly />
        ) : (
          <input id={fieldId} data-testid="import-node-name" value={draft.node} placeholder={prefill.several ? 'several (from prompts)' : 'node'} onChange={(e) => setNode(draft.id, e.target.value)} spellCheck={false} />
        )}
        {!anonymise && <span className="pw-muted pwi-from">{from}</span>}
      </div>
      {anonymise ? (
        <Preview text={shown?.text ?? ''} label={`${shown?.name ?? 'input'} as read (anonymised)`} note={shown === undefined ? 'Anonymising…' : 'Shown anonymised, as the importer reads it. Turn anonymising off to edit.'} />
      ) : big ? (
        <Preview text={draft.text} label={draft.name} note={`A big input: showing the first ${PREVIEW_LINES} lines. It is read whole.`} />
      ) : (
        <textarea className="pwi-text" aria-label={`Text of ${draft.name}`} data-testid="import-input-text" value={draft.text} onChange={(e) => setText(draft.id, e.target.value)} rows={Math.min(12, Math.max(3, lines))} spellCheck={false} wrap="off" />
      )}
    </article>
  )
})

function Preview({ text, label, note }: { readonly text: string; readonly label: string; readonly note: string }) {
  const head = useMemo(() => firstLines(text, PREVIEW_LINES), [text])
  return (
    <div>
      <p className="pw-muted pwi-note">{note}</p>
      <pre className="pwi-preview" aria-label={label} data-testid="import-input-preview" tabIndex={0}>
        {head}
      </pre>
    </div>
  )
}

function firstLines(text: string, n: number): string {
  let at = -1
  for (let i = 0; i < n; i++) {
    at = text.indexOf('\n', at + 1)
    if (at < 0) return text
  }
  return `${text.slice(0, at)}\n…`
}

function countLines(text: string): number {
  if (text === '') return 0
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return text.endsWith('\n') ? n : n + 1
}
