/**
 * The bench page's one scenario: a generated 3-node cluster (genCluster.ts) built by the kube
 * layer, and one packet from the client pod to the first Service traced through it, exactly
 * as the built-in cluster demo is built. Loaded on demand, like the demos' engine chunk.
 */
import { loadClusterText } from '../../engine/kube/load.ts'
import { traceSegment } from '../../engine/trace.ts'
import { resolveSource, resolveTarget } from '../../engine/session.ts'
import type { LoadedScenario } from '../../ui/scenarios/types.ts'
import { generateCluster } from '../genCluster.ts'

export interface BuiltBenchScenario {
  readonly scenario: LoadedScenario
  readonly pods: number
  readonly netns: number
  readonly steps: number
}

export function buildBenchScenario(id: string, deployments: number, replicas: number): BuiltBenchScenario {
  const c = generateCluster(deployments, replicas)
  const r = loadClusterText(c.text, { file: 'bench-cluster.yaml', seed: 1 })
  const errors = r.diagnostics.filter((d) => d.severity === 'error')
  if (!r.world || errors.length) throw new Error(`bench cluster: ${errors.map((d) => d.message).join('; ')}`)
  const w = r.world
  const target = resolveTarget(w, c.service)
  const seg = traceSegment(w, { from: resolveSource(w, 'default/client'), to: target.ip, proto: 'tcp', dport: target.port ?? 80 }, { seed: 1, now: 1000, title: `client → ${c.service}` })
  const title = `${c.pods} pods on 3 nodes`
  return {
    scenario: { id, title, summary: 'Generated for the benchmark', timeline: { segments: [seg] }, narration: [] },
    pods: c.pods,
    netns: Object.keys(w.netns).length,
    steps: seg.steps.length,
  }
}
