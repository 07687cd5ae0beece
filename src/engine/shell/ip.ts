/**
 * `ip` (iproute2 6.1): netns, link, address, route, neigh, rule, with the global options
 * -n/-netns, -j/-json, -p/-pretty, -d/-details, -br/-brief, -4, -c, -s. Objects and
 * commands may be abbreviated as iproute2 allows (`ip a`, `ip r`, `ip n`, `ip l s`). Each
 * command is a world operation (model/ops.ts) in the netns the command runs in; messages and
 * exit codes are the real tool's (golden/captured.txt): parse errors exit 255 or 1, kernel
 * (RTNETLINK) errors 2.
 *
 * The kernel's side (ifindexes, a moved link's state, a refused master detaching the port,
 * the RTNETLINK messages) is model/ops.ts; this file is iproute2's side: parsing, names,
 * client-side errors, and which exit status goes with which message. `ip netns add` leaves lo down.
 * `ip rule` edits the netns's policy routing rules as the kernel does (route/rules.ts: default
 * priority, insertion order, `File exists`, the first match deleted).
 * Simplifications: no IPv6, no multipath routes; `ip rule save|restore` are not simulated.
 */
import { NetError, addAddr, addLink, addNetns, addRoute, addVethPair, canonicalDst, delAddr, delLink, delNetns, delRoute, findLink, moveLink, newNetns, putNeigh, putNetns, renameLink, setLinkFlag, setLinkMtu, setLinkUp, setMaster } from '../model/ops.ts'
import type { NewLink } from '../model/ops.ts'
import type { Addr, NeighState, Netns, Route, RouteType, RoutingRule, World } from '../model/types.ts'
import { addRule, describeRule, findRule, isDefaultRules, parseRuleSpec, rulesOf, tableName } from '../route/rules.ts'
import type { RuleSpec } from '../route/rules.ts'
import type { FlowKey } from '../route/fib.ts'
import { broadcastOf, isIpv4, isMac, networkOf, normalizeMac } from '../wire/addr.ts'
import { filterLinks, iprouteJson, jsonIpAddr, jsonIpLink, jsonIpRoute, neighState, netnsIds, printIpAddr, printIpBrief, printIpLink, printIpNeigh, printIpRoute, printRoute, printRouteGet, routeOrder, runNetnsName } from '../print/iproute2.ts'
import { matches } from './args.ts'
import { SHELLS, enterShell } from './builtins.ts'
import { findCommand } from './commands.ts'
import type { Command, Io } from './session.ts'
import { machineOf, namedNetns, netnsDisplayName, resolveNetnsName } from './state.ts'

interface Global {
  netns: string
  json: boolean
  pretty: boolean
  details: boolean
  brief: boolean
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`)
  }
}

function fail(io: Io, msg: string, code: number): never {
  io.err(msg.endsWith('\n') ? msg : `${msg}\n`)
  throw new Exit(code)
}

/** The exit status iproute2 gives each kind of failure. */
function errorCode(msg: string): number {
  if (msg.startsWith('RTNETLINK answers')) return 2
  if (msg.startsWith('Cannot find device')) return 1
  if (msg.startsWith('Cannot create namespace file') || msg.startsWith('Cannot remove namespace file')) return 1
  if (msg.startsWith('Error: argument')) return 255
  if (msg.startsWith('Cannot open network namespace')) return 255
  return 2
}

/** Run a world operation; a NetError is printed with the real tool's status (after what the kernel did before failing). */
function op(io: Io, f: () => World): void {
  try {
    io.sh.setWorld(f())
  } catch (e) {
    if (e instanceof NetError) {
      if (e.partial) io.sh.setWorld(e.partial)
      fail(io, e.message, errorCode(e.message))
    }
    throw e
  }
}

function invarg(io: Io, msg: string, arg: string): never {
  return fail(io, `Error: argument "${arg}" is wrong: ${msg}\n`, 255)
}

function incomplete(io: Io): never {
  return fail(io, 'Command line is not complete. Try option "help"', 255)
}

const OBJECTS = ['address', 'addrlabel', 'maddress', 'route', 'rule', 'neighbor', 'neighbour', 'ntable', 'link', 'l2tp', 'fou', 'ila', 'macsec', 'tunnel', 'tuntap', 'tap', 'token', 'tcpmetrics', 'tcp_metrics', 'monitor', 'xfrm', 'mroute', 'mrule', 'netns', 'netconf', 'vrf', 'sr', 'nexthop', 'mptcp', 'ioam', 'stats', 'help']

const USAGE = `Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | fou | help | ila | ioam | l2tp | link |
                   macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | stats | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
`

function ns(io: Io, g: Global): Netns {
  return io.sh.world.netns[g.netns]!
}

export const ip: Command = (io, argv) => {
  const g: Global = { netns: io.netns, json: false, pretty: false, details: false, brief: false }
  let i = 1
  try {
    while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-') {
      const a = argv[i]!.replace(/^--/, '-')
      if (a === '-n' || a === '-net' || a === '-netns') {
        const name = argv[++i]
        if (name === undefined) incomplete(io)
        const target = resolveNetnsName(io.sh.world, name)
        if (!target) fail(io, `Cannot open network namespace "${name}": No such file or directory`, 255)
        g.netns = target!
      } else if (a === '-j' || a === '-json') g.json = true
      else if (a === '-p' || a === '-pretty') g.pretty = true
      else if (a === '-d' || a === '-details') g.details = true
      else if (a === '-br' || a === '-brief') g.brief = true
      else if (a === '-V' || a === '-Version') {
        io.out('ip utility, iproute2-6.1.0, libbpf 1.1.2\n')
        return 0
      } else if (a === '-h' || a === '-help') {
        io.out(USAGE)
        return 0
      } else if (/^-(4|s|stats|statistics|c|color(=.*)?|o|oneline|N|numeric|r|resolve|a|all|human|iec|t|ts)$/.test(a)) {
        /* accepted, no effect on what is simulated */
      } else if (/^-j[p]?$|^-pj$/.test(a)) {
        g.json = true
        g.pretty = a.includes('p')
      } else fail(io, `Option "${argv[i]!}" is unknown, try "ip -help".`, 255)
      i++
    }
    const objArg = argv[i]
    if (objArg === undefined) fail(io, USAGE, 255)
    const obj = OBJECTS.find((o) => matches(objArg, o))
    const args = argv.slice(i + 1)
    switch (obj) {
      case 'address':
        return ipAddr(io, g, args)
      case 'link':
        return ipLink(io, g, args)
      case 'route':
        return ipRoute(io, g, args)
      case 'neighbor':
      case 'neighbour':
        return ipNeigh(io, g, args)
      case 'netns':
        return ipNetns(io, g, args)
      case 'rule':
        return ipRule(io, g, args)
      case 'help':
        io.out(USAGE)
        return 0
      case undefined:
        return fail(io, `Object "${objArg}" is unknown, try "ip help".`, 1)
      default:
        return fail(io, `packetwalk: \`ip ${obj}\` is not simulated (this shell models link, address, route, neigh, netns)`, 1)
    }
  } catch (e) {
    if (e instanceof Exit) return e.code
    throw e
  }
}

// ---- ip link ------------------------------------------------------------------------------

function ipLink(io: Io, g: Global, args: readonly string[]): number {
  const sub = args[0]
  const rest = args.slice(1)
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list') || sub === 'lst') return linkShow(io, g, rest, 'link')
  if (matches(sub, 'add')) return linkAdd(io, g, rest)
  if (matches(sub, 'set') || matches(sub, 'change')) return linkSet(io, g, rest)
  if (matches(sub, 'delete') || sub === 'del') return linkDel(io, g, rest)
  if (matches(sub, 'help')) {
    io.out('Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME\n                    [ mtu MTU ] [ address LLADDR ]\n                    type TYPE [ ARGS ]\n\n       ip link delete { DEVICE | dev DEVICE | group DEVGROUP } type TYPE [ ARGS ]\n\n       ip link set { DEVICE | dev DEVICE | group DEVGROUP }\n                      [ { up | down } ]\n                      [ master DEVICE ] [ nomaster ]\n                      [ netns { PID | NETNSNAME | NETNSFILE } ]\n                      [ mtu MTU ] [ name NAME ] [ address LLADDR ]\n\n       ip link show [ DEVICE | group GROUP ] [up] [master DEV] [type ETYPE]\n\nTYPE := { bridge | dummy | ipip | veth | vxlan }\n')
    return 0
  }
  return fail(io, `Command "${sub}" is unknown, try "ip link help".`, 255)
}

function linkShow(io: Io, g: Global, args: readonly string[], what: 'link' | 'addr'): number {
  const f: { dev?: string; up?: boolean; master?: string; type?: string } = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === 'dev') f.dev = args[++i] ?? incomplete(io)
    else if (a === 'up') f.up = true
    else if (a === 'master') f.master = args[++i] ?? incomplete(io)
    else if (a === 'type') f.type = args[++i] ?? incomplete(io)
    else if (a === 'scope' || a === 'label' || a === 'to') i++
    else if (a === 'permanent' || a === 'dynamic' || a === 'primary') continue
    else if (f.dev === undefined) f.dev = a
    else fail(io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255)
  }
  const n = ns(io, g)
  if (f.dev !== undefined && !findLink(n, f.dev)) fail(io, `Device "${f.dev}" does not exist.`, 1)
  const links = filterLinks(n, f.dev !== undefined ? { ...f, dev: findLink(n, f.dev)!.name } : f)
  const opts = { w: io.sh.world, details: g.details, links }
  if (g.json && g.brief) io.out(`${iprouteJson(jsonBrief(printIpBrief(n, what, opts), what), g.pretty)}\n`)
  else if (g.json) io.out(`${iprouteJson(what === 'link' ? jsonIpLink(n, opts) : jsonIpAddr(n, opts), g.pretty)}\n`)
  else if (g.brief) io.out(printIpBrief(n, what, opts))
  else io.out(what === 'link' ? printIpLink(n, opts) : printIpAddr(n, opts))
  return 0
}

/**
 * `ip -j -br link|addr`: the brief columns as objects (iproute2 6.1: link or link_index for
 * the `@` part, ifname, operstate, then address and flags, or addr_info with local/prefixlen).
 */
function jsonBrief(text: string, what: 'link' | 'addr'): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [nameAt = '', state = '', ...rest] = line.trim().split(/\s+/)
    const [ifname, at] = nameAt.split('@')
    const o: Record<string, unknown> = {}
    if (at !== undefined) {
      const idx = /^if(\d+)$/.exec(at)
      if (idx) o.link_index = Number(idx[1])
      else o.link = at
    }
    o.ifname = ifname
    o.operstate = state
    if (what === 'link') {
      const flags = rest.find((x) => x.startsWith('<'))
      const address = rest.find((x) => !x.startsWith('<'))
      if (address !== undefined) o.address = address
      o.flags = flags ? flags.slice(1, -1).split(',').filter((f) => f !== '') : []
    } else {
      o.addr_info = rest.map((a) => a.split('/')).map(([local, len]) => ({ local, prefixlen: Number(len) }))
    }
    return o
  })
}

const IFNAME = /^[^\s/:]{1,15}$/

interface LinkSpec {
  name?: string
  type?: string
  mtu?: number
  address?: string
  netns?: string
  up?: boolean
  master?: string
  typeArgs: string[]
}

/** iproute2's iplink_parse for `add`: generic options, then `type KIND …`. */
function parseLinkSpec(io: Io, g: Global, args: readonly string[]): LinkSpec {
  const spec: LinkSpec = { typeArgs: [] }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? incomplete(io)
    if (a === 'type') {
      spec.type = next()
      spec.typeArgs = args.slice(i + 1)
      break
    }
    if (a === 'name' || a === 'dev') spec.name = next()
    else if (a === 'mtu') {
      const v = next()
      if (!/^\d+$/.test(v)) invarg(io, 'Invalid "mtu" value\n', v)
      spec.mtu = Number(v)
    } else if (a === 'address') {
      const v = next()
      if (!isMac(v)) fail(io, `"${v}" is invalid lladdr.`, 255)
      spec.address = normalizeMac(v)
    } else if (a === 'netns') {
      const v = next()
      const t = netnsArg(io, v)
      if (!t) invarg(io, 'Invalid "netns" value\n', v)
      spec.netns = t
    } else if (a === 'up') spec.up = true
    else if (a === 'master') spec.master = next()
    else if (a === 'txqueuelen' || a === 'qlen' || a === 'link' || a === 'group' || a === 'numtxqueues' || a === 'numrxqueues' || a === 'alias') next()
    else if (spec.name === undefined) spec.name = a
    else fail(io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255)
  }
  void g
  return spec
}

/** A netns argument: a name in /run/netns, a path, or a PID (the pause container's). */
function netnsArg(io: Io, v: string): string | undefined {
  const w = io.sh.world
  if (/^\d+$/.test(v)) return Object.values(w.netns).find((n) => n.pod?.pausePid === Number(v))?.name ?? (v === '1' ? io.sh.machine : undefined)
  return resolveNetnsName(w, v)
}

function linkAdd(io: Io, g: Global, args: readonly string[]): number {
  const spec = parseLinkSpec(io, g, args)
  const type = spec.type
  if (type === undefined) fail(io, 'Not enough information: "type" argument is required', 1)
  const name = spec.name
  if (name !== undefined && !IFNAME.test(name)) invarg(io, '"name" not a valid ifname', name)
  const target = spec.netns ?? g.netns
  const n = io.sh.world.netns[target]!
  const common = { ...(spec.mtu !== undefined && { mtu: spec.mtu }), ...(spec.address && { mac: spec.address }) }
  const autoName = (prefix: string, inNs: Netns = n, except?: string) => {
    for (let k = 0; ; k++) if (!findLink(inNs, `${prefix}${k}`) && `${prefix}${k}` !== except) return `${prefix}${k}`
  }
  switch (type) {
    case 'veth': {
      const peer = parseVethPeer(io, spec.typeArgs)
      const aName = name ?? autoName('veth')
      const bNs = peer.netns ?? target
      const bName = peer.name ?? autoName('veth', io.sh.world.netns[bNs], bNs === target ? aName : undefined)
      const a = { netns: target, name: aName, ...common }
      const b = { netns: bNs, name: bName, ...(peer.mtu !== undefined && { mtu: peer.mtu }), ...(peer.address && { mac: peer.address }) }
      op(io, () => addVethPair(io.sh.world, a, b))
      break
    }
    case 'bridge': {
      const o = parseKv(io, spec.typeArgs, ['ageing_time', 'stp_state', 'forward_delay', 'hello_time', 'max_age', 'priority', 'vlan_filtering', 'mcast_snooping'])
      op(io, () => addLink(io.sh.world, target, { kind: 'bridge', name: name ?? autoName('bridge'), ageingTime: o.ageing_time !== undefined ? Math.round(Number(o.ageing_time) / 100) : 300, ...(o.stp_state === '1' && { stp: true }), ...common }))
      break
    }
    case 'vxlan':
      linkAddVxlan(io, target, name ?? autoName('vxlan'), spec, common)
      break
    case 'dummy':
      op(io, () => addLink(io.sh.world, target, { kind: 'dummy', name: name ?? autoName('dummy'), ...common }))
      break
    case 'ipip': {
      const o = parseKv(io, spec.typeArgs, ['remote', 'local', 'ttl', 'dev', 'mode'])
      op(io, () => addLink(io.sh.world, target, { kind: 'ipip', name: name ?? autoName('ipip'), noarp: true, ...(o.remote && o.remote !== 'any' && { remote: o.remote }), ...(o.local && o.local !== 'any' && { local: o.local }), ...common }))
      break
    }
    case 'vlan':
    case 'macvlan':
    case 'ipvlan':
    case 'bond':
    case 'geneve':
    case 'wireguard':
    case 'vrf':
    case 'tun':
      return fail(io, `packetwalk: link type ${type} is not simulated (this shell creates veth, bridge, vxlan, dummy and ipip links)`, 2)
    default:
      return fail(io, 'Error: Unknown device type.', 2)
  }
  const created = name ?? [...io.sh.world.netns[target]!.links].sort((a, b) => b.ifindex - a.ifindex)[0]!.name
  if (spec.master !== undefined) linkSetMaster(io, target, created, spec.master)
  if (spec.up) op(io, () => setLinkUp(io.sh.world, target, created, true))
  return 0
}

function parseVethPeer(io: Io, args: readonly string[]): { name?: string; netns?: string; mtu?: number; address?: string } {
  if (args.length === 0) return {}
  if (args[0] !== 'peer') fail(io, `Error: either "dev" is duplicate, or "${args[0]!}" is a garbage.`, 255)
  const out: { name?: string; netns?: string; mtu?: number; address?: string } = {}
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? incomplete(io)
    if (a === 'name' || a === 'dev') out.name = next()
    else if (a === 'netns') {
      const v = next()
      const t = netnsArg(io, v)
      if (!t) invarg(io, 'Invalid "netns" value\n', v)
      out.netns = t
    } else if (a === 'mtu') out.mtu = Number(next())
    else if (a === 'address') out.address = normalizeMac(next())
    else if (out.name === undefined) out.name = a
    else fail(io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255)
  }
  if (out.name !== undefined && !IFNAME.test(out.name)) invarg(io, '"name" not a valid ifname', out.name)
  return out
}

function parseKv(io: Io, args: readonly string[], keys: readonly string[], flags: readonly string[] = []): Record<string, string> {
  const o: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (flags.includes(a)) o[a] = '1'
    else if (keys.includes(a)) o[a] = args[++i] ?? incomplete(io)
    else fail(io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255)
  }
  return o
}

function linkAddVxlan(io: Io, target: string, name: string, spec: LinkSpec, common: { mtu?: number; mac?: string }): void {
  const o = parseKv(io, spec.typeArgs, ['id', 'vni', 'remote', 'local', 'group', 'dev', 'dstport', 'ttl', 'tos', 'ageing', 'df', 'port', 'srcport', 'maxaddress', 'label'], ['learning', 'nolearning', 'proxy', 'noproxy', 'l2miss', 'l3miss', 'udpcsum', 'noudpcsum', 'external', 'rsc', 'norsc', 'nolocalbypass', 'localbypass'])
  const id = o.id ?? o.vni
  if (id === undefined) fail(io, 'vxlan: missing virtual network identifier', 1)
  if (!/^\d+$/.test(id) || Number(id) > 16777215) invarg(io, 'invalid id\n', id)
  if (o.remote && o.group) fail(io, 'vxlan: both remote and group cannot be specified', 1)
  for (const k of ['remote', 'local', 'group'] as const) if (o[k] !== undefined && !isIpv4(o[k])) invarg(io, `invalid ${k} address\n`, o[k])
  if (o.dev !== undefined && !findLink(io.sh.world.netns[target]!, o.dev)) fail(io, `Cannot find device "${o.dev}"`, 1)
  let dstport = o.dstport !== undefined ? Number(o.dstport) : undefined
  if (dstport === undefined) {
    io.err("vxlan: destination port not specified\nWill use Linux kernel default (non-standard value)\nUse 'dstport 4789' to get the IANA assigned value\nUse 'dstport 0' to get default and quiet this message\n")
    dstport = 8472
  } else if (dstport === 0) dstport = 8472
  const spec2: NewLink = { kind: 'vxlan', name, vni: Number(id), dstport, learning: o.nolearning === undefined, ...(o.local && { local: o.local }), ...(o.remote && { remote: o.remote }), ...(o.group && { group: o.group }), ...(o.dev && { dev: o.dev }), ...(o.ageing !== undefined && Number.isInteger(Number(o.ageing)) && { ageing: Number(o.ageing) }), ...common }
  op(io, () => addLink(io.sh.world, target, spec2))
}

function linkDel(io: Io, g: Global, args: readonly string[]): number {
  let dev: string | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === 'dev') dev = args[++i] ?? incomplete(io)
    else if (a === 'type') i++
    else if (dev === undefined) dev = a
  }
  if (dev === undefined) fail(io, 'Not enough information: "dev" argument is required.', 1)
  op(io, () => delLink(io.sh.world, g.netns, dev))
  return 0
}

/** `master BR`: iproute2 resolves the name first (an unknown one is its own error), the kernel does the rest. */
function linkSetMaster(io: Io, netns: string, dev: string, master: string): void {
  const br = findLink(io.sh.world.netns[netns]!, master)
  if (!br) invarg(io, 'Device does not exist\n', master)
  op(io, () => setMaster(io.sh.world, netns, dev, br.name))
}

function linkSet(io: Io, g: Global, args: readonly string[]): number {
  let dev: string | undefined
  const ch: { up?: boolean; master?: string | null; netns?: string; mtu?: number; name?: string; address?: string; arp?: boolean; hairpin?: boolean } = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? incomplete(io)
    if (a === 'dev') dev = next()
    else if (a === 'up') ch.up = true
    else if (a === 'down') ch.up = false
    else if (a === 'master') ch.master = next()
    else if (a === 'nomaster') ch.master = null
    else if (a === 'netns') {
      const v = next()
      const t = netnsArg(io, v)
      if (!t) invarg(io, 'Invalid "netns" value\n', v)
      ch.netns = t
    } else if (a === 'mtu') {
      const v = next()
      if (!/^\d+$/.test(v)) invarg(io, 'Invalid "mtu" value\n', v)
      ch.mtu = Number(v)
    } else if (a === 'name') {
      const v = next()
      if (!IFNAME.test(v)) invarg(io, '"name" not a valid ifname', v)
      ch.name = v
    } else if (a === 'address') {
      const v = next()
      if (!isMac(v)) fail(io, `"${v}" is invalid lladdr.`, 255)
      ch.address = normalizeMac(v)
    } else if (a === 'arp') ch.arp = next() === 'on'
    else if (a === 'promisc' || a === 'multicast' || a === 'allmulticast' || a === 'txqueuelen' || a === 'qlen' || a === 'alias' || a === 'mtu') next()
    else if (a === 'type') {
      // `type bridge_slave hairpin on`
      const kind = next()
      if (kind !== 'bridge_slave') fail(io, 'RTNETLINK answers: Operation not supported', 2)
      const o = parseKv(io, args.slice(i + 1), ['hairpin', 'learning', 'flood', 'state', 'priority', 'cost', 'proxy_arp', 'guard', 'fastleave', 'root_block'])
      if (o.hairpin !== undefined) ch.hairpin = o.hairpin === 'on'
      break
    } else if (dev === undefined) dev = a
    else fail(io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255)
  }
  if (dev === undefined) fail(io, 'Not enough of information: "dev" argument is required.', 255)
  let netns = g.netns
  const l = findLink(io.sh.world.netns[netns]!, dev)
  if (!l) fail(io, `Cannot find device "${dev}"`, 1)
  let name = l.name
  // The kernel's do_setlink order: netns, address, mtu, name, master, flags.
  if (ch.netns !== undefined && ch.netns !== netns) {
    op(io, () => moveLink(io.sh.world, netns, name, ch.netns!))
    netns = ch.netns
  }
  if (ch.address !== undefined) op(io, () => setLinkFlag(io.sh.world, netns, name, { mac: ch.address! }))
  if (ch.mtu !== undefined) {
    if (ch.mtu > 65535 && l.kind !== 'loopback') fail(io, 'Error: mtu greater than device maximum.', 2)
    op(io, () => setLinkMtu(io.sh.world, netns, name, ch.mtu!))
  }
  if (ch.name !== undefined && ch.name !== name) {
    const cur = findLink(io.sh.world.netns[netns]!, name)!
    if (cur.up) fail(io, 'RTNETLINK answers: Device or resource busy', 2)
    op(io, () => renameLink(io.sh.world, netns, name, ch.name!))
    name = ch.name
  }
  if (ch.master === null) op(io, () => setMaster(io.sh.world, netns, name, undefined))
  else if (ch.master !== undefined) linkSetMaster(io, netns, name, ch.master)
  if (ch.arp !== undefined) op(io, () => setLinkFlag(io.sh.world, netns, name, { noarp: !ch.arp }))
  if (ch.hairpin !== undefined) op(io, () => setLinkFlag(io.sh.world, netns, name, { hairpin: ch.hairpin! }))
  if (ch.up !== undefined) op(io, () => setLinkUp(io.sh.world, netns, name, ch.up!))
  // lo gets 127.0.0.1/8 from the kernel when it comes up (inet_netdev_event on NETDEV_UP).
  const cur = findLink(io.sh.world.netns[netns]!, name)!
  if (ch.up && cur.kind === 'loopback' && !cur.addrs.some((a) => a.ip === '127.0.0.1')) op(io, () => addAddr(io.sh.world, netns, name, '127.0.0.1/8', { scope: 'host' }))
  return 0
}

// ---- ip address -----------------------------------------------------------------------------

function ipAddr(io: Io, g: Global, args: readonly string[]): number {
  const sub = args[0]
  const rest = args.slice(1)
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list') || sub === 'lst') return linkShow(io, g, rest, 'addr')
  if (matches(sub, 'add') || matches(sub, 'replace') || matches(sub, 'change')) return addrAdd(io, g, rest, matches(sub, 'add') ? 'add' : 'replace')
  if (matches(sub, 'delete') || sub === 'del') return addrDel(io, g, rest)
  if (matches(sub, 'flush')) return addrFlush(io, g, rest)
  if (matches(sub, 'help')) {
    io.out('Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]\n                                                      [ CONFFLAG-LIST ]\n       ip address del IFADDR dev IFNAME [mngtmpaddr]\n       ip address {save|flush} [ dev IFNAME ] [ scope SCOPE-ID ]\n                            [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up]\n       ip address [ show [ dev IFNAME ] [ scope SCOPE-ID ] [ master DEVICE ]\n                         [ nomaster ]\n                         [ type TYPE ] [ to PREFIX ] [ FLAG-LIST ]\n                         [ label LABEL ] [up] [ vrf NAME ] ]\n')
    return 0
  }
  return fail(io, `Command "${sub}" is unknown, try "ip address help".`, 255)
}

function parseAddrArgs(io: Io, args: readonly string[]): { local?: string; dev?: string; brd?: string; scope?: Addr['scope']; noprefixroute?: boolean } {
  const o: { local?: string; dev?: string; brd?: string; scope?: Addr['scope']; noprefixroute?: boolean } = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? incomplete(io)
    if (a === 'dev') o.dev = next()
    else if (a === 'brd' || a === 'broadcast') o.brd = next()
    else if (a === 'scope') {
      const s = next()
      if (s !== 'global' && s !== 'link' && s !== 'host') invarg(io, 'invalid scope value.', s)
      o.scope = s
    } else if (a === 'noprefixroute') o.noprefixroute = true
    else if (a === 'label' || a === 'valid_lft' || a === 'preferred_lft' || a === 'peer') next()
    else if (a === 'local') o.local = next()
    else if (o.local === undefined) o.local = a
    else fail(io, `Error: either "local" is duplicate, or "${a}" is a garbage.`, 255)
  }
  return o
}

function validCidr(text: string): { ip: string; len: number } | undefined {
  const [ipText, lenText, extra] = text.split('/')
  if (extra !== undefined || ipText === undefined || !isIpv4(ipText)) return undefined
  if (lenText === undefined) return { ip: ipText, len: 32 }
  if (!/^\d+$/.test(lenText) || Number(lenText) > 32) return undefined
  return { ip: ipText, len: Number(lenText) }
}

function addrAdd(io: Io, g: Global, args: readonly string[], mode: 'add' | 'replace'): number {
  const o = parseAddrArgs(io, args)
  if (o.local === undefined) fail(io, 'Not enough information: "local" argument is required.', 1)
  const c = validCidr(o.local)
  if (!c) fail(io, `Error: any valid prefix is expected rather than "${o.local}".`, 1)
  if (o.dev === undefined) fail(io, 'Not enough information: "dev" argument is required.', 1)
  const n = ns(io, g)
  const l = findLink(n, o.dev)
  if (!l) fail(io, `Cannot find device "${o.dev}"`, 1)
  if (mode === 'replace' && l.addrs.some((a) => a.ip === c.ip && a.len === c.len)) return 0
  const brd = o.brd === '+' ? broadcastOf(c.ip, c.len) : o.brd === '-' ? undefined : o.brd
  op(io, () => addAddr(io.sh.world, g.netns, l.name, `${c.ip}/${c.len}`, { ...(brd !== undefined && { broadcast: brd }), ...(o.scope && { scope: o.scope }), ...(o.noprefixroute && { noprefixroute: true }) }))
  return 0
}

function addrDel(io: Io, g: Global, args: readonly string[]): number {
  const o = parseAddrArgs(io, args)
  if (o.local === undefined) fail(io, 'Not enough information: "local" argument is required.', 1)
  const c = validCidr(o.local)
  if (!c) fail(io, `Error: any valid prefix is expected rather than "${o.local}".`, 1)
  if (o.dev === undefined) fail(io, 'Not enough information: "dev" argument is required.', 1)
  const l = findLink(ns(io, g), o.dev)
  if (!l) fail(io, `Cannot find device "${o.dev}"`, 1)
  if (!o.local.includes('/')) io.err(`Warning: Executing wildcard deletion to stay compatible with old scripts.\n         Explicitly specify the prefix length (${c.ip}/32) to avoid this warning.\n         This special behaviour is likely to disappear in further releases,\n         fix your scripts!\n`)
  op(io, () => delAddr(io.sh.world, g.netns, l.name, o.local!))
  return 0
}

function addrFlush(io: Io, g: Global, args: readonly string[]): number {
  let dev = args[0] === 'dev' ? args[1] : args[0]
  if (dev === undefined) fail(io, 'Flush requires arguments.', 255)
  const l = findLink(ns(io, g), dev)
  if (!l) fail(io, `Device "${dev}" does not exist.`, 1)
  dev = l.name
  for (const a of l.addrs) op(io, () => delAddr(io.sh.world, g.netns, dev, `${a.ip}/${a.len}`))
  return 0
}

// ---- ip route -------------------------------------------------------------------------------

function ipRoute(io: Io, g: Global, args: readonly string[]): number {
  const sub = args[0]
  const rest = args.slice(1)
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list') || sub === 'lst') return routeShow(io, g, rest)
  if (matches(sub, 'get')) return routeGet(io, g, rest)
  if (matches(sub, 'add')) return routeAdd(io, g, rest, 'add')
  if (matches(sub, 'replace')) return routeAdd(io, g, rest, 'replace')
  if (matches(sub, 'append')) return routeAdd(io, g, rest, 'append')
  if (matches(sub, 'change')) return routeAdd(io, g, rest, 'replace')
  if (matches(sub, 'delete') || sub === 'del') return routeDel(io, g, rest)
  if (matches(sub, 'flush')) return routeFlush(io, g, rest)
  if (matches(sub, 'help')) {
    io.out('Usage: ip route { list | flush } SELECTOR\n       ip route get ADDRESS [ from ADDRESS iif STRING ]\n                            [ oif STRING ] [ mark NUMBER ]\n       ip route { add | del | change | append | replace } ROUTE\nROUTE := NODE_SPEC [ INFO_SPEC ]\nNODE_SPEC := [ TYPE ] PREFIX [ tos TOS ] [ table TABLE_ID ] [ proto RTPROTO ]\n             [ scope SCOPE ] [ metric METRIC ]\nINFO_SPEC := { NH | nhid ID } OPTIONS FLAGS\nNH := [ via ADDRESS ] [ dev STRING ] [ weight NUMBER ] NHFLAGS\nOPTIONS := FLAGS [ mtu NUMBER ] [ src ADDRESS ]\nTYPE := { unicast | local | broadcast | multicast | throw |\n          unreachable | prohibit | blackhole | nat }\nNHFLAGS := [ onlink | pervasive ]\n')
    return 0
  }
  return fail(io, `Command "${sub}" is unknown, try "ip route help".`, 255)
}

const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw']

interface RouteArgs {
  type: RouteType
  dst?: string
  via?: string
  dev?: string
  src?: string
  proto?: string
  scope?: Route['scope']
  metric?: number
  mtu?: number
  table?: Route['table'] | 'all'
  onlink?: boolean
}

/**
 * A `table` argument: a name from /etc/iproute2/rt_tables (local 255, main 254, default 253,
 * unspec 0 = all) or a number. Anything else is refused as iproute2 does, with its own words
 * for listing ("table id value is invalid") and for changing ("\"table\" value is invalid"),
 * both ending in a blank line (the message carries its own newline), exit 255.
 */
function parseTable(io: Io, t: string, forShow: boolean): Route['table'] | 'all' {
  if (t === 'main' || t === '254') return 'main'
  if (t === 'local' || t === '255') return 'local'
  if (t === 'all' || t === '0' || t === 'unspec') return 'all'
  if (t === 'default') return 253
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(t) || Number(t) > 0xffffffff) fail(io, `Error: argument "${t}" is wrong: ${forShow ? 'table id value is invalid' : '"table" value is invalid'}\n\n`, 255)
  return Number(t)
}

function parseRouteArgs(io: Io, args: readonly string[], forShow = false): RouteArgs {
  const r: RouteArgs = { type: 'unicast' }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? incomplete(io)
    if (a === 'via') {
      let v = next()
      if (v === 'inet') v = next()
      if (!isIpv4(v)) fail(io, `Error: inet prefix is expected rather than "${v}".`, 1)
      r.via = v
    } else if (a === 'dev' || a === 'oif') r.dev = next()
    else if (a === 'src') r.src = next()
    else if (a === 'proto' || a === 'protocol') r.proto = next()
    else if (a === 'scope') r.scope = next() as Route['scope']
    else if (a === 'metric' || a === 'preference' || a === 'priority') r.metric = Number(next())
    else if (a === 'mtu') {
      let v = next()
      if (v === 'lock') v = next()
      r.mtu = Number(v)
    } else if (a === 'table') r.table = parseTable(io, next(), forShow)
    else if (a === 'onlink') r.onlink = true
    else if (a === 'nexthop') fail(io, 'packetwalk: multipath routes (nexthop) are not simulated', 2)
    else if (a === 'advmss' || a === 'realm' || a === 'tos' || a === 'weight' || a === 'initcwnd') next()
    else if ((ROUTE_TYPES as readonly string[]).includes(a) && r.dst === undefined) r.type = a as RouteType
    else if (a === 'to') r.dst = next()
    else if (r.dst === undefined) r.dst = a
    else if (forShow) r.dst = a
    else fail(io, `Error: either "to" is duplicate, or "${a}" is a garbage.`, 255)
  }
  return r
}

function checkPrefix(io: Io, text: string): string {
  if (text === 'default' || text === 'all' || text === 'any') return 'default'
  const c = validCidr(text)
  if (!c) fail(io, `Error: any valid prefix is expected rather than "${text}".`, 1)
  if (networkOf(c.ip, c.len) !== c.ip) fail(io, 'Error: Invalid prefix for given prefix length.', 2)
  return canonicalDst(`${c.ip}/${c.len}`)
}

function routeAdd(io: Io, g: Global, args: readonly string[], mode: 'add' | 'replace' | 'append'): number {
  const r = parseRouteArgs(io, args)
  if (r.dst === undefined) incomplete(io)
  const dst = checkPrefix(io, r.dst)
  const n = ns(io, g)
  let dev = r.dev
  if (dev !== undefined) {
    const l = findLink(n, dev)
    if (!l) fail(io, `Cannot find device "${dev}"`, 1)
    dev = l.name
  }
  if (r.onlink && dev === undefined) fail(io, 'Error: Nexthop device required for onlink.', 2)
  if (r.type === 'unicast' && r.via === undefined && dev === undefined) fail(io, 'RTNETLINK answers: No such device', 2)
  if (r.table === 'all') fail(io, 'Error: argument "all" is wrong: invalid table ID', 255)
  const scope = r.scope ?? (r.type === 'local' ? 'host' : r.type === 'unicast' && r.via === undefined ? 'link' : 'global')
  const route: Route = { dst, type: r.type, table: r.table ?? 'main', ...(r.via !== undefined && { via: r.via }), ...(dev !== undefined && r.type === 'unicast' && { dev }), ...(dev !== undefined && r.type === 'local' && { dev }), ...(r.onlink && { onlink: true }), scope, ...(r.src !== undefined && { src: r.src }), proto: r.proto ?? 'boot', ...(r.metric !== undefined && { metric: r.metric }), ...(r.mtu !== undefined && { mtu: r.mtu }) }
  op(io, () => addRoute(io.sh.world, g.netns, route, mode))
  return 0
}

function routeDel(io: Io, g: Global, args: readonly string[]): number {
  const r = parseRouteArgs(io, args)
  if (r.dst === undefined) incomplete(io)
  const dst = checkPrefix(io, r.dst)
  const table = r.table === 'all' ? undefined : r.table
  op(io, () => delRoute(io.sh.world, g.netns, { dst, ...(r.dev !== undefined && { dev: r.dev }), ...(r.via !== undefined && { via: r.via }), table: table ?? 'main' }))
  return 0
}

function routeFlush(io: Io, g: Global, args: readonly string[]): number {
  if (args[0] === 'cache') {
    const keep: Record<string, number> = {}
    for (const [k, v] of Object.entries(io.sh.pmtu)) if (!k.startsWith(`${g.netns} `)) keep[k] = v
    io.sh.pmtu = keep
    return 0
  }
  const r = parseRouteArgs(io, args, true)
  const n = ns(io, g)
  const routes = n.routes.filter((x) => !((r.dev === undefined || x.dev === r.dev) && (r.proto === undefined || x.proto === r.proto) && (x.table === (r.table === undefined || r.table === 'all' ? 'main' : r.table)) && (r.dst === undefined || x.dst === checkPrefix(io, r.dst))))
  io.sh.setWorld(putNetns(io.sh.world, { ...n, routes }))
  return 0
}

/** The numbered tables (and default, 253) holding routes, in the order the kernel dumps them: by id mod 256. */
function otherTables(n: Netns): number[] {
  const ids = new Set<number>()
  for (const x of n.routes) if (typeof x.table === 'number') ids.add(x.table)
  return [...ids].sort((a, b) => (a & 255) - (b & 255) || a - b)
}

/** The local table the kernel keeps for every address (`ip route show table local`). */
function localTable(n: Netns): Route[] {
  const out: Route[] = []
  for (const l of n.links) {
    if (!l.up) continue
    for (const a of l.addrs) {
      if (l.kind === 'loopback' && a.len < 32) out.push({ dst: `${networkOf(a.ip, a.len)}/${a.len}`, type: 'local', table: 'local', dev: l.name, scope: 'host', src: a.ip, proto: 'kernel' })
      out.push({ dst: a.ip, type: 'local', table: 'local', dev: l.name, scope: 'host', src: a.ip, proto: 'kernel' })
      if (a.len < 31) out.push({ dst: broadcastOf(a.ip, a.len), type: 'broadcast', table: 'local', dev: l.name, scope: 'link', src: a.ip, proto: 'kernel' })
    }
  }
  return out.sort((a, b) => routeOrder(a) - routeOrder(b))
}

function routeShow(io: Io, g: Global, args: readonly string[]): number {
  const r = parseRouteArgs(io, args, true)
  const n = ns(io, g)
  if (r.dev !== undefined && !findLink(n, r.dev)) fail(io, `Cannot find device "${r.dev}"`, 1)
  const table = r.table ?? 'main'
  if (table === 'local' || table === 'all') {
    const local = localTable(n).filter((x) => r.dev === undefined || x.dev === r.dev)
    const byDev = (x: Route) => r.dev === undefined || x.dev === r.dev
    // `table all`: the kernel walks its table hash (id mod 256), so numbered tables and
    // default (253) come before main (254) and local (255); each route names its table.
    const others = table === 'all' ? otherTables(n).map((t) => ({ t, routes: n.routes.filter((x) => x.table === t && byDev(x)) })) : []
    const main = table === 'all' ? n.routes.filter((x) => x.table === 'main' && byDev(x)) : []
    if (g.json) {
      const named = (o: Record<string, unknown>, t: string) => {
        const after = 'dev' in o ? 'dev' : 'gateway' in o ? 'gateway' : 'dst'
        return Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (k === after ? [[k, v], ['table', t]] : [[k, v]])))
      }
      const tables = others.flatMap(({ t, routes }) => jsonIpRoute(n, { w: io.sh.world, routes }).map((o) => named(o, tableName(t))))
      const mainJson = table === 'all' ? jsonIpRoute(n, { w: io.sh.world, routes: main }) : []
      const locals = jsonIpRoute(n, { w: io.sh.world, routes: local, ...(r.dev !== undefined && { dev: r.dev }) }).map((o) => (table === 'all' ? named(o, 'local') : o))
      io.out(`${iprouteJson([...tables, ...mainJson, ...locals], g.pretty)}\n`)
      return 0
    }
    const tablesText = others.map(({ routes }) => printIpRoute(n, { w: io.sh.world, routes }).replace(/ table 253 /g, ' table default ')).join('')
    const mainText = table === 'all' ? printIpRoute(n, { w: io.sh.world, routes: main }) : ''
    // With `table all` the local table's routes say which table they are in.
    const localText = local.map((x) => `${printRoute(table === 'all' ? x : { ...x, table: 'main' })}\n`)
    io.out(tablesText + mainText + localText.join(''))
    return 0
  }
  let routes = n.routes.filter((x) => x.table === table)
  // A numbered table exists once a route was put in it; the kernel refuses to dump one that never was.
  // Simplified: here a table with no routes left counts as never created (the kernel keeps an emptied table).
  if (typeof table === 'number' && routes.length === 0) {
    // ip -j has opened its array before the kernel's answer comes back: `[` is all it prints.
    if (g.json) io.out('[')
    fail(io, 'Error: ipv4: FIB table does not exist.\nDump terminated', 2)
  }
  if (r.dev !== undefined) routes = routes.filter((x) => x.dev === r.dev)
  if (r.proto !== undefined) routes = routes.filter((x) => x.proto === r.proto)
  if (r.via !== undefined) routes = routes.filter((x) => x.via === r.via)
  if (r.dst !== undefined) {
    const dst = checkPrefix(io, r.dst)
    routes = routes.filter((x) => x.dst === dst)
  }
  // With `dev X` the device is implied and left out; with `table N` the table is (filter.tb).
  const opts = { w: io.sh.world, routes: routes.map((x) => ({ ...x, table: 'main' as const })), ...(r.dev !== undefined && { dev: r.dev }) }
  io.out(g.json ? `${iprouteJson(jsonIpRoute(n, opts), g.pretty)}\n` : printIpRoute(n, opts))
  return 0
}

function routeGet(io: Io, g: Global, args: readonly string[]): number {
  let dst: string | undefined
  const flow: { -readonly [K in keyof FlowKey]?: FlowKey[K] } = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const v = args[i + 1]
    if (a === 'from' || a === 'iif' || a === 'oif' || a === 'mark' || a === 'ipproto' || a === 'sport' || a === 'dport') {
      if (v === undefined) incomplete(io)
      i++
      if (a === 'from') {
        if (!isIpv4(v)) fail(io, `Error: inet prefix is expected rather than "${v}".`, 1)
        flow.src = v
      } else if (a === 'iif' || a === 'oif') {
        if (!findLink(ns(io, g), v)) fail(io, `Cannot find device "${v}"`, 1)
        flow[a] = v
      } else if (a === 'mark') {
        const m = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v.slice(2), 16) : /^\d+$/.test(v) ? Number(v) : undefined
        if (m === undefined) fail(io, `Error: argument "${v}" is wrong: invalid mark value`, 255)
        flow.mark = m
      } else if (a === 'ipproto') {
        const p = v === '6' ? 'tcp' : v === '17' ? 'udp' : v === '1' ? 'icmp' : v
        if (p !== 'tcp' && p !== 'udp' && p !== 'icmp') fail(io, `Error: argument "${v}" is wrong: Invalid "ipproto" value\n\n`, 255)
        flow.proto = p
      } else {
        if (!/^\d+$/.test(v) || Number(v) > 65535) fail(io, `Error: argument "${v}" is wrong: invalid ${a}\n\n`, 255)
        flow[a] = Number(v)
      }
    } else if (a === 'tos' || a === 'uid' || a === 'dsfield') i++
    else if (a === 'to') dst = args[++i]
    else if (a === 'fibmatch' || a === 'connected') continue
    else dst = a
  }
  if (dst === undefined) incomplete(io)
  const c = validCidr(dst)
  if (!c) fail(io, `Error: any valid prefix is expected rather than "${dst}".`, 1)
  const text = printRouteGet(ns(io, g), c.ip, flow)
  if (text.startsWith('RTNETLINK')) fail(io, text, 2)
  const pmtu = io.sh.pmtu[`${g.netns} ${c.ip}`]
  if (g.json) {
    io.out(`${iprouteJson([jsonRouteGet(text)], g.pretty)}\n`)
    return 0
  }
  io.out(pmtu !== undefined ? text.replace(/ {4}cache \n$/, `    cache expires 597sec mtu ${pmtu} \n`) : text)
  return 0
}

/**
 * `ip -j route get`'s object from the text form, in iproute2's order (checked against the
 * kernel): type unless unicast, dst, from, gateway, dev, table, prefsrc, flags, mark, uid (an
 * output lookup only), cache flags, iif (an input lookup). Simplified: a learned path MTU
 * (`cache expires … mtu …`) is not carried into the JSON.
 */
function jsonRouteGet(text: string): Record<string, unknown> {
  const [first = '', second = ''] = text.split('\n')
  const t = first.trim().split(/\s+/)
  const o: Record<string, unknown> = {}
  let i = 0
  if (!isIpv4(t[0] ?? '')) o.type = t[i++]
  o.dst = t[i++]
  const keys: Readonly<Record<string, string>> = { from: 'from', via: 'gateway', dev: 'dev', table: 'table', src: 'prefsrc' }
  let uid: number | undefined
  let mark: number | undefined
  for (; i < t.length; i++) {
    const k = t[i]!
    if (k === 'uid') uid = Number(t[++i])
    else if (k === 'mark') mark = Number(t[++i])
    else if (keys[k] !== undefined) o[keys[k]] = t[++i]
  }
  o.flags = []
  if (mark !== undefined) o.mark = mark
  if (uid !== undefined) o.uid = uid
  o.cache = [...second.matchAll(/<([^>]*)>/g)].flatMap((m) => m[1]!.split(','))
  const iif = / iif (\S+)/.exec(second)
  if (iif) o.iif = iif[1]
  return o
}

// ---- ip neigh -------------------------------------------------------------------------------

function ipNeigh(io: Io, g: Global, args: readonly string[]): number {
  const sub = args[0]
  const rest = args.slice(1)
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list') || sub === 'lst') return neighShow(io, g, rest)
  if (matches(sub, 'add')) return neighAdd(io, g, rest, 'add')
  if (matches(sub, 'replace') || matches(sub, 'change') || sub === 'chg') return neighAdd(io, g, rest, 'replace')
  if (matches(sub, 'delete') || sub === 'del') return neighDel(io, g, rest)
  if (matches(sub, 'flush')) return neighFlush(io, g, rest)
  return fail(io, `Command "${sub}" is unknown, try "ip neigh help".`, 255)
}

const NUD: Readonly<Record<string, NeighState>> = { permanent: 'PERMANENT', noarp: 'NOARP', reachable: 'REACHABLE', stale: 'STALE', delay: 'DELAY', probe: 'PROBE', failed: 'FAILED', incomplete: 'INCOMPLETE' }

function neighAdd(io: Io, g: Global, args: readonly string[], mode: 'add' | 'replace'): number {
  let ipText: string | undefined
  let dev: string | undefined
  let mac: string | undefined
  let nud: NeighState = 'PERMANENT'
  let router = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = () => args[++i] ?? incomplete(io)
    if (a === 'dev') dev = next()
    else if (a === 'lladdr') {
      const v = next()
      if (!isMac(v)) fail(io, `"${v}" is invalid lladdr.`, 255)
      mac = normalizeMac(v)
    } else if (a === 'nud') {
      const v = next()
      const s = NUD[v]
      if (!s) invarg(io, 'nud state is bad', v)
      nud = s!
    } else if (a === 'router') router = true
    else if (a === 'to') ipText = next()
    else if (a === 'proxy') fail(io, 'packetwalk: proxy neighbour entries are not simulated', 2)
    else if (ipText === undefined) ipText = a
    else fail(io, `Error: either "to" is duplicate, or "${a}" is a garbage.`, 255)
  }
  if (ipText === undefined || dev === undefined) fail(io, 'Device and destination are required arguments.', 255)
  if (!isIpv4(ipText)) fail(io, `Error: inet address is expected rather than "${ipText}".`, 1)
  const l = findLink(ns(io, g), dev)
  if (!l) fail(io, `Cannot find device "${dev}"`, 1)
  op(io, () => putNeigh(io.sh.world, g.netns, { ip: ipText, dev: l.name, ...(mac && { mac }), state: nud, updated: io.sh.clock, ...(router && { router: true }) }, mode))
  return 0
}

function neighDel(io: Io, g: Global, args: readonly string[]): number {
  const ipText = args.find((a, i) => a !== 'dev' && args[i - 1] !== 'dev' && a !== 'to')
  const dev = args[args.indexOf('dev') + 1]
  if (ipText === undefined || !args.includes('dev') || dev === undefined) fail(io, 'Device and destination are required arguments.', 255)
  const n = ns(io, g)
  if (!findLink(n, dev)) fail(io, `Cannot find device "${dev}"`, 1)
  if (!n.neigh.some((x) => x.ip === ipText && x.dev === dev)) fail(io, 'RTNETLINK answers: No such file or directory', 2)
  io.sh.setWorld(putNetns(io.sh.world, { ...n, neigh: n.neigh.filter((x) => !(x.ip === ipText && x.dev === dev)) }))
  return 0
}

function neighFlush(io: Io, g: Global, args: readonly string[]): number {
  const dev = args[0] === 'dev' ? args[1] : args[0] === 'all' ? undefined : args[0]
  const n = ns(io, g)
  io.sh.setWorld(putNetns(io.sh.world, { ...n, neigh: n.neigh.filter((x) => x.state === 'PERMANENT' || x.state === 'NOARP' || (dev !== undefined && x.dev !== dev)) }))
  return 0
}

function neighShow(io: Io, g: Global, args: readonly string[]): number {
  let dev: string | undefined
  let ipText: string | undefined
  let nud: string | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === 'dev') dev = args[++i] ?? incomplete(io)
    else if (a === 'nud') nud = args[++i]
    else if (a === 'to') ipText = args[++i]
    else if (a === 'proxy' || a === 'all') continue
    else ipText = a
  }
  const n = ns(io, g)
  if (dev !== undefined && !findLink(n, dev)) fail(io, `Cannot find device "${dev}"`, 1)
  const entries = n.neigh.filter((x) => (dev === undefined || x.dev === dev) && (ipText === undefined || x.ip === ipText) && (nud === undefined || nud === 'all' || neighState(x, io.sh.clock) === NUD[nud]))
  if (g.json) {
    io.out(`${iprouteJson(entries.map((x) => ({ dst: x.ip, ...(dev === undefined && { dev: x.dev }), ...(x.mac && { lladdr: x.mac }), ...(x.router && { router: null }), state: [neighState(x, io.sh.clock)] })), g.pretty)}\n`)
    return 0
  }
  io.out(printIpNeigh(n, { entries, now: io.sh.clock, ...(dev !== undefined && { dev }) }))
  return 0
}

// ---- ip rule --------------------------------------------------------------------------------

const RULE_USAGE = `Usage: ip rule { add | del } SELECTOR ACTION
       ip rule { flush | save | restore }
       ip rule [ list [ SELECTOR ]]
SELECTOR := [ not ] [ from PREFIX ] [ to PREFIX ] [ tos TOS ]
            [ fwmark FWMARK[/MASK] ]
            [ iif STRING ] [ oif STRING ] [ pref NUMBER ] [ l3mdev ]
            [ uidrange NUMBER-NUMBER ]
            [ ipproto PROTOCOL ]
            [ sport [ NUMBER | NUMBER-NUMBER ]
            [ dport [ NUMBER | NUMBER-NUMBER ] ]
ACTION := [ table TABLE_ID ]
          [ protocol PROTO ]
          [ nat ADDRESS ]
          [ realms [SRCREALM/]DSTREALM ]
          [ goto NUMBER ]
          SUPPRESSOR
SUPPRESSOR := [ suppress_prefixlength NUMBER ]
              [ suppress_ifgroup DEVGROUP ]
TABLE_ID := [ local | main | default | NUMBER ]
`

/** iprule.c's invarg() texts for a bad value after each keyword (they end in a blank line). */
const RULE_VALUE_ERRORS: Readonly<Record<string, string>> = {
  fwmark: 'fwmark value is invalid',
  pref: 'preference value is invalid',
  priority: 'preference value is invalid',
  preference: 'preference value is invalid',
  order: 'preference value is invalid',
  goto: 'invalid target',
  ipproto: 'Invalid "ipproto" value',
  sport: 'invalid port range',
  dport: 'invalid port range',
  tos: 'TOS value is invalid',
  dsfield: 'TOS value is invalid',
  uidrange: 'invalid UID range',
  suppress_prefixlength: 'suppress_prefixlength value is invalid',
}

/** The words of `ip rule add|del|show`, or iproute2's message for the first it refuses. */
function parseRuleArgs(io: Io, args: readonly string[], forShow: boolean): RuleSpec {
  const r = parseRuleSpec(args)
  if (r.ok) return r.rule
  const w = args[r.word]
  const prev = args[r.word - 1]
  if (w === undefined || r.error.endsWith('needs a value')) return incomplete(io)
  if (r.error.startsWith('unknown rule selector')) return forShow ? fail(io, `Error: inet prefix is expected rather than "${w}".`, 1) : invarg(io, 'Failed to parse rule type', w)
  if (prev === 'from' || prev === 'to') return fail(io, `Error: any valid prefix is expected rather than "${w}".`, 1)
  if (prev === 'lookup' || prev === 'table') return invarg(io, `${forShow ? 'table id value is invalid' : 'invalid table ID'}\n`, w)
  if (prev === 'type' || r.error.startsWith('unknown rule type')) return invarg(io, 'Failed to parse rule type', w)
  if (prev === 'ipproto' && /^(sctp|udplite|gre|esp|ah|\d+)$/.test(w)) return fail(io, `packetwalk: \`ipproto ${w}\` is not simulated (tcp, udp, icmp)`, 2)
  const msg = prev !== undefined ? RULE_VALUE_ERRORS[prev] : undefined
  return msg !== undefined ? invarg(io, `${msg}\n`, w) : fail(io, `packetwalk: ${r.error}`, 2)
}

function setRules(io: Io, g: Global, rules: readonly RoutingRule[]): void {
  const { rules: _old, ...n } = ns(io, g)
  io.sh.setWorld(putNetns(io.sh.world, isDefaultRules(rules) ? n : { ...n, rules }))
}

/** `ip rule show` line; `[detached]` after an iif/oif the netns has no such device for (the kernel flags it). */
function showRule(n: Netns, r: RoutingRule): string {
  const words = describeRule(r).split(' ')
  const out: string[] = []
  for (let i = 0; i < words.length; i++) {
    out.push(words[i]!)
    if ((words[i - 1] === 'iif' || words[i - 1] === 'oif') && !findLink(n, words[i]!)) out.push('[detached]')
  }
  return `${r.priority}:\t${out.join(' ')}`
}

/** `ip -j rule show`: iprule.c print_rule's keys, in its order. */
function jsonRule(n: Netns, r: RoutingRule): Record<string, unknown> {
  const o: Record<string, unknown> = { priority: r.priority }
  const hex = (v: number) => `0x${(v >>> 0).toString(16)}`
  const prefix = (key: 'src' | 'dst', p: string) => {
    const [a, len] = p.split('/')
    o[key] = a
    if (len !== undefined) o[`${key}len`] = Number(len)
  }
  const range = (key: 'sport' | 'dport', v: { from: number; to: number }) => {
    if (v.from === v.to) o[key] = v.from
    else Object.assign(o, { [`${key}_start`]: v.from, [`${key}_end`]: v.to })
  }
  if (r.not) o.not = null
  if (r.from !== undefined) prefix('src', r.from)
  else o.src = 'all'
  if (r.to !== undefined) prefix('dst', r.to)
  if (r.tos !== undefined) o.tos = `0x${r.tos.toString(16).padStart(2, '0')}`
  if (r.fwmark !== undefined) {
    o.fwmark = hex(r.fwmark)
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) o.fwmask = hex(r.fwmask)
  }
  for (const k of ['iif', 'oif'] as const) {
    const dev = r[k]
    if (dev === undefined) continue
    o[k] = dev
    if (!findLink(n, dev)) o[`${k}_detached`] = null
  }
  const l3mdev = r.unmodelled?.split(' ').includes('l3mdev') === true
  if (l3mdev) o.l3mdev = null
  if (r.uidrange) Object.assign(o, { uid_start: r.uidrange.from, uid_end: r.uidrange.to })
  if (r.ipproto !== undefined) o.ipproto = r.ipproto
  if (r.sport) range('sport', r.sport)
  if (r.dport) range('dport', r.dport)
  if (r.action === 'lookup' && !l3mdev) {
    o.table = tableName(r.table)
    if (r.suppressPrefixlength !== undefined) o.suppress_prefixlen = r.suppressPrefixlength
  } else if (r.action === 'goto') o.goto = r.goto
  else if (r.action === 'nop') o.nop = null
  else if (r.action !== 'lookup') o.action = r.action
  return o
}

/** Does a rule pass `ip rule show`'s filter (the fields the command gave must be equal)? */
function ruleFilter(spec: RuleSpec): (r: RoutingRule) => boolean {
  return (r) => findRule([r], spec) === 0
}

function ipRule(io: Io, g: Global, args: readonly string[]): number {
  const sub = args[0]
  const rest = args.slice(1)
  const n = ns(io, g)
  const rules = rulesOf(n)
  if (sub === undefined || matches(sub, 'list') || matches(sub, 'show') || sub === 'lst') {
    const shown = rules.filter(ruleFilter(parseRuleArgs(io, rest, true)))
    io.out(g.json ? `${iprouteJson(shown.map((r) => jsonRule(n, r)), g.pretty)}\n` : shown.map((r) => `${showRule(n, r)}\n`).join(''))
    return 0
  }
  if (matches(sub, 'add')) {
    const added = addRule(rules, parseRuleArgs(io, rest, false))
    if (!added.ok) return fail(io, `RTNETLINK answers: ${added.error}`, 2)
    setRules(io, g, added.rules)
    return 0
  }
  if (matches(sub, 'delete') || sub === 'del') {
    if (rest.length === 0) return fail(io, '"ip rule del" requires arguments.', 1)
    const at = findRule(rules, parseRuleArgs(io, rest, false))
    if (at < 0) return fail(io, 'RTNETLINK answers: No such file or directory', 2)
    setRules(io, g, rules.filter((_, i) => i !== at))
    return 0
  }
  if (matches(sub, 'flush')) {
    // iproute2 deletes what the dump gives a priority attribute: every rule but those at 0.
    const keep = ruleFilter(parseRuleArgs(io, rest, true))
    setRules(io, g, rules.filter((r) => r.priority === 0 || !keep(r)))
    return 0
  }
  if (matches(sub, 'help')) return fail(io, RULE_USAGE, 255)
  if (matches(sub, 'save') || matches(sub, 'restore')) return fail(io, `packetwalk: \`ip rule ${sub}\` (binary netlink dumps) is not simulated; use ip rule show / add`, 2)
  return fail(io, `Command "${sub}" is unknown, try "ip rule help".`, 255)
}

// ---- ip netns -------------------------------------------------------------------------------

function ipNetns(io: Io, g: Global, args: readonly string[]): number {
  const sub = args[0]
  const rest = args.slice(1)
  const w = io.sh.world
  if (sub === undefined || matches(sub, 'list') || matches(sub, 'show')) {
    const here = w.netns[g.netns]!
    const ids = netnsIds(here)
    // Peers seen from the peer side too: a netns whose veth points here has an id for us, and we for it.
    for (const n of Object.values(w.netns)) for (const l of n.links) if (l.kind === 'veth' && l.peer?.netns === g.netns && n.name !== g.netns && !ids.has(n.name)) ids.set(n.name, ids.size)
    const names = namedNetns(w, machineOf(w, w.netns[io.sh.machine] ?? here)).filter((x) => x !== g.netns)
    if (g.json) io.out(`${iprouteJson(names.map((x) => ({ name: netnsDisplayName(w, x), ...(ids.has(x) && { id: ids.get(x)! }) })), g.pretty)}\n`)
    else io.out(names.map((x) => `${netnsDisplayName(w, x)}${ids.has(x) ? ` (id: ${ids.get(x)!})` : ''}\n`).join(''))
    return 0
  }
  if (matches(sub, 'add')) {
    const name = rest[0]
    if (name === undefined) fail(io, 'No netns name specified', 255)
    if (name.includes('/') || name === '.' || name === '..') fail(io, `Invalid netns name "${name}"`, 255)
    // /run/netns/NAME exists when a netns goes by that name there (a pod's sandbox is cni-<uuid>, not the pod's name).
    if (Object.keys(w.netns).some((n) => runNetnsName(w, n) === name)) fail(io, `Cannot create namespace file "/run/netns/${name}": File exists`, 1)
    const node = w.netns[io.sh.machine]?.node
    op(io, () => addNetns(io.sh.world, newNetns(name, 'plain', { loUp: false, ...(node !== undefined && { node }) })))
    return 0
  }
  if (matches(sub, 'delete') || sub === 'del') {
    const name = rest[0]
    if (name === undefined) fail(io, 'No netns name specified', 255)
    op(io, () => delNetns(io.sh.world, resolveNetnsName(w, name) ?? name))
    return 0
  }
  if (matches(sub, 'exec')) {
    const name = rest[0]
    if (name === undefined) fail(io, 'No netns name specified', 255)
    const target = resolveNetnsName(w, name)
    if (!target) fail(io, `Cannot open network namespace "${name}": No such file or directory`, 255)
    const cmd = rest.slice(1)
    if (cmd.length === 0) fail(io, 'No command specified', 255)
    if (cmd.length === 1 && SHELLS.has(cmd[0]!)) {
      enterShell(io.sh, target)
      return 0
    }
    if (!findCommand(cmd[0]!)) fail(io, `exec of "${cmd[0]!}" failed: No such file or directory`, 1)
    return io.exec(cmd, { netns: target, stdin: io.stdin })
  }
  if (matches(sub, 'identify')) {
    io.out(g.netns !== io.sh.machine ? `${netnsDisplayName(w, g.netns)}\n` : '\n')
    return 0
  }
  if (matches(sub, 'pids')) {
    const target = resolveNetnsName(w, rest[0] ?? '')
    const pod = target ? w.netns[target]?.pod : undefined
    io.out(pod ? `${pod.pausePid}\n` : '')
    return 0
  }
  return fail(io, `Command "${sub}" is unknown, try "ip netns help".`, 255)
}
