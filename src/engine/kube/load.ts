/**
 * One call from cluster text to a built cluster, for the CLI and the UI: parse, then build
 * from the objects that are valid. Never throws: an unexpected failure while building
 * becomes a K8S011 diagnostic.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { World } from '../model/types.ts'
import { buildCluster } from './build.ts'
import { parseCluster } from './parseCluster.ts'
import type { ClusterDesc } from './schema.ts'
import type { ClusterEvent, ClusterState } from './state.ts'

export interface LoadedCluster {
  readonly desc: ClusterDesc
  readonly world?: World
  readonly cluster?: ClusterState
  readonly events: ClusterEvent[]
  readonly diagnostics: Diagnostic[]
}

/**
 * Parse and build a cluster file.
 *
 * @example
 * const { world, cluster, diagnostics } = loadClusterText(text, { file: 'cluster.yaml', seed: 1 })
 */
export function loadClusterText(text: string, opts: { file?: string; seed?: number } = {}): LoadedCluster {
  const parsed = parseCluster(text, opts.file !== undefined ? { file: opts.file } : {})
  try {
    const built = buildCluster(parsed.desc, { seed: opts.seed ?? 1 })
    return { desc: parsed.desc, world: built.world, cluster: built.cluster, events: built.events, diagnostics: [...parsed.diagnostics, ...built.diagnostics.map((d) => (opts.file !== undefined && d.file === undefined ? { ...d, file: opts.file } : d))] }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    return { desc: parsed.desc, events: [], diagnostics: [...parsed.diagnostics, { code: 'K8S011', severity: 'error', message: `cannot build this cluster: ${message}`, ...(opts.file !== undefined && { file: opts.file }), hint: 'check node addresses, podCIDRs and Service IPs for overlaps' }] }
  }
}
