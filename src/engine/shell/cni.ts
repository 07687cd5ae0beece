/**
 * CNI plugins run by hand, as the curriculum does: `CNI_COMMAND=ADD CNI_CONTAINERID=…
 * CNI_NETNS=/var/run/netns/X CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin /opt/cni/bin/bridge <
 * conf.json` (CNI spec 1.0: parameters in CNI_* variables, the network configuration on
 * stdin, the result or an error as JSON on stdout, exit status 1 on error). Plugins: bridge
 * (with host-local IPAM, isGateway, isDefaultGateway, ipMasq, hairpinMode, mtu), host-local,
 * loopback, portmap (passes prevResult through), flannel (reads /run/flannel/subnet.env and
 * delegates to bridge), and VERSION for each. The effects are the same model operations the
 * kube layer's CNI uses; host-local keeps its reservations as files under
 * /var/lib/cni/networks/<name>/ (next to the cluster's own on a node).
 *
 * Simplifications: no portMappings, no bandwidth limits; calico runs only through kubectl;
 * the host-side veth name is derived from the container id (real plugins pick a random one).
 */
import { addAddr, addLink, addRoute, addVethPair, delLink, findLink, NetError, setLinkFlag, setLinkMtu, setLinkUp, setMaster, setSysctl } from '../model/ops.ts'
import type { World } from '../model/types.ts'
import { runIptables } from '../netfilter/command.ts'
import { putNetns } from '../model/ops.ts'
import { versionResult } from '../kube/cniResult.ts'
import { intToIp, ipToInt, isIpv4, parsePrefix } from '../wire/addr.ts'
import type { Command, Io } from './session.ts'
import { resolveNetnsName } from './state.ts'
import { hexId } from './text.ts'
import { readFile } from './vfs.ts'

class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(msg)
  }
}

function pretty(v: unknown): string {
  return `${JSON.stringify(v, null, 4)}\n`
}

interface Env {
  readonly command: string
  readonly containerId: string
  readonly netnsPath: string
  readonly ifname: string
  readonly args: Readonly<Record<string, string>>
}

interface Conf {
  readonly cniVersion?: string
  readonly name?: string
  readonly type?: string
  readonly bridge?: string
  readonly isGateway?: boolean
  readonly isDefaultGateway?: boolean
  readonly ipMasq?: boolean
  readonly hairpinMode?: boolean
  readonly mtu?: number
  readonly ipam?: Ipam
  readonly delegate?: Record<string, unknown>
  readonly prevResult?: unknown
}

interface Ipam {
  readonly type?: string
  readonly subnet?: string
  readonly rangeStart?: string
  readonly rangeEnd?: string
  readonly gateway?: string
  readonly ranges?: readonly (readonly { subnet: string; rangeStart?: string; rangeEnd?: string; gateway?: string }[])[]
  readonly routes?: readonly { dst: string; gw?: string }[]
  readonly dataDir?: string
}

function readEnv(io: Io, needed: readonly string[]): Env {
  const e = io.env
  const missing = needed.filter((k) => !e[k])
  if (missing.length) throw new CniError(4, `required env variables [${missing.join(' ')}] missing`)
  const args = Object.fromEntries((e.CNI_ARGS ?? '').split(';').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  return { command: e.CNI_COMMAND ?? '', containerId: e.CNI_CONTAINERID ?? '', netnsPath: e.CNI_NETNS ?? '', ifname: e.CNI_IFNAME ?? '', args }
}

function parseConf(stdin: string): Conf {
  let v: unknown
  try {
    v = JSON.parse(stdin) as unknown
  } catch {
    throw new CniError(6, `failed to parse network configuration: ${goJsonError(stdin)}`)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CniError(6, `failed to parse network configuration: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : v === null ? 'null' : typeof v} into Go value of type types.NetConf`)
  return v
}

/** What Go's encoding/json says about text that is not JSON (the plugins are Go programs). */
function goJsonError(text: string): string {
  const t = text.trim()
  if (t === '') return 'unexpected end of JSON input'
  const c = t[0]!
  for (const lit of ['null', 'true', 'false']) {
    if (c !== lit[0]) continue
    for (let i = 1; i < lit.length; i++) if (t[i] !== lit[i]) return t[i] === undefined ? 'unexpected end of JSON input' : `invalid character '${t[i]!}' in literal ${lit} (expecting '${lit[i]!}')`
  }
  if (!/[{["\-0-9tfn]/.test(c)) return `invalid character '${c}' looking for beginning of value`
  return 'unexpected end of JSON input'
}

function netnsOf(io: Io, path: string): string {
  const ns = resolveNetnsName(io.sh.world, path)
  if (!ns) throw new CniError(999, `failed to open netns "${path}": failed to Statfs "${path}": no such file or directory`)
  return ns
}

function op(io: Io, f: () => World): void {
  try {
    io.sh.setWorld(f())
  } catch (e) {
    if (e instanceof NetError) throw new CniError(999, e.message.replace(/^RTNETLINK answers: /, ''))
    throw e
  }
}

/** `cniPlugin(io, [plugin, ...args])`: run /opt/cni/bin/<plugin> with the command's env and stdin. */
export const cniPlugin: Command = (io, argv) => {
  const plugin = argv[0]!
  const known = ['bridge', 'host-local', 'loopback', 'portmap', 'flannel', 'bandwidth', 'calico', 'calico-ipam']
  if (!known.includes(plugin)) {
    const own = Object.keys(io.sh.files).find((p) => p.endsWith(`/${plugin}`))
    io.err(own ? `packetwalk: running your own plugin script (${plugin}) is not simulated; the plugins here are bridge, host-local, loopback, portmap and flannel\n` : `bash: /opt/cni/bin/${plugin}: No such file or directory\n`)
    return own ? 126 : 127
  }
  const version = (() => {
    try {
      return parseConf(io.stdin).cniVersion ?? '1.0.0'
    } catch {
      return '1.0.0'
    }
  })()
  try {
    const cmd = io.env.CNI_COMMAND
    if (!cmd) throw new CniError(4, 'required env variables [CNI_COMMAND] missing')
    if (cmd === 'VERSION') {
      io.out(`${versionResult(version)}\n`)
      return 0
    }
    if (!['ADD', 'DEL', 'CHECK'].includes(cmd)) throw new CniError(4, `unknown CNI_COMMAND: ${cmd}`)
    const needed = cmd === 'DEL' ? ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'] : ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH']
    const env = readEnv(io, needed)
    const conf = parseConf(io.stdin)
    if (conf.type !== undefined && conf.type !== plugin && plugin !== 'host-local') void 0
    const out = dispatch(io, plugin, env, conf)
    if (out !== undefined) io.out(pretty(out))
    return 0
  } catch (e) {
    if (e instanceof CniError) {
      io.out(pretty({ code: e.code, msg: e.message, ...(e.details !== undefined && { details: e.details }) }))
      return 1
    }
    throw e
  }
}

function dispatch(io: Io, plugin: string, env: Env, conf: Conf): unknown {
  switch (plugin) {
    case 'bridge':
      return env.command === 'ADD' ? bridgeAdd(io, env, conf) : env.command === 'DEL' ? bridgeDel(io, env, conf) : bridgeCheck(io, env, conf)
    case 'host-local':
      return env.command === 'ADD' ? ipamResult(conf, hostLocalAdd(io, env, conf)) : env.command === 'DEL' ? hostLocalDel(io, env, conf) : undefined
    case 'loopback':
      return loopback(io, env, conf)
    case 'portmap':
    case 'bandwidth':
      if (env.command !== 'ADD') return undefined
      if (conf.prevResult === undefined) throw new CniError(999, 'must be called as chained plugin')
      return conf.prevResult
    case 'flannel':
      return flannel(io, env, conf)
    default:
      throw new CniError(999, `packetwalk: ${plugin} talks to its datastore and runs only when kubelet starts a pod (kubectl run / apply)`)
  }
}

interface Range {
  readonly subnet: string
  readonly len: number
  readonly start: number
  readonly end: number
  readonly gateway: string
}

function rangeOf(ipam: Ipam | undefined): Range {
  const r0 = ipam?.ranges?.[0]?.[0] ?? (ipam?.subnet ? { subnet: ipam.subnet, ...(ipam.rangeStart && { rangeStart: ipam.rangeStart }), ...(ipam.rangeEnd && { rangeEnd: ipam.rangeEnd }), ...(ipam.gateway && { gateway: ipam.gateway }) } : undefined)
  if (!r0) throw new CniError(999, 'no IP ranges specified')
  let p
  try {
    p = parsePrefix(r0.subnet)
  } catch {
    throw new CniError(999, `invalid CIDR address: ${r0.subnet}`)
  }
  const net = p.net
  const bcast = (net | (~p.mask >>> 0)) >>> 0
  const gateway = r0.gateway ?? intToIp(net + 1)
  return { subnet: `${intToIp(net)}/${p.len}`, len: p.len, start: r0.rangeStart ? ipToInt(r0.rangeStart) : net + 1, end: r0.rangeEnd ? ipToInt(r0.rangeEnd) : bcast - 1, gateway }
}

function dataDir(conf: Conf): string {
  return `${(conf.ipam?.dataDir ?? '/var/lib/cni/networks').replace(/\/$/, '')}/${conf.name ?? ''}`
}

/** Reserved IPs of a network: this shell's files plus the cluster's own host-local store on this node. */
function reservations(io: Io, dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const [p, v] of Object.entries(io.sh.files)) if (p.startsWith(`${dir}/`) && isIpv4(p.slice(dir.length + 1))) out.set(p.slice(dir.length + 1), v)
  const node = io.sh.world.cluster?.nodes.find((n) => n.name === (io.sh.world.netns[io.netns]?.node ?? io.netns))
  const store = node?.flannel?.ipam
  if (store && store.dataDir.replace(/\/$/, '') === dir) for (const [ip, r] of Object.entries(store.reserved)) out.set(ip, `${r.containerId}\r\n${r.ifname}`)
  return out
}

/** host-local ADD: the next free address after the last reserved one, skipping the gateway. */
function hostLocalAdd(io: Io, env: Env, conf: Conf): { ip: string; range: Range } {
  const range = rangeOf(conf.ipam)
  const dir = dataDir(conf)
  const taken = reservations(io, dir)
  const key = `${env.containerId}\r\n${env.ifname}`
  for (const [ip, v] of taken) if (v === key) throw new CniError(999, `failed to allocate for range 0: ${ip} has been allocated to ${env.containerId}, duplicate allocation is not allowed`)
  const wanted = env.args.IP
  let ip: string | undefined
  if (wanted !== undefined) {
    if (taken.has(wanted)) throw new CniError(999, `failed to allocate for range 0: requested IP address ${wanted} is not available in range set ${intToIp(range.start)}-${intToIp(range.end)}`)
    ip = wanted
  } else {
    const last = readFile(io.sh, io.netns, `${dir}/last_reserved_ip.0`)
    let cur = last.ok && isIpv4(last.text.trim()) ? ipToInt(last.text.trim()) + 1 : range.start
    for (let n = 0; n <= range.end - range.start; n++) {
      if (cur > range.end || cur < range.start) cur = range.start
      const cand = intToIp(cur)
      if (cand !== range.gateway && !taken.has(cand)) {
        ip = cand
        break
      }
      cur++
    }
  }
  if (ip === undefined) throw new CniError(999, `failed to allocate for range 0: no IP addresses available in range set: ${intToIp(range.start)}-${intToIp(range.end)}`)
  io.sh.files = { ...io.sh.files, [`${dir}/${ip}`]: key, [`${dir}/last_reserved_ip.0`]: ip, [`${dir}/lock`]: '' }
  return { ip, range }
}

function hostLocalDel(io: Io, env: Env, conf: Conf): undefined {
  const dir = dataDir(conf)
  const key = `${env.containerId}\r\n${env.ifname}`
  const files = { ...io.sh.files }
  for (const [p, v] of Object.entries(files)) if (p.startsWith(`${dir}/`) && v === key) delete files[p]
  io.sh.files = files
  return undefined
}

function ipamResult(conf: Conf, a: { ip: string; range: Range }): unknown {
  const v = conf.cniVersion ?? '1.0.0'
  const ipEntry = v.startsWith('0.') ? { version: '4', address: `${a.ip}/${a.range.len}`, gateway: a.range.gateway } : { address: `${a.ip}/${a.range.len}`, gateway: a.range.gateway }
  return { cniVersion: v, ips: [ipEntry], ...(conf.ipam?.routes && { routes: conf.ipam.routes }), dns: {} }
}

function bridgeAdd(io: Io, env: Env, conf: Conf): unknown {
  const version = conf.cniVersion ?? '1.0.0'
  const host = io.netns
  const netns = netnsOf(io, env.netnsPath)
  const brName = conf.bridge ?? 'cni0'
  if (conf.ipam?.type !== undefined && conf.ipam.type !== 'host-local') throw new CniError(999, `failed to find plugin "${conf.ipam.type}" in path [/opt/cni/bin]`)
  if (!conf.ipam) throw new CniError(999, 'missing IPAM configuration: the bridge plugin needs "ipam": {"type": "host-local", …}')
  const mtu = conf.mtu ?? 1500
  const w0 = io.sh.world
  if (findLink(w0.netns[netns]!, env.ifname)) throw new CniError(999, `container veth name provided (${env.ifname}) already exists`)
  let br = findLink(w0.netns[host]!, brName)
  if (br && br.kind !== 'bridge') throw new CniError(999, `${brName} already exists but is not a bridge`)
  if (!br) {
    op(io, () => addLink(io.sh.world, host, { kind: 'bridge', name: brName, ageingTime: 300, mtu }))
    op(io, () => setLinkUp(io.sh.world, host, brName, true))
    br = findLink(io.sh.world.netns[host]!, brName)!
  }
  const alloc = hostLocalAdd(io, env, conf)
  const { ip, range } = alloc
  const hostVeth = `veth${hexId(`${env.containerId}/${env.ifname}`, 8)}`
  op(io, () => addVethPair(io.sh.world, { netns, name: env.ifname, mtu }, { netns: host, name: hostVeth, mtu }))
  op(io, () => setMaster(io.sh.world, host, hostVeth, brName))
  if (conf.hairpinMode) op(io, () => setLinkFlag(io.sh.world, host, hostVeth, { hairpin: true }))
  op(io, () => setLinkUp(io.sh.world, host, hostVeth, true))
  op(io, () => setLinkUp(io.sh.world, netns, env.ifname, true))
  op(io, () => addAddr(io.sh.world, netns, env.ifname, `${ip}/${range.len}`))
  const routes: { dst: string; gw?: string }[] = [...(conf.ipam.routes ?? [])]
  if (conf.isDefaultGateway && !routes.some((r) => r.dst === '0.0.0.0/0')) routes.push({ dst: '0.0.0.0/0', gw: range.gateway })
  for (const r of routes) op(io, () => addRoute(io.sh.world, netns, { dst: r.dst === '0.0.0.0/0' ? 'default' : r.dst, type: 'unicast', table: 'main', via: r.gw ?? range.gateway, dev: env.ifname, scope: 'global', proto: 'boot' }))
  if (conf.isGateway || conf.isDefaultGateway) {
    const cur = findLink(io.sh.world.netns[host]!, brName)!
    if (!cur.addrs.some((a) => a.ip === range.gateway)) op(io, () => addAddr(io.sh.world, host, brName, `${range.gateway}/${range.len}`))
    op(io, () => setSysctl(io.sh.world, host, 'net.ipv4.ip_forward', true))
  }
  if (conf.mtu !== undefined && br.mtu !== conf.mtu) op(io, () => setLinkMtu(io.sh.world, host, brName, conf.mtu!))
  if (conf.ipMasq) ipMasq(io, host, conf, env, ip, range.subnet)
  const mac = (ns: string, dev: string) => findLink(io.sh.world.netns[ns]!, dev)!.mac
  const ipEntry = version.startsWith('0.') ? { version: '4', interface: 2, address: `${ip}/${range.len}`, gateway: range.gateway } : { interface: 2, address: `${ip}/${range.len}`, gateway: range.gateway }
  return {
    cniVersion: version,
    interfaces: [{ name: brName, mac: mac(host, brName) }, { name: hostVeth, mac: mac(host, hostVeth) }, { name: env.ifname, mac: mac(netns, env.ifname), sandbox: env.netnsPath }],
    ips: [ipEntry],
    routes,
    dns: {},
  }
}

/** ipMasq: the bridge plugin's per-container SNAT chain (ip.SetupIPMasq). */
function ipMasq(io: Io, host: string, conf: Conf, env: Env, ip: string, subnet: string): void {
  const chain = `CNI-${hexId(`${conf.name ?? ''}${env.containerId}`, 24)}`
  const comment = `name: "${conf.name ?? ''}" id: "${env.containerId}"`
  const cmds = [
    ['-t', 'nat', '-N', chain],
    ['-t', 'nat', '-A', chain, '-d', subnet, '-m', 'comment', '--comment', comment, '-j', 'ACCEPT'],
    ['-t', 'nat', '-A', chain, '!', '-d', '224.0.0.0/4', '-m', 'comment', '--comment', comment, '-j', 'MASQUERADE'],
    ['-t', 'nat', '-A', 'POSTROUTING', '-s', `${ip}/32`, '-m', 'comment', '--comment', comment, '-j', chain],
  ]
  let ns = io.sh.world.netns[host]!
  for (const c of cmds) {
    const r = runIptables(ns.netfilter, c)
    if (r.exitCode === 0) ns = { ...ns, netfilter: r.ruleset }
  }
  io.sh.setWorld(putNetns(io.sh.world, ns))
}

function bridgeDel(io: Io, env: Env, conf: Conf): undefined {
  const host = io.netns
  const netns = env.netnsPath ? resolveNetnsName(io.sh.world, env.netnsPath) : undefined
  const l = netns ? findLink(io.sh.world.netns[netns]!, env.ifname) : undefined
  if (netns && l) op(io, () => delLink(io.sh.world, netns, l.name))
  else {
    const hv = `veth${hexId(`${env.containerId}/${env.ifname}`, 8)}`
    if (findLink(io.sh.world.netns[host]!, hv)) op(io, () => delLink(io.sh.world, host, hv))
  }
  hostLocalDel(io, env, conf)
  return undefined
}

function bridgeCheck(io: Io, env: Env, conf: Conf): undefined {
  const netns = netnsOf(io, env.netnsPath)
  const l = findLink(io.sh.world.netns[netns]!, env.ifname)
  if (!l) throw new CniError(999, `Link not found: ${env.ifname}`)
  const prev = conf.prevResult as { ips?: { address: string }[] } | undefined
  for (const a of prev?.ips ?? []) if (!l.addrs.some((x) => `${x.ip}/${x.len}` === a.address)) throw new CniError(999, `Failed to match addr ${a.address} on interface ${env.ifname}`)
  return undefined
}

function loopback(io: Io, env: Env, conf: Conf): unknown {
  if (env.command !== 'ADD') return undefined
  const netns = netnsOf(io, env.netnsPath)
  const lo = findLink(io.sh.world.netns[netns]!, 'lo')!
  op(io, () => setLinkUp(io.sh.world, netns, 'lo', true))
  if (!lo.addrs.some((a) => a.ip === '127.0.0.1')) op(io, () => addAddr(io.sh.world, netns, 'lo', '127.0.0.1/8', { scope: 'host' }))
  const version = conf.cniVersion ?? '1.0.0'
  return { cniVersion: version, interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: env.netnsPath }], ips: [version.startsWith('0.') ? { version: '4', interface: 0, address: '127.0.0.1/8' } : { interface: 0, address: '127.0.0.1/8' }], dns: {} }
}

function flannel(io: Io, env: Env, conf: Conf): unknown {
  const f = readFile(io.sh, io.netns, '/run/flannel/subnet.env')
  if (!f.ok) throw new CniError(999, "failed to load flannel 'subnet.env' file: open /run/flannel/subnet.env: no such file or directory. Check the flannel pod log for this node.")
  const vars = Object.fromEntries(f.text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  const subnet = parsePrefix(vars.FLANNEL_SUBNET ?? '')
  const delegate: Conf = {
    ...(conf.delegate ?? {}),
    name: conf.name ?? 'cbr0',
    type: 'bridge',
    ipMasq: vars.FLANNEL_IPMASQ !== 'true',
    mtu: Number(vars.FLANNEL_MTU),
    isGateway: true,
    cniVersion: conf.cniVersion ?? '1.0.0',
    ipam: { type: 'host-local', ranges: [[{ subnet: `${intToIp(subnet.net)}/${subnet.len}` }]], routes: [{ dst: vars.FLANNEL_NETWORK ?? '10.244.0.0/16' }] },
  }
  if (env.command === 'ADD') return bridgeAdd(io, env, delegate)
  if (env.command === 'DEL') return bridgeDel(io, env, delegate)
  return bridgeCheck(io, env, delegate)
}
