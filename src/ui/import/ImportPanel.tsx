/**
 * "Import a node": paste or drop what a real node printed, see what packetwalk understood
 * (and what it did not), and trace packets through the node's own routes and rules. Parsing
 * runs in a worker with progress and Cancel; inputs are kept across reloads until cleared;
 * nothing leaves the browser. The layout mounts this as `<ImportPanel onClose>`; showing a
 * result in the explainer closes the panel.
 */
import { useEffect, useMemo, useState } from 'react'
import type { DragEvent } from 'react'
import './import.css'
import { IMPORT_VIEW_ID } from './catalog.ts'
import { InputsView } from './InputsView.tsx'
import { openInExplainer } from './openInExplainer.ts'
import { readDropped } from './readFiles.ts'
import type { Picked } from './readFiles.ts'
import { LineSourceContext, lineSource } from './lineSource.ts'
import { ResultView } from './ResultView.tsx'
import { importedWorldScenario } from './traceImport.ts'
import { TracePanel } from './TracePanel.tsx'
import { useImportDevHook } from './useImportDevHook.ts'
import { draftsSignature, useImportStore } from './useImportStore.ts'

export const COLLECT_COMMAND = 'sudo sh collect-node.sh > "$(hostname).bundle.txt"'

export function ImportPanel({ onClose }: { readonly onClose: () => void }) {
  const restore = useImportStore((s) => s.restore)
  const restored = useImportStore((s) => s.restored)
  const drafts = useImportStore((s) => s.drafts)
  const addInputs = useImportStore((s) => s.addInputs)
  const [dragging, setDragging] = useState(false)
  const [skipped, setSkipped] = useState<readonly string[]>([])
  useImportDevHook()

  useEffect(() => {
    void restore()
  }, [restore])

  const onPicked = (p: Picked) => {
    setSkipped(p.skipped)
    if (p.inputs.length > 0) addInputs(p.inputs)
  }
  const onDrop = async (e: DragEvent) => {
    e.preventDefault()
    e.stopPropagation()
    setDragging(false)
    onPicked(await readDropped(e.dataTransfer))
  }
  // The page's own drop target (scenario files) stands aside: drops here are dumps.
  const onDragOver = (e: DragEvent) => {
    e.preventDefault()
    e.stopPropagation()
    e.dataTransfer.dropEffect = 'copy'
    if (!dragging) setDragging(true)
  }

  return (
    <section
      className={`pwi-panel${dragging ? ' is-dragging' : ''}`}
      data-testid="import-panel"
      aria-label="Import node dumps"
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        e.stopPropagation()
        if (e.currentTarget === e.target) setDragging(false)
      }}
      onDrop={(e) => void onDrop(e)}
    >
      <header className="pwi-head">
        <h1 className="pwi-h1">Import a real node</h1>
        <Collector />
        <button type="button" className="pw-button" onClick={onClose} data-testid="import-close">
          Back to the explainer
        </button>
      </header>
      {dragging && (
        <div className="pwi-drop-hint" aria-hidden="true">
          Drop files or folders to add them (one node per folder)
        </div>
      )}
      <div className="pwi-columns">
        <div className="pwi-col">
          <InputsView onPicked={onPicked} />
          {skipped.length > 0 && (
            <ul className="pwi-error" role="alert">
              {skipped.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          )}
          <Options />
        </div>
        <div className="pwi-col">
          {restored && drafts.length === 0 ? <Empty /> : <Understood onClose={onClose} />}
        </div>
      </div>
    </section>
  )
}

function Collector() {
  const [copied, setCopied] = useState(false)
  return (
    <div className="pwi-collector" data-testid="import-collector">
      <a href="./collect-node.sh" download="collect-node.sh" data-testid="import-collector-link">
        Collector script
      </a>
      <span className="pw-muted"> — run on the node, as root, then drop the file here:</span> <code data-testid="import-collector-command">{COLLECT_COMMAND}</code>
      <button
        type="button"
        className="pw-button pwi-small"
        onClick={() => {
          void navigator.clipboard?.writeText(COLLECT_COMMAND).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  )
}

function Options() {
  const anonymise = useImportStore((s) => s.anonymise)
  const setAnonymise = useImportStore((s) => s.setAnonymise)
  const clearAll = useImportStore((s) => s.clearAll)
  const drafts = useImportStore((s) => s.drafts)
  const savedIn = useImportStore((s) => s.savedIn)
  const saveError = useImportStore((s) => s.saveError)
  const [confirm, setConfirm] = useState(false)
  return (
    <section className="pwi-options" aria-label="Options">
      <label className="pwi-check">
        <input type="checkbox" data-testid="import-anonymise" checked={anonymise} onChange={(e) => setAnonymise(e.target.checked)} />
        Anonymise: replace addresses, MACs and names with stable placeholders (for a screenshot or a shared link; subnets stay subnets)
      </label>
      <p className="pw-muted pwi-note">
        Everything stays in this browser: nothing is uploaded.{' '}
        {drafts.length > 0 && (savedIn ? `Your inputs are kept here (${savedIn === 'local' ? 'local storage' : 'IndexedDB'}) until you clear them.` : 'Keeping your inputs…')}
      </p>
      {saveError && <p className="pwi-error">{saveError}</p>}
      {drafts.length > 0 &&
        (confirm ? (
          <span className="pwi-row">
            Clear every input?{' '}
            <button type="button" className="pw-button" data-testid="import-clear-confirm" onClick={() => void clearAll().then(() => setConfirm(false))}>
              Yes, clear
            </button>
            <button type="button" className="pw-button" onClick={() => setConfirm(false)}>
              Keep them
            </button>
          </span>
        ) : (
          <button type="button" className="pw-button" data-testid="import-clear" onClick={() => setConfirm(true)}>
            Clear all inputs
          </button>
        ))}
    </section>
  )
}

function Empty() {
  return (
    <section className="pwi-empty" data-testid="import-empty">
      <h2 className="pwi-h2">What packetwalk reads</h2>
      <p>
        <code>iptables-save</code> (or <code>iptables -S</code>), <code>ip addr</code> / <code>ip -d link</code>, <code>ip route</code>, <code>ip neigh</code>, <code>bridge fdb show</code>, <code>bridge link</code> (and their <code>-j</code> forms), <code>conntrack -L</code>, <code>ipset save</code> (or <code>ipset list</code>), <code>sysctl</code>, a pod’s{' '}
        <code>/etc/resolv.conf</code>, or the collector script’s bundle with all of it.
      </p>
      <p>Paste several commands at once, prompts included. Name each input’s node to import several nodes: a trace then crosses between them over their real addresses.</p>
    </section>
  )
}

function Understood({ onClose }: { readonly onClose: () => void }) {
  const status = useImportStore((s) => s.status)
  const progress = useImportStore((s) => s.progress)
  const read = useImportStore((s) => s.read)
  const error = useImportStore((s) => s.error)
  const drafts = useImportStore((s) => s.drafts)
  const anonymise = useImportStore((s) => s.anonymise)
  const cancel = useImportStore((s) => s.cancel)
  const readNow = useImportStore((s) => s.readNow)
  const stale = read !== null && read.signature !== draftsSignature(drafts, anonymise)
  const texts = read?.shown ?? drafts
  const source = useMemo(() => lineSource(texts), [texts])
  const [opening, setOpening] = useState(false)

  const show = async () => {
    if (!read) return
    setOpening(true)
    const scenario = importedWorldScenario(read.world, read.result)
    const ok = await openInExplainer(scenario, { id: IMPORT_VIEW_ID, title: scenario.title, summary: scenario.summary })
    setOpening(false)
    if (ok) onClose()
  }

  const r = read?.result
  return (
    <div className="pwi-understood">
      <div className="pwi-status" role="status" aria-live="polite" data-testid="import-status" data-status={status}>
        {status === 'reading' && (
          <>
            <progress max={progress?.lines || 1} value={progress?.linesDone ?? 0} aria-label="Reading the inputs" data-testid="import-progress" />
            <span>{progressText(progress)}</span>
            <button type="button" className="pw-button" onClick={cancel} data-testid="import-cancel">
              Cancel
            </button>
          </>
        )}
        {status === 'cancelled' && (
          <>
            <span>Reading cancelled.</span>
            <button type="button" className="pw-button" onClick={readNow} data-testid="import-read">
              Read again
            </button>
          </>
        )}
        {status === 'failed' && <span className="pwi-error">Reading failed: {error}</span>}
        {status === 'done' && r && (
          <span data-testid="import-summary">
            Read {r.nodes.length} node{r.nodes.length === 1 ? '' : 's'} ({r.nodes.map((n) => n.name).join(', ')}) in {Math.round(read.ms.total).toLocaleString('en')} ms · {r.notUnderstood.length.toLocaleString('en')} line{r.notUnderstood.length === 1 ? '' : 's'} not understood · {r.unsupported.length} unsupported block{r.unsupported.length === 1 ? '' : 's'}
            {read.anonymised ? ` · anonymised ${read.anonymised.addresses} addresses, ${read.anonymised.macs} MACs, ${read.anonymised.names} names` : ''}
          </span>
        )}
      </div>
      {read && r && (
        <div className={stale ? 'pwi-stale' : undefined}>
          <div className="pwi-row">
            <button type="button" className="pw-button pwi-primary" onClick={() => void show()} disabled={opening || r.nodes.length === 0} data-testid="import-show">
              Show in the explainer
            </button>
            <span className="pw-muted">the graph, routes and rules of {r.nodes.length === 1 ? 'the node' : 'the nodes'}</span>
          </div>
          {r.nodes.length > 0 && <TracePanel key={read.signature} result={r} world={read.world} onOpened={onClose} />}
          <LineSourceContext.Provider value={source}>
            <ResultView result={r} notes={read.world.notes ?? []} />
          </LineSourceContext.Provider>
        </div>
      )}
    </div>
  )
}

function progressText(p: ReturnType<typeof useImportStore.getState>['progress']): string {
  if (!p) return 'Starting…'
  if (p.stage === 'anonymising') return 'Anonymising…'
  if (p.stage === 'building') return `Read ${p.lines.toLocaleString('en')} lines; building the nodes…`
  return `Reading: block ${p.blocksDone.toLocaleString('en')} of ${p.blocks.toLocaleString('en')}${p.inputs > 1 ? ` (input ${Math.min(p.inputsDone + 1, p.inputs)} of ${p.inputs})` : ''} · ${p.linesDone.toLocaleString('en')} of ${p.lines.toLocaleString('en')} lines`
}
