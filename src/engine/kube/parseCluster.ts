/**
 * Cluster description text → ClusterDesc. Accepts multi-document YAML and `kind: List`
 * (what `kubectl get … -o yaml` prints). Never throws: YAML errors and schema violations
 * become diagnostics with the document index, the field path and the line/column of the
 * offending node (mapped with yaml's LineCounter); valid objects are kept.
 */
import { LineCounter, parseAllDocuments, isNode } from 'yaml'
import type { Document } from 'yaml'
import type { z } from 'zod'
import type { Diagnostic } from '../diagnostics.ts'
import type { K8sCode } from './codes.ts'
import { ClusterConfig, DEFAULT_CONFIG, IGNORED_KINDS, OBJECT_SCHEMAS } from './schema.ts'
import type { ClusterDesc, Deployment, EndpointSlice, KnownKind, Namespace, NetworkPolicy, Node, Pod, Service } from './schema.ts'

export interface ParseClusterResult {
  readonly desc: ClusterDesc
  readonly diagnostics: Diagnostic[]
}

type Path = readonly (string | number)[]

/** `spec.ports[0].targetPort` */
export function formatPath(path: Path): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out
}

const NAMESPACED = new Set(['Pod', 'Deployment', 'Service', 'EndpointSlice', 'NetworkPolicy'])

/**
 * Parse a cluster description.
 *
 * @example
 * const { desc, diagnostics } = parseCluster(text, { file: 'cluster.yaml' })
 * desc.services.map((s) => s.metadata.name)
 */
export function parseCluster(text: string, opts: { file?: string } = {}): ParseClusterResult {
  const diagnostics: Diagnostic[] = []
  const lines = text.split(/\r?\n/)
  const lc = new LineCounter()
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

  const diag = (code: K8sCode, severity: Diagnostic['severity'], message: string, offset: number | undefined, hint?: string): void => {
    const pos = offset !== undefined ? lc.linePos(offset) : undefined
    diagnostics.push({
      code,
      severity,
      message,
      ...(hint !== undefined && { hint }),
      ...(opts.file !== undefined && { file: opts.file }),
      ...(pos && { line: pos.line, col: pos.col, text: lines[pos.line - 1] ?? '' }),
    })
  }

  let docs: Document.Parsed[]
  try {
    const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false })
    docs = Array.isArray(parsed) ? parsed : []
  } catch (e) {
    diag('K8S001', 'error', `cannot read YAML: ${String(e)}`, 0)
    return { desc: out, diagnostics }
  }

  docs.forEach((doc, di) => {
    const docNo = di + 1
    const where = `document ${docNo}`
    for (const err of doc.errors) diag('K8S001', 'error', `${where}: ${err.message.split('\n')[0] ?? err.message}`, err.pos[0], 'check indentation and quoting around this line')
    if (doc.errors.length > 0) return
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 1000 })
    } catch (e) {
      diag('K8S001', 'error', `${where}: ${String(e)}`, doc.range[0])
      return
    }
    if (value === null || value === undefined) return
    const offsetOf = (path: Path): number => {
      for (let n = path.length; n >= 0; n--) {
        const node: unknown = doc.getIn(path.slice(0, n), true)
        if (isNode(node) && node.range) return node.range[0]
      }
      return doc.range[0]
    }
    const handle = (obj: unknown, base: Path): void => {
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        diag('K8S002', 'error', `${where}${base.length ? ` ${formatPath(base)}` : ''}: expected an object with apiVersion and kind`, offsetOf(base), 'each document is one Kubernetes object (or a kind: List of them)')
        return
      }
      const kind = (obj as { kind?: unknown }).kind
      if (kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && Array.isArray((obj as { items?: unknown }).items))) {
        const items = (obj as { items?: unknown }).items
        if (!Array.isArray(items)) {
          diag('K8S002', 'error', `${where}: kind List without items`, offsetOf(base))
          return
        }
        items.forEach((item, i) => handle(item, [...base, 'items', i]))
        return
      }
      if (typeof kind !== 'string') {
        diag('K8S002', 'error', `${where}${base.length ? ` ${formatPath(base)}` : ''}: no kind`, offsetOf(base), `add kind: (one of ${Object.keys(OBJECT_SCHEMAS).join(', ')})`)
        return
      }
      if (!(kind in OBJECT_SCHEMAS)) {
        if (!IGNORED_KINDS.includes(kind)) diag('K8S003', 'warning', `${where}${base.length ? ` ${formatPath(base)}` : ''}: kind ${kind} is not simulated; ignored`, offsetOf([...base, 'kind']), `simulated kinds: ${Object.keys(OBJECT_SCHEMAS).join(', ')}`)
        return
      }
      const k = kind as KnownKind
      const schema: z.ZodType = OBJECT_SCHEMAS[k]
      const r = schema.safeParse(obj)
      if (!r.success) {
        for (const issue of r.error.issues) {
          const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')]
          diag('K8S004', 'error', `${where} (${kind}${nameOf(obj)}): ${formatPath(path)}: ${issue.message}`, offsetOf(path), hintFor(kind, issue.path.map(String)))
        }
        return
      }
      const data = r.data as { metadata?: { name: string; namespace?: string } }
      if (k === 'ClusterConfig') {
        if (configSeen) diag('K8S006', 'error', `${where}: a second ClusterConfig; only the first is used`, offsetOf(base))
        else out.config = r.data as ClusterConfig
        configSeen = true
        return
      }
      const meta = data.metadata!
      const ns = NAMESPACED.has(k) ? (meta.namespace ?? 'default') : undefined
      const key = `${k}/${ns ?? ''}/${meta.name}`
      if (seen.has(key)) {
        diag('K8S005', 'error', `${where}: ${k} ${ns ? `${ns}/` : ''}${meta.name} is defined twice; the first one is kept`, offsetOf([...base, 'metadata', 'name']))
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
  })
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
