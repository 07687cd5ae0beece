/**
 * The import worker's message protocol: the page sends one `import` request with the inputs;
 * the worker answers with `progress` messages (throttled), then the result as `part`
 * messages and exactly one `done`, or one `failed`. The result (the ImportResult and the
 * World the tracer walks) is plain JSON-serialisable data, cut into pieces (chunked.ts) so
 * that taking a 75,000-rule import in does not freeze the page. Cancelling is the page's job: it
 * terminates the worker, which stops a parse mid-block.
 *
 * `runImport` is the worker's whole body as a pure function of the request, a `post`
 * callback and a clock, so it is unit-tested without a worker.
 */
import { importDumps } from '../../engine/import/importDump.ts'
import { importToWorld } from '../../engine/import/toWorld.ts'
import type { DumpInput, ImportResult } from '../../engine/import/types.ts'
import type { World } from '../../engine/model/types.ts'
import { anonymiseInputs } from './anonymise.ts'
import type { AnonymiseCounts } from './anonymise.ts'
import { pieces } from './chunked.ts'
import type { ChunkOptions, Piece } from './chunked.ts'

export interface ImportRequest {
  readonly type: 'import'
  readonly id: number
  readonly inputs: readonly DumpInput[]
  /** Anonymise the texts with this key before reading them. */
  readonly anonymiseKey?: string
}

export type ImportStage = 'anonymising' | 'reading' | 'building'

export interface ImportProgressMessage {
  readonly type: 'progress'
  readonly id: number
  readonly stage: ImportStage
  readonly inputsDone: number
  readonly inputs: number
  readonly blocksDone: number
  readonly blocks: number
  readonly linesDone: number
  readonly lines: number
}

/** What a finished import carries, sent in pieces (see chunked.ts) before `done`. */
export interface ImportPayload {
  /**
   * What importDumps gave, except that each node's `ruleset` is the world's for that node:
   * the dump's rules plus the kube-proxy jumps importToWorld assumes (said in world.notes).
   */
  readonly result: ImportResult
  readonly world: World
  /** The texts as read (anonymised when asked): what the page shows beside the result. */
  readonly shown?: readonly DumpInput[]
}

export interface ImportPartMessage {
  readonly type: 'part'
  readonly id: number
  readonly piece: Piece
}

export interface ImportDoneMessage {
  readonly type: 'done'
  readonly id: number
  /** How many `part` messages carried the payload. */
  readonly parts: number
  readonly anonymised?: AnonymiseCounts
  /** Milliseconds spent in each stage (`send`: cutting the payload into pieces and posting them). */
  readonly ms: { readonly anonymise: number; readonly read: number; readonly build: number; readonly send: number }
}

export interface ImportFailedMessage {
  readonly type: 'failed'
  readonly id: number
  readonly message: string
}

export type ImportMessage = ImportProgressMessage | ImportPartMessage | ImportDoneMessage | ImportFailedMessage

/**
 * The page has taken `received` pieces of job `id`. The worker keeps at most a few pieces
 * ahead of the page: a queue of pieces would keep the page's main thread busy message after
 * message, and Chrome then draws a frame only every 100 ms (its starvation limit).
 */
export interface ImportAck {
  readonly type: 'ack'
  readonly id: number
  readonly received: number
}

export function isImportAck(x: unknown): x is ImportAck {
  if (typeof x !== 'object' || x === null) return false
  const a = x as Record<string, unknown>
  return a.type === 'ack' && typeof a.id === 'number' && typeof a.received === 'number'
}

/** Whether a message from the page is a well-formed request (the worker answers anything else with `failed`). */
export function isImportRequest(x: unknown): x is ImportRequest {
  if (typeof x !== 'object' || x === null) return false
  const r = x as Record<string, unknown>
  if (r.type !== 'import' || typeof r.id !== 'number' || !Array.isArray(r.inputs)) return false
  if (r.anonymiseKey !== undefined && typeof r.anonymiseKey !== 'string') return false
  return r.inputs.every((i: unknown) => {
    if (typeof i !== 'object' || i === null) return false
    const d = i as Record<string, unknown>
    return typeof d.name === 'string' && typeof d.text === 'string' && (d.node === undefined || typeof d.node === 'string') && (d.localIps === undefined || (Array.isArray(d.localIps) && d.localIps.every((ip) => typeof ip === 'string')))
  })
}

/** At most one progress message per this many milliseconds (the first and the last always go). */
export const PROGRESS_EVERY_MS = 50

/**
 * Run one import request: anonymise if asked, read every input with progress, build the
 * world, and post the result in pieces the page can take one task at a time, then `done`.
 * With `pace`, each posted piece may wait (the worker waits for the page's acks). Never throws
 * or rejects: an unexpected error becomes a `failed` message.
 *
 * @example
 * const posted: ImportMessage[] = []
 * runImport({ type: 'import', id: 1, inputs: [{ name: 'r.txt', text: 'default via 10.0.0.1 dev eth0\n' }] }, (m) => posted.push(m))
 * posted.at(-1)?.type // 'done'
 */
export async function runImport(req: ImportRequest, post: (m: ImportMessage) => void, now: () => number = () => performance.now(), chunking?: ChunkOptions, pace?: (sent: number) => Promise<void> | undefined): Promise<void> {
  try {
    let last = -Infinity
    const progress = (stage: ImportStage, p: Omit<ImportProgressMessage, 'type' | 'id' | 'stage'>, force = false) => {
      const t = now()
      if (!force && t - last < PROGRESS_EVERY_MS) return
      last = t
      post({ type: 'progress', id: req.id, stage, inputsDone: p.inputsDone, inputs: p.inputs, blocksDone: p.blocksDone, blocks: p.blocks, linesDone: p.linesDone, lines: p.lines })
    }
    const t0 = now()
    let inputs = req.inputs
    let anonymised: AnonymiseCounts | undefined
    if (req.anonymiseKey !== undefined) {
      progress('anonymising', { inputsDone: 0, inputs: inputs.length, blocksDone: 0, blocks: 0, linesDone: 0, lines: 0 }, true)
      const a = anonymiseInputs(inputs, req.anonymiseKey)
      inputs = a.inputs
      anonymised = a.counts
    }
    const t1 = now()
    let final = { inputsDone: 0, inputs: inputs.length, blocksDone: 0, blocks: 0, linesDone: 0, lines: 0 }
    progress('reading', final, true)
    const result = importDumps(inputs, {
      onProgress: (p) => {
        final = { ...p }
        progress('reading', final)
      },
    })
    progress('building', final, true)
    const t2 = now()
    const world = importToWorld(result)
    const t3 = now()
    // The world holds each node's ruleset (plus the kube-proxy jumps it assumes): the result
    // points at the same one, so 75,000 rules cross once, not twice.
    const shared: ImportResult = { ...result, nodes: result.nodes.map((n) => (world.netns[n.name] ? { ...n, ruleset: world.netns[n.name]!.netfilter } : n)) }
    const payload: ImportPayload = { result: shared, world, ...(req.anonymiseKey !== undefined && { shown: inputs }) }
    let parts = 0
    for (const piece of pieces(payload, chunking)) {
      post({ type: 'part', id: req.id, piece })
      parts++
      // Without a pace everything is posted at once (and synchronously: the tests rely on it).
      const wait = pace?.(parts)
      if (wait) await wait
    }
    post({ type: 'done', id: req.id, parts, ...(anonymised && { anonymised }), ms: { anonymise: t1 - t0, read: t2 - t1, build: t3 - t2, send: now() - t3 } })
  } catch (e) {
    post({ type: 'failed', id: req.id, message: e instanceof Error ? e.message : String(e) })
  }
}
