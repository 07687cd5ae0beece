/**
 * The explainer's shell: the picker on top, the graph in the middle, the inspector on the
 * side, playback at the bottom. The graph (React Flow + layout) loads lazily so the first
 * paint does not wait for it.
 */
import { Suspense, lazy } from 'react'
import { ErrorBanner } from './components/ErrorBanner.tsx'
import { LiveAnnouncer } from './components/LiveAnnouncer.tsx'
import { TimelineBar } from './components/TimelineBar.tsx'
import { TopBar } from './components/TopBar.tsx'
import { useDevHook } from './hooks/useDevHook.ts'
import { useKeyboard } from './hooks/useKeyboard.ts'
import { usePlaybackClock } from './hooks/usePlaybackClock.ts'
import { useTheme } from './hooks/useTheme.ts'
import { useUrlSync } from './hooks/useUrlSync.ts'
import { Inspector } from './inspectors/Inspector.tsx'

const GraphView = lazy(() => import('./graph/GraphView.tsx'))

export function App() {
  useTheme()
  useUrlSync()
  usePlaybackClock()
  useKeyboard()
  useDevHook()
  return (
    <div className="pw-app" data-testid="app">
      <TopBar />
      <ErrorBanner />
      <main className="pw-main">
        <section className="pw-graph" aria-label="Network graph" data-testid="graph">
          <Suspense fallback={<div className="pw-status">Loading the graph…</div>}>
            <GraphView />
          </Suspense>
        </section>
        <Inspector />
      </main>
      <TimelineBar />
      <LiveAnnouncer />
    </div>
  )
}
