/**
 * NetworkPolicy semantics (networking.k8s.io/v1): which policies select a pod, which peers
 * and ports a rule allows. Rules: a pod is isolated for a direction once any policy with
 * that policyType selects it; policyTypes default to Ingress plus Egress when spec.egress
 * has rules; a rule with no `from`/`to` allows every peer, with no `ports` every port;
 * podSelector alone means the policy's namespace, namespaceSelector alone every pod of the
 * matching namespaces, both together the intersection; ipBlock allows a CIDR minus `except`.
 */
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './schema.ts'
import type { ClusterState, PodState } from './state.ts'

/** Label selector semantics: `{}` selects everything. */
export function matchesSelector(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return true
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key)
    const val = labels[e.key]
    const values = e.values ?? []
    if (e.operator === 'In' && !(has && values.includes(val!))) return false
    if (e.operator === 'NotIn' && has && values.includes(val!)) return false
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
  }
  return true
}

/** `app=web,tier in (a,b)` — selectors as kubectl prints them; `{}` is "all pods". */
export function printSelector(sel: LabelSelector | undefined): string {
  const parts = [
    ...Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel?.matchExpressions ?? []).map((e) => (e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)),
  ]
  return parts.length ? parts.join(',') : '<all>'
}

export function policyTypesOf(np: NetworkPolicy): ('Ingress' | 'Egress')[] {
  if (np.spec.policyTypes && np.spec.policyTypes.length > 0) return np.spec.policyTypes
  return (np.spec.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress']
}

/** Policies that select the pod for a direction, in the order Calico applies them (by name). */
export function policiesFor(state: Pick<ClusterState, 'networkPolicies'>, pod: PodState, dir: 'Ingress' | 'Egress'): NetworkPolicy[] {
  return state.networkPolicies
    .filter((np) => np.metadata.namespace === pod.namespace && matchesSelector(np.spec.podSelector, pod.labels) && policyTypesOf(np).includes(dir))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
}

export function namespaceLabels(state: Pick<ClusterState, 'namespaces'>, ns: string): Record<string, string> {
  const n = state.namespaces.find((x) => x.name === ns)
  return { 'kubernetes.io/metadata.name': ns, ...(n?.labels ?? {}) }
}

/** Pods a peer selects (empty for an ipBlock peer). */
export function peerPods(state: Pick<ClusterState, 'pods' | 'namespaces'>, np: NetworkPolicy, peer: NetworkPolicyPeer): PodState[] {
  if (peer.ipBlock) return []
  return state.pods.filter((p) => {
    if (p.ip === undefined || p.hostNetwork) return false
    const nsOk = peer.namespaceSelector ? matchesSelector(peer.namespaceSelector, namespaceLabels(state, p.namespace)) : p.namespace === np.metadata.namespace
    return nsOk && (peer.podSelector ? matchesSelector(peer.podSelector, p.labels) : true)
  })
}

/** A policy port resolved against a pod's container ports: a number, a range, or undefined when a name does not resolve. */
export function resolvePolicyPort(port: NetworkPolicyPort, pod: PodState | undefined): { from: number; to: number } | 'any' | undefined {
  if (port.port === undefined) return 'any'
  if (typeof port.port === 'number') return { from: port.port, to: port.endPort ?? port.port }
  if (!pod) return undefined
  for (const c of pod.containers) for (const cp of c.ports) if (cp.name === port.port && cp.protocol === port.protocol) return { from: cp.containerPort, to: cp.containerPort }
  return undefined
}

export function describePeer(peer: NetworkPolicyPeer): string {
  if (peer.ipBlock) return `ipBlock ${peer.ipBlock.cidr}${peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(',')}` : ''}`
  const parts: string[] = []
  if (peer.namespaceSelector) parts.push(`namespaces ${printSelector(peer.namespaceSelector)}`)
  if (peer.podSelector) parts.push(`pods ${printSelector(peer.podSelector)}`)
  return parts.join(' / ') || 'any'
}
