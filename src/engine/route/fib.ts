/**
 * Route lookup as the kernel's FIB does it for one netns: the local table first (addresses
 * of this netns, 127.0.0.0/8 on lo), then the main table by longest prefix, lowest metric.
 * Policy routing (`ip rule`) picks the table; see lookupRoute.
 */
import { ipToInt, parsePrefix } from '../wire/addr.ts'
import type { Ip, Prefix } from '../wire/addr.ts'
import type { Addr, Link, Netns, Route, RoutingRule } from '../model/types.ts'
import { describeRule, isDefaultRules, printRule, tableName } from './rules.ts'

export type RouteResult =
  | { readonly kind: 'local'; readonly dev: string; readonly addr: Addr; readonly explain: string }
  /** `rule`: the policy rule whose table held the route (absent with the default rules); index -1 for a rule's own blackhole/unreachable/prohibit. */
  | { readonly kind: 'route'; readonly route: Route; readonly index: number; readonly explain: string; readonly considered: number; readonly rule?: RoutingRule }
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

/** What a lookup knows of the packet besides its destination (the kernel's flowi4). */
export interface FlowKey {
  /** Restrict to routes through this device (`ip route get … oif`, a socket bound to it); also the flow's oif for `ip rule oif`. */
  readonly oif?: string
  /** Skip the local table (the caller already knows the address is not local, or wants the route beyond it). */
  readonly skipLocal?: boolean
  /** Source address; absent = not chosen yet (0.0.0.0: only `from all` rules match). */
  readonly src?: Ip
  /** Input device; a locally generated packet's is lo (`iif lo` rules). Absent = lo. */
  readonly iif?: string
  readonly mark?: number
  readonly proto?: 'tcp' | 'udp' | 'icmp'
  readonly sport?: number
  readonly dport?: number
}

/**
 * Look up `dst` in a netns as fib_lookup does: the policy rules in priority order (the three
 * defaults when the netns has none: local, main, default); a matching rule's table is
 * searched by longest prefix then lowest metric; a table with no route (or a `throw` route)
 * passes to the next rule, as does a route `suppress_prefixlength` rejects; a `blackhole`,
 * `unreachable` or `prohibit` rule ends the lookup with that error (returned as a route of
 * that type, `index` -1, `rule` set). Routes through a down device are skipped, as the
 * kernel flushes them.
 */
export function lookupRoute(ns: Netns, dst: Ip, opts: FlowKey = {}): RouteResult {
  const r = lookupRules(ns, dst, opts)
  if (opts.oif === undefined || (opts.iif !== undefined && opts.iif !== 'lo')) return r
  if (r.kind === 'local' || (r.kind === 'route' && r.route.type === 'unicast')) return r
  // ip_route_output_key_hash_rcu: an output lookup bound to a device that fails ("the tables
  // are wrong") assumes the destination is on that device's link.
  const link = ns.links.find((l) => l.name === opts.oif)
  if (!link || !link.up) return r
  const route: Route = { dst, type: 'unicast', table: 'main', dev: opts.oif, scope: 'link', proto: 'unspec' }
  return { kind: 'route', route, index: -1, considered: 0, explain: `no route through ${opts.oif}: the kernel assumes ${dst} is on ${opts.oif}'s link` }
}

function lookupRules(ns: Netns, dst: Ip, opts: FlowKey): RouteResult {
  const rules = ns.rules
  if (isDefaultRules(rules)) {
    if (!opts.skipLocal) {
      const local = lookupLocal(ns, dst)
      if (local) return local
    }
    const main = lookupTable(ns, 'main', dst, opts.oif)
    if (main && main.route.type !== 'throw') return routeResult(main, undefined)
    const dflt = lookupTable(ns, 253, dst, opts.oif)
    if (dflt && dflt.route.type !== 'throw') return routeResult(dflt, undefined)
    return { kind: 'none', explain: `no route to ${dst} in the main table` }
  }
  const tried: string[] = []
  for (let i = 0; i < rules!.length; i++) {
    const rule = rules![i]!
    if (!ruleMatches(rule, dst, opts)) continue
    if (rule.action === 'goto') {
      // The kernel resolves the target when the rule is added: the first rule with exactly that priority.
      const at = rules!.findIndex((r) => r.priority === rule.goto)
      if (at <= i) continue
      i = at - 1
      continue
    }
    if (rule.action === 'nop') continue
    if (rule.action !== 'lookup') return ruleFailure(rule, dst)
    const table = rule.table ?? 'main'
    if (table === 'local') {
      if (opts.skipLocal) continue
      const local = lookupLocal(ns, dst)
      if (local) return local
      continue
    }
    const hit = lookupTable(ns, table, dst, opts.oif)
    if (!hit) {
      tried.push(`rule ${rule.priority}: table ${tableName(table)} has no route`)
      continue
    }
    if (hit.route.type === 'throw') {
      tried.push(`rule ${rule.priority}: throw route ${hit.route.dst} in table ${tableName(table)}`)
      continue
    }
    if (rule.suppressPrefixlength !== undefined && hit.route.type === 'unicast' && hit.p.len <= rule.suppressPrefixlength) {
      tried.push(`rule ${rule.priority}: /${hit.p.len} suppressed (suppress_prefixlength ${rule.suppressPrefixlength})`)
      continue
    }
    return routeResult(hit, rule, tried)
  }
  return { kind: 'none', explain: `no route to ${dst}: ${tried.length > 0 ? `${tried.join('; ')}; ` : ''}no other rule matched (Network is unreachable)` }
}

/**
 * The lookup `ip route get` asks for: inet_rtm_getroute builds a UDP packet with ports 0 unless
 * `ipproto`, `sport` or `dport` say otherwise (a rule `ipproto udp` matches a bare route get).
 */
export function lookupRouteGet(ns: Netns, dst: Ip, flow: FlowKey = {}): RouteGetResult {
  const { src, ...rest } = flow
  const output = flow.iif === undefined || flow.iif === 'lo'
  if (src !== undefined && src !== '0.0.0.0' && output) {
    // ip_route_output_key_hash_rcu: a multicast, broadcast or 0/8 source is invalid; any other
    // source must be local (`from 0.0.0.0` is no source at all).
    const v = ipToInt(src)
    if (v >>> 28 === 0xe || v === 0xffffffff || v >>> 24 === 0) return { kind: 'refused', errno: 'EINVAL', explain: `${src} cannot be a source address` }
    if (!findLocalAddr(ns, src)) return { kind: 'refused', errno: 'ENETUNREACH', explain: `${src} is not a local address: an output lookup from it fails` }
  }
  return lookupRoute(ns, dst, { proto: 'udp', sport: 0, dport: 0, ...rest, ...(src !== undefined && src !== '0.0.0.0' && { src }) })
}

/** A lookup's result, or the kernel's refusal of the question itself (`ip route get … from` a foreign address). */
export type RouteGetResult = RouteResult | { readonly kind: 'refused'; readonly errno: RouteErrno; readonly explain: string }

export type RouteErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL'

/**
 * The error a failed lookup gives a local caller, or undefined when it routes: no route (and
 * an `unreachable` rule) ENETUNREACH, an `unreachable` route EHOSTUNREACH, `prohibit` EACCES,
 * `blackhole` EINVAL (fib_props and fib4_rule_action).
 */
export function routeErrno(r: RouteGetResult): RouteErrno | undefined {
  if (r.kind === 'refused') return r.errno
  if (r.kind === 'none') return 'ENETUNREACH'
  if (r.kind === 'local') return undefined
  switch (r.route.type) {
    case 'blackhole':
      return 'EINVAL'
    case 'unreachable':
      return r.index < 0 && r.rule ? 'ENETUNREACH' : 'EHOSTUNREACH'
    case 'prohibit':
      return 'EACCES'
    default:
      return undefined
  }
}

/** strerror of a route errno, as ping and iproute2 print it. */
export const ROUTE_ERRNO_TEXT: Readonly<Record<RouteErrno, string>> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
}

/** `sysctl`: for an rp_filter refusal, the setting that decided (conf.all or the device's). */
export type SourceCheck = { readonly ok: true } | { readonly ok: false; readonly why: 'martian' | 'rp_filter'; readonly explain: string; readonly sysctl?: { readonly key: string; readonly value: string } }

/**
 * fib_validate_source for a packet that came in on `inDev` and is delivered locally or
 * forwarded (`outDev`; `l4` the packet's protocol and ports). With rp_filter 0 and only the
 * default rules, a source that is one of this netns's own addresses is a martian. Otherwise
 * the route back to the source decides: a local answer makes a martian; no route (or a
 * blackhole, unreachable or prohibit one) fails rp_filter and passes without it; a route back
 * through `inDev` passes; strict rp_filter (1) refuses any other device, and so does loose (2)
 * when `inDev` has no address. accept_local is 0 here.
 * @example validateSource(ns, '10.0.0.9', '10.0.0.1', 'eth1') // { ok: false, why: 'rp_filter', … } when rp_filter is 1 and the route to 10.0.0.9 is via eth0
 */
export function validateSource(ns: Netns, src: Ip, dst: Ip, inDev: string, outDev?: string, l4?: { readonly proto?: FlowKey['proto']; readonly sport?: number; readonly dport?: number }): SourceCheck {
  const inLink = ns.links.find((l) => l.name === inDev)
  // IN_DEV_RPFILTER: the larger of conf.all and the device's own setting.
  const rpf = Math.max(ns.sysctl['net.ipv4.conf.all.rp_filter'], inLink?.rpFilter ?? 0)
  if (rpf === 0 && isDefaultRules(ns.rules)) {
    return findLocalAddr(ns, src) ? { ok: false, why: 'martian', explain: `martian source: ${src} is an address of ${ns.name} itself, yet the packet came in on ${inDev}` } : { ok: true }
  }
  const sysctl = { key: (inLink?.rpFilter ?? 0) > ns.sysctl['net.ipv4.conf.all.rp_filter'] ? `net.ipv4.conf.${inDev}.rp_filter` : 'net.ipv4.conf.all.rp_filter', value: String(rpf) }
  // The reverse lookup: from the packet's destination to its source, input device lo (or, when
  // forwarding, the output device: __fib_validate_source's flowi4_iif), mark 0.
  // With rules that select on protocol or ports the kernel dissects the packet for this lookup
  // too, ports swapped (fib4_rules_early_flow_dissect).
  const back = lookupRoute(ns, src, { src: dst, iif: outDev ?? 'lo', mark: 0, ...(l4?.proto && { proto: l4.proto }), ...(l4?.dport !== undefined && { sport: l4.dport }), ...(l4?.sport !== undefined && { dport: l4.sport }) })
  const lastResort = (why: string): SourceCheck => (rpf !== 0 ? { ok: false, why: 'rp_filter', explain: `rp_filter=${rpf}: ${why}`, sysctl } : { ok: true })
  // A lookup that fails (no route, or a blackhole/unreachable/prohibit route or rule: fib_lookup
  // returns their error) is the last resort; only a local answer makes a martian.
  if (back.kind === 'none') return lastResort(`no route back to ${src}`)
  if (back.kind === 'local') return { ok: false, why: 'martian', explain: `martian source: ${src} is an address of ${ns.name} itself, yet the packet came in on ${inDev}` }
  if (back.route.type !== 'unicast') return lastResort(`the way back to ${src} ends in ${back.route.type}`)
  if (back.route.dev === inDev) return { ok: true }
  if (!inLink || inLink.addrs.length === 0) return lastResort(`the route back to ${src} leaves by ${back.route.dev ?? '?'}, not ${inDev}, which has no address`)
  if (rpf === 1) return { ok: false, why: 'rp_filter', explain: `rp_filter=1 (strict): the route back to ${src} leaves by ${back.route.dev ?? '?'}, not ${inDev} where the packet came in`, sysctl }
  return { ok: true }
}

interface TableHit {
  readonly route: Route
  readonly index: number
  readonly p: Prefix
  readonly considered: number
}

function lookupLocal(ns: Netns, dst: Ip): RouteResult | undefined {
  const local = findLocalAddr(ns, dst)
  return local && { kind: 'local', dev: local.link.name, addr: local.addr, explain: `${dst} is a local address (on ${local.link.name}): local table` }
}

/** Longest prefix, then lowest metric, among the table's routes through devices that are up. */
function lookupTable(ns: Netns, table: Route['table'], dst: Ip, oif: string | undefined): TableHit | undefined {
  const v = ipToInt(dst)
  let best: TableHit | undefined
  let considered = 0
  const routes = ns.routes
  for (let index = 0; index < routes.length; index++) {
    const route = routes[index]!
    if (route.table !== table) continue
    if (oif && route.dev !== oif) continue
    if (route.dev) {
      const link = ns.links.find((l) => l.name === route.dev)
      if (!link || !link.up) continue
    }
    const p = routePrefix(route)
    if (((v & p.mask) >>> 0) !== p.net) continue
    considered++
    if (!best || p.len > best.p.len || (p.len === best.p.len && (route.metric ?? 0) < (best.route.metric ?? 0))) best = { route, index, p, considered: 0 }
  }
  return best && { ...best, considered }
}

function routeResult(hit: TableHit, rule: RoutingRule | undefined, tried: readonly string[] = []): RouteResult {
  const { route, index, p, considered } = hit
  const why = considered > 1 ? `longest prefix /${p.len} of ${considered} matching routes` : `only matching route (/${p.len})`
  const by = rule ? `rule ${rule.priority} (${describeRule(rule)})${tried.length > 0 ? ` after ${tried.join('; ')}` : ''}: ` : ''
  return { kind: 'route', route, index, considered, explain: `${by}${describeRoute(route)}: ${why}`, ...(rule && { rule }) }
}

/** A blackhole/unreachable/prohibit rule: the lookup fails with its error (EINVAL, ENETUNREACH, EACCES). */
function ruleFailure(rule: RoutingRule, dst: Ip): RouteResult {
  const route: Route = { dst: rule.to ?? 'default', type: rule.action as 'blackhole' | 'unreachable' | 'prohibit', table: 'main', scope: 'global', proto: 'unspec', ...(rule.source && { source: rule.source }), raw: printRule(rule) }
  return { kind: 'route', route, index: -1, considered: 0, rule, explain: `rule ${rule.priority} (${describeRule(rule)}) matches ${dst}: the lookup ends in ${rule.action}` }
}

/** fib_rule_match and fib4_rule_match: every selector the rule has, then `not`. */
export function ruleMatches(rule: RoutingRule, dst: Ip, flow: FlowKey): boolean {
  if (rule.unmodelled !== undefined) return false
  let ok = true
  if (rule.iif !== undefined && rule.iif !== (flow.iif ?? 'lo')) ok = false
  else if (rule.oif !== undefined && rule.oif !== flow.oif) ok = false
  else if (rule.fwmark !== undefined && ((((flow.mark ?? 0) ^ rule.fwmark) & (rule.fwmask ?? 0xffffffff)) >>> 0) !== 0) ok = false
  else if (rule.uidrange !== undefined && rule.uidrange.from > 0) ok = false // sockets here are root's, and a forwarded packet's uid is 0
  else if (rule.tos !== undefined && rule.tos !== 0) ok = false // the model sends TOS 0
  else if (rule.ipproto !== undefined && rule.ipproto !== flow.proto) ok = false
  else if (rule.sport !== undefined && !inRange(rule.sport, flow.proto === 'icmp' ? 0 : flow.sport)) ok = false
  else if (rule.dport !== undefined && !inRange(rule.dport, flow.proto === 'icmp' ? 0 : flow.dport)) ok = false
  else if (rule.from !== undefined && !prefixMatches(rule.from, flow.src ?? '0.0.0.0')) ok = false
  else if (rule.to !== undefined && !prefixMatches(rule.to, dst)) ok = false
  return rule.not ? !ok : ok
}

function inRange(r: { readonly from: number; readonly to: number }, port: number | undefined): boolean {
  return port !== undefined && port >= r.from && port <= r.to
}

function prefixMatches(prefix: string, ip: Ip): boolean {
  const p = parsePrefix(prefix)
  return ((ipToInt(ip) & p.mask) >>> 0) === p.net
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
  if (r.table !== 'main' && r.table !== 254) parts.push('table', tableName(r.table))
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
