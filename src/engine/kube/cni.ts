/**
 * CNI as the runtime invokes it (CNI SPEC: plugins are executables; parameters in CNI_*
 * environment variables, the network configuration on stdin, the result on stdout).
 * libcni runs the plugins of a conflist in order for ADD/CHECK (each gets the previous
 * result as `prevResult`) and in reverse for DEL. flannel delegates to `bridge`, which
 * execs `host-local`; calico execs `calico-ipam`. Every exec is recorded.
 * Simplification: no hostPorts, so portmap and bandwidth pass the result through.
 */
import { sha1 } from '@noble/hashes/legacy.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { addAddr, addLink, addRoute, addVethPair, delLink, findLink, getNetns, setLinkFlag, setLinkUp, setMaster, setSysctl } from '../model/ops.ts'
import type { Link } from '../model/types.ts'
import { parsePrefix } from '../wire/addr.ts'
import type { Ctx } from './ctx.ts'
import { emit, getNode, putNode } from './ctx.ts'
import { cniError, sortedJson, versionResult } from './cniResult.ts'
import type { CniVersion } from './cniResult.ts'
import { allocateCalico, allocateHostLocal, releaseCalico, releaseHostLocal } from './ipam.ts'
import type { CniCommand, CniInvocation, NodeState, PodState } from './state.ts'

export const CNI_PATH = '/opt/cni/bin'
export const CALICO_HOST_MAC = 'ee:ee:ee:ee:ee:ee'
export const CALICO_GATEWAY = '169.254.1.1'

/** kube-flannel.yml's `cni-conf.json` (10-flannel.conflist). */
export function flannelConflist(version: CniVersion): Record<string, unknown> {
  return {
    name: 'cbr0',
    cniVersion: version,
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }
}

/** Calico's 10-calico.conflist as the operator writes it. */
export function calicoConflist(version: CniVersion, node: string, mtu: number): Record<string, unknown> {
  return {
    name: 'k8s-pod-network',
    cniVersion: version,
    plugins: [
      {
        type: 'calico',
        datastore_type: 'kubernetes',
        mtu,
        nodename: node,
        log_level: 'Info',
        log_file_path: '/var/log/calico/cni/cni.log',
        ipam: { type: 'calico-ipam', assign_ipv4: 'true', assign_ipv6: 'false' },
        container_settings: { allow_ip_forwarding: false },
        policy: { type: 'k8s' },
        kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' },
      },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
      { type: 'portmap', snat: true, capabilities: { portMappings: true } },
    ],
  }
}

/** Calico's host-side veth name: `cali` + the first 11 hex digits of sha1("<ns>.<pod>"). */
export function calicoVethName(namespace: string, pod: string): string {
  return `cali${bytesToHex(sha1(utf8ToBytes(`${namespace}.${pod}`))).slice(0, 11)}`
}

export function cniEnv(cmd: CniCommand, pod: PodState): Record<string, string> {
  return {
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: pod.sandboxId,
    CNI_NETNS: pod.netnsPath,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: `K8S_POD_INFRA_CONTAINER_ID=${pod.sandboxId};K8S_POD_UID=${pod.uid};IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name}`,
    CNI_PATH,
  }
}

interface Exec {
  readonly node: string
  readonly pod?: string
  readonly plugin: string
  readonly command: CniCommand
  readonly parent?: number
  readonly env: Record<string, string>
  readonly stdin: string
}

/** Record an exec; returns a function that completes it with stdout/exit code. */
function startExec(ctx: Ctx, e: Exec): { seq: number; done: (stdout: string, exitCode?: number, stderr?: string) => void } {
  const seq = ctx.state.cniInvocations.length + 1
  const rec: CniInvocation = { seq, ...e, stdout: '', stderr: '', exitCode: 0 }
  ctx.state.cniInvocations = [...ctx.state.cniInvocations, rec]
  return {
    seq,
    done: (stdout, exitCode = 0, stderr = '') => {
      ctx.state.cniInvocations = ctx.state.cniInvocations.map((r) => (r.seq === seq ? { ...r, stdout, exitCode, stderr } : r))
    },
  }
}

function pretty(v: unknown): string {
  return JSON.stringify(v, null, 4)
}

function conflistOf(node: NodeState): { name: string; cniVersion: CniVersion; plugins: Record<string, unknown>[] } {
  return JSON.parse(node.cniConf) as { name: string; cniVersion: CniVersion; plugins: Record<string, unknown>[] }
}

/** The stdin libcni hands plugin i of a conflist: the plugin conf plus name, cniVersion (and prevResult). */
function pluginStdin(list: { name: string; cniVersion: string }, plugin: Record<string, unknown>, prevResult?: unknown): string {
  return sortedJson({ ...plugin, name: list.name, cniVersion: list.cniVersion, ...(prevResult !== undefined && { prevResult }) })
}

interface IpCfg {
  readonly address: string
  readonly gateway?: string
  readonly interface?: number
}

function resultJson(version: CniVersion, r: { interfaces?: { name: string; mac?: string; sandbox?: string }[]; ips: IpCfg[]; routes: { dst: string; gw?: string }[] }): Record<string, unknown> {
  // Field order follows the Go structs (current.Result / IPConfig) so stdout reads like the real plugin's.
  const ips = r.ips.map((ip) => (version === '0.4.0' ? { version: '4', ...(ip.interface !== undefined && { interface: ip.interface }), address: ip.address, ...(ip.gateway && { gateway: ip.gateway }) } : { ...(ip.interface !== undefined && { interface: ip.interface }), address: ip.address, ...(ip.gateway && { gateway: ip.gateway }) }))
  return { cniVersion: version, ...(r.interfaces && { interfaces: r.interfaces }), ips, routes: r.routes, dns: {} }
}

export type CniAddResult = { ok: true; ip: string; hostVeth: string; result: string } | { ok: false; error: string }

/** CNI ADD for a pod whose sandbox netns exists: runs the node's conflist. */
export function cniAdd(ctx: Ctx, pod: PodState, requestedIp?: string): CniAddResult {
  const node = getNode(ctx, pod.node)
  const list = conflistOf(node)
  const env = cniEnv('ADD', pod)
  const podName = `${pod.namespace}/${pod.name}`
  let prev: Record<string, unknown> | undefined
  let out: { ip: string; hostVeth: string } | undefined
  emit(ctx, 'CNI', `containerd runs ${list.plugins.map((p) => String(p.type)).join(' → ')} for network "${list.name}" (CNI ADD, ${list.cniVersion})`, { node: node.name, pod: podName })
  for (const plugin of list.plugins) {
    const type = String(plugin.type)
    const stdin = pluginStdin(list, plugin, prev)
    const ex = startExec(ctx, { node: node.name, pod: podName, plugin: type, command: 'ADD', env, stdin })
    if (type === 'flannel') {
      const r = flannelAdd(ctx, node, pod, list, plugin, env, ex.seq, requestedIp)
      if (!r.ok) {
        ex.done(cniError(list.cniVersion, 999, r.error), 1)
        return r
      }
      out = r
      prev = JSON.parse(r.result) as Record<string, unknown>
    } else if (type === 'calico') {
      const r = calicoAdd(ctx, node, pod, list, env, ex.seq, requestedIp)
      if (!r.ok) {
        ex.done(cniError(list.cniVersion, 999, r.error), 1)
        return r
      }
      out = r
      prev = JSON.parse(r.result) as Record<string, unknown>
    }
    // portmap/bandwidth: no hostPorts or bandwidth annotations, so the result passes through.
    ex.done(pretty(prev))
  }
  if (!out || !prev) return { ok: false, error: 'no main plugin in the network configuration' }
  return { ok: true, ...out, result: pretty(prev) }
}

function flannelAdd(ctx: Ctx, node: NodeState, pod: PodState, list: { name: string; cniVersion: CniVersion }, plugin: Record<string, unknown>, env: Record<string, string>, parent: number, requestedIp?: string): CniAddResult {
  const fl = node.flannel
  if (!fl) return { ok: false, error: "failed to load flannel 'subnet.env' file: open /run/flannel/subnet.env: no such file or directory. Check the flannel pod log for this node." }
  const envVars = Object.fromEntries(fl.subnetEnv.trim().split('\n').map((l) => l.split('=') as [string, string]))
  const subnet = envVars.FLANNEL_SUBNET ?? ''
  const sn = parsePrefix(subnet)
  const subnetCidr = `${intToIpSafe(sn.net)}/${sn.len}`
  const delegate = {
    ...(plugin.delegate as Record<string, unknown>),
    name: list.name,
    type: 'bridge',
    ipMasq: envVars.FLANNEL_IPMASQ !== 'true',
    mtu: Number(envVars.FLANNEL_MTU),
    isGateway: true,
    cniVersion: list.cniVersion,
    ipam: { type: 'host-local', ranges: [[{ subnet: subnetCidr }]], routes: [{ dst: envVars.FLANNEL_NETWORK }] },
  }
  emit(ctx, 'CNI', `flannel reads /run/flannel/subnet.env (FLANNEL_SUBNET=${subnet}) and delegates to bridge with host-local IPAM`, { node: node.name, pod: `${pod.namespace}/${pod.name}` })
  return bridgeAdd(ctx, node, pod, delegate, list.cniVersion, env, parent, requestedIp)
}

function intToIpSafe(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

function bridgeAdd(ctx: Ctx, node: NodeState, pod: PodState, conf: Record<string, unknown>, version: CniVersion, env: Record<string, string>, parent: number, requestedIp?: string): CniAddResult {
  const podName = `${pod.namespace}/${pod.name}`
  const stdin = sortedJson(conf)
  const ex = startExec(ctx, { node: node.name, pod: podName, plugin: 'bridge', command: 'ADD', parent, env, stdin })
  const mtu = Number(conf.mtu) || 1500
  const brName = 'cni0'
  // host-local IPAM (exec'd by bridge with the same stdin).
  const ipamEx = startExec(ctx, { node: node.name, pod: podName, plugin: 'host-local', command: 'ADD', parent: ex.seq, env: requestedIp ? { ...env, CNI_ARGS: `${env.CNI_ARGS ?? ''};IP=${requestedIp}` } : env, stdin })
  const fl = node.flannel!
  const alloc = allocateHostLocal(fl.ipam, pod.sandboxId, 'eth0', requestedIp)
  if (!alloc.ok) {
    ipamEx.done(cniError(version, 999, alloc.error), 1)
    ex.done(cniError(version, 999, alloc.error), 1)
    return { ok: false, error: alloc.error }
  }
  const len = parsePrefix(fl.ipam.subnet).len
  const gw = fl.ipam.gateway
  const ipamRoutes = ((conf.ipam as { routes?: { dst: string }[] }).routes ?? []).map((r) => ({ dst: r.dst }))
  ipamEx.done(pretty(resultJson(version, { ips: [{ address: `${alloc.ip}/${len}`, gateway: gw }], routes: ipamRoutes })))
  putNode(ctx, { ...node, flannel: { ...fl, ipam: alloc.store } })
  emit(ctx, 'CNI', `host-local reserves ${alloc.ip} in ${fl.ipam.dataDir} (last_reserved_ip.0 = ${alloc.ip})`, { node: node.name, pod: podName })

  let w = ctx.world
  const host = node.name
  if (!findLink(getNetns(w, host), brName)) {
    w = addLink(w, host, { kind: 'bridge', name: brName, ageingTime: 300, mtu, mac: ctx.rng.mac() })
    w = setLinkUp(w, host, brName, true)
    emit(ctx, 'CNI', `bridge creates ${brName} (mtu ${mtu}) on the first pod of the node`, { node: host })
  }
  const hostVeth = `veth${ctx.rng.hex(8)}`
  const netns = pod.netns!
  w = addVethPair(w, { netns, name: 'eth0', mac: ctx.rng.mac(), mtu }, { netns: host, name: hostVeth, mac: ctx.rng.mac(), mtu })
  w = setMaster(w, host, hostVeth, brName)
  if (conf.hairpinMode === true) w = setLinkFlag(w, host, hostVeth, { hairpin: true })
  w = setLinkUp(w, host, hostVeth, true)
  w = setLinkUp(w, netns, 'eth0', true)
  w = addAddr(w, netns, 'eth0', `${alloc.ip}/${len}`)
  const routes: { dst: string; gw?: string }[] = [...ipamRoutes]
  if (conf.isDefaultGateway === true) routes.push({ dst: '0.0.0.0/0', gw })
  for (const r of routes) w = addRoute(w, netns, { dst: r.dst, type: 'unicast', table: 'main', via: r.gw ?? gw, dev: 'eth0', scope: 'global', proto: 'boot' })
  // isGateway: the bridge holds the gateway address (once), which adds the subnet's kernel route.
  const br = findLink(getNetns(w, host), brName)!
  if (conf.isGateway === true && !br.addrs.some((a) => a.ip === gw)) {
    w = addAddr(w, host, brName, `${gw}/${len}`)
    emit(ctx, 'CNI', `bridge gives ${brName} the gateway address ${gw}/${len} (isGateway)`, { node: host })
  }
  w = setSysctl(w, host, 'net.ipv4.ip_forward', true)
  ctx.world = w
  const nsAfter = getNetns(w, netns)
  const hostAfter = getNetns(w, host)
  const mac = (ns: typeof nsAfter, n: string): string => (findLink(ns, n) as Link).mac
  const result = resultJson(version, {
    interfaces: [
      { name: brName, mac: mac(hostAfter, brName) },
      { name: hostVeth, mac: mac(hostAfter, hostVeth) },
      { name: 'eth0', mac: mac(nsAfter, 'eth0'), sandbox: pod.netnsPath },
    ],
    ips: [{ interface: 2, address: `${alloc.ip}/${len}`, gateway: gw }],
    routes,
  })
  ex.done(pretty(result))
  emit(ctx, 'CNI', `bridge plugs ${hostVeth} into ${brName} (hairpin on), moves its peer into the pod as eth0 with ${alloc.ip}/${len}, routes ${routes.map((r) => `${r.dst === '0.0.0.0/0' ? 'default' : r.dst} via ${r.gw ?? gw}`).join(', ')}`, { node: host, pod: podName })
  return { ok: true, ip: alloc.ip, hostVeth, result: pretty(result) }
}

function calicoAdd(ctx: Ctx, node: NodeState, pod: PodState, list: { name: string; cniVersion: CniVersion }, env: Record<string, string>, parent: number, requestedIp?: string): CniAddResult {
  const podName = `${pod.namespace}/${pod.name}`
  const cal = node.calico
  if (!cal) return { ok: false, error: 'calico-node is not running on this node: stat /var/lib/calico/nodename: no such file or directory' }
  const plugin = conflistOf(node).plugins.find((p) => p.type === 'calico')!
  const mtu = Number(plugin.mtu) || 1500
  const version = list.cniVersion
  const ipamStdin = pluginStdin(list, plugin)
  const ipamEx = startExec(ctx, { node: node.name, pod: podName, plugin: 'calico-ipam', command: 'ADD', parent, env, stdin: ipamStdin })
  const handle = `k8s-pod-network.${pod.sandboxId}`
  const alloc = allocateCalico(cal.block, handle, requestedIp)
  if (!alloc.ok) {
    ipamEx.done(cniError(version, 999, alloc.error), 1)
    return { ok: false, error: alloc.error }
  }
  ipamEx.done(pretty(resultJson(version, { ips: [{ address: `${alloc.ip}/32` }], routes: [] })))
  putNode(ctx, { ...node, calico: { ...cal, block: alloc.store } })
  emit(ctx, 'CNI', `calico-ipam assigns ${alloc.ip} from block ${cal.block.cidr} (handle ${handle.slice(0, 32)}…)`, { node: node.name, pod: podName })

  const host = node.name
  const hostVeth = calicoVethName(pod.namespace, pod.name)
  const netns = pod.netns!
  let w = ctx.world
  w = addVethPair(w, { netns, name: 'eth0', mac: ctx.rng.mac(), mtu }, { netns: host, name: hostVeth, mac: CALICO_HOST_MAC, mtu })
  w = setLinkUp(w, netns, 'eth0', true)
  w = addRoute(w, netns, { dst: `${CALICO_GATEWAY}/32`, type: 'unicast', table: 'main', dev: 'eth0', scope: 'link', proto: 'boot' })
  w = addRoute(w, netns, { dst: 'default', type: 'unicast', table: 'main', via: CALICO_GATEWAY, dev: 'eth0', scope: 'global', proto: 'boot' })
  w = addAddr(w, netns, 'eth0', `${alloc.ip}/32`)
  w = setLinkUp(w, host, hostVeth, true)
  w = setLinkFlag(w, host, hostVeth, { proxyArp: true })
  w = addRoute(w, host, { dst: `${alloc.ip}/32`, type: 'unicast', table: 'main', dev: hostVeth, scope: 'link', proto: 'boot' })
  ctx.world = w
  const eth0 = findLink(getNetns(w, netns), 'eth0')!
  const result = resultJson(version, {
    interfaces: [{ name: 'eth0', mac: eth0.mac, sandbox: pod.netnsPath }],
    ips: [{ interface: 0, address: `${alloc.ip}/32` }],
    routes: [{ dst: '0.0.0.0/0', gw: CALICO_GATEWAY }],
  })
  emit(ctx, 'CNI', `calico creates ${hostVeth} (MAC ${CALICO_HOST_MAC}, proxy ARP, no address) and eth0 ${alloc.ip}/32 in the pod with default via ${CALICO_GATEWAY}; host route ${alloc.ip} dev ${hostVeth} scope link`, { node: host, pod: podName })
  return { ok: true, ip: alloc.ip, hostVeth, result: pretty(result) }
}

/** CNI DEL: plugins in reverse order; frees the IP and deletes the veth. Idempotent. */
export function cniDel(ctx: Ctx, pod: PodState): void {
  const node = getNode(ctx, pod.node)
  const list = conflistOf(node)
  const env = cniEnv('DEL', pod)
  const podName = `${pod.namespace}/${pod.name}`
  const prev = pod.cniResult !== undefined ? (JSON.parse(pod.cniResult) as unknown) : undefined
  for (const plugin of [...list.plugins].reverse()) {
    const type = String(plugin.type)
    const ex = startExec(ctx, { node: node.name, pod: podName, plugin: type, command: 'DEL', env, stdin: pluginStdin(list, plugin, prev) })
    if (type === 'flannel') {
      const fl = getNode(ctx, pod.node).flannel
      const br = startExec(ctx, { node: node.name, pod: podName, plugin: 'bridge', command: 'DEL', parent: ex.seq, env, stdin: '(the delegate config flannel saved in /var/lib/cni/flannel/' + pod.sandboxId + ')' })
      const ipam = startExec(ctx, { node: node.name, pod: podName, plugin: 'host-local', command: 'DEL', parent: br.seq, env, stdin: '' })
      if (fl) putNode(ctx, { ...getNode(ctx, pod.node), flannel: { ...fl, ipam: releaseHostLocal(fl.ipam, pod.sandboxId, 'eth0') } })
      ipam.done('')
      removeVeth(ctx, pod)
      br.done('')
      emit(ctx, 'CNI', `bridge deletes ${pod.hostVeth ?? 'the veth'}; host-local frees ${pod.ip ?? 'the IP'}`, { node: node.name, pod: podName })
    } else if (type === 'calico') {
      const cal = getNode(ctx, pod.node).calico
      const ipam = startExec(ctx, { node: node.name, pod: podName, plugin: 'calico-ipam', command: 'DEL', parent: ex.seq, env, stdin: pluginStdin(list, plugin) })
      if (cal) putNode(ctx, { ...getNode(ctx, pod.node), calico: { ...cal, block: releaseCalico(cal.block, `k8s-pod-network.${pod.sandboxId}`) } })
      ipam.done('')
      removeVeth(ctx, pod)
      emit(ctx, 'CNI', `calico deletes ${pod.hostVeth ?? 'the veth'} and its host route; calico-ipam releases ${pod.ip ?? 'the IP'}`, { node: node.name, pod: podName })
    }
    ex.done('')
  }
}

function removeVeth(ctx: Ctx, pod: PodState): void {
  const host = getNetns(ctx.world, pod.node)
  if (pod.hostVeth && findLink(host, pod.hostVeth)) ctx.world = delLink(ctx.world, pod.node, pod.hostVeth)
}

/** CNI CHECK: each plugin verifies what ADD set up against the cached result. */
export function cniCheck(ctx: Ctx, pod: PodState): { ok: boolean; errors: string[] } {
  const node = getNode(ctx, pod.node)
  const list = conflistOf(node)
  const env = cniEnv('CHECK', pod)
  const podName = `${pod.namespace}/${pod.name}`
  const prev = pod.cniResult !== undefined ? (JSON.parse(pod.cniResult) as unknown) : undefined
  const errors: string[] = []
  const ns = pod.netns ? ctx.world.netns[pod.netns] : undefined
  const eth0 = ns && findLink(ns, 'eth0')
  const host = ctx.world.netns[pod.node]
  const hv = host && pod.hostVeth ? findLink(host, pod.hostVeth) : undefined
  if (!ns) errors.push(`netns ${pod.netnsPath} does not exist`)
  else if (!eth0) errors.push('Link not found: eth0')
  else if (pod.ip && !eth0.addrs.some((a) => a.ip === pod.ip)) errors.push(`Failed to match addr ${pod.ip} on interface eth0`)
  if (!hv) errors.push(`Link not found: ${pod.hostVeth ?? 'host veth'}`)
  else if (node.flannel && hv.master !== 'cni0') errors.push(`Interface ${hv.name} is not attached to bridge cni0`)
  for (const plugin of list.plugins) {
    const type = String(plugin.type)
    const ex = startExec(ctx, { node: node.name, pod: podName, plugin: type, command: 'CHECK', env, stdin: pluginStdin(list, plugin, prev) })
    if ((type === 'flannel' || type === 'calico') && errors.length > 0) {
      ex.done(cniError(list.cniVersion, 999, errors.join('; ')), 1)
      return { ok: false, errors }
    }
    ex.done('')
  }
  return { ok: true, errors }
}

/** CNI VERSION: the plugin reports the spec versions it supports. */
export function cniVersionQuery(ctx: Ctx, nodeName: string, plugin: string): string {
  const node = getNode(ctx, nodeName)
  const version = conflistOf(node).cniVersion
  const ex = startExec(ctx, { node: nodeName, plugin, command: 'VERSION', env: { CNI_COMMAND: 'VERSION', CNI_PATH }, stdin: JSON.stringify({ cniVersion: version }) })
  const out = versionResult(version)
  ex.done(out)
  return out
}
