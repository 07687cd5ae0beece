/** The picker: which scenario, what it shows, and the theme switch. */
import { saveTheme } from '../hooks/useTheme.ts'
import { useExplainer } from '../store/explainer.ts'

export function TopBar() {
  const catalog = useExplainer((s) => s.catalog)
  const scenario = useExplainer((s) => s.scenario)
  const status = useExplainer((s) => s.status)
  const theme = useExplainer((s) => s.theme)
  const open = useExplainer((s) => s.open)
  const selected = scenario?.id ?? ''
  return (
    <header className="pw-top">
      <h1 className="pw-logo">packetwalk</h1>
      <label className="pw-picker">
        <span className="pw-sr">Scenario</span>
        <select data-testid="scenario-picker" value={selected} onChange={(e) => void open(e.target.value)} aria-label="Scenario">
          {!scenario && <option value="">Choose a scenario…</option>}
          {[...new Set(catalog.map((e) => e.group ?? 'Scenarios'))].map((g) => (
            <optgroup key={g} label={g}>
              {catalog
                .filter((e) => (e.group ?? 'Scenarios') === g)
                .map((e) => (
                  <option key={e.id} value={e.id}>
                    {e.title}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      <p className="pw-summary" data-testid="scenario-summary">
        {status === 'loading' ? 'Loading…' : (catalog.find((e) => e.id === selected)?.summary ?? '')}
      </p>
      <button type="button" className="pw-button" onClick={() => saveTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} data-testid="theme-toggle">
        {theme === 'dark' ? '☀ Light' : '☾ Dark'}
      </button>
    </header>
  )
}
