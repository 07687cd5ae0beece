/**
 * The import worker: reads node dumps off the main thread (see protocol.ts). One request at a
 * time; the page terminates the worker to cancel.
 */
import { isImportRequest, runImport } from './protocol.ts'
import type { ImportMessage } from './protocol.ts'

const post = (m: ImportMessage) => (self as unknown as { postMessage: (m: ImportMessage) => void }).postMessage(m)

self.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (isImportRequest(e.data)) runImport(e.data, post)
  else post({ type: 'failed', id: -1, message: 'the import worker received a message it does not understand' })
})
