/**
 * The import worker: reads node dumps off the main thread (see protocol.ts). One request at a
 * time; the page terminates the worker to cancel. Pieces of the result go out at most
 * `AHEAD` beyond what the page has acknowledged, so the page always has time to draw.
 */
import { isImportAck, isImportRequest, runImport } from './protocol.ts'
import type { ImportMessage } from './protocol.ts'

const post = (m: ImportMessage) => (self as unknown as { postMessage: (m: ImportMessage) => void }).postMessage(m)

/** Pieces sent and not yet acknowledged, at most. */
const AHEAD = 2
const acked = new Map<number, number>()
let wake: (() => void) | undefined

function pace(id: number): (sent: number) => Promise<void> | undefined {
  return (sent) => {
    if (sent - (acked.get(id) ?? 0) < AHEAD) return undefined
    return new Promise<void>((resolve) => {
      wake = () => {
        if (sent - (acked.get(id) ?? 0) >= AHEAD) return
        wake = undefined
        resolve()
      }
    })
  }
}

self.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (isImportAck(e.data)) {
    acked.set(e.data.id, Math.max(acked.get(e.data.id) ?? 0, e.data.received))
    wake?.()
  } else if (isImportRequest(e.data)) {
    acked.clear()
    void runImport(e.data, post, undefined, undefined, pace(e.data.id))
  } else post({ type: 'failed', id: -1, message: 'the import worker received a message it does not understand' })
})
