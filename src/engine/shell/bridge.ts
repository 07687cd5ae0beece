/**
 * `bridge` (iproute2 6.1): `bridge link [show] [dev X]`, `bridge link set dev X hairpin on|off`,
 * `bridge fdb show [dev X] [br BR]`, `bridge fdb add|append|replace|del MAC dev X [dst IP]
 * [vni N] [self|master] [permanent|static|dynamic]`. An entry with `master` goes into the
 * bridge's table (the port's bridge); `self` (the default) into the device's own table, which
 * for a VXLAN device is the list of remote VTEPs (`dst`). `-j` (with `-p`) prints the same
 * listing as iproute2's JSON, built from the text lines so both always agree (field names and
 * order checked against bridge 6.1.0, golden/captured-errors.txt).
 */
import { NetError, findLink, putFdb, putNetns, setLinkFlag } from '../model/ops.ts'
import type { FdbEntry } from '../model/types.ts'
import { isIpv4, isMac, normalizeMac } from '../wire/addr.ts'
import { iprouteJson, printBridgeFdb, printBridgeLink } from '../print/iproute2.ts'
import { matches } from './args.ts'
import type { Command, Io } from './session.ts'
import { resolveNetnsName } from './state.ts'

export const bridge: Command = (io, argv) => {
  let netns = io.netns
  const json = { on: false, pretty: false }
  let i = 1
  while (argv[i]?.startsWith('-')) {
    const a = argv[i]!
    if (a === '-n' || a === '-netns') {
      const t = resolveNetnsName(io.sh.world, argv[++i] ?? '')
      if (!t) {
        io.err(`Cannot open network namespace "${argv[i] ?? ''}": No such file or directory\n`)
        return 255
      }
      netns = t
    } else if (a === '-j' || a === '-json') json.on = true
    else if (a === '-p' || a === '-pretty') json.pretty = true
    else if (!/^-(d|details|s|stats|c|color)$/.test(a)) {
      io.err(`Option "${a}" is unknown, try "bridge help".\n`)
      return 255
    }
    i++
  }
  const obj = argv[i]
  const args = argv.slice(i + 1)
  if (obj === undefined) {
    io.err('Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\n       bridge [ -force ] -batch filename\nwhere  OBJECT := { link | fdb | mdb | vlan | vni | monitor }\n       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |\n                    -o[neline] | -t[imestamp] | -n[etns] name |\n                    -com[pressvlans] -c[olor] -p[retty] -j[son] }\n')
    return 255
  }
  if (matches(obj, 'link')) return link(io, netns, args, json)
  if (matches(obj, 'fdb')) return fdb(io, netns, args, json)
  if (matches(obj, 'vlan') || matches(obj, 'mdb') || matches(obj, 'monitor') || matches(obj, 'vni')) {
    io.err(`packetwalk: \`bridge ${obj}\` is not simulated (bridges here have no VLANs or multicast groups)\n`)
    return 1
  }
  io.err(`Object "${obj}" is unknown, try "bridge help".\n`)
  return 255
}

interface JsonOpts {
  readonly on: boolean
  readonly pretty: boolean
}

/** `bridge -j link`'s object for one text line: `3: veth-a@cni0: <FLAGS> mtu 1500 master cni0 state forwarding priority 32 cost 2`. */
export function jsonBridgeLinkLine(line: string): Record<string, unknown> {
  const m = /^(\d+): ([^@:\s]+)(?:@(\S+))?: <([^>]*)> (.*)$/.exec(line.trimEnd())
  if (!m) return {}
  const o: Record<string, unknown> = { ifindex: Number(m[1]) }
  if (m[3] !== undefined) o.link = m[3]
  o.ifname = m[2]
  o.flags = m[4] === '' ? [] : m[4]!.split(',')
  const t = m[5]!.split(' ')
  for (let i = 0; i + 1 < t.length; i += 2) o[t[i]!] = /^\d+$/.test(t[i + 1]!) ? Number(t[i + 1]) : t[i + 1]
  return o
}

/**
 * `bridge -j fdb`'s object for one text line (iproute2 bridge/fdb.c order: mac, ifname, vlan,
 * dst, vni, viaIf, flags, master, state; a learned entry's state is "").
 *
 * @example
 * jsonFdbLine('0a:58:0a:f4:01:02 dev veth1 master cni0 ') // { mac: '0a:58:0a:f4:01:02', ifname: 'veth1', flags: [], master: 'cni0', state: '' }
 */
export function jsonFdbLine(line: string): Record<string, unknown> {
  const t = line.trimEnd().split(' ')
  const o: Record<string, unknown> = { mac: t[0] }
  const v: Record<string, string> = {}
  const flags: string[] = []
  let state = ''
  for (let i = 1; i < t.length; i++) {
    const k = t[i]!
    if (['dev', 'vlan', 'dst', 'vni', 'via', 'master'].includes(k)) v[k] = t[++i] ?? ''
    else if (k === 'self' || k === 'router' || k === 'extern_learn' || k === 'offload' || k === 'sticky') flags.push(k)
    else if (k === 'permanent' || k === 'static') state = k
  }
  if (v.dev !== undefined) o.ifname = v.dev
  if (v.vlan !== undefined) o.vlan = Number(v.vlan)
  if (v.dst !== undefined) o.dst = v.dst
  if (v.vni !== undefined) o.vni = Number(v.vni)
  if (v.via !== undefined) o.viaIf = v.via
  o.flags = flags
  if (v.master !== undefined) o.master = v.master
  o.state = state
  return o
}

/** Print text lines as `bridge -j` does: one array of their objects. */
function printJson(io: Io, text: string, each: (line: string) => Record<string, unknown>, json: JsonOpts): void {
  io.out(`${iprouteJson(text.split('\n').filter((l) => l !== '').map(each), json.pretty)}\n`)
}

function link(io: Io, netns: string, args: readonly string[], json: JsonOpts): number {
  const sub = args[0]
  const ns = io.sh.world.netns[netns]!
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list')) {
    let dev: string | undefined
    for (let i = 1; i < args.length; i++) if (args[i] === 'dev') dev = args[++i]
    if (dev !== undefined && !findLink(ns, dev)) {
      io.err(`Cannot find device "${dev}"\n`)
      return 1
    }
    const text = printBridgeLink(ns, { w: io.sh.world, ...(dev !== undefined && { dev }) })
    if (json.on) printJson(io, text, jsonBridgeLinkLine, json)
    else io.out(text)
    return 0
  }
  if (matches(sub, 'set')) {
    let dev: string | undefined
    let hairpin: boolean | undefined
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!
      if (a === 'dev') dev = args[++i]
      else if (a === 'hairpin') hairpin = args[++i] === 'on'
      else if (['learning', 'flood', 'cost', 'priority', 'state', 'guard', 'root_block', 'fastleave', 'neigh_suppress', 'isolated'].includes(a)) i++
    }
    const l = dev !== undefined ? findLink(ns, dev) : undefined
    if (!l) {
      io.err(`Cannot find device "${dev ?? ''}"\n`)
      return 1
    }
    if (hairpin !== undefined) io.sh.setWorld(setLinkFlag(io.sh.world, netns, l.name, { hairpin }))
    return 0
  }
  io.err(`Command "${sub}" is unknown, try "bridge link help".\n`)
  return 255
}

function fdb(io: Io, netns: string, args: readonly string[], json: JsonOpts): number {
  const sub = args[0]
  const ns = io.sh.world.netns[netns]!
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list')) {
    let dev: string | undefined
    let br: string | undefined
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!
      if (a === 'dev') dev = args[++i]
      else if (a === 'br' || a === 'brport') br = args[++i]
    }
    for (const d of [dev, br]) {
      if (d !== undefined && !findLink(ns, d)) {
        io.err(`Cannot find bridge device "${d}"\n`)
        return 1
      }
    }
    const text = printBridgeFdb(ns, { ...(dev !== undefined && { dev }), ...(br !== undefined && { br }) })
    if (json.on) printJson(io, text, jsonFdbLine, json)
    else io.out(text)
    return 0
  }
  const mode = matches(sub, 'add') ? 'add' : matches(sub, 'append') ? 'append' : matches(sub, 'replace') ? 'replace' : matches(sub, 'delete') || sub === 'del' ? 'del' : undefined
  if (!mode) {
    io.err(`Command "${sub}" is unknown, try "bridge fdb help".\n`)
    return 255
  }
  let mac: string | undefined
  let dev: string | undefined
  let dst: string | undefined
  let vni: number | undefined
  let master = false
  let self = false
  let permanent = true
  // No state word means `permanent`: on a bridge that is a local entry (the MAC is the host's).
  let local = true
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!
    if (a === 'dev') dev = args[++i]
    else if (a === 'dst') dst = args[++i]
    else if (a === 'vni') vni = Number(args[++i])
    else if (a === 'master') master = true
    else if (a === 'self') self = true
    else if (a === 'permanent' || a === 'local') [permanent, local] = [true, true]
    else if (a === 'static') [permanent, local] = [true, false]
    else if (a === 'dynamic') [permanent, local] = [false, false]
    else if (a === 'port' || a === 'via' || a === 'vlan' || a === 'src_vni') i++
    else if (a === 'router' || a === 'use' || a === 'extern_learn' || a === 'sticky') continue
    else if (mac === undefined) mac = a
    else {
      io.err(`Error: either "dev" is duplicate, or "${a}" is a garbage.\n`)
      return 255
    }
  }
  if (mac === undefined || dev === undefined) {
    io.err('Device and address are required arguments.\n')
    return 255
  }
  if (!isMac(mac)) {
    io.err(`Invalid mac address ${mac}\n`)
    return 255
  }
  if (dst !== undefined && !isIpv4(dst)) {
    io.err(`Error: inet address is expected rather than "${dst}".\n`)
    return 1
  }
  const l = findLink(ns, dev)
  if (!l) {
    io.err(`Cannot find device "${dev}"\n`)
    return 1
  }
  const onBridge = master && !self
  if (onBridge && !l.master) {
    io.err('RTNETLINK answers: Operation not supported\n')
    return 255
  }
  const entry: FdbEntry = { mac: normalizeMac(mac), dev: l.name, ...(onBridge ? { master: l.master! } : { self: true }), ...(dst !== undefined && { dst }), ...(vni !== undefined && { vni }), permanent, ...(onBridge && local && { local: true }), updated: io.sh.clock }
  if (mode === 'del') {
    const same = (f: FdbEntry) => f.mac === entry.mac && f.dev === entry.dev && (onBridge ? f.master === entry.master : !f.master || f.self) && (dst === undefined || f.dst === dst)
    if (!ns.fdb.some(same)) {
      io.err('RTNETLINK answers: No such file or directory\n')
      return 255
    }
    io.sh.setWorld(putNetns(io.sh.world, { ...ns, fdb: ns.fdb.filter((f) => !same(f)) }))
    return 0
  }
  try {
    io.sh.setWorld(putFdb(io.sh.world, netns, entry, mode))
  } catch (e) {
    if (e instanceof NetError) {
      // bridge exits 255 when the kernel refuses (checked: `fdb add` of an existing entry, `fdb del` of a missing one).
      io.err(`${e.message}\n`)
      return 255
    }
    throw e
  }
  return 0
}
