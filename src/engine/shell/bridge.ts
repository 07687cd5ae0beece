/**
 * `bridge` (iproute2 6.1): `bridge link [show] [dev X]`, `bridge link set dev X hairpin on|off`,
 * `bridge fdb show [dev X] [br BR]`, `bridge fdb add|append|replace|del MAC dev X [dst IP]
 * [vni N] [self|master] [permanent|static|dynamic]`. An entry with `master` goes into the
 * bridge's table (the port's bridge); `self` (the default) into the device's own table, which
 * for a VXLAN device is the list of remote VTEPs (`dst`).
 */
import { NetError, findLink, putFdb, putNetns, setLinkFlag } from '../model/ops.ts'
import type { FdbEntry } from '../model/types.ts'
import { isIpv4, isMac, normalizeMac } from '../wire/addr.ts'
import { printBridgeFdb, printBridgeLink } from '../print/iproute2.ts'
import { matches } from './args.ts'
import type { Command, Io } from './session.ts'
import { resolveNetnsName } from './state.ts'

export const bridge: Command = (io, argv) => {
  let netns = io.netns
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
    } else if (!/^-(d|details|s|stats|c|color|j|json|p|pretty)$/.test(a)) {
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
  if (matches(obj, 'link')) return link(io, netns, args)
  if (matches(obj, 'fdb')) return fdb(io, netns, args)
  if (matches(obj, 'vlan') || matches(obj, 'mdb') || matches(obj, 'monitor') || matches(obj, 'vni')) {
    io.err(`packetwalk: \`bridge ${obj}\` is not simulated (bridges here have no VLANs or multicast groups)\n`)
    return 1
  }
  io.err(`Object "${obj}" is unknown, try "bridge help".\n`)
  return 255
}

function link(io: Io, netns: string, args: readonly string[]): number {
  const sub = args[0]
  const ns = io.sh.world.netns[netns]!
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list')) {
    let dev: string | undefined
    for (let i = 1; i < args.length; i++) if (args[i] === 'dev') dev = args[++i]
    if (dev !== undefined && !findLink(ns, dev)) {
      io.err(`Cannot find device "${dev}"\n`)
      return 1
    }
    io.out(printBridgeLink(ns, { w: io.sh.world, ...(dev !== undefined && { dev }) }))
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

function fdb(io: Io, netns: string, args: readonly string[]): number {
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
    io.out(printBridgeFdb(ns, { ...(dev !== undefined && { dev }), ...(br !== undefined && { br }) }))
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
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!
    if (a === 'dev') dev = args[++i]
    else if (a === 'dst') dst = args[++i]
    else if (a === 'vni') vni = Number(args[++i])
    else if (a === 'master') master = true
    else if (a === 'self') self = true
    else if (a === 'permanent' || a === 'static' || a === 'local') permanent = true
    else if (a === 'dynamic') permanent = false
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
  const entry: FdbEntry = { mac: normalizeMac(mac), dev: l.name, ...(onBridge ? { master: l.master! } : { self: true }), ...(dst !== undefined && { dst }), ...(vni !== undefined && { vni }), permanent, updated: io.sh.clock }
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
