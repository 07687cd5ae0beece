/**
 * Operations the UI and the terminal call (the kubectl verbs a learner uses). Each takes the
 * current world + cluster and returns the next ones, the events in order, and a diff per
 * netns of the lines `ip route`, `ip neigh`, `bridge fdb`, links/addresses and
 * iptables-save would show before and after — so "scale to 4" reads as the two SEP chains
 * and the probability lines kube-proxy rewrites.
 */
import type { Diagnostic } from '../diagnostics.ts'
import { delLink, delRoute, findLink, getNetns } from '../model/ops.ts'
import type { World } from '../model/types.ts'
import { intToIp, parsePrefix } from '../wire/addr.ts'
import { addNodeNetns, connectPeers, newNodeState, policyEnforcement, setupNodeCni, syncCluster, addService } from './build.ts'
import { finish, newCtx, putNode, warn, emit } from './ctx.ts'
import type { Ctx } from './ctx.ts'
import { nthSubnet } from './ipam.ts'
import { startPod, stopPod } from './kubelet.ts'
import type { PodSpecInput } from './kubelet.ts'
import { printSections } from './printers.ts'
import { CniConfig, Deployment as DeploymentSchema, NetworkPolicy as NetworkPolicySchema } from './schema.ts'
import type { Deployment, NetworkPolicy, Service } from './schema.ts'
import { svcKey } from './services.ts'
import type { ClusterEvent, ClusterState, PodState } from './state.ts'
import { deploymentPods, reconcileDeployment } from './workloads.ts'

export interface ClusterSnapshot {
  readonly world: World
  readonly cluster: ClusterState
}

export interface SectionDiff {
  readonly added: readonly string[]
  readonly removed: readonly string[]
}

/** What changed in one netns. Only sections with changes are listed. */
export interface NetnsDiff {
  readonly netns: string
  readonly kind: string
  readonly change: 'created' | 'deleted' | 'changed'
  readonly sections: Readonly<Record<string, SectionDiff>>
}

export interface OperationResult extends ClusterSnapshot {
  readonly events: ClusterEvent[]
  readonly diff: NetnsDiff[]
  readonly diagnostics: Diagnostic[]
}

/** Lines added and removed between two lists, counting repeats (a rule appended twice is two lines). */
export function multisetDiff(before: readonly string[], after: readonly string[]): SectionDiff {
  const count = new Map<string, number>()
  for (const l of before) count.set(l, (count.get(l) ?? 0) + 1)
  const added: string[] = []
  for (const l of after) {
    const c = count.get(l) ?? 0
    if (c > 0) count.set(l, c - 1)
    else added.push(l)
  }
  const removed: string[] = []
  const left = new Map(count)
  for (const l of before) {
    const c = left.get(l) ?? 0
    if (c > 0) {
      removed.push(l)
      left.set(l, c - 1)
    }
  }
  return { added, removed }
}

/** Line diff of two snapshots, per netns, using the printers in printers.ts. */
export function diffSnapshots(a: ClusterSnapshot, b: ClusterSnapshot): NetnsDiff[] {
  const names = [...new Set([...Object.keys(a.world.netns), ...Object.keys(b.world.netns)])]
  const out: NetnsDiff[] = []
  for (const name of names) {
    const na = a.world.netns[name]
    const nb = b.world.netns[name]
    const sa = na ? printSections(na, a.cluster.rules[name]?.save) : {}
    const sb = nb ? printSections(nb, b.cluster.rules[name]?.save) : {}
    const sections: Record<string, SectionDiff> = {}
    for (const key of new Set([...Object.keys(sa), ...Object.keys(sb)])) {
      const d = multisetDiff(sa[key] ?? [], sb[key] ?? [])
      if (d.added.length > 0 || d.removed.length > 0) sections[key] = d
    }
    if (Object.keys(sections).length === 0 && na && nb) continue
    out.push({ netns: name, kind: (nb ?? na)!.kind, change: !na ? 'created' : !nb ? 'deleted' : 'changed', sections })
  }
  return out
}

/** `-`/`+` lines, grouped by netns and section. */
export function printDiff(diff: readonly NetnsDiff[]): string {
  const out: string[] = []
  for (const d of diff) {
    out.push(`== ${d.netns} (${d.kind}${d.change === 'changed' ? '' : `, ${d.change}`})`)
    for (const [section, s] of Object.entries(d.sections)) {
      out.push(`  ${section}:`)
      for (const l of s.removed) out.push(`  - ${l}`)
      for (const l of s.added) out.push(`  + ${l}`)
    }
  }
  return out.join('\n') + (out.length ? '\n' : '')
}

function run(state: ClusterSnapshot, f: (ctx: Ctx) => void): OperationResult {
  const ctx = newCtx(state.world, state.cluster)
  f(ctx)
  const out = finish(ctx)
  return { ...out, diff: diffSnapshots(state, out) }
}

function findDeployment(ctx: Ctx, ns: string, name: string) {
  return ctx.state.deployments.find((d) => d.deployment.metadata.name === name && (d.deployment.metadata.namespace ?? 'default') === ns)
}

/** `kubectl create deployment NAME --image IMAGE --replicas N --port P` as a Deployment object. */
export function deploymentFromArgs(a: { name: string; namespace?: string; image?: string; replicas?: number; port?: number; labels?: Record<string, string> }): Deployment {
  const labels = a.labels ?? { app: a.name }
  return DeploymentSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: a.name, namespace: a.namespace ?? 'default', labels },
    spec: { replicas: a.replicas ?? 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: a.name, image: a.image ?? 'nginx:1.27', ports: a.port !== undefined ? [{ containerPort: a.port }] : [] }] } } },
  })
}

/** `kubectl apply -f deployment.yaml` (create; an existing one is updated to the new replicas). */
export function createDeployment(state: ClusterSnapshot, dep: Deployment): OperationResult {
  return run(state, (ctx) => {
    const d = { ...dep, metadata: { ...dep.metadata, namespace: dep.metadata.namespace ?? 'default' } }
    if (!ctx.state.namespaces.some((n) => n.name === d.metadata.namespace)) ctx.state.namespaces = [...ctx.state.namespaces, { name: d.metadata.namespace, labels: { 'kubernetes.io/metadata.name': d.metadata.namespace } }]
    reconcileDeployment(ctx, d)
    syncCluster(ctx)
  })
}

/** `kubectl scale deployment NAME --replicas N` */
export function scaleDeployment(state: ClusterSnapshot, ref: { namespace?: string; name: string }, replicas: number): OperationResult {
  return run(state, (ctx) => {
    const ns = ref.namespace ?? 'default'
    const d = findDeployment(ctx, ns, ref.name)
    if (!d) {
      warn(ctx, 'K8S011', `deployment ${ns}/${ref.name} not found`, `deployments: ${ctx.state.deployments.map((x) => `${x.deployment.metadata.namespace ?? 'default'}/${x.deployment.metadata.name}`).join(', ')}`)
      return
    }
    emit(ctx, 'ReplicaSet', `kubectl scale: Deployment ${ns}/${ref.name} replicas ${d.deployment.spec.replicas} → ${replicas}`)
    reconcileDeployment(ctx, { ...d.deployment, spec: { ...d.deployment.spec, replicas } })
    syncCluster(ctx)
  })
}

/** `kubectl delete deployment NAME`: its ReplicaSet and pods go. */
export function deleteDeployment(state: ClusterSnapshot, ref: { namespace?: string; name: string }): OperationResult {
  return run(state, (ctx) => {
    const ns = ref.namespace ?? 'default'
    const d = findDeployment(ctx, ns, ref.name)
    if (!d) {
      warn(ctx, 'K8S011', `deployment ${ns}/${ref.name} not found`)
      return
    }
    for (const p of deploymentPods(ctx, d)) stopPod(ctx, p)
    ctx.state.deployments = ctx.state.deployments.filter((x) => x !== d)
    emit(ctx, 'ReplicaSet', `garbage collector deletes ReplicaSet ${ns}/${d.replicaSet}`)
    syncCluster(ctx)
  })
}

/** `kubectl delete pod NAME`: a pod owned by a ReplicaSet is replaced by a new one (new name, new IP). */
export function deletePod(state: ClusterSnapshot, ref: { namespace?: string; name: string }): OperationResult {
  return run(state, (ctx) => {
    const ns = ref.namespace ?? 'default'
    const pod = ctx.state.pods.find((p) => p.namespace === ns && p.name === ref.name)
    if (!pod) {
      warn(ctx, 'K8S011', `pod ${ns}/${ref.name} not found`)
      return
    }
    stopPod(ctx, pod)
    const d = pod.owner ? findDeployment(ctx, ns, pod.owner.deployment) : undefined
    if (d) reconcileDeployment(ctx, d.deployment)
    syncCluster(ctx)
  })
}

/** Start one bare pod (`kubectl run`). */
export function runPod(state: ClusterSnapshot, spec: PodSpecInput): OperationResult {
  return run(state, (ctx) => {
    startPod(ctx, spec)
    syncCluster(ctx)
  })
}

/** `kubectl expose deployment NAME --port P [--target-port T] [--type NodePort]` */
export function expose(state: ClusterSnapshot, ref: { namespace?: string; name: string }, opts: { port: number; targetPort?: number | string; type?: 'ClusterIP' | 'NodePort'; protocol?: 'TCP' | 'UDP'; serviceName?: string; nodePort?: number }): OperationResult {
  return run(state, (ctx) => {
    const ns = ref.namespace ?? 'default'
    const d = findDeployment(ctx, ns, ref.name)
    if (!d) {
      warn(ctx, 'K8S011', `deployment ${ns}/${ref.name} not found`)
      return
    }
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: opts.serviceName ?? ref.name, namespace: ns, labels: d.deployment.metadata.labels ?? {} },
      spec: {
        type: opts.type ?? 'ClusterIP',
        selector: d.deployment.spec.selector.matchLabels ?? d.deployment.spec.template.metadata.labels,
        ports: [{ protocol: opts.protocol ?? 'TCP', port: opts.port, targetPort: opts.targetPort ?? opts.port, ...(opts.nodePort !== undefined && { nodePort: opts.nodePort }) }],
        sessionAffinity: 'None',
      },
    }
    if (ctx.state.services.some((s) => svcKey(s) === svcKey(svc))) {
      warn(ctx, 'K8S005', `services "${svc.metadata.name}" already exists`)
      return
    }
    const done = addService(ctx, svc)
    emit(ctx, 'Service', `kubectl expose: Service ${svcKey(done)} (${done.spec.type}) ${done.spec.clusterIP ?? ''}:${opts.port}${done.spec.ports[0]?.nodePort ? ` NodePort ${done.spec.ports[0].nodePort}` : ''} → pods ${Object.entries(svc.spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}`)
    syncCluster(ctx)
  })
}

/**
 * `kubectl apply -f service.yaml`: create the Service, or update it in place (what the
 * apiserver allocated, its ClusterIP and NodePorts, stays).
 */
export function applyService(state: ClusterSnapshot, svc: Service): OperationResult {
  return run(state, (ctx) => {
    const existed = ctx.state.services.some((s) => svcKey(s) === svcKey(svc))
    const done = addService(ctx, svc)
    emit(ctx, 'Service', `${existed ? 'apiserver updates' : 'apiserver creates'} Service ${svcKey(done)} (${done.spec.type}) ${done.spec.clusterIP ?? ''}`)
    syncCluster(ctx)
  })
}

/** `kubectl apply -f policy.yaml` */
export function applyPolicy(state: ClusterSnapshot, policy: NetworkPolicy): OperationResult {
  return run(state, (ctx) => {
    const np = NetworkPolicySchema.parse({ ...policy, metadata: { ...policy.metadata, namespace: policy.metadata.namespace ?? 'default' } })
    const key = `${np.metadata.namespace ?? 'default'}/${np.metadata.name}`
    ctx.state.networkPolicies = [...ctx.state.networkPolicies.filter((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}` !== key), np]
    const pe = policyEnforcement(ctx.state.config)
    emit(ctx, 'NetworkPolicy', pe.enforced ? `NetworkPolicy ${key} stored; felix on every node rewrites its policy chains` : `NetworkPolicy ${key} stored, but not enforced: ${pe.reason}`)
    syncCluster(ctx)
  })
}

export function deletePolicy(state: ClusterSnapshot, ref: { namespace?: string; name: string }): OperationResult {
  return run(state, (ctx) => {
    const key = `${ref.namespace ?? 'default'}/${ref.name}`
    const before = ctx.state.networkPolicies.length
    ctx.state.networkPolicies = ctx.state.networkPolicies.filter((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}` !== key)
    if (ctx.state.networkPolicies.length === before) warn(ctx, 'K8S011', `networkpolicy ${key} not found`)
    else emit(ctx, 'NetworkPolicy', `NetworkPolicy ${key} deleted`)
    syncCluster(ctx)
  })
}

/** `kubeadm join`: a new node on the underlay; the CNI agent starts and every node learns its subnet. */
export function addNode(state: ClusterSnapshot, opts: { name?: string; ip?: string; podCIDR?: string } = {}): OperationResult {
  return run(state, (ctx) => {
    const cfg = ctx.state.config
    const i = ctx.state.nodes.length
    const name = opts.name ?? `node${i + 1}`
    if (ctx.state.nodes.some((n) => n.name === name) || ctx.world.netns[name]) {
      warn(ctx, 'K8S005', `node ${name} already exists`)
      return
    }
    const under = parsePrefix(cfg.underlay.cidr)
    const usedIps = new Set(Object.values(ctx.world.netns).flatMap((n) => n.links.flatMap((l) => l.addrs.map((a) => a.ip))))
    let ip = opts.ip
    for (let k = i + 1; ip === undefined || usedIps.has(ip); k++) ip = intToIp(under.net + 10 * k)
    const used = new Set(ctx.state.nodes.map((n) => n.podCIDR))
    let podCIDR = opts.podCIDR
    for (let k = 0; podCIDR === undefined || used.has(podCIDR); k++) podCIDR = nthSubnet(cfg.clusterCIDR, k)
    const n = { name, ip, podCIDR, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } }
    putNode(ctx, newNodeState(cfg, n))
    addNodeNetns(ctx, n)
    ctx.world = { ...ctx.world, nodes: [...ctx.world.nodes, name] }
    setupNodeCni(ctx, name)
    connectPeers(ctx)
    syncCluster(ctx)
  })
}

/** Replace the CNI: every pod is torn down (CNI DEL), the old agent's devices and routes go, the new agent starts, pods restart with new sandboxes. */
export function switchCni(state: ClusterSnapshot, cni: CniConfig | { plugin: 'flannel' | 'calico'; backend?: string; mode?: string }): OperationResult {
  return run(state, (ctx) => {
    const parsed = CniConfig.safeParse(cni)
    if (!parsed.success) {
      warn(ctx, 'K8S004', `bad CNI: ${parsed.error.issues.map((i) => i.message).join('; ')}`, 'cni: {plugin: flannel, backend: vxlan|host-gw} or {plugin: calico, mode: bgp|ipip}')
      return
    }
    const pods: PodState[] = [...ctx.state.pods]
    for (const p of pods) if (!p.hostNetwork) stopPod(ctx, p)
    for (const node of ctx.state.nodes) {
      let w = ctx.world
      for (const dev of ['flannel.1', 'cni0', 'tunl0']) if (findLink(getNetns(w, node.name), dev)) w = delLink(w, node.name, dev)
      for (const r of getNetns(w, node.name).routes.filter((x) => x.proto === 'bird' || (x.dev === 'eth0' && x.via && x.dst !== 'default'))) w = delRoute(w, node.name, { dst: r.dst, ...(r.dev !== undefined && { dev: r.dev }) })
      ctx.world = w
      emit(ctx, ctx.state.config.cni.plugin === 'flannel' ? 'flannel' : 'calico', `${ctx.state.config.cni.plugin} is removed from ${node.name}: its devices, routes and rules are gone`, { node: node.name })
    }
    ctx.state.config = { ...ctx.state.config, cni: parsed.data }
    ctx.state.nodes = ctx.state.nodes.map((n) => newNodeState(ctx.state.config, { name: n.name, ip: n.ip, podCIDR: n.podCIDR, labels: { ...n.labels } }))
    if (parsed.data.plugin === 'flannel') ctx.state.bgp = undefined
    for (const node of ctx.state.nodes) setupNodeCni(ctx, node.name)
    connectPeers(ctx)
    for (const p of pods) {
      if (p.hostNetwork) continue
      startPod(ctx, { namespace: p.namespace, name: p.name, labels: p.labels, nodeName: p.node, hostNetwork: false, containers: p.containers.map((c) => ({ name: c.name, image: c.image, ports: c.ports })), ready: p.ready, uid: p.uid, ...(p.owner && { owner: p.owner }) })
    }
    syncCluster(ctx)
  })
}
