/**
 * The top bar: the scenario picker (curriculum order, grouped by section), opening your own
 * file, the mode (explain, import a node, terminal and labs), presenter mode, the script
 * download and the theme switch.
 */
import { warmUpLayout } from '../graph/warmUp.ts'
import { saveTheme } from '../hooks/useTheme.ts'
import { useExplainer } from '../store/explainer.ts'
import type { Mode } from '../store/explainer.ts'
import { downloadScript } from './downloadScript.ts'
import { OpenFileButton } from './OpenFileButton.tsx'

const MODES: readonly [Mode, string][] = [
  ['explainer', 'Explain'],
  ['import', 'Import a node'],
  ['terminal', 'Terminal & labs'],
]

/** The scenario picker; focusing it starts the layout worker, so the scenario picked next lays out at once. */
function Picker() {
  const catalog = useExplainer((s) => s.catalog)
  const scenario = useExplainer((s) => s.scenario)
  const open = useExplainer((s) => s.open)
  const selected = scenario?.id ?? ''
  const groups: { label: string; ids: number[] }[] = []
  catalog.forEach((e, i) => {
    const label = e.group ?? 'Scenarios'
    const last = groups.at(-1)
    if (last?.label === label) last.ids.push(i)
    else groups.push({ label, ids: [i] })
  })
  const known = catalog.some((e) => e.id === selected)
  return (
    <label className="pw-picker">
      <span className="pw-sr">Scenario</span>
      <select data-testid="scenario-picker" value={known ? selected : ''} onChange={(e) => void open(e.target.value)} onFocus={warmUpLayout} aria-label="Scenario">
        {!known && <option value="">{scenario ? scenario.title : 'Choose a scenario…'}</option>}
        {groups.map((g, gi) => (
          <optgroup key={`${gi}-${g.label}`} label={g.label}>
            {g.ids.map((i) => {
              const e = catalog[i]!
              return (
                <option key={e.id} value={e.id}>
                  {e.title}
                </option>
              )
            })}
          </optgroup>
        ))}
      </select>
    </label>
  )
}

export function TopBar() {
  const theme = useExplainer((s) => s.theme)
  const mode = useExplainer((s) => s.mode)
  const setMode = useExplainer((s) => s.setMode)
  const hasWorld = useExplainer((s) => s.world !== null)
  return (
    <header className="pw-top">
      <h1 className="pw-logo">packetwalk</h1>
      <Picker />
      <OpenFileButton />
      <nav className="pw-modes" aria-label="Mode">
        {MODES.map(([m, label]) => (
          <button key={m} type="button" className="pw-button pw-mode" aria-pressed={mode === m} onClick={() => setMode(m)} data-testid={`mode-${m}`}>
            {label}
          </button>
        ))}
      </nav>
      <span className="pw-top-spacer" />
      <button type="button" className="pw-button" onClick={() => useExplainer.getState().setPresenter(true)} title="Presenter mode (P)" aria-keyshortcuts="p" data-testid="presenter-on">
        Present
      </button>
      <button type="button" className="pw-button" onClick={() => void downloadScript()} disabled={!hasWorld} aria-label="Download as a script" title="Download as a script: bash that builds this world, as it is at this step, in network namespaces on a Linux host" data-testid="download-script">
        <svg viewBox="0 0 20 20" aria-hidden="true" focusable="false">
          <path d="M9 2h2v9l3-3 1.4 1.4L10 14.8 4.6 9.4 6 8l3 3zM3 16h14v2H3z" />
        </svg>{' '}
        Script
      </button>
      <button type="button" className="pw-button" onClick={() => saveTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} data-testid="theme-toggle">
        {theme === 'dark' ? '☀ Light' : '☾ Dark'}
      </button>
    </header>
  )
}
