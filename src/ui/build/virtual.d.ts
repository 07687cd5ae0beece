/** Modules the packetwalk-scenarios Vite plugin (scenarioPlugin.ts) provides. */
declare module 'virtual:packetwalk/scenario-index' {
  const index: readonly import('./scenarioPlugin.ts').ScenarioIndexEntry[]
  export default index
}

declare module '*.yaml?precompiled' {
  const precompiled: import('./precompile.ts').PrecompiledScenario
  export default precompiled
}
