/**
 * The app's shell, in three modes. Explain (the default): the picker on top, what the
 * scenario is about, the graph in the middle, the inspector on the side, playback at the
 * bottom. Import a node: the import panel. Terminal & labs: the simulated shell where the
 * inspector was. Presenter mode hides the panels for a projector. The graph, the import
 * panel and the terminal load lazily, so the first paint waits for none of them.
 */
import { Suspense, lazy } from 'react'
import { CheckpointDialog } from './components/CheckpointDialog.tsx'
import { DropZone } from './components/DropZone.tsx'
import { ErrorBanner } from './components/ErrorBanner.tsx'
import { LiveAnnouncer } from './components/LiveAnnouncer.tsx'
import { LaserPointer, PresenterBar } from './components/Presenter.tsx'
import { ProblemsDialog } from './components/ProblemsDialog.tsx'
import { ResultsPanel } from './components/ResultsPanel.tsx'
import { ScenarioStrip } from './components/ScenarioStrip.tsx'
import { TimelineBar } from './components/TimelineBar.tsx'
import { TopBar } from './components/TopBar.tsx'
import { useDevHook } from './hooks/useDevHook.ts'
import { useKeyboard } from './hooks/useKeyboard.ts'
import { usePlaybackClock } from './hooks/usePlaybackClock.ts'
import { useTheme } from './hooks/useTheme.ts'
import { useUrlSync } from './hooks/useUrlSync.ts'
import { Inspector } from './inspectors/Inspector.tsx'
import { useExplainer } from './store/explainer.ts'

const GraphView = lazy(() => import('./graph/GraphView.tsx'))
const ImportPanel = lazy(() => import('./import/ImportPanel.tsx').then((m) => ({ default: m.ImportPanel })))
const TerminalMode = lazy(() => import('./modes/TerminalMode.tsx'))

const loading = (what: string) => (
  <div className="pw-status" role="status">
    Loading {what}…
  </div>
)

export function App() {
  useTheme()
  useUrlSync()
  usePlaybackClock()
  useKeyboard()
  useDevHook()
  const mode = useExplainer((s) => s.mode)
  const presenter = useExplainer((s) => s.presenter)
  const pointer = useExplainer((s) => s.pointer)
  const atEnd = useExplainer((s) => s.playback.total > 0 && s.playback.frame === s.playback.total - 1 && (s.scenario?.results?.length ?? 0) > 0)
  const setMode = useExplainer((s) => s.setMode)
  return (
    <div className={`pw-app${presenter ? ' is-presenter' : ''}${pointer ? ' has-pointer' : ''}`} data-testid="app" data-mode={mode} tabIndex={-1}>
      {presenter ? <PresenterBar /> : <TopBar />}
      {!presenter && mode !== 'import' && <ScenarioStrip />}
      <ErrorBanner />
      {mode === 'import' ? (
        <main className="pw-main is-import">
          <Suspense fallback={loading('the import panel')}>
            <ImportPanel onClose={() => setMode('explainer')} />
          </Suspense>
        </main>
      ) : (
        <main className={`pw-main${mode === 'terminal' ? ' is-terminal' : ''}`}>
          <section className="pw-graph" aria-label="Network graph" data-testid="graph">
            <Suspense fallback={loading('the graph')}>
              <GraphView />
            </Suspense>
            {presenter && atEnd && (
              <div className="pw-presenter-results">
                <ResultsPanel compact />
              </div>
            )}
          </section>
          <CheckpointDialog />
          {mode === 'terminal' ? (
            <Suspense fallback={loading('the terminal')}>
              <TerminalMode />
            </Suspense>
          ) : (
            !presenter && <Inspector />
          )}
        </main>
      )}
      {mode !== 'import' && <TimelineBar />}
      <LiveAnnouncer />
      <ProblemsDialog />
      <DropZone />
      {presenter && pointer && <LaserPointer />}
    </div>
  )
}
