/**
 * Cluster description → World + ClusterState + events, in the order a real cluster comes
 * up: nodes on the underlay, the CNI's node agents (flanneld / calico-node), the built-in
 * Services, CoreDNS, the user's pods and Deployments (each started by kubelet + containerd
 * + CNI), EndpointSlices, then kube-proxy and the CNI program each node's iptables.
 * Deterministic for a seed. Never throws on a valid description; problems become diagnostics.
 */
import type { Diagnostic } from '../diagnostics.ts'
import { addAddr, addLink, addNetns, addRoute, emptyWorld, newNetns, putNetns, getNetns, setLinkUp } from '../model/ops.ts'
import type { World } from '../model/types.ts'
import { intToIp, parsePrefix, prefixContains } from '../wire/addr.ts'
import { corefile, coreDnsDeployment, kubeDnsService, kubernetesEndpointSlice, kubernetesService } from './builtins.ts'
import { calicoMtu, connectCalicoPeers, setupCalicoNode } from './calico.ts'
import { calicoConflist, flannelConflist } from './cni.ts'
import { emit, finish, newCtx, warn } from './ctx.ts'
import type { Ctx } from './ctx.ts'
import { connectFlannelPeers, setupFlannelNode } from './flannel.ts'
import { nthSubnet } from './ipam.ts'
import { isCoreDns, startPod } from './kubelet.ts'
import { syncNodeRules } from './nodeRules.ts'
import type { ClusterConfig, ClusterDesc, Service } from './schema.ts'
import { completeService, deriveEndpointSlices, svcKey } from './services.ts'
import type { ClusterEvent, ClusterState, NodeState, PolicyEnforcement } from './state.ts'
import { reconcileDeployment } from './workloads.ts'
import { matchesSelector } from './networkPolicy.ts'

export interface BuildResult {
  readonly world: World
  readonly cluster: ClusterState
  readonly events: ClusterEvent[]
  readonly diagnostics: Diagnostic[]
}

export const SIMPLIFICATIONS: readonly string[] = [
  'kube-proxy runs in iptables mode; IPVS and nftables modes are not simulated.',
  'Calico: one IPAM block per node (its podCIDR); real Calico hands out /26 blocks on demand. Policy chains carry readable names; real felix hashes them (cali-pi-_<hash>) and matches selectors with ipsets.',
  'Pods are Ready once their containers start: no image pulls, probes or restarts.',
  'CoreDNS `cache 30` is configured but every query is answered fresh.',
]

export function policyEnforcement(config: ClusterConfig): PolicyEnforcement {
  return config.cni.plugin === 'calico'
    ? { enforced: true, by: 'calico', reason: 'Calico (felix) programs NetworkPolicy as iptables chains on every node (cali-tw-* / cali-fw-* → cali-pi-* / cali-po-*).' }
    : { enforced: false, reason: 'flannel only moves packets between nodes; it does not implement NetworkPolicy. The policies are stored by the API server, but no component on the nodes enforces them (install Calico, or Canal = flannel + Calico policy).' }
}

/** Defaults for node names, IPs (.10, .20 … of the underlay) and podCIDRs (the i-th /24 of the cluster CIDR). */
function resolveNodes(desc: ClusterDesc, diags: Diagnostic[]): { name: string; ip: string; podCIDR: string; labels: Record<string, string> }[] {
  const cfg = desc.config
  const under = parsePrefix(cfg.underlay.cidr)
  const cluster = parsePrefix(cfg.clusterCIDR)
  const given = desc.nodes.length > 0 ? desc.nodes : Array.from({ length: cfg.nodeCount }, (_, i) => ({ metadata: { name: `node${i + 1}`, labels: undefined }, spec: { podCIDR: undefined }, status: { addresses: [] } }))
  const usedIps = new Set<string>()
  const usedCidrs = new Set<string>()
  return given.map((n, i) => {
    const name = n.metadata.name
    let ip = n.status.addresses.find((a) => a.type === 'InternalIP')?.address
    if (ip !== undefined && (!prefixContains(under, ip) || usedIps.has(ip))) {
      diags.push({ code: 'K8S008', severity: 'warning', message: `node ${name}: InternalIP ${ip} is ${usedIps.has(ip) ? 'already used' : `outside the underlay ${cfg.underlay.cidr}`}; using a default address`, hint: `set underlay.cidr in the ClusterConfig to a CIDR that holds the node IPs` })
      ip = undefined
    }
    ip ??= intToIp(under.net + 10 * (i + 1))
    usedIps.add(ip)
    let podCIDR = n.spec.podCIDR
    if (podCIDR !== undefined) {
      const p = parsePrefix(podCIDR)
      podCIDR = `${intToIp(p.net)}/${p.len}`
      if (!prefixContains(cluster, intToIp(p.net)) || p.len < cluster.len || usedCidrs.has(podCIDR)) {
        diags.push({ code: 'K8S008', severity: 'warning', message: `node ${name}: podCIDR ${podCIDR} is ${usedCidrs.has(podCIDR) ? 'already used' : `outside the cluster CIDR ${cfg.clusterCIDR}`}; using a default`, hint: `podCIDRs are /24s of ${cfg.clusterCIDR}` })
        podCIDR = undefined
      }
    }
    if (podCIDR === undefined) {
      let k = i
      while (usedCidrs.has(nthSubnet(cfg.clusterCIDR, k))) k++
      podCIDR = nthSubnet(cfg.clusterCIDR, k)
    }
    usedCidrs.add(podCIDR)
    return { name, ip, podCIDR, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(n.metadata.labels ?? {}) } }
  })
}

function cniConfFor(config: ClusterConfig, node: string): { file: string; text: string } {
  const cni = config.cni
  if (cni.plugin === 'flannel') return { file: '/etc/cni/net.d/10-flannel.conflist', text: JSON.stringify(flannelConflist(cni.cniVersion), null, 2) }
  return { file: '/etc/cni/net.d/10-calico.conflist', text: JSON.stringify(calicoConflist(cni.cniVersion, node, calicoMtu(cni.mode)), null, 2) }
}

export function gatewayOf(config: ClusterConfig): string {
  return config.underlay.gateway ?? intToIp(parsePrefix(config.underlay.cidr).net + 1)
}

/** A node's host netns on the underlay: eth0 with the node IP, default route, kubeadm's sysctls. */
export function addNodeNetns(ctx: Ctx, node: { name: string; ip: string }): void {
  const cfg = ctx.state.config
  const len = parsePrefix(cfg.underlay.cidr).len
  let w = addNetns(ctx.world, newNetns(node.name, 'host', { node: node.name, sysctl: { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true, 'net.ipv4.conf.all.route_localnet': true } }))
  w = addLink(w, node.name, { kind: 'phys', name: 'eth0', segment: cfg.underlay.segment, mac: ctx.rng.mac() })
  w = setLinkUp(w, node.name, 'eth0', true)
  w = addAddr(w, node.name, 'eth0', `${node.ip}/${len}`)
  const gw = gatewayOf(cfg)
  if (gw !== node.ip) w = addRoute(w, node.name, { dst: 'default', type: 'unicast', table: 'main', via: gw, dev: 'eth0', scope: 'global', proto: 'boot' })
  ctx.world = w
  emit(ctx, 'Node', `node ${node.name} joins: eth0 ${node.ip}/${len} on segment ${cfg.underlay.segment}; net.ipv4.ip_forward=1, net.bridge.bridge-nf-call-iptables=1`, { node: node.name })
}

/** The CNI's node agent on one node. */
export function setupNodeCni(ctx: Ctx, node: string): void {
  const cni = ctx.state.config.cni
  if (cni.plugin === 'flannel') setupFlannelNode(ctx, node, cni.backend)
  else setupCalicoNode(ctx, node, cni.mode)
}

export function connectPeers(ctx: Ctx): void {
  if (ctx.state.config.cni.plugin === 'flannel') connectFlannelPeers(ctx)
  else connectCalicoPeers(ctx)
}

export function newNodeState(config: ClusterConfig, n: { name: string; ip: string; podCIDR: string; labels: Record<string, string> }): NodeState {
  const conf = cniConfFor(config, n.name)
  return { name: n.name, ip: n.ip, podCIDR: n.podCIDR, labels: n.labels, cniConfFile: conf.file, cniConf: conf.text }
}

/** EndpointSlices, policy enforcement and every node's iptables, recomputed from the current objects. */
export function syncCluster(ctx: Ctx): void {
  const derived = deriveEndpointSlices(ctx.state)
  const before = new Set(ctx.state.endpointSlices.map((s) => JSON.stringify(s)))
  for (const s of derived) if (!before.has(JSON.stringify(s))) emit(ctx, 'EndpointSlice', `endpointslice-controller writes ${s.metadata.namespace ?? 'default'}/${s.metadata.name}: ${s.endpoints.filter((e) => e.conditions.ready !== false).map((e) => e.addresses[0]).join(', ') || 'no ready endpoints'}`)
  ctx.state.endpointSlices = [...ctx.state.staticEndpointSlices, ...derived]
  ctx.state.policy = policyEnforcement(ctx.state.config)
  const notEnforced = !ctx.state.policy.enforced && ctx.state.networkPolicies.length > 0 ? [`NetworkPolicy not enforced (${ctx.state.networkPolicies.map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`).join(', ')}): ${ctx.state.policy.reason}`] : []
  ctx.world = { ...ctx.world, notes: [...SIMPLIFICATIONS, ...notEnforced] }
  syncNodeRules(ctx)
}

function initialState(config: ClusterConfig, seed: number): ClusterState {
  return {
    config,
    nodes: [],
    namespaces: [],
    pods: [],
    deployments: [],
    services: [],
    staticEndpointSlices: [],
    endpointSlices: [],
    networkPolicies: [],
    policy: policyEnforcement(config),
    cniInvocations: [],
    dns: { clusterDomain: config.dns.clusterDomain, serviceIP: '', upstream: config.dns.upstream, records: config.dns.records, unknown: config.dns.unknown, cacheSeconds: 30, corefile: corefile(config.dns.clusterDomain) },
    rules: {},
    apiServer: { ip: '', port: 6443 },
    notes: SIMPLIFICATIONS,
    rng: seed >>> 0,
    nextPid: 1800,
  }
}

/** Add or replace a Service (apiserver create), keeping explicit clusterIPs first. */
export function addService(ctx: Ctx, svc: Service): Service {
  const done = completeService(ctx, svc)
  const key = svcKey(svc)
  ctx.state.services = [...ctx.state.services.filter((s) => svcKey(s) !== key), done]
  return done
}

/**
 * Build a cluster: the world (every node, pod and client netns with the Linux state the
 * components would program) and the Kubernetes view.
 *
 * @example
 * const { desc } = parseCluster(text); const { world, cluster, events } = buildCluster(desc, { seed: 1 })
 */
export function buildCluster(desc: ClusterDesc, opts: { seed: number }): BuildResult {
  const diagnostics: Diagnostic[] = []
  const config = desc.config
  const ctx = newCtx({ ...emptyWorld(), segments: { [config.underlay.segment]: { name: config.underlay.segment, cidr: config.underlay.cidr, description: 'the nodes\' underlay network' } } }, initialState(config, opts.seed))
  const nodes = resolveNodes(desc, diagnostics)
  ctx.world = { ...ctx.world, nodes: nodes.map((n) => n.name), notes: SIMPLIFICATIONS }
  for (const n of nodes) {
    ctx.state.nodes = [...ctx.state.nodes, newNodeState(config, n)]
    addNodeNetns(ctx, n)
  }
  // External clients sit on the underlay like any other host.
  const len = parsePrefix(config.underlay.cidr).len
  for (const c of config.externalClients) {
    if (ctx.world.netns[c.name] || nodes.some((n) => n.ip === c.ip)) {
      warn(ctx, 'K8S008', `external client ${c.name} (${c.ip}) clashes with a node name or address; skipped`)
      continue
    }
    let w = addNetns(ctx.world, newNetns(c.name, 'client'))
    w = addLink(w, c.name, { kind: 'phys', name: 'eth0', segment: config.underlay.segment, mac: ctx.rng.mac() })
    w = setLinkUp(w, c.name, 'eth0', true)
    w = addAddr(w, c.name, 'eth0', `${c.ip}/${len}`)
    const gw = gatewayOf(config)
    if (gw !== c.ip) w = addRoute(w, c.name, { dst: 'default', type: 'unicast', table: 'main', via: gw, dev: 'eth0', scope: 'global', proto: 'boot' })
    ctx.world = w
    emit(ctx, 'Node', `external client ${c.name} at ${c.ip} on segment ${config.underlay.segment}`)
  }
  for (const n of nodes) setupNodeCni(ctx, n.name)
  connectPeers(ctx)

  // The API server runs on the first node (kubeadm control plane), hostNetwork.
  const first = nodes[0]!
  ctx.state.apiServer = { ip: first.ip, port: 6443 }
  const host = getNetns(ctx.world, first.name)
  ctx.world = putNetns(ctx.world, { ...host, listeners: [...host.listeners, { proto: 'tcp', port: 6443, app: 'kube-apiserver' }] })

  const nsNames = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease'])
  for (const o of [...desc.pods, ...desc.deployments, ...desc.services, ...desc.networkPolicies]) nsNames.add(o.metadata.namespace ?? 'default')
  ctx.state.namespaces = [...nsNames].map((name) => ({ name, labels: { 'kubernetes.io/metadata.name': name, ...(desc.namespaces.find((n) => n.metadata.name === name)?.metadata.labels ?? {}) } }))
  for (const n of desc.namespaces) if (!nsNames.has(n.metadata.name)) ctx.state.namespaces = [...ctx.state.namespaces, { name: n.metadata.name, labels: { 'kubernetes.io/metadata.name': n.metadata.name, ...(n.metadata.labels ?? {}) } }]

  // Services: built-ins, then the user's with explicit clusterIPs, then the rest.
  const userKeys = new Set(desc.services.map(svcKey))
  if (!userKeys.has('default/kubernetes')) addService(ctx, kubernetesService(config.serviceCIDR))
  if (!desc.endpointSlices.some((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kubernetes' && (s.metadata.namespace ?? 'default') === 'default')) ctx.state.staticEndpointSlices = [kubernetesEndpointSlice(first.ip)]
  if (!userKeys.has('kube-system/kube-dns')) addService(ctx, kubeDnsService(config.serviceCIDR))
  const explicit = desc.services.filter((s) => s.spec.clusterIP)
  for (const s of [...explicit, ...desc.services.filter((s) => !s.spec.clusterIP)]) addService(ctx, s)
  ctx.state.services = [...ctx.state.services].sort((a, b) => order(a) - order(b))
  function order(s: Service): number {
    const k = svcKey(s)
    return k === 'default/kubernetes' ? -2 : k === 'kube-system/kube-dns' ? -1 : desc.services.findIndex((x) => svcKey(x) === k)
  }
  ctx.state.staticEndpointSlices = [...ctx.state.staticEndpointSlices, ...desc.endpointSlices]
  const dnsSvc = ctx.state.services.find((s) => svcKey(s) === 'kube-system/kube-dns')
  ctx.state.dns = { ...ctx.state.dns, serviceIP: dnsSvc?.spec.clusterIP && dnsSvc.spec.clusterIP !== 'None' ? dnsSvc.spec.clusterIP : '' }
  ctx.state.networkPolicies = [...desc.networkPolicies]

  // CoreDNS comes up first (kubeadm's addon), unless the description brings its own.
  const hasCoreDns = desc.pods.some((p) => isCoreDns({ namespace: p.metadata.namespace ?? 'default', labels: p.metadata.labels ?? {} })) || desc.deployments.some((d) => (d.metadata.namespace ?? 'default') === 'kube-system' && d.metadata.name === 'coredns')
  if (!hasCoreDns) {
    emit(ctx, 'coredns', `kubeadm installs CoreDNS: Deployment kube-system/coredns (${config.dns.replicas} replicas), Service kube-dns ${ctx.state.dns.serviceIP}, Corefile with kubernetes ${config.dns.clusterDomain} and forward . /etc/resolv.conf (upstream ${config.dns.upstream})`)
    reconcileDeployment(ctx, coreDnsDeployment(config.dns.replicas))
  }

  // Pods the description lists, then Deployments (which adopt matching pods).
  for (const p of desc.pods) {
    const ns = p.metadata.namespace ?? 'default'
    const notReady = (p.status?.phase !== undefined && p.status.phase !== 'Running') || p.status?.conditions?.some((c) => c.type === 'Ready' && c.status !== 'True')
    const owner = desc.deployments.find((d) => (d.metadata.namespace ?? 'default') === ns && matchesSelector(d.spec.selector, p.metadata.labels ?? {}))
    startPod(ctx, {
      namespace: ns,
      name: p.metadata.name,
      labels: p.metadata.labels ?? {},
      hostNetwork: p.spec.hostNetwork,
      containers: p.spec.containers,
      ...(p.spec.nodeName !== undefined && { nodeName: p.spec.nodeName }),
      ...(p.status?.podIP !== undefined && !p.spec.hostNetwork && { requestedIp: p.status.podIP }),
      ...(notReady && { ready: false }),
      ...(p.metadata.uid !== undefined && { uid: p.metadata.uid }),
      ...(owner && { owner: { kind: 'ReplicaSet' as const, name: `${owner.metadata.name}-${p.metadata.labels?.['pod-template-hash'] ?? 'adopted'}`, deployment: owner.metadata.name } }),
    })
  }
  for (const d of desc.deployments) reconcileDeployment(ctx, d)

  syncCluster(ctx)
  const out = finish(ctx)
  return { ...out, diagnostics: [...diagnostics, ...out.diagnostics] }
}

/** Quick sanity check used by tests and the CLI: every pod IP is unique and inside its node's podCIDR. */
export function checkPodAddresses(cluster: ClusterState): string[] {
  const errs: string[] = []
  const seen = new Map<string, string>()
  for (const p of cluster.pods) {
    if (p.hostNetwork || p.ip === undefined) continue
    const node = cluster.nodes.find((n) => n.name === p.node)!
    if (!prefixContains(parsePrefix(node.podCIDR), p.ip)) errs.push(`${p.namespace}/${p.name} ${p.ip} outside ${node.podCIDR}`)
    const other = seen.get(p.ip)
    if (other) errs.push(`${p.ip} used by ${other} and ${p.namespace}/${p.name}`)
    seen.set(p.ip, `${p.namespace}/${p.name}`)
  }
  return errs
}

