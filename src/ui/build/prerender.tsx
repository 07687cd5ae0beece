/**
 * The first paint, made at build time: the App rendered to HTML (react-dom/server) with the
 * default scenario open at its first step, for index.html's #root. The page shows the
 * scenario's title, narration and controls before any script has run; main.tsx opens the same
 * scenario before React's first render, so the tree React draws over it is the same and
 * nothing moves. The markup is `inert` (nothing in it answers a click until React's own tree
 * replaces it). The graph is lazy: its place holds the "Loading the graph…" status. Runs in
 * Node, through Vite's module runner (scenarioPlugin.ts), so the precompiled scenario is
 * imported statically (the runner takes no later import).
 */
import { renderToString } from 'react-dom/server'
import pre from '../../../scenarios/00-welcome.yaml?precompiled'
import { App } from '../App.tsx'
import { DEFAULT_SCENARIO } from '../scenarios/scenarioFiles.ts'
import { explainerStore, useExplainer } from '../store/explainer.ts'

/** The App's markup with the default scenario open at its first frame. */
export async function prerenderApp(): Promise<string> {
  const { catalog, setCatalog, open } = useExplainer.getState()
  setCatalog(catalog.map((e) => (e.id === DEFAULT_SCENARIO ? { ...e, load: () => Promise.resolve(pre.scenario) } : e)))
  await open(DEFAULT_SCENARIO)
  const st = useExplainer.getState()
  if (st.status !== 'ready' || st.scenario?.id !== DEFAULT_SCENARIO) throw new Error(`prerender: ${DEFAULT_SCENARIO} did not open: ${st.error ?? st.status}`)
  // A server render reads a store's initial state; this one is the opened scenario.
  explainerStore.getInitialState = () => explainerStore.getState()
  const html = renderToString(<App />)
  // The lazy graph cannot render here: React leaves its fallback and a <template> saying why.
  return `<div inert>${html.replace(/<template[^>]*><\/template>/g, '')}</div>`
}
