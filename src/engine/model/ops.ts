/**
 * Operations on the world that mirror what the kernel does when iproute2 asks: each
 * returns a new world, or throws a NetError carrying the message the real tool prints
 * ("RTNETLINK answers: File exists"). Automatic side effects follow the kernel: an address
 * on an up link adds its prefix route, a link going down removes the routes through it.
 */
import { cidrContains, isIpv4, macFromSeed, networkOf, parsePrefix, formatPrefix } from '../wire/addr.ts'
import type { Ip, Mac } from '../wire/addr.ts'
import { EMPTY_RULESET } from '../netfilter/types.ts'
import type { Ruleset } from '../netfilter/types.ts'
import { DEFAULT_SYSCTLS } from './types.ts'
import type { Addr, FdbEntry, Link, NeighEntry, Netns, NetnsKind, Route, Sysctls, World } from './types.ts'

/**
 * An error the real tool would print, word for word where we know it. `partial` is the world
 * after what the kernel did before it failed (a port leaves its bridge before a non-bridge
 * master refuses it); absent when the failed operation changed nothing.
 */
export class NetError extends Error {
  constructor(
    message: string,
    readonly code: 'EEXIST' | 'ENODEV' | 'ENOENT' | 'EINVAL' | 'ENETUNREACH' | 'EBUSY' | 'EOPNOTSUPP' = 'EINVAL',
    readonly partial?: World,
  ) {
    super(message)
    this.name = 'NetError'
  }
}

export function emptyWorld(): World {
  return { netns: {}, segments: {}, nodes: [] }
}

/**
 * A new netns. Its lo is up with 127.0.0.1/8 (as a node or a pod after the CNI loopback
 * plugin); `loUp: false` gives what `ip netns add` creates: lo down, no address.
 */
export function newNetns(name: string, kind: NetnsKind, opts: { node?: string; sysctl?: Partial<Sysctls>; ruleset?: Ruleset; loUp?: boolean } = {}): Netns {
  const loUp = opts.loUp ?? true
  const lo: Link = { kind: 'loopback', ifindex: 1, name: 'lo', mtu: 65536, mac: '00:00:00:00:00:00', up: loUp, addrs: loUp ? [{ ip: '127.0.0.1', len: 8, scope: 'host' }] : [], noarp: true }
  return {
    name,
    kind,
    ...(opts.node !== undefined && { node: opts.node }),
    links: [lo],
    routes: [],
    neigh: [],
    fdb: [],
    sysctl: { ...DEFAULT_SYSCTLS, ...opts.sysctl },
    netfilter: opts.ruleset ?? EMPTY_RULESET,
    ipsets: {},
    conntrack: [],
    recent: {},
    counters: {},
    listeners: [],
    nextIfindex: 2,
  }
}

export function addNetns(w: World, ns: Netns): World {
  if (w.netns[ns.name]) throw new NetError(`Cannot create namespace file "/run/netns/${ns.name}": File exists`, 'EEXIST')
  return { ...w, netns: { ...w.netns, [ns.name]: ns } }
}

/** `ip netns del`: a named netns goes, with its veths' peers; a machine's root netns has no /run/netns file to remove. */
export function delNetns(w: World, name: string): World {
  const ns = w.netns[name]
  if (!ns || ns.kind === 'host' || ns.kind === 'client') throw new NetError(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`, 'ENOENT')
  // Deleting a netns destroys its veths; the peers go with them.
  let out: World = { ...w, netns: { ...w.netns } }
  for (const l of ns.links) if (l.kind === 'veth' && l.peer && out.netns[l.peer.netns]) out = removeLinkOnly(out, l.peer.netns, l.peer.name)
  const { [name]: _gone, ...rest } = out.netns
  return { ...out, netns: rest }
}

export function getNetns(w: World, name: string): Netns {
  const ns = w.netns[name]
  if (!ns) throw new NetError(`Cannot open network namespace "${name}": No such file or directory`, 'ENOENT')
  return ns
}

export function findLink(ns: Netns, dev: string): Link | undefined {
  return ns.links.find((l) => l.name === dev || l.altnames?.includes(dev))
}

export function getLink(ns: Netns, dev: string): Link {
  const l = findLink(ns, dev)
  if (!l) throw new NetError(`Cannot find device "${dev}"`, 'ENODEV')
  return l
}

export function putNetns(w: World, ns: Netns): World {
  return { ...w, netns: { ...w.netns, [ns.name]: ns } }
}

export function updateNetns(w: World, name: string, f: (ns: Netns) => Netns): World {
  return putNetns(w, f(getNetns(w, name)))
}

function replaceLink(ns: Netns, link: Link): Netns {
  return { ...ns, links: ns.links.map((l) => (l.ifindex === link.ifindex ? link : l)) }
}

/**
 * The ifindex the kernel gives the next device of a netns: the lowest free one from the
 * netns's counter on (dev_index_reserve allocates cyclically, skipping indexes in use, such
 * as one a moved-in device kept).
 */
function allocIfindex(ns: Netns): number {
  let i = ns.nextIfindex
  while (ns.links.some((l) => l.ifindex === i)) i++
  return i
}

type Optional = 'ifindex' | 'mac' | 'addrs' | 'up' | 'mtu'
/** A link to create: the kernel fills in what is not given. */
export type NewLink = Link extends infer L ? (L extends Link ? Omit<L, Optional> & Partial<Pick<L, Optional>> : never) : never

/** `ip link add`: a new link in a netns, with the next ifindex and a stable MAC. */
export function addLink(w: World, netns: string, spec: NewLink): World {
  const ns = getNetns(w, netns)
  if (findLink(ns, spec.name)) throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  if (!/^[^\s/:]{1,15}$/.test(spec.name)) throw new NetError(`Error: argument "${spec.name}" is wrong: "name" not a valid ifname`)
  const ifindex = spec.ifindex ?? allocIfindex(ns)
  const defaultMtu = spec.kind === 'vxlan' ? 1450 : spec.kind === 'ipip' ? 1480 : 1500
  const link = { mtu: defaultMtu, up: false, addrs: [], mac: macFromSeed(`${netns}/${spec.name}`), ...spec, ifindex } as Link
  return putNetns(w, { ...ns, links: [...ns.links, link], nextIfindex: Math.max(ns.nextIfindex, ifindex + 1) })
}

/**
 * `ip link add A type veth peer name B [netns N]`: both ends, peered. veth_newlink registers
 * the peer first, so in one netns the peer B gets the lower ifindex (checked: `v1@v0` is 4,
 * `v0@v1` is 5).
 */
export function addVethPair(w: World, a: { netns: string; name: string; mac?: Mac; mtu?: number }, b: { netns: string; name: string; mac?: Mac; mtu?: number }): World {
  const nsA = getNetns(w, a.netns)
  const nsB = getNetns(w, b.netns)
  if (findLink(nsA, a.name) || findLink(nsB, b.name) || (a.netns === b.netns && a.name === b.name)) throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  const end = (x: typeof a, y: typeof a): NewLink => ({ kind: 'veth', name: x.name, peer: { netns: y.netns, name: y.name }, ...(x.mac && { mac: x.mac }), ...(x.mtu && { mtu: x.mtu }) })
  return addLink(addLink(w, b.netns, end(b, a)), a.netns, end(a, b))
}

function removeLinkOnly(w: World, netns: string, dev: string): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  return putNetns(w, {
    ...ns,
    links: ns.links.filter((l) => l.ifindex !== link.ifindex).map((l) => (l.master === link.name ? withoutMaster(l) : l)),
    routes: ns.routes.filter((r) => r.dev !== link.name),
    neigh: ns.neigh.filter((n) => n.dev !== link.name),
    fdb: ns.fdb.filter((f) => f.dev !== link.name && f.master !== link.name),
  })
}

function withoutMaster(l: Link): Link {
  const { master: _m, ...rest } = l
  return rest
}

/** A port leaves its bridge (br_del_if): the bridge forgets every FDB entry it had for the port. */
function detachPort(ns: Netns, link: Link): Netns {
  if (link.master === undefined) return ns
  return { ...replaceLink(ns, withoutMaster(link)), fdb: ns.fdb.filter((f) => !(f.dev === link.name && f.master === link.master && !f.self)) }
}

/** `ip link del DEV`: a veth takes its peer with it. */
export function delLink(w: World, netns: string, dev: string): World {
  const link = getLink(getNetns(w, netns), dev)
  if (link.kind === 'loopback') throw new NetError('RTNETLINK answers: Operation not supported')
  let out = removeLinkOnly(w, netns, dev)
  if (link.kind === 'veth' && link.peer && out.netns[link.peer.netns] && findLink(out.netns[link.peer.netns]!, link.peer.name)) out = removeLinkOnly(out, link.peer.netns, link.peer.name)
  return out
}

/** `ip link set DEV up|down`. Up adds the prefix routes of its addresses; down flushes routes through it. */
export function setLinkUp(w: World, netns: string, dev: string, up: boolean): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  if (link.up === up) return w
  let next = replaceLink(ns, { ...link, up })
  if (up) {
    for (const a of link.addrs) next = addPrefixRoute(next, link.name, a)
  } else {
    // arp_ifdown → neigh_ifdown flushes every neighbour of the device, PERMANENT ones too (checked).
    next = { ...next, routes: next.routes.filter((r) => r.dev !== link.name), neigh: next.neigh.filter((n) => n.dev !== link.name) }
  }
  return putNetns(w, next)
}

export function setLinkMtu(w: World, netns: string, dev: string, mtu: number): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new NetError(`Error: mtu less than device minimum.`)
  return putNetns(w, replaceLink(ns, { ...link, mtu }))
}

/**
 * `ip link set DEV master BR` (or nomaster with `bridge` undefined). As do_set_master does, a
 * port first leaves its old bridge, so a refused master (not a bridge) still detaches it:
 * the NetError then carries that world as `partial`.
 */
export function setMaster(w: World, netns: string, dev: string, bridge: string | undefined): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  if (bridge === undefined) return putNetns(w, detachPort(ns, link))
  const br = getLink(ns, bridge)
  if (link.master === br.name) return w
  const detached = detachPort(ns, link)
  const refuse = (message: string, code: NetError['code']): never => {
    throw new NetError(message, code, link.master !== undefined ? putNetns(w, detached) : undefined)
  }
  if (br.kind !== 'bridge') refuse('RTNETLINK answers: Operation not supported', 'EOPNOTSUPP')
  // br_add_if: a bridge is never a port, and a port must be an Ethernet device.
  if (link.kind === 'bridge') refuse('Error: Can not enslave a bridge to a bridge.', 'EINVAL')
  if (link.kind === 'loopback' || link.kind === 'ipip') refuse('RTNETLINK answers: Invalid argument', 'EINVAL')
  // Enslaving adds the port's own MAC to the bridge FDB as a local permanent entry.
  const own: FdbEntry = { mac: link.mac, dev: link.name, master: br.name, permanent: true, local: true }
  const fdb = [...detached.fdb.filter((f) => !(f.dev === link.name && f.master === br.name)), own]
  return putNetns(w, { ...replaceLink(detached, { ...link, master: br.name, hairpin: link.hairpin ?? false }), fdb })
}

/**
 * `ip link set DEV netns OTHER`: the link moves, down and without addresses, as the kernel
 * does; it keeps its ifindex when that index is free in the target (else it gets the next
 * one there). Bridges and lo are netns-local (NETIF_F_NETNS_LOCAL) and cannot move.
 */
export function moveLink(w: World, netns: string, dev: string, target: string, newName?: string): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  const dest = getNetns(w, target)
  const name = newName ?? link.name
  if (link.kind === 'bridge' || link.kind === 'loopback') throw new NetError('Error: The interface netns is immutable.', 'EINVAL')
  if (findLink(dest, name)) throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  let out = removeLinkOnly(w, netns, dev)
  const keep = !dest.links.some((l) => l.ifindex === link.ifindex)
  const ifindex = keep ? link.ifindex : allocIfindex(dest)
  const moved = { ...withoutMaster(link), name, up: false, addrs: [], ifindex } as Link
  out = putNetns(out, { ...getNetns(out, target), links: [...getNetns(out, target).links, moved], nextIfindex: keep ? dest.nextIfindex : ifindex + 1 })
  // The peer now points at the new location.
  if (link.kind === 'veth' && link.peer) {
    const peerNs = out.netns[link.peer.netns]
    const peer = peerNs && findLink(peerNs, link.peer.name)
    if (peerNs && peer && peer.kind === 'veth') out = putNetns(out, replaceLink(peerNs, { ...peer, peer: { netns: target, name } }))
  }
  return out
}

export function renameLink(w: World, netns: string, dev: string, name: string): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  if (findLink(ns, name)) throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  let out = putNetns(w, {
    ...replaceLink(ns, { ...link, name }),
    routes: ns.routes.map((r) => (r.dev === dev ? { ...r, dev: name } : r)),
  })
  if (link.kind === 'veth' && link.peer) {
    const peerNs = out.netns[link.peer.netns]
    const peer = peerNs && findLink(peerNs, link.peer.name)
    if (peerNs && peer && peer.kind === 'veth') out = putNetns(out, replaceLink(peerNs, { ...peer, peer: { netns, name } }))
  }
  return out
}

function addPrefixRoute(ns: Netns, dev: string, a: Addr): Netns {
  if (a.len === 32 || a.noprefixroute || a.scope === 'host') return ns
  const dst = `${networkOf(a.ip, a.len)}/${a.len}`
  if (ns.routes.some((r) => r.dst === dst && r.dev === dev && r.proto === 'kernel')) return ns
  const route: Route = { dst, type: 'unicast', table: 'main', dev, scope: 'link', src: a.ip, proto: 'kernel' }
  return { ...ns, routes: [...ns.routes, route] }
}

/** `ip addr add IP/LEN dev DEV`. */
export function addAddr(w: World, netns: string, dev: string, cidr: string, extra: Partial<Addr> = {}): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  const slash = cidr.indexOf('/')
  const ip = slash < 0 ? cidr : cidr.slice(0, slash)
  const len = slash < 0 ? 32 : Number(cidr.slice(slash + 1))
  if (!isIpv4(ip) || !Number.isInteger(len) || len < 0 || len > 32) throw new NetError(`Error: inet prefix is expected rather than "${cidr}".`)
  // __inet_insert_ifa refuses the same address with the same mask; another mask is another address.
  if (link.addrs.some((a) => a.ip === ip && a.len === len)) throw new NetError('Error: ipv4: Address already assigned.', 'EEXIST')
  const addr: Addr = { ip, len, scope: link.kind === 'loopback' || ip.startsWith('127.') ? 'host' : 'global', ...extra }
  let next = replaceLink(ns, { ...link, addrs: [...link.addrs, addr] })
  if (link.up) next = addPrefixRoute(next, link.name, addr)
  return putNetns(w, next)
}

/** `ip addr del IP/LEN dev DEV`; without `/LEN` the first address with that IP (iproute2's wildcard deletion). */
export function delAddr(w: World, netns: string, dev: string, cidr: string): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  const [ip, len] = cidr.split('/')
  const addr = link.addrs.find((a) => a.ip === ip && (len === undefined || a.len === Number(len)))
  if (!addr) throw new NetError('Error: ipv4: Address not found.', 'ENOENT')
  const prefix = `${networkOf(addr.ip, addr.len)}/${addr.len}`
  return putNetns(w, {
    ...replaceLink(ns, { ...link, addrs: link.addrs.filter((a) => a !== addr) }),
    routes: ns.routes.filter((r) => !(r.proto === 'kernel' && r.dev === dev && r.dst === prefix && r.src === addr.ip)),
  })
}

/** Normalise a route destination the way `ip route` prints it (`default`, `a.b.c.d/len`, host routes bare). */
export function canonicalDst(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default'
  const p = parsePrefix(dst)
  return p.len === 32 ? formatPrefix(p).slice(0, -3) : formatPrefix(p)
}

/** `ip route add|append|replace`. Validates the way the kernel does for the cases that matter. */
export function addRoute(w: World, netns: string, route: Route, mode: 'add' | 'replace' | 'append' = 'add'): World {
  const ns = getNetns(w, netns)
  let r: Route = { ...route, dst: canonicalDst(route.dst) }
  if (r.dev) {
    const link = findLink(ns, r.dev)
    if (!link) throw new NetError(`Cannot find device "${r.dev}"`, 'ENODEV')
    if (!link.up && r.type === 'unicast') throw new NetError('Error: Device for nexthop is not up.', 'ENETUNREACH')
  }
  if (r.via && !r.onlink && r.type === 'unicast') {
    // fib_check_nh: the gateway must be on-link through a connected route, whose device the route takes when it names none.
    const via = r.via
    const conn = ns.routes.find((x) => x.type === 'unicast' && x.scope === 'link' && x.dev !== undefined && (!r.dev || x.dev === r.dev) && cidrContains(x.dst, via))
    if (!conn) throw new NetError('Error: Nexthop has invalid gateway.', 'ENETUNREACH')
    if (!r.dev) r = { ...r, dev: conn.dev! }
  }
  const same = (x: Route) => x.dst === r.dst && x.table === r.table && (x.metric ?? 0) === (r.metric ?? 0)
  if (mode === 'add' && ns.routes.some(same)) throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  const routes = mode === 'replace' ? [...ns.routes.filter((x) => !same(x)), r] : [...ns.routes, r]
  return putNetns(w, { ...ns, routes })
}

export function delRoute(w: World, netns: string, match: { dst: string; dev?: string; via?: Ip; table?: Route['table'] }): World {
  const ns = getNetns(w, netns)
  const dst = canonicalDst(match.dst)
  const idx = ns.routes.findIndex((r) => r.dst === dst && (!match.dev || r.dev === match.dev) && (!match.via || r.via === match.via) && (match.table === undefined || r.table === match.table))
  if (idx < 0) throw new NetError('RTNETLINK answers: No such process', 'ENOENT')
  return putNetns(w, { ...ns, routes: ns.routes.filter((_, i) => i !== idx) })
}

/** `ip neigh add|replace`. */
export function putNeigh(w: World, netns: string, entry: NeighEntry, mode: 'add' | 'replace' = 'replace'): World {
  const ns = getNetns(w, netns)
  getLink(ns, entry.dev)
  const exists = ns.neigh.some((n) => n.ip === entry.ip && n.dev === entry.dev)
  if (exists && mode === 'add') throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  return putNetns(w, { ...ns, neigh: [...ns.neigh.filter((n) => !(n.ip === entry.ip && n.dev === entry.dev)), entry] })
}

/** `bridge fdb add|append|replace`. `append` allows several entries for one MAC (VXLAN flood lists). */
export function putFdb(w: World, netns: string, entry: FdbEntry, mode: 'add' | 'append' | 'replace' = 'replace'): World {
  const ns = getNetns(w, netns)
  getLink(ns, entry.dev)
  const same = (f: FdbEntry) => f.mac === entry.mac && f.dev === entry.dev && f.master === entry.master
  if (mode === 'append') {
    // vxlan_fdb_append: a remote the entry already has is accepted and changes nothing (checked: exit 0, one entry).
    if (ns.fdb.some((f) => same(f) && f.dst === entry.dst)) return w
    return putNetns(w, { ...ns, fdb: [...ns.fdb, entry] })
  }
  if (mode === 'add' && ns.fdb.some(same)) throw new NetError('RTNETLINK answers: File exists', 'EEXIST')
  return putNetns(w, { ...ns, fdb: [...ns.fdb.filter((f) => !same(f)), entry] })
}

export function setSysctl(w: World, netns: string, key: keyof Sysctls, value: Sysctls[keyof Sysctls]): World {
  const ns = getNetns(w, netns)
  return putNetns(w, { ...ns, sysctl: { ...ns.sysctl, [key]: value } })
}

export function setLinkFlag(w: World, netns: string, dev: string, patch: Partial<Pick<Link, 'hairpin' | 'proxyArp' | 'noarp' | 'mac' | 'rpFilter'>>): World {
  const ns = getNetns(w, netns)
  const link = getLink(ns, dev)
  return putNetns(w, replaceLink(ns, { ...link, ...patch }))
}

export function allAddrs(ns: Netns): { dev: string; addr: Addr }[] {
  return ns.links.flatMap((l) => l.addrs.map((addr) => ({ dev: l.name, addr })))
}

/** Which netns owns an address (first match), for `--from IP`. */
export function netnsOwning(w: World, ip: Ip): Netns | undefined {
  for (const ns of Object.values(w.netns)) if (ns.links.some((l) => l.addrs.some((a) => a.ip === ip) && l.kind !== 'loopback')) return ns
  return undefined
}
