/**
 * Rebuilding a remembered imported view (catalog.ts) after a reload: the kept inputs are read
 * again in the worker (with the same anonymising key, so the same placeholders), then the
 * view is made again: the nodes, or the same trace and outcome.
 */
import type { LoadedScenario } from '../scenarios/types.ts'
import type { OpenedImport } from './catalog.ts'
import { IMPORT_VIEW_ID } from './catalog.ts'
import { importedWorldScenario, listOutcomes, outcomeScenario, sendFromForm } from './traceImport.ts'
import type { ImportRead } from './useImportStore.ts'
import { draftsSignature, useImportStore } from './useImportStore.ts'

const GONE = 'This view was built from node dumps that this browser no longer keeps. Open “Import a node” and paste them again.'

/** The current read of the kept inputs, reading them if needed. */
async function currentRead(): Promise<ImportRead> {
  const store = useImportStore
  await store.getState().restore()
  const fresh = () => {
    const s = store.getState()
    return s.read && s.read.signature === draftsSignature(s.drafts, s.anonymise) ? s.read : null
  }
  if (store.getState().drafts.length === 0) throw new Error(GONE)
  const now = fresh()
  if (now && store.getState().status !== 'reading') return now
  if (store.getState().status !== 'reading') store.getState().readNow()
  return new Promise<ImportRead>((resolve, reject) => {
    const stop = store.subscribe((s) => {
      if (s.status === 'reading') return
      stop()
      const r = fresh()
      if (s.status === 'done' && r) resolve(r)
      else reject(new Error(s.status === 'failed' ? `Reading the kept dumps failed: ${s.error ?? ''}` : GONE))
    })
  })
}

export async function restoreOpened(o: OpenedImport): Promise<LoadedScenario> {
  const read = await currentRead()
  if (o.id === IMPORT_VIEW_ID) return importedWorldScenario(read.world, read.result)
  const r = sendFromForm(read.world, o.form)
  if ('error' in r) throw new Error(`The remembered trace no longer fits the kept dumps: ${r.error}`)
  const list = listOutcomes(read.world, r.send, o.form.allOutcomes)
  const outcome = list.outcomes[o.outcome] ?? list.outcomes[0]
  if (!outcome) throw new Error('The remembered trace has no outcome any more.')
  return outcomeScenario(read.world, read.result, r.send, list.trace(outcome), list.outcomes.length, r.explain)
}
