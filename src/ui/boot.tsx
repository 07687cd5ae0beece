/**
 * The app itself, started by main.tsx once the prerendered page is on screen. A first visit (no scenario, file or step in the URL) opens the default
 * scenario before React's first render, so React draws the same page the build prerendered
 * into index.html (prerender.tsx) and nothing on it moves.
 */
import { StrictMode, startTransition } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import { DEFAULT_SCENARIO } from './scenarios/scenarioFiles.ts'
import { useExplainer } from './store/explainer.ts'
import { parseUrlState } from './store/urlState.ts'

const u = parseUrlState(window.location.search)
if (!u.url && (u.scenario ?? DEFAULT_SCENARIO) === DEFAULT_SCENARIO && u.frame === undefined && !u.view && !u.whatIf) await useExplainer.getState().open(DEFAULT_SCENARIO)

// A transition: React renders the page in slices and lets the browser answer input between them.
const root = createRoot(document.getElementById('root')!)
startTransition(() =>
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
)
