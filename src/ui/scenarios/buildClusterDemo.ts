/**
 * Demos built from a cluster description (Kubernetes objects + ClusterConfig): the kube layer
 * builds every node's Linux state, then packets are traced through it. Loaded on demand.
 */
import { loadClusterText } from '../../engine/kube/load.ts'
import type { World } from '../../engine/model/types.ts'
import type { Segment, Timeline } from '../../engine/scenario/timeline.ts'
import { traceSegment } from '../../engine/trace.ts'
import { lookup, resolveSource, resolveTarget } from '../../engine/session.ts'
import { at, over } from './narrate.ts'
import type { Narration } from './types.ts'

const clusterFiles = import.meta.glob<string>('../../../scenarios/clusters/*.yaml', { query: '?raw', import: 'default' })

/** Build `scenarios/clusters/<name>.yaml` (Kubernetes objects + ClusterConfig) into a World with its cluster state. */
export async function loadCluster(name: string): Promise<World> {
  const read = clusterFiles[`../../../scenarios/clusters/${name}.yaml`]
  if (!read) throw new Error(`no cluster file scenarios/clusters/${name}.yaml`)
  const r = loadClusterText(await read(), { file: `${name}.yaml`, seed: 1 })
  const errors = r.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length || !r.world) throw new Error(`${name}.yaml: ${errors.map((d) => `line ${d.line ?? '?'}: ${d.message}`).join('; ') || 'the cluster could not be built'}`)
  return r.world
}

/** A pod looks nginx-svc up through CoreDNS, then connects to it across nodes. */
export async function clusterServiceDemo(): Promise<{ segments: Segment[]; narrate: (t: Timeline) => Narration[] }> {
  const w = await loadCluster('flannel-3-nodes')
  const client = resolveSource(w, 'default/client')
  const dns = lookup(w, client, 'nginx-svc', { seed: 1, now: 1000 })
  const target = resolveTarget(dns.world, 'default/nginx-svc')
  const connect = traceSegment(dns.world, { from: client, to: target.ip, proto: 'tcp', dport: target.port ?? 80 }, { seed: 1, now: 2000, title: `connect to ${target.explain}:${target.port ?? 80}` })
  const segments: Segment[] = [...dns.segments, connect]
  const n = dns.segments.length
  const narrate = (t: Timeline): Narration[] => [
    ...dns.segments.map((_, i) => over(t, i, `The resolver asks for ${dns.queries[i] ?? 'the name'}: a UDP query to the kube-dns ClusterIP, DNATed to a CoreDNS pod.`)),
    over(t, n, `The client connects to ${target.explain}. KUBE-SERVICES matches the ClusterIP, KUBE-SVC picks a backend at random, KUBE-SEP DNATs to it.`),
    ...at(t, n, (k) => k === 'encap', 'The chosen backend is on another node: the packet enters the VXLAN tunnel.'),
  ]
  return { segments, narrate }
}
