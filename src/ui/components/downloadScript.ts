/**
 * "Download as a script": the world as it is at the current step, as the bash script that
 * builds it on a Linux host in network namespaces (engine/export/script.ts, loaded on use),
 * named after the scenario and the step.
 */
import { useExplainer } from '../store/explainer.ts'

/** `scn-05-pod-to-pod-same-node`, frame 11 → `05-pod-to-pod-same-node-step-12.sh`; frame 0 has no step suffix. */
export function scriptFileName(scenarioId: string, frame: number): string {
  const base = scenarioId.replace(/^(scn|file)-/, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'packetwalk'
  return `${base}${frame > 0 ? `-step-${frame + 1}` : ''}.sh`
}

export async function downloadScript(): Promise<void> {
  const { world, scenario, playback } = useExplainer.getState()
  if (!world || !scenario) return
  const { exportScript } = await import('../../engine/export/script.ts')
  const text = exportScript(world, { title: `${scenario.title} (step ${playback.frame + 1} of ${playback.total})` })
  const url = URL.createObjectURL(new Blob([text], { type: 'text/x-shellscript' }))
  const a = document.createElement('a')
  a.href = url
  a.download = scriptFileName(scenario.id, playback.frame)
  document.body.append(a)
  a.click()
  a.remove()
  // Give the download a moment to start before the URL goes away.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
