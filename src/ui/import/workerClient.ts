/**
 * The page's side of the import worker: start a job, hear its progress, get its result, or
 * cancel it. The result arrives in pieces, each deserialised in its own task, and is put
 * back together when `done` comes. One worker is kept between jobs; cancelling (or starting
 * a new job while one runs) terminates it, which stops a parse mid-block, and the next job
 * starts a fresh one.
 */
import type { DumpInput } from '../../engine/import/types.ts'
import { assembler } from './chunked.ts'
import type { Assembler } from './chunked.ts'
import type { ImportDoneMessage, ImportMessage, ImportPayload, ImportProgressMessage, ImportRequest } from './protocol.ts'

export type JobEnd = { readonly kind: 'done'; readonly payload: ImportPayload; readonly done: ImportDoneMessage } | { readonly kind: 'failed'; readonly message: string } | { readonly kind: 'cancelled' }

export interface ImportJob {
  readonly id: number
  readonly end: Promise<JobEnd>
  readonly cancel: () => void
}

let worker: Worker | undefined
let running: { id: number; settle: (e: JobEnd) => void; parts: Assembler; received: number } | undefined
let seq = 0
let progressListener: ((p: ImportProgressMessage) => void) | undefined

function createWorker(): Worker {
  const w = new Worker(new URL('./import.worker.ts', import.meta.url), { type: 'module', name: 'packetwalk-import' })
  w.addEventListener('message', (e: MessageEvent<ImportMessage>) => onMessage(e.data))
  w.addEventListener('error', (e) => {
    e.preventDefault()
    if (running) running.settle({ kind: 'failed', message: `the import worker stopped: ${e.message || 'it could not start'}` })
    dropWorker()
  })
  return w
}

function onMessage(m: ImportMessage): void {
  const r = running
  if (!r || m.id !== r.id) return
  switch (m.type) {
    case 'progress':
      progressListener?.(m)
      return
    case 'part':
      r.parts.add(m.piece)
      r.received++
      acknowledge(r.id, r.received)
      return
    case 'done': {
      if (r.received !== m.parts) {
        r.settle({ kind: 'failed', message: `the import worker sent ${r.received} of ${m.parts} pieces` })
        return
      }
      try {
        r.settle({ kind: 'done', payload: r.parts.finish() as ImportPayload, done: m })
      } catch (e) {
        r.settle({ kind: 'failed', message: e instanceof Error ? e.message : String(e) })
      }
      return
    }
    case 'failed':
      r.settle({ kind: 'failed', message: m.message })
  }
}

/** When the page last drew a frame (while a job runs). */
let lastFrame = 0
/** The page drew less than this long ago: take the next piece at once; else after the next frame. */
const FRAME_DUE_MS = 10

function watchFrames(id: number): void {
  const tick = () => {
    lastFrame = performance.now()
    if (running?.id === id) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

/** Tell the worker a piece was taken: now, or once a frame has been drawn if one is due. */
function acknowledge(id: number, received: number): void {
  const send = () => worker?.postMessage({ type: 'ack', id, received })
  if (performance.now() - lastFrame < FRAME_DUE_MS) send()
  else requestAnimationFrame(() => setTimeout(send, 0))
}

function dropWorker(): void {
  worker?.terminate()
  worker = undefined
}

/** Start reading inputs in the worker; a job already running is cancelled first. */
export function startImportJob(inputs: readonly DumpInput[], opts: { readonly anonymiseKey?: string; readonly onProgress?: (p: ImportProgressMessage) => void } = {}): ImportJob {
  if (running) cancelRunning()
  const id = ++seq
  let settle!: (e: JobEnd) => void
  const end = new Promise<JobEnd>((resolve) => {
    settle = (e) => {
      if (running?.id === id) running = undefined
      resolve(e)
    }
  })
  running = { id, settle, parts: assembler(), received: 0 }
  progressListener = opts.onProgress
  worker ??= createWorker()
  const req: ImportRequest = { type: 'import', id, inputs, ...(opts.anonymiseKey !== undefined && { anonymiseKey: opts.anonymiseKey }) }
  worker.postMessage(req)
  lastFrame = performance.now()
  watchFrames(id)
  return {
    id,
    end,
    cancel: () => {
      if (running?.id === id) cancelRunning()
    },
  }
}

function cancelRunning(): void {
  const r = running
  running = undefined
  dropWorker()
  r?.settle({ kind: 'cancelled' })
}
