/**
 * Route lookup as the kernel's FIB does it for one netns: the local table first (addresses
 * of this netns, 127.0.0.0/8 on lo), then the main table by longest prefix, lowest metric.
 * Simplification: no policy routing (`ip rule`): only the local and main tables are consulted.
 */
import { ipToInt, parsePrefix } from '../wire/addr.ts'
import type { Ip, Prefix } from '../wire/addr.ts'
import type { Addr, Link, Netns, Route } from '../model/types.ts'

export type RouteResult =
  | { readonly kind: 'local'; readonly dev: string; readonly addr: Addr; readonly explain: string }
  | { readonly kind: 'route'; readonly route: Route; readonly index: number; readonly explain: string; readonly considered: number }
  | { readonly kind: 'none'; readonly explain: string }

const prefixCache = new WeakMap<Route, Prefix>()

export function routePrefix(r: Route): Prefix {
  let p = prefixCache.get(r)
  if (!p) {
    p = parsePrefix(r.dst)
    prefixCache.set(r, p)
  }
  return p
}

/**
 * The link and address in this netns that own `ip`, if any (the local table). Every address
 * has its `local IP` route, even on a down link (fib_add_ifaddr adds it before checking IFF_UP,
 * and NETDEV_DOWN keeps host-scope routes); an address on lo also makes its whole prefix
 * local (`local 127.0.0.0/8 dev lo`, AnyIP), and that route survives `ip link set lo down`.
 */
export function findLocalAddr(ns: Netns, ip: Ip): { link: Link; addr: Addr } | undefined {
  for (const link of ns.links) {
    for (const addr of link.addrs) if (addr.ip === ip) return { link, addr }
  }
  const v = ipToInt(ip)
  for (const link of ns.links) {
    if (link.kind !== 'loopback') continue
    const onLo = link.addrs.find((a) => a.len > 0 && a.len < 32 && !a.noprefixroute && ((ipToInt(a.ip) ^ v) >>> (32 - a.len)) === 0)
    if (onLo) return { link, addr: { ip, len: onLo.len, scope: 'host' } }
  }
  return undefined
}

function isBroadcastFor(ns: Netns, ip: Ip): boolean {
  if (ip === '255.255.255.255') return true
  const v = ipToInt(ip)
  return ns.links.some((l) => l.addrs.some((a) => a.len < 31 && ((ipToInt(a.ip) | ~(a.len === 0 ? 0 : (0xffffffff << (32 - a.len)) >>> 0)) >>> 0) === v))
}

/**
 * Look up `dst` in a netns. `oif` restricts to routes through that device (as `ip route get
 * … oif`). Routes through a down device are skipped, as the kernel flushes them.
 */
export function lookupRoute(ns: Netns, dst: Ip, opts: { oif?: string; skipLocal?: boolean } = {}): RouteResult {
  if (!opts.skipLocal) {
    const local = findLocalAddr(ns, dst)
    if (local) return { kind: 'local', dev: local.link.name, addr: local.addr, explain: `${dst} is a local address (on ${local.link.name}): local table` }
  }
  const v = ipToInt(dst)
  let best: { route: Route; index: number; p: Prefix } | undefined
  let considered = 0
  ns.routes.forEach((route, index) => {
    if (route.table !== 'main') return
    if (opts.oif && route.dev !== opts.oif) return
    if (route.dev) {
      const link = ns.links.find((l) => l.name === route.dev)
      if (!link || !link.up) return
    }
    const p = routePrefix(route)
    if (((v & p.mask) >>> 0) !== p.net) return
    considered++
    if (!best || p.len > best.p.len || (p.len === best.p.len && (route.metric ?? 0) < (best.route.metric ?? 0))) best = { route, index, p }
  })
  if (!best) return { kind: 'none', explain: `no route to ${dst} in the main table` }
  const { route, index, p } = best
  const why = considered > 1 ? `longest prefix /${p.len} of ${considered} matching routes` : `only matching route (/${p.len})`
  return { kind: 'route', route, index, considered, explain: `${describeRoute(route)}: ${why}` }
}

/**
 * One route as `ip route` prints it (without iproute2's trailing space): the one formatting of
 * a route line, used by the printer, the trace explanations and the import summary.
 */
export function describeRoute(r: Route): string {
  const parts: string[] = []
  if (r.type !== 'unicast') parts.push(r.type)
  parts.push(r.dst)
  if (r.via) parts.push('via', r.via)
  if (r.dev) parts.push('dev', r.dev)
  if (r.table !== 'main' && r.table !== 254) parts.push('table', String(r.table))
  if (r.proto && r.proto !== 'boot' && r.proto !== 'unspec') parts.push('proto', r.proto)
  if (r.scope !== 'global') parts.push('scope', r.scope)
  if (r.src) parts.push('src', r.src)
  if (r.metric !== undefined) parts.push('metric', String(r.metric))
  if (r.mtu !== undefined) parts.push('mtu', String(r.mtu))
  if (r.onlink) parts.push('onlink')
  return parts.join(' ')
}

/** Scope as the kernel ranks it: universe 0 < link 253 < host 254 (a smaller scope reaches further). */
function scopeRank(scope: Addr['scope']): number {
  return scope === 'host' ? 254 : scope === 'link' ? 253 : 0
}

/** An address's scope; iproute2 gives 127.x host scope when none is written. */
function addrScope(a: Addr): Addr['scope'] {
  return a.scope ?? (a.ip.startsWith('127.') ? 'host' : 'global')
}

/** The primary addresses of a link: a later address inside an earlier one's prefix is secondary. */
function primaryAddrs(link: Link): Addr[] {
  const out: Addr[] = []
  for (const a of link.addrs) {
    const v = ipToInt(a.ip)
    const secondary = out.some((p) => p.len === a.len && (p.len === 0 || ((ipToInt(p.ip) ^ v) >>> (32 - p.len)) === 0))
    if (!secondary) out.push(a)
  }
  return out
}

/**
 * The source address the kernel picks for a packet sent along a route (inet_select_addr):
 * the route's `src`; else a primary address of the out device within the route's `scope`, the
 * first in the next hop's subnet if any; else, devices in ifindex order (lo first), the first
 * primary address within scope that is not link scope. `scope` is the route's (default link,
 * as for a connected route; a gateway route is global and skips the device's link-scope
 * addresses). Checked: with none on the device, a global address on lo won over another
 * device's, and a link-scope address on another device was never taken.
 */
export function selectSource(ns: Netns, dev: string | undefined, nexthop: Ip | undefined, routeSrc?: Ip, scope: Route['scope'] = 'link'): Ip | undefined {
  if (routeSrc) return routeSrc
  const max = scopeRank(scope)
  const link = dev ? ns.links.find((l) => l.name === dev) : undefined
  const addrs = link ? primaryAddrs(link).filter((a) => scopeRank(addrScope(a)) <= max) : []
  if (nexthop) {
    const v = ipToInt(nexthop)
    const same = addrs.find((a) => a.len > 0 && ((ipToInt(a.ip) ^ v) >>> (32 - a.len)) === 0)
    if (same) return same.ip
  }
  if (addrs[0]) return addrs[0].ip
  const byIndex = [...ns.links].sort((a, b) => a.ifindex - b.ifindex)
  for (const l of byIndex) {
    for (const a of primaryAddrs(l)) if (addrScope(a) !== 'link' && scopeRank(addrScope(a)) <= max) return a.ip
  }
  return undefined
}

/**
 * The source a packet to `dst` sent along `route` gets (fib_result_prefsrc): selectSource with
 * the route's own `src`, next hop and scope.
 * @example routeSource(ns, { dst: 'default', via: '10.0.0.1', dev: 'eth0', scope: 'global', … }, '8.8.8.8') // eth0's global address
 */
export function routeSource(ns: Netns, route: Route, dst: Ip): Ip | undefined {
  return selectSource(ns, route.dev, route.via ?? dst, route.src, route.scope)
}

/**
 * `-m addrtype` classification of an address in a netns (LOCAL, BROADCAST, MULTICAST,
 * BLACKHOLE, UNREACHABLE, PROHIBIT, UNICAST). With `iface`, LOCAL only counts on that device
 * (`--limit-iface-in`).
 */
export function addrType(ns: Netns, ip: Ip, iface?: string): string {
  const local = findLocalAddr(ns, ip)
  if (local && (!iface || local.link.name === iface || local.link.kind === 'loopback')) return 'LOCAL'
  const v = ipToInt(ip)
  if (v >>> 28 === 0xe) return 'MULTICAST'
  if (isBroadcastFor(ns, ip)) return 'BROADCAST'
  const r = lookupRoute(ns, ip, { skipLocal: true })
  if (r.kind === 'route' && r.route.type !== 'unicast') {
    const t = r.route.type.toUpperCase()
    if (t === 'BLACKHOLE' || t === 'UNREACHABLE' || t === 'PROHIBIT') return t
  }
  return 'UNICAST'
}
