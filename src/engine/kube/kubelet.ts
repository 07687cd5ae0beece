/**
 * Pod lifecycle as kubelet and containerd run it. Start: RunPodSandbox (the pause container
 * holds a new netns, /var/run/netns/cni-<uuid>) → CNI ADD → CreateContainer/StartContainer
 * for each app container, which joins the sandbox netns (same IP, same sockets).
 * Stop: StopPodSandbox (CNI DEL) → RemovePodSandbox (netns gone).
 * Each container port becomes a listening socket of an nginx-like app; CoreDNS listens on
 * 53/udp+tcp (answers DNS), 8080 (health), 8181 (ready) and 9153 (metrics).
 * Simplification: no image pulls, probes or restarts; pods are Ready once started.
 */
import { addNetns, delNetns, getNetns, newNetns, putNetns } from '../model/ops.ts'
import type { Listener, PodInfo, ResolvConf } from '../model/types.ts'
import { cniAdd, cniDel } from './cni.ts'
import type { Ctx } from './ctx.ts'
import { emit, podKey, putPod, warn } from './ctx.ts'
import type { ContainerPort } from './schema.ts'
import type { PodState } from './state.ts'

export interface PodSpecInput {
  readonly namespace: string
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly nodeName?: string
  readonly hostNetwork: boolean
  readonly containers: readonly { readonly name: string; readonly image: string; readonly ports: readonly ContainerPort[] }[]
  readonly requestedIp?: string
  readonly ready?: boolean
  readonly owner?: PodState['owner']
  readonly uid?: string
}

export const COREDNS_LABEL = { key: 'k8s-app', value: 'kube-dns' } as const

export function isCoreDns(p: { namespace: string; labels: Readonly<Record<string, string>> }): boolean {
  return p.namespace === 'kube-system' && p.labels[COREDNS_LABEL.key] === COREDNS_LABEL.value
}

/** kube-scheduler, reduced to spreading: the node with the fewest pods, first in order on ties. */
export function schedule(ctx: Ctx): string {
  let best = ctx.state.nodes[0]!.name
  let min = Infinity
  for (const n of ctx.state.nodes) {
    const count = ctx.state.pods.filter((p) => p.node === n.name && !p.hostNetwork).length
    if (count < min) {
      min = count
      best = n.name
    }
  }
  return best
}

/** The resolv.conf kubelet writes for dnsPolicy ClusterFirst (CoreDNS itself uses the node's: dnsPolicy Default). */
export function podResolvConf(ctx: Ctx, namespace: string, coreDns: boolean): ResolvConf {
  const d = ctx.state.dns
  if (coreDns) return { nameservers: [d.upstream], search: [], ndots: 1 }
  return { nameservers: [d.serviceIP], search: [`${namespace}.svc.${d.clusterDomain}`, `svc.${d.clusterDomain}`, d.clusterDomain], ndots: 5 }
}

function listenersFor(spec: PodSpecInput): Listener[] {
  const out: Listener[] = []
  const coreDns = isCoreDns(spec)
  for (const c of spec.containers) {
    for (const p of c.ports) {
      if (p.protocol === 'SCTP') continue
      const proto = p.protocol === 'UDP' ? 'udp' : 'tcp'
      if (out.some((l) => l.proto === proto && l.port === p.containerPort)) continue
      out.push({ proto, port: p.containerPort, app: c.name, ...(coreDns && p.containerPort === 53 && { dns: true }) })
    }
    if (coreDns) for (const port of [8080, 8181]) if (!out.some((l) => l.port === port && l.proto === 'tcp')) out.push({ proto: 'tcp', port, app: c.name })
  }
  return out
}

/** Start a pod on its node. Returns the pod as recorded (without an IP when CNI failed). */
export function startPod(ctx: Ctx, spec: PodSpecInput): PodState {
  const key = podKey(spec)
  let node = spec.nodeName
  if (node === undefined) {
    node = schedule(ctx)
    emit(ctx, 'Scheduled', `default-scheduler assigns ${key} to ${node}`, { node, pod: key })
  } else if (!ctx.state.nodes.some((n) => n.name === node)) {
    warn(ctx, 'K8S007', `pod ${key} names node ${node}, which is not in the cluster; scheduling it elsewhere`, `nodes: ${ctx.state.nodes.map((n) => n.name).join(', ')}`)
    node = schedule(ctx)
  }
  const uid = spec.uid ?? ctx.rng.uuid()
  const sandboxId = ctx.rng.hex(64)
  const netnsPath = `/var/run/netns/cni-${ctx.rng.uuid()}`
  const pausePid = ctx.state.nextPid
  ctx.state.nextPid += 1 + ctx.rng.int(40)
  const containers = spec.containers.map((c) => ({ name: c.name, image: c.image, id: ctx.rng.hex(64), ports: c.ports }))
  const coreDns = isCoreDns(spec)
  const base: PodState = { namespace: spec.namespace, name: spec.name, uid, node, labels: spec.labels, hostNetwork: spec.hostNetwork, ready: false, containers, sandboxId, netnsPath: spec.hostNetwork ? '' : netnsPath, pausePid, ...(spec.owner && { owner: spec.owner }) }

  if (spec.hostNetwork) {
    const host = getNetns(ctx.world, node)
    const nodeIp = ctx.state.nodes.find((n) => n.name === node)!.ip
    const extra = listenersFor(spec).filter((l) => !host.listeners.some((h) => h.proto === l.proto && h.port === l.port))
    ctx.world = putNetns(ctx.world, { ...host, listeners: [...host.listeners, ...extra] })
    emit(ctx, 'RunPodSandbox', `containerd starts the pause container of ${key} (sandbox ${sandboxId.slice(0, 13)}, pid ${pausePid}) in the host network namespace: hostNetwork pods get no CNI call`, { node, pod: key })
    const pod: PodState = { ...base, ip: nodeIp, ready: spec.ready ?? true }
    putPod(ctx, pod)
    return pod
  }

  const info: PodInfo = { namespace: spec.namespace, name: spec.name, uid, node, labels: spec.labels, sandboxId, pauseImage: ctx.state.config.pauseImage, pausePid, containers: containers.map((c) => ({ name: c.name, image: c.image, id: c.id, ports: c.ports.map((p) => ({ ...(p.name !== undefined && { name: p.name }), containerPort: p.containerPort, protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP' })) })) }
  ctx.world = addNetns(ctx.world, { ...newNetns(key, 'pod', { node }), pod: info })
  emit(ctx, 'RunPodSandbox', `kubelet → containerd RunPodSandbox ${key}: pause container ${sandboxId.slice(0, 13)} (${ctx.state.config.pauseImage}, pid ${pausePid}) holds the new netns ${netnsPath}`, { node, pod: key, detail: { sandboxId, netnsPath, pausePid } })
  const withNetns: PodState = { ...base, netns: key }
  let r = cniAdd(ctx, withNetns, spec.requestedIp)
  if (!r.ok && spec.requestedIp !== undefined) {
    // A recorded podIP the node's IPAM cannot give (outside its range, or taken): take the next free one.
    warn(ctx, 'K8S008', `pod ${key}: its recorded IP ${spec.requestedIp} is not available on ${node} (${r.error}); it gets another address`, 'check the node podCIDRs in the description (spec.podCIDR) against the pod IPs')
    r = cniAdd(ctx, withNetns)
  }
  if (!r.ok) {
    warn(ctx, 'K8S009', `FailedCreatePodSandBox ${key}: plugin type="${ctx.state.config.cni.plugin}" failed (add): ${r.error}`)
    ctx.world = delNetns(ctx.world, key)
    const pod: PodState = { ...base, ready: false }
    putPod(ctx, pod)
    return pod
  }
  const listeners = listenersFor(spec)
  const ns = getNetns(ctx.world, key)
  ctx.world = putNetns(ctx.world, { ...ns, listeners, resolvConf: podResolvConf(ctx, spec.namespace, coreDns) })
  for (const c of containers) {
    emit(ctx, 'CreateContainer', `containerd creates container ${c.name} (${c.image}, id ${c.id.slice(0, 13)}) joining the sandbox's netns`, { node, pod: key })
    emit(ctx, 'StartContainer', `${c.name} starts${c.ports.length ? `, listening on ${c.ports.map((p) => `${p.containerPort}/${p.protocol.toLowerCase()}`).join(', ')}` : ''}`, { node, pod: key })
  }
  const pod: PodState = { ...withNetns, ip: r.ip, hostVeth: r.hostVeth, cniResult: r.result, ready: spec.ready ?? true }
  putPod(ctx, pod)
  return pod
}

/** Stop and remove a pod: CNI DEL, then the sandbox and its netns go away. */
export function stopPod(ctx: Ctx, pod: PodState): void {
  const key = podKey(pod)
  emit(ctx, 'StopPodSandbox', `kubelet → containerd StopPodSandbox ${key}: containers stop, CNI DEL releases the network`, { node: pod.node, pod: key })
  if (!pod.hostNetwork && pod.netns) {
    cniDel(ctx, pod)
    if (ctx.world.netns[pod.netns]) ctx.world = delNetns(ctx.world, pod.netns)
    emit(ctx, 'RemovePodSandbox', `the pause container exits; netns ${pod.netnsPath} is removed`, { node: pod.node, pod: key })
  }
  ctx.state.pods = ctx.state.pods.filter((p) => podKey(p) !== key)
}
