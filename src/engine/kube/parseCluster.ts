/**
 * Cluster description text → ClusterDesc. Accepts multi-document YAML and `kind: List`
 * (what `kubectl get … -o yaml` prints). Never throws: YAML errors and schema violations
 * become diagnostics with the document index, the field path and the line/column of the
 * offending node (yamlSource.ts, as for world and scenario files); valid objects are kept.
 */
import type { z } from 'zod'
import type { Diagnostic } from '../diagnostics.ts'
import { diagnosticAt, formatYamlPath, readYaml } from '../yamlSource.ts'
import type { YamlPath } from '../yamlSource.ts'
import type { K8sCode } from './codes.ts'
import { ClusterConfig, DEFAULT_CONFIG, IGNORED_KINDS, OBJECT_SCHEMAS } from './schema.ts'
import type { ClusterDesc, Deployment, EndpointSlice, KnownKind, Namespace, NetworkPolicy, Node, Pod, Service } from './schema.ts'

export interface ParseClusterResult {
  readonly desc: ClusterDesc
  readonly diagnostics: Diagnostic[]
}

type Path = YamlPath

/** `spec.ports[0].targetPort` (the path format every YAML diagnostic uses). */
export const formatPath = formatYamlPath

const NAMESPACED = new Set(['Pod', 'Deployment', 'Service', 'EndpointSlice', 'NetworkPolicy'])

/**
 * Parse a cluster description.
 *
 * @example
 * const { desc, diagnostics } = parseCluster(text, { file: 'cluster.yaml' })
 * desc.services.map((s) => s.metadata.name)
 */
export function parseCluster(text: string, opts: { file?: string } = {}): ParseClusterResult {
  const source = readYaml(text, { code: 'K8S001', ...(opts.file !== undefined && { file: opts.file }) })
  const diagnostics: Diagnostic[] = [...source.diagnostics]
  const out = {
    config: DEFAULT_CONFIG,
    nodes: [] as Node[],
    namespaces: [] as Namespace[],
    pods: [] as Pod[],
    deployments: [] as Deployment[],
    services: [] as Service[],
    endpointSlices: [] as EndpointSlice[],
    networkPolicies: [] as NetworkPolicy[],
  }
  let configSeen = false
  const seen = new Set<string>()

  for (const { index, value } of source.docs) {
    if (value === null || value === undefined) continue
    const where = `document ${index + 1}`
    /** A diagnostic at a path of this document (its closest existing ancestor). */
    const diag = (code: K8sCode, severity: Diagnostic['severity'], message: string, path: Path, hint?: string): void => {
      diagnostics.push(diagnosticAt(source, index, path, { code, severity, message, ...(hint !== undefined && { hint }), ...(opts.file !== undefined && { file: opts.file }) }))
    }
    const handle = (obj: unknown, base: Path): void => {
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        diag('K8S002', 'error', `${where}${base.length ? ` ${formatPath(base)}` : ''}: expected an object with apiVersion and kind`, base, 'each document is one Kubernetes object (or a kind: List of them)')
        return
      }
      const kind = (obj as { kind?: unknown }).kind
      if (kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && Array.isArray((obj as { items?: unknown }).items))) {
        const items = (obj as { items?: unknown }).items
        if (!Array.isArray(items)) {
          diag('K8S002', 'error', `${where}: kind List without items`, base)
          return
        }
        items.forEach((item, i) => handle(item, [...base, 'items', i]))
        return
      }
      if (typeof kind !== 'string') {
        diag('K8S002', 'error', `${where}${base.length ? ` ${formatPath(base)}` : ''}: no kind`, base, `add kind: (one of ${Object.keys(OBJECT_SCHEMAS).join(', ')})`)
        return
      }
      if (!(kind in OBJECT_SCHEMAS)) {
        if (!IGNORED_KINDS.includes(kind)) diag('K8S003', 'warning', `${where}${base.length ? ` ${formatPath(base)}` : ''}: kind ${kind} is not simulated; ignored`, [...base, 'kind'], `simulated kinds: ${Object.keys(OBJECT_SCHEMAS).join(', ')}`)
        return
      }
      const k = kind as KnownKind
      const schema: z.ZodType = OBJECT_SCHEMAS[k]
      const r = schema.safeParse(obj)
      if (!r.success) {
        for (const issue of r.error.issues) {
          const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')]
          diag('K8S004', 'error', `${where} (${kind}${nameOf(obj)}): ${formatPath(path)}: ${issue.message}`, path, hintFor(kind, issue.path.map(String)))
        }
        return
      }
      const data = r.data as { metadata?: { name: string; namespace?: string } }
      if (k === 'ClusterConfig') {
        if (configSeen) diag('K8S006', 'error', `${where}: a second ClusterConfig; only the first is used`, base)
        else out.config = r.data as ClusterConfig
        configSeen = true
        return
      }
      const meta = data.metadata!
      const ns = NAMESPACED.has(k) ? (meta.namespace ?? 'default') : undefined
      const key = `${k}/${ns ?? ''}/${meta.name}`
      if (seen.has(key)) {
        diag('K8S005', 'error', `${where}: ${k} ${ns ? `${ns}/` : ''}${meta.name} is defined twice; the first one is kept`, [...base, 'metadata', 'name'])
        return
      }
      seen.add(key)
      const withNs = <T extends { metadata: { namespace?: string } }>(o: T): T => (ns === undefined ? o : { ...o, metadata: { ...o.metadata, namespace: ns } })
      switch (k) {
        case 'Node': out.nodes.push(r.data as Node); break
        case 'Namespace': out.namespaces.push(r.data as Namespace); break
        case 'Pod': out.pods.push(withNs(r.data as Pod)); break
        case 'Deployment': out.deployments.push(withNs(r.data as Deployment)); break
        case 'Service': out.services.push(withNs(r.data as Service)); break
        case 'EndpointSlice': out.endpointSlices.push(withNs(r.data as EndpointSlice)); break
        case 'NetworkPolicy': out.networkPolicies.push(withNs(r.data as NetworkPolicy)); break
      }
    }
    handle(value, [])
  }
  return { desc: out, diagnostics }
}

function nameOf(obj: object): string {
  const meta = (obj as { metadata?: { name?: unknown } }).metadata
  return typeof meta?.name === 'string' ? ` ${meta.name}` : ''
}

function hintFor(kind: string, path: string[]): string | undefined {
  const last = path.at(-1)
  if (kind === 'ClusterConfig' && path[0] === 'cni') return 'cni: {plugin: flannel, backend: vxlan|host-gw} or {plugin: calico, mode: bgp|ipip}'
  if (last === 'clusterIP') return 'a dotted IPv4 address inside the service CIDR, or None for a headless Service'
  if (last === 'targetPort' || last === 'port') return 'a port number 1-65535 or a container port name'
  if (last === 'podCIDR' || last === 'cidr' || last === 'clusterCIDR' || last === 'serviceCIDR') return 'an IPv4 CIDR such as 10.244.1.0/24'
  if (path.includes('metadata') && last === 'name') return 'every object needs metadata.name'
  return undefined
}

/** Parse a ClusterConfig alone (e.g. a CLI override); defaults for everything missing. */
export function parseClusterConfig(value: unknown): ClusterConfig | undefined {
  const r = ClusterConfig.safeParse(value)
  return r.success ? r.data : undefined
}
