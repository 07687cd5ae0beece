/**
 * The benchmark page: the real App (same components, store and styles as src/ui/main.tsx),
 * with a catalog holding one generated cluster instead of the demos, and a `window.__bench`
 * object the Playwright driver (src/bench/browser.ts) reads: timestamps, long tasks, frame
 * counts and per-step main-thread time. Built only by `npm run bench`, never shipped.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from '../../ui/App.tsx'
import '../../ui/styles.css'
import { useExplainer } from '../../ui/store/explainer.ts'

const ID = 'bench-cluster'
const q = new URLSearchParams(window.location.search)
const deployments = Number(q.get('deployments') ?? 13)
const replicas = Number(q.get('replicas') ?? 23)

export interface BenchProbe {
  /** performance.now() marks: build start/end, store ready, first graph node in the DOM (layout done), graph painted. */
  readonly marks: Record<string, number>
  readonly info: Record<string, number>
  /** Durations (ms) of long tasks seen so far (PerformanceObserver 'longtask'). */
  readonly longTasks: number[]
  /** Main-thread time of each forward step: click handling and render, plus the next frame's work. */
  readonly stepTimes: number[]
  /** Count rAF callbacks until stop() returns {frames, ms, worst}. */
  frames(): { stop: () => { frames: number; ms: number; worst: number } }
}

const probe: BenchProbe = {
  marks: {},
  info: {},
  longTasks: [],
  stepTimes: [],
  frames() {
    let n = 0
    let worst = 0
    let last = performance.now()
    const t0 = last
    let on = true
    const tick = (t: number) => {
      if (!on) return
      n++
      worst = Math.max(worst, t - last)
      last = t
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
    return {
      stop: () => {
        on = false
        return { frames: n, ms: performance.now() - t0, worst }
      },
    }
  },
}
declare global {
  interface Window {
    __bench?: BenchProbe
  }
}
window.__bench = probe

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) probe.longTasks.push(e.duration)
}).observe({ type: 'longtask', buffered: true })

// A forward step's main-thread time: from the click to the end of the click's task (handler,
// React render and commit), plus the work of the next frame (rAF → the task after its paint).
const afterTask = () => new Promise<number>((resolve) => {
  const ch = new MessageChannel()
  ch.port1.onmessage = () => resolve(performance.now())
  ch.port2.postMessage(0)
})
document.addEventListener(
  'click',
  (e) => {
    if (!(e.target instanceof Element) || !e.target.closest('[data-testid="btn-forward"]')) return
    const t0 = performance.now()
    void afterTask().then((t1) =>
      requestAnimationFrame((t2) => {
        void afterTask().then((t3) => probe.stepTimes.push(t1 - t0 + (t3 - t2)))
      }),
    )
  },
  true,
)

useExplainer.getState().setCatalog([
  {
    id: ID,
    title: 'Benchmark cluster',
    summary: 'Generated for the benchmark',
    load: async () => {
      const { buildBenchScenario } = await import('./scenario.ts')
      probe.marks.buildStart = performance.now()
      const b = buildBenchScenario(ID, deployments, replicas)
      probe.marks.buildEnd = performance.now()
      Object.assign(probe.info, { pods: b.pods, netns: b.netns, steps: b.steps })
      return b.scenario
    },
  },
])
useExplainer.subscribe((s) => {
  if (s.status === 'ready' && probe.marks.ready === undefined) probe.marks.ready = performance.now()
})
if (q.get('s') !== ID) {
  q.set('s', ID)
  window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`)
}

// Graph painted: React Flow's nodes are measured and placed (graph-ready), then two frames.
const painted = new MutationObserver(() => {
  if (probe.marks.firstNode === undefined && document.querySelector('.react-flow__node')) probe.marks.firstNode = performance.now()
  if (!document.querySelector('[data-testid="graph-ready"]')) return
  painted.disconnect()
  requestAnimationFrame(() => requestAnimationFrame(() => {
    probe.marks.painted = performance.now()
    probe.info.nodes = document.querySelectorAll('.react-flow__node').length
    probe.info.edges = document.querySelectorAll('.react-flow__edge').length
  }))
})
painted.observe(document.body, { childList: true, subtree: true })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
