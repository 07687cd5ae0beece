/**
 * ELK in a Web Worker (elk-api on the page, the layout engine in the worker), created on
 * first use so its ~1.4 MB never blocks the first paint.
 */
import ELK from 'elkjs/lib/elk-api.js'
import ElkWorker from 'elkjs/lib/elk-worker.min.js?worker'
import type { ElkLayout } from './layout.ts'

let elk: InstanceType<typeof ELK> | null = null

export const elkLayout: ElkLayout = (graph) => {
  elk ??= new ELK({ workerFactory: () => new ElkWorker() })
  return elk.layout(graph)
}

/** Start the worker early (while the scenario is still being built), so the first layout does not pay for it. */
export function warmUpElk(): void {
  if (elk) return
  void elkLayout({ id: 'warm-up', children: [{ id: 'a', width: 1, height: 1 }] }).catch(() => undefined)
}
