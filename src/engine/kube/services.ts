/**
 * Services as the apiserver completes them: a ClusterIP from the service CIDR when none is
 * given (the first address is `kubernetes`, the tenth is kube-dns, dynamic ones come from
 * the upper part of the range as the allocator prefers), NodePorts from 30000-32767, and
 * EndpointSlices derived from selectors by the EndpointSlice controller: ready and
 * not-ready pods with their conditions, named targetPorts resolved per pod, pods that
 * resolve to different port numbers in different slices.
 */
import { intToIp, parsePrefix, prefixContains } from '../wire/addr.ts'
import type { Ctx } from './ctx.ts'
import { emit, warn } from './ctx.ts'
import { K8S_NAME_ALPHABET } from '../rng.ts'
import type { EndpointSlice, Service, ServicePort } from './schema.ts'
import type { ClusterState, PodState } from './state.ts'

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name'
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'

export function svcKey(s: { metadata: { namespace?: string; name: string } }): string {
  return `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`
}

export function isHeadless(s: Service): boolean {
  return s.spec.clusterIP === 'None'
}

/** Fill clusterIP and nodePorts the way the apiserver does on create. */
export function completeService(ctx: Ctx, svc: Service): Service {
  const cidr = ctx.state.config.serviceCIDR
  const p = parsePrefix(cidr)
  const key = svcKey(svc)
  // A Service applied again replaces itself: its own addresses are not taken, and what the
  // apiserver allocated before stays (clusterIP and nodePorts are kept on update).
  const prev = ctx.state.services.find((s) => svcKey(s) === key)
  const others = ctx.state.services.filter((s) => s !== prev)
  const used = new Set(others.map((s) => s.spec.clusterIP).filter((x): x is string => !!x))
  let clusterIP = svc.spec.clusterIP ?? (prev?.spec.clusterIP !== 'None' ? prev?.spec.clusterIP : undefined)
  if (svc.spec.type === 'ExternalName') return svc
  if (clusterIP && clusterIP !== 'None') {
    if (!prefixContains(p, clusterIP)) {
      warn(ctx, 'K8S008', `Service ${key}: clusterIP ${clusterIP} is not in the service CIDR ${cidr}; allocating another`, `leave clusterIP out, or pick an address inside ${cidr}`)
      clusterIP = undefined
    } else if (used.has(clusterIP)) {
      warn(ctx, 'K8S008', `Service ${key}: clusterIP ${clusterIP} is already allocated; allocating another`)
      clusterIP = undefined
    }
  }
  if (!clusterIP) {
    const size = 2 ** (32 - p.len)
    const lowBand = Math.min(Math.max(16, Math.floor(size / 16)), 256)
    let ip: string | undefined
    for (let tries = 0; tries < 1000 && !ip; tries++) {
      const cand = intToIp(p.net + lowBand + ctx.rng.int(size - lowBand - 1))
      if (!used.has(cand)) ip = cand
    }
    clusterIP = ip ?? intToIp(p.net + 2)
    emit(ctx, 'Service', `apiserver allocates ClusterIP ${clusterIP} to ${key}`)
  }
  const usedPorts = new Set(others.flatMap((s) => s.spec.ports.map((x) => x.nodePort).filter((x): x is number => x !== undefined)))
  const wantsNodePort = svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer'
  const ports: ServicePort[] = svc.spec.ports.map((given) => {
    if (!wantsNodePort) return given
    const kept = given.nodePort ?? prev?.spec.ports.find((x) => x.port === given.port && x.protocol === given.protocol)?.nodePort
    const port = kept !== undefined ? { ...given, nodePort: kept } : given
    if (port.nodePort !== undefined && port.nodePort >= 30000 && port.nodePort <= 32767 && !usedPorts.has(port.nodePort)) return port
    let np = 30000 + ctx.rng.int(2768)
    while (usedPorts.has(np)) np = 30000 + ((np - 30000 + 1) % 2768)
    usedPorts.add(np)
    emit(ctx, 'Service', `apiserver allocates NodePort ${np} to ${key} port ${port.port}/${port.protocol}`)
    return { ...port, nodePort: np }
  })
  return { ...svc, spec: { ...svc.spec, clusterIP, ports } }
}

/** The container port a Service port targets on one pod; undefined when a name does not resolve. */
export function resolveTargetPort(port: ServicePort, pod: PodState): number | undefined {
  const tp = port.targetPort ?? port.port
  if (typeof tp === 'number') return tp
  for (const c of pod.containers) for (const cp of c.ports) if (cp.name === tp && cp.protocol === port.protocol) return cp.containerPort
  return undefined
}

function stableSuffix(seed: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0
  let out = ''
  for (let i = 0; i < 5; i++) {
    out += K8S_NAME_ALPHABET[h % K8S_NAME_ALPHABET.length]!
    h = Math.floor(h / K8S_NAME_ALPHABET.length) + i * 7919
  }
  return out
}

export function podMatches(svc: Service, pod: PodState): boolean {
  const sel = svc.spec.selector
  if (!sel || Object.keys(sel).length === 0) return false
  return pod.namespace === (svc.metadata.namespace ?? 'default') && Object.entries(sel).every(([k, v]) => pod.labels[k] === v)
}

/** The EndpointSlices the controller keeps for every Service with a selector. */
export function deriveEndpointSlices(state: Pick<ClusterState, 'services' | 'pods' | 'staticEndpointSlices'>): EndpointSlice[] {
  const out: EndpointSlice[] = []
  const staticFor = new Set(state.staticEndpointSlices.map((s) => `${s.metadata.namespace ?? 'default'}/${s.metadata.labels?.[LABEL_SERVICE_NAME] ?? ''}`))
  for (const svc of state.services) {
    const key = svcKey(svc)
    if (staticFor.has(key) || !svc.spec.selector || Object.keys(svc.spec.selector).length === 0 || svc.spec.type === 'ExternalName') continue
    const groups = new Map<string, { ports: { name?: string; port: number; protocol: ServicePort['protocol'] }[]; pods: PodState[] }>()
    for (const pod of state.pods) {
      if (!podMatches(svc, pod) || pod.ip === undefined) continue
      const ports = svc.spec.ports.flatMap((p) => {
        const n = resolveTargetPort(p, pod)
        return n === undefined ? [] : [{ ...(p.name !== undefined && { name: p.name }), port: n, protocol: p.protocol }]
      })
      const sig = JSON.stringify(ports)
      const g = groups.get(sig) ?? { ports, pods: [] }
      g.pods.push(pod)
      groups.set(sig, g)
    }
    const labels: Record<string, string> = { [LABEL_SERVICE_NAME]: svc.metadata.name, [LABEL_MANAGED_BY]: 'endpointslice-controller.k8s.io', ...(isHeadless(svc) && { 'service.kubernetes.io/headless': '' }) }
    if (groups.size === 0) groups.set('[]', { ports: svc.spec.ports.map((p) => ({ ...(p.name !== undefined && { name: p.name }), port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol })), pods: [] })
    let i = 0
    for (const g of groups.values()) {
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${svc.metadata.name}-${stableSuffix(`${key}#${i++}`)}`, namespace: svc.metadata.namespace ?? 'default', labels },
        addressType: 'IPv4',
        endpoints: g.pods.map((p) => ({ addresses: [p.ip!], conditions: { ready: p.ready, serving: p.ready, terminating: false }, nodeName: p.node, targetRef: { kind: 'Pod', name: p.name, namespace: p.namespace } })),
        ports: g.ports,
      })
    }
  }
  return out
}

/** Ready endpoint addresses of a Service (what headless DNS answers and kube-proxy balances over). */
export function readyEndpoints(state: Pick<ClusterState, 'endpointSlices'>, svc: Service): { ip: string; node?: string; pod?: string }[] {
  const out: { ip: string; node?: string; pod?: string }[] = []
  for (const s of state.endpointSlices) {
    if ((s.metadata.namespace ?? 'default') !== (svc.metadata.namespace ?? 'default') || s.metadata.labels?.[LABEL_SERVICE_NAME] !== svc.metadata.name) continue
    for (const e of s.endpoints) {
      if (e.conditions.ready === false) continue
      const ip = e.addresses[0]!
      if (!out.some((x) => x.ip === ip)) out.push({ ip, ...(e.nodeName !== undefined && { node: e.nodeName }), ...(e.targetRef?.name !== undefined && { pod: e.targetRef.name }) })
    }
  }
  return out
}

/**
 * Resolve `ns/name` (or `name` in default) and a port (number or port name) to the address a
 * client would dial: the ClusterIP and the Service port.
 *
 * @example
 * lookupServiceTarget(cluster, 'default/web', 80) // { ok: true, ip: '10.96.45.123', port: 80, protocol: 'TCP' }
 */
export function lookupServiceTarget(state: Pick<ClusterState, 'services'>, ref: string, port?: number | string): { ok: true; ip: string; port: number; protocol: ServicePort['protocol'] } | { ok: false; error: string } {
  const [ns, name] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : ['default', ref]
  const svc = state.services.find((s) => s.metadata.name === name && (s.metadata.namespace ?? 'default') === ns)
  if (!svc) return { ok: false, error: `no Service ${ns}/${name} (Services: ${state.services.map(svcKey).join(', ')})` }
  if (!svc.spec.clusterIP || svc.spec.clusterIP === 'None') return { ok: false, error: `Service ${ns}/${name} is headless: it has no ClusterIP; dial one of its pods` }
  const p = port === undefined ? (svc.spec.ports.length === 1 ? svc.spec.ports[0] : undefined) : svc.spec.ports.find((x) => x.port === port || x.name === port)
  if (!p) return { ok: false, error: `Service ${ns}/${name} ports: ${svc.spec.ports.map((x) => `${x.name ? `${x.name}=` : ''}${x.port}/${x.protocol}`).join(', ')}${port === undefined ? ' — give one' : ` — ${port} is not one of them`}` }
  return { ok: true, ip: svc.spec.clusterIP, port: p.port, protocol: p.protocol }
}
