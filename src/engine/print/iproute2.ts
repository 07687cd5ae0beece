/**
 * iproute2's output formats for a netns, the one printer every view uses (the shell, the
 * kube layer's diffs, scenario state checks, the inspectors): `ip link` / `ip addr` (with
 * `-d`, `-br`, `-j`, `-j -p`), `ip route` / `ip -j route`, `ip route get`, `ip neigh`,
 * `bridge link` and `bridge fdb show`. Formats are iproute2 6.1's on kernel 6.18, pinned to
 * real captures (print/fixtures and shell/golden/captured.txt).
 *
 * How peers are named: a veth whose peer is in the same netns prints `veth0@veth1`; else
 * `@ifN` with the peer's ifindex, and `link-netns NAME` when the peer's netns has a name in
 * /run/netns (made by `ip netns add`, or a pod's CNI netns `cni-<uuid>`), `link-netnsid N`
 * when it has none (a machine's root netns).
 * Simplification: no IPv6 (captured with IPv6 disabled, so no `inet6` lines and only the
 * two all-hosts multicast FDB entries), no statistics (`-s`), and a device's qdisc follows
 * its state (the kernel keeps `noqueue` after a device went down again).
 */
import type { Addr, FdbEntry, Link, NeighEntry, Netns, Route, World } from '../model/types.ts'
import { ROUTE_ERRNO_TEXT, describeRoute, lookupRouteGet, routeErrno, routeSource } from '../route/fib.ts'
import type { FlowKey } from '../route/fib.ts'
import { isDefaultRules, tableName } from '../route/rules.ts'
import { ipToInt, networkOf, tryParsePrefix } from '../wire/addr.ts'
import type { Ip } from '../wire/addr.ts'

// ---- links: carrier, flags, state, names ------------------------------------------------------

/** A veth's other end, when the world holds it. */
function peerOf(w: World | undefined, l: Link): { ns: Netns; link: Link } | undefined {
  if (l.kind !== 'veth' || !l.peer || !w) return undefined
  const ns = w.netns[l.peer.netns]
  const link = ns?.links.find((x) => x.name === l.peer!.name)
  return ns && link ? { ns, link } : undefined
}

/**
 * Has the link carrier (LOWER_UP)? A veth needs its peer up (without a world the peer is
 * unknown and assumed up); a bridge without ports has carrier, one with ports needs a port
 * with carrier (br_port_carrier_check).
 */
export function carrier(w: World | undefined, ns: Netns, l: Link): boolean {
  if (!l.up) return false
  if (l.kind === 'veth') {
    if (!l.peer || !w) return true
    return peerOf(w, l)?.link.up ?? false
  }
  if (l.kind === 'bridge') {
    const ports = ns.links.filter((p) => p.master === l.name)
    return ports.length === 0 || ports.some((p) => carrier(w, ns, p))
  }
  return true
}

/** The peer of a veth when it sits in the same netns (printed `@name`, with M-DOWN while it is down). */
function localPeer(w: World | undefined, ns: Netns, l: Link): Link | undefined {
  const peer = peerOf(w, l)
  return peer && peer.ns.name === ns.name ? peer.link : undefined
}

/** The flags between `<…>`, in iproute2's order: NO-CARRIER first, M-DOWN last. */
export function linkFlags(w: World | undefined, ns: Netns, l: Link): string[] {
  const f: string[] = []
  const c = carrier(w, ns, l)
  if (l.up && !c) f.push('NO-CARRIER')
  if (l.kind === 'loopback') f.push('LOOPBACK')
  else if (l.kind === 'ipip') f.push('NOARP')
  else {
    f.push('BROADCAST', 'MULTICAST')
    if (l.noarp) f.push('NOARP')
  }
  if (l.up) f.push('UP')
  if (l.up && c) f.push('LOWER_UP')
  const local = localPeer(w, ns, l)
  if (local && !local.up) f.push('M-DOWN')
  return f
}

/** RFC 2863 operstate as the kernel reports it: an up portless bridge is UNKNOWN, a veth without carrier LOWERLAYERDOWN. */
export function operState(w: World | undefined, ns: Netns, l: Link): string {
  if (!l.up) return 'DOWN'
  if (l.kind === 'loopback' || l.kind === 'vxlan' || l.kind === 'dummy' || l.kind === 'ipip') return 'UNKNOWN'
  if (l.kind === 'bridge' && !ns.links.some((p) => p.master === l.name)) return 'UNKNOWN'
  if (!carrier(w, ns, l)) return l.kind === 'veth' ? 'LOWERLAYERDOWN' : 'DOWN'
  return 'UP'
}

function qdisc(l: Link): string {
  if (l.kind === 'phys') return 'fq_codel'
  return l.up ? 'noqueue' : 'noop'
}

/** `veth-a@if2` (peer's ifindex), `veth0@veth1` (peer in the same netns), `tunl0@NONE`, or the plain name. */
export function displayName(w: World | undefined, ns: Netns, l: Link): string {
  if (l.kind === 'veth') {
    const local = localPeer(w, ns, l)
    if (local) return `${l.name}@${local.name}`
    const idx = peerOf(w, l)?.link.ifindex ?? l.peerIfindex
    if (idx !== undefined) return `${l.name}@if${idx}`
  }
  if (l.kind === 'ipip') return `${l.name}@NONE`
  return l.name
}

/**
 * The name a netns has in /run/netns, or undefined for a machine's root netns (a node's
 * host netns, an external client), which has none. A pod's sandbox is `cni-<uuid>` (its
 * CNI_NETNS path) when the cluster knows it; any other netns keeps its world name.
 *
 * @example
 * runNetnsName(world, 'node1') // undefined: a host netns is nobody's named netns
 */
export function runNetnsName(w: World, name: string): string | undefined {
  const ns = w.netns[name]
  if (ns && (ns.kind === 'host' || ns.kind === 'client')) return undefined
  const pod = ns?.pod ? w.cluster?.pods.find((p) => p.namespace === ns.pod!.namespace && p.name === ns.pod!.name) : undefined
  if (pod?.netnsPath) return pod.netnsPath.slice(pod.netnsPath.lastIndexOf('/') + 1)
  return name
}

/** The netnsid a netns has for each peer netns: the order in which its veths (by ifindex) first point there. */
export function netnsIds(ns: Netns): Map<string, number> {
  const ids = new Map<string, number>()
  for (const l of byIfindex(ns.links)) if (l.kind === 'veth' && l.peer && l.peer.netns !== ns.name && !ids.has(l.peer.netns)) ids.set(l.peer.netns, ids.size)
  return ids
}

/** ` link-netns NAME` or ` link-netnsid N` after a veth's link layer, when the peer is elsewhere. */
function peerNetnsText(w: World | undefined, ns: Netns, l: Link): string {
  if (l.kind !== 'veth' || !l.peer || l.peer.netns === ns.name) return ''
  const name = w?.netns[l.peer.netns] ? runNetnsName(w, l.peer.netns) : undefined
  return name !== undefined ? ` link-netns ${name}` : ` link-netnsid ${netnsIds(ns).get(l.peer.netns) ?? 0}`
}

function linkHeader(w: World | undefined, ns: Netns, l: Link, mode: boolean): string {
  const master = l.master ? ` master ${l.master}` : ''
  return `${l.ifindex}: ${displayName(w, ns, l)}: <${linkFlags(w, ns, l).join(',')}> mtu ${l.mtu} qdisc ${qdisc(l)}${master} state ${operState(w, ns, l)}${mode ? ' mode DEFAULT' : ''} group default qlen 1000`
}

function linkLayer(w: World | undefined, ns: Netns, l: Link): string {
  if (l.kind === 'loopback') return '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
  if (l.kind === 'ipip') return `    link/ipip ${l.local ?? '0.0.0.0'} brd ${l.remote ?? '0.0.0.0'}`
  return `    link/ether ${l.mac} brd ff:ff:ff:ff:ff:ff${peerNetnsText(w, ns, l)}`
}

const TAIL = (queues: number) => `addrgenmode eui64 numtxqueues ${queues} numrxqueues ${queues} gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 `

/** A bridge id as iproute2 prints it: priority, then the MAC bytes in hex without padding (`8000.be:af:3:84:23:ba`). */
function bridgeId(br: Link): string {
  return `8000.${br.mac.split(':').map((b) => parseInt(b, 16).toString(16)).join(':')}`
}

/** The `-d` text after the link layer (iproute2 6.1 puts each kind's attributes on one line). */
function details(ns: Netns, l: Link): string {
  const port = l.master !== undefined
  const mtus = l.kind === 'loopback' ? 'minmtu 0 maxmtu 0 ' : 'minmtu 68 maxmtu 65535 '
  const head = ` promiscuity ${port ? 1 : 0}  allmulti ${port ? 1 : 0} ${mtus}`
  let kind: string
  switch (l.kind) {
    case 'vxlan':
      kind = `    vxlan id ${l.vni}${l.remote ? ` remote ${l.remote}` : ''}${l.group ? ` group ${l.group}` : ''}${l.local ? ` local ${l.local}` : ''}${l.dev ? ` dev ${l.dev}` : ''} srcport 0 0 dstport ${l.dstport}${l.learning ? '' : ' nolearning'} ttl auto ageing ${l.ageing ?? 300} udpcsum noudp6zerocsumtx noudp6zerocsumrx ${TAIL(1)}`
      break
    case 'bridge':
      kind = `    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time ${l.ageingTime * 100} stp_state ${l.stp ? 1 : 0} priority 32768 vlan_filtering 0 bridge_id ${bridgeId(l)} designated_root ${bridgeId(l)} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer    0.00 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ${TAIL(1)}`
      break
    case 'veth':
      kind = port ? `    veth \n    ${bridgeSlave(ns, l)}${TAIL(2)}` : `    veth ${TAIL(2)}`
      break
    case 'ipip':
      kind = `    ipip any remote ${l.remote ?? 'any'} local ${l.local ?? 'any'} ttl inherit nopmtudisc ${TAIL(1)}`
      break
    case 'dummy':
      kind = `    dummy ${TAIL(1)}`
      break
    default:
      kind = `    ${TAIL(1)}`
  }
  return `${head}\n${kind}`
}

function bridgeSlave(ns: Netns, l: Link): string {
  const br = ns.links.find((b) => b.name === l.master)
  const ports = ns.links.filter((p) => p.master === l.master).sort((a, b) => a.ifindex - b.ifindex)
  const no = ports.indexOf(l) + 1
  const id = br ? bridgeId(br) : '8000.0:0:0:0:0:0'
  const state = l.up ? 'forwarding' : 'disabled'
  return `bridge_slave state ${state} priority 32 cost 2 hairpin ${l.hairpin ? 'on' : 'off'} guard off root_block off fastleave off learning on flood on port_id 0x${(0x8000 + no).toString(16)} port_no 0x${no.toString(16)} designated_port ${0x8000 + no} designated_cost 0 designated_bridge ${id} designated_root ${id} hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp ${l.proxyArp ? 'on' : 'off'} proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off `
}

/** The selectors of `ip link show` / `ip addr show`: `dev X`, `up`, `master BR`, `type KIND`. */
export interface LinkFilter {
  readonly dev?: string
  readonly up?: boolean
  readonly master?: string
  readonly type?: string
}

export function filterLinks(ns: Netns, f: LinkFilter): Link[] {
  return ns.links.filter((l) => (!f.dev || l.name === f.dev) && (!f.up || l.up) && (!f.master || l.master === f.master) && (!f.type || l.kind === f.type || (f.type === 'bridge_slave' && l.master !== undefined)))
}

/** Options of the link printers: the world (for peers), `-d`, and which links (all, one `dev`, or a filtered list). */
export interface LinkPrintOptions {
  readonly w?: World
  readonly details?: boolean
  readonly dev?: string
  readonly links?: readonly Link[]
}

/** The links to print, in ifindex order (the order the kernel dumps them). */
function selected(ns: Netns, opts: LinkPrintOptions): readonly Link[] {
  return byIfindex(opts.links ?? (opts.dev !== undefined ? filterLinks(ns, { dev: opts.dev }) : ns.links))
}

function byIfindex(links: readonly Link[]): Link[] {
  return [...links].sort((a, b) => a.ifindex - b.ifindex)
}

/**
 * `ip [-d] link show`.
 *
 * @example
 * printIpLink(world.netns.node1!, { w: world, dev: 'cni0' })
 * // '4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n    link/ether …\n'
 */
export function printIpLink(ns: Netns, opts: LinkPrintOptions = {}): string {
  const out: string[] = []
  for (const l of selected(ns, opts)) out.push(linkHeader(opts.w, ns, l, true), linkLayer(opts.w, ns, l) + (opts.details ? details(ns, l) : ''))
  return out.length ? `${out.join('\n')}\n` : ''
}

/** An address is secondary when an earlier address of the link is in the same subnet (the kernel's primary). */
function isSecondary(l: Link, a: Addr): boolean {
  const net = networkOf(a.ip, a.len)
  for (const b of l.addrs) {
    if (b === a) return false
    if (b.len === a.len && networkOf(b.ip, b.len) === net) return true
  }
  return false
}

function addrLines(l: Link, a: Addr): string[] {
  const brd = a.broadcast !== undefined && a.len < 31 ? ` brd ${a.broadcast}` : ''
  const flags = `${isSecondary(l, a) ? ' secondary' : ''}${a.noprefixroute ? ' noprefixroute' : ''}`
  return [`    inet ${a.ip}/${a.len}${brd} scope ${a.scope ?? 'global'}${flags} ${l.name}`, '       valid_lft forever preferred_lft forever']
}

/** `ip [-d] addr show`. */
export function printIpAddr(ns: Netns, opts: LinkPrintOptions = {}): string {
  const out: string[] = []
  for (const l of selected(ns, opts)) {
    out.push(linkHeader(opts.w, ns, l, false), linkLayer(opts.w, ns, l) + (opts.details ? details(ns, l) : ''))
    for (const a of l.addrs) out.push(...addrLines(l, a))
  }
  return out.length ? `${out.join('\n')}\n` : ''
}

/** `ip -br link` / `ip -br addr`. */
export function printIpBrief(ns: Netns, what: 'link' | 'addr', opts: LinkPrintOptions = {}): string {
  return selected(ns, opts)
    .map((l) => {
      const name = `${displayName(opts.w, ns, l).padEnd(16)} ${operState(opts.w, ns, l).padEnd(14)} `
      return what === 'link' ? `${name}${l.mac} <${linkFlags(opts.w, ns, l).join(',')}> \n` : `${name}${l.addrs.map((a) => `${a.ip}/${a.len} `).join('')}\n`
    })
    .join('')
}

function jsonLinks(ns: Netns, what: 'link' | 'addr', opts: LinkPrintOptions): Record<string, unknown>[] {
  const w = opts.w
  return selected(ns, opts).map((l) => {
    const peer = peerOf(w, l)
    const o: Record<string, unknown> = { ifindex: l.ifindex }
    if (peer && peer.ns.name === ns.name) o.link = peer.link.name
    else if (peer) o.link_index = peer.link.ifindex
    o.ifname = l.name
    o.flags = linkFlags(w, ns, l)
    o.mtu = l.mtu
    o.qdisc = qdisc(l)
    if (l.master) o.master = l.master
    o.operstate = operState(w, ns, l)
    if (what === 'link') o.linkmode = 'DEFAULT'
    o.group = 'default'
    o.txqlen = 1000
    o.link_type = l.kind === 'loopback' ? 'loopback' : l.kind === 'ipip' ? 'ipip' : 'ether'
    o.address = l.kind === 'ipip' ? (l.local ?? '0.0.0.0') : l.mac
    o.broadcast = l.kind === 'loopback' ? '00:00:00:00:00:00' : l.kind === 'ipip' ? (l.remote ?? '0.0.0.0') : 'ff:ff:ff:ff:ff:ff'
    if (l.kind === 'veth' && l.peer && l.peer.netns !== ns.name) o.link_netnsid = netnsIds(ns).get(l.peer.netns) ?? 0
    if (opts.details) {
      o.promiscuity = l.master ? 1 : 0
      o.min_mtu = l.kind === 'loopback' ? 0 : 68
      o.max_mtu = l.kind === 'loopback' ? 0 : 65535
      if (l.kind === 'vxlan') o.linkinfo = { info_kind: 'vxlan', info_data: { id: l.vni, ...(l.remote && { remote: l.remote }), ...(l.local && { local: l.local }), ...(l.dev && { link: l.dev }), port_range: { low: 0, high: 0 }, port: l.dstport, learning: l.learning, ttl: 0, ageing: l.ageing ?? 300 } }
      else if (l.kind === 'bridge') o.linkinfo = { info_kind: 'bridge', info_data: { forward_delay: 1500, hello_time: 200, max_age: 2000, ageing_time: l.ageingTime * 100, stp_state: l.stp ? 1 : 0, priority: 32768, vlan_filtering: 0 } }
      else if (l.kind === 'veth') o.linkinfo = { info_kind: 'veth', ...(l.master && { info_slave_kind: 'bridge', info_slave_data: { state: l.up ? 'forwarding' : 'disabled', priority: 32, cost: 2, hairpin: l.hairpin ?? false, learning: true, flood: true, proxy_arp: l.proxyArp ?? false } }) }
      else if (l.kind === 'dummy' || l.kind === 'ipip') o.linkinfo = { info_kind: l.kind }
    }
    if (what === 'addr') o.addr_info = l.addrs.map((a) => ({ family: 'inet', local: a.ip, prefixlen: a.len, ...(a.broadcast && a.len < 31 && { broadcast: a.broadcast }), scope: a.scope ?? 'global', ...(isSecondary(l, a) && { secondary: true }), ...(a.noprefixroute && { noprefixroute: true }), label: l.name, valid_life_time: 4294967295, preferred_life_time: 4294967295 }))
    return o
  })
}

/** `ip -j [-d] link` objects, keys in iproute2's order. */
export function jsonIpLink(ns: Netns, opts: LinkPrintOptions = {}): Record<string, unknown>[] {
  return jsonLinks(ns, 'link', opts)
}

/** `ip -j [-d] addr` objects, keys in iproute2's order. */
export function jsonIpAddr(ns: Netns, opts: LinkPrintOptions = {}): Record<string, unknown>[] {
  return jsonLinks(ns, 'addr', opts)
}

/**
 * iproute2's JSON writer: compact, or with `-p` its own pretty layout (`[ {`, four spaces
 * per level, `},{` between objects, `[ ]` for an empty array, ` ]` to close).
 */
export function iprouteJson(v: unknown, pretty: boolean): string {
  if (!pretty) return JSON.stringify(v)
  let out = ''
  let depth = 0
  let sep = ''
  const eol = () => {
    out += `\n${'    '.repeat(depth)}`
  }
  const eor = () => {
    out += sep
    sep = ','
  }
  const value = (x: unknown): void => {
    if (Array.isArray(x)) {
      eor()
      out += '['
      depth++
      sep = ''
      out += ' '
      for (const e of x) value(e)
      depth--
      if (sep !== '') out += ' '
      out += ']'
      sep = ','
      return
    }
    if (x !== null && typeof x === 'object') {
      eor()
      out += '{'
      depth++
      sep = ''
      for (const [k, val] of Object.entries(x)) {
        eor()
        eol()
        sep = ''
        out += `${JSON.stringify(k)}: `
        value(val)
      }
      depth--
      if (sep !== '') eol()
      out += '}'
      sep = ','
      return
    }
    eor()
    out += JSON.stringify(x)
  }
  value(v)
  return out
}

// ---- routes ---------------------------------------------------------------------------------

/** One `ip route` line, as iproute2 prints it (note the trailing space); `scope` whenever it is not global. */
export function printRoute(r: Route): string {
  return `${describeRoute(r)} `
}

/**
 * The kernel dumps a table in address order, default first, and for one address the longer
 * prefix first (checked: 10.1.0.0/24, /20, blackhole /18, /16 in that order, text and -j alike).
 */
export function routeOrder(r: Route): number {
  if (r.dst === 'default') return -1
  const p = tryParsePrefix(r.dst)
  return p ? p.net * 64 + (32 - p.len) : 0
}

/** Options of the route printers: the world (for `linkdown`), the routes (default: the main table), and `dev X` (left out of each line). */
export interface RoutePrintOptions {
  readonly w?: World
  readonly routes?: readonly Route[]
  readonly dev?: string
}

function routesToPrint(ns: Netns, opts: RoutePrintOptions): Route[] {
  return [...(opts.routes ?? ns.routes.filter((r) => r.table === 'main'))].sort((a, b) => routeOrder(a) - routeOrder(b))
}

function linkdown(w: World | undefined, ns: Netns, r: Route): boolean {
  if (!r.dev) return false
  const l = ns.links.find((x) => x.name === r.dev)
  return l !== undefined && l.up && !carrier(w, ns, l)
}

/** `ip route [show] [dev X]`: main table in the kernel's order, `linkdown` on routes through a device without carrier. */
export function printIpRoute(ns: Netns, opts: RoutePrintOptions = {}): string {
  return routesToPrint(ns, opts)
    .map((r) => {
      const line = printRoute(opts.dev !== undefined && r.dev === opts.dev ? withoutDev(r) : r)
      return `${line}${linkdown(opts.w, ns, r) ? 'linkdown ' : ''}\n`
    })
    .join('')
}

function withoutDev(r: Route): Route {
  const { dev: _dev, ...rest } = r
  return rest
}

/** `ip -j route`: same order as the text form; `linkdown` among the flags. */
export function jsonIpRoute(ns: Netns, opts: RoutePrintOptions = {}): Record<string, unknown>[] {
  return routesToPrint(ns, opts).map((r) => ({
    ...(r.type !== 'unicast' && { type: r.type }),
    dst: r.dst,
    ...(r.via && { gateway: r.via }),
    ...(r.dev && r.dev !== opts.dev && { dev: r.dev }),
    ...(r.proto && r.proto !== 'boot' && r.proto !== 'unspec' && { protocol: r.proto }),
    ...(r.scope !== 'global' && { scope: r.scope }),
    ...(r.src && { prefsrc: r.src }),
    ...(r.metric !== undefined && { metric: r.metric }),
    flags: [...(r.onlink ? ['onlink'] : []), ...(linkdown(opts.w, ns, r) ? ['linkdown'] : [])],
  }))
}

/**
 * `ip route get ADDR [from SRC] [iif DEV] [oif DEV] [mark M]`: the route the kernel would use.
 * As the kernel prints it: `from` when given; the table unless main (and the local table only
 * once policy rules split it from main); the chosen source and `uid 0` only for a locally
 * generated lookup (no `iif`); `cache iif DEV` for an input lookup.
 * @example printRouteGet(ns, '9.9.9.9', { src: '10.0.1.3', iif: 'ra' }) // '9.9.9.9 from 10.0.1.3 via 10.0.3.2 dev rc table 100 \n    cache iif ra \n'
 */
export function printRouteGet(ns: Netns, dst: Ip, flow: FlowKey = {}): string {
  const r = lookupRouteGet(ns, dst, flow)
  const errno = routeErrno(r)
  if (errno || r.kind === 'none' || r.kind === 'refused') return `RTNETLINK answers: ${ROUTE_ERRNO_TEXT[errno ?? 'ENETUNREACH']}\n`
  const input = flow.iif !== undefined && flow.iif !== 'lo'
  const from = flow.src !== undefined && flow.src !== '0.0.0.0' ? ` from ${flow.src}` : ''
  // iproute2 prints a mark below 16 in decimal and the rest in hex (as it printed 15 and 0x10).
  const mark = flow.mark ? ` mark ${flow.mark < 16 ? flow.mark : `0x${flow.mark.toString(16)}`}` : ''
  const uid = input ? '' : ' uid 0'
  const cacheIif = input ? ` iif ${flow.iif}` : ''
  if (r.kind === 'local') {
    const table = isDefaultRules(ns.rules) ? '' : ' table local'
    // The local route of an address carries its subnet's primary address as prefsrc.
    const src = from !== '' || input ? '' : ` src ${localPrefsrc(ns, r.addr.ip)}`
    return `local ${dst}${from} dev lo${table}${src}${mark}${uid} \n    cache <local>${cacheIif} \n`
  }
  const rt = r.route
  const table = rt.table !== 'main' ? ` table ${tableName(rt.table)}` : ''
  const prefsrc = from === '' && !input ? routeSource(ns, rt, dst) : undefined
  return `${dst}${from}${rt.via ? ` via ${rt.via}` : ''}${rt.dev ? ` dev ${rt.dev}` : ''}${table}${prefsrc ? ` src ${prefsrc}` : ''}${mark}${uid} \n    cache${cacheIif} \n`
}

/** The primary address of the subnet `ip` is in on its device (a secondary's local route carries it). */
function localPrefsrc(ns: Netns, ip: Ip): Ip {
  for (const l of ns.links) {
    const i = l.addrs.findIndex((a) => a.ip === ip)
    if (i < 0) continue
    const a = l.addrs[i]!
    const primary = l.addrs.find((p) => p.len === a.len && (p.len === 0 || ((ipToInt(p.ip) ^ ipToInt(ip)) >>> (32 - p.len)) === 0))
    return primary?.ip ?? ip
  }
  // An address inside lo's prefix (127.0.0.5): the prefix's own local route, src its address.
  const lo = ns.links.find((l) => l.kind === 'loopback')?.addrs.find((a) => a.len > 0 && ((ipToInt(a.ip) ^ ipToInt(ip)) >>> (32 - a.len)) === 0)
  return lo?.ip ?? ip
}

// ---- neighbours -----------------------------------------------------------------------------

/** Neighbour state as `ip neigh` shows it at `now`: a REACHABLE entry goes STALE after 30 s (base_reachable_time). */
export function neighState(n: NeighEntry, now?: number): string {
  if (now !== undefined && n.state === 'REACHABLE' && n.updated !== undefined && now - n.updated > 30_000) return 'STALE'
  return n.state
}

/** One `ip neigh` line (trailing space included); with `dev` the device is left out, as `ip neigh show dev X` does. */
export function printNeighEntry(n: NeighEntry, opts: { now?: number; dev?: string } = {}): string {
  return `${n.ip}${opts.dev !== undefined ? '' : ` dev ${n.dev}`}${n.mac ? ` lladdr ${n.mac}` : ''}${n.router ? ' router' : ''} ${neighState(n, opts.now)} `
}

/** `ip neigh show [dev X]` over the netns's entries (or the given ones). */
export function printIpNeigh(ns: Netns, opts: { now?: number; dev?: string; entries?: readonly NeighEntry[] } = {}): string {
  return (opts.entries ?? ns.neigh.filter((n) => opts.dev === undefined || n.dev === opts.dev)).map((n) => `${printNeighEntry(n, opts)}\n`).join('')
}

// ---- bridge ---------------------------------------------------------------------------------

/**
 * `bridge link [show] [dev X]`: one line per bridge port. After the name comes `@` and the
 * name of the device whose ifindex is the veth peer's — in this netns, which may be another
 * device (iproute2 resolves the peer's ifindex locally) — or `@ifN` when no device has it.
 */
export function printBridgeLink(ns: Netns, opts: { w?: World; dev?: string } = {}): string {
  return byIfindex(ns.links)
    .filter((l) => l.master && ns.links.find((b) => b.name === l.master)?.kind === 'bridge' && (opts.dev === undefined || l.name === opts.dev))
    .map((l) => {
      const idx = l.kind === 'veth' ? (peerOf(opts.w, l)?.link.ifindex ?? l.peerIfindex) : undefined
      const at = idx !== undefined ? (ns.links.find((x) => x.ifindex === idx)?.name ?? `if${idx}`) : undefined
      return `${l.ifindex}: ${l.name}${at ? `@${at}` : ''}: <${linkFlags(opts.w, ns, l).join(',')}> mtu ${l.mtu} master ${l.master} state ${l.up && carrier(opts.w, ns, l) ? 'forwarding' : 'disabled'} priority 32 cost 2 \n`
    })
    .join('')
}

/** The multicast addresses an up Ethernet device has joined (all-hosts 33:33:00:00:00:01, 01:00:5e:00:00:01); VXLAN devices list none. */
function multicastSelf(l: Link): string[] {
  if (!l.up || (l.kind !== 'veth' && l.kind !== 'phys' && l.kind !== 'bridge' && l.kind !== 'dummy')) return []
  return ['33:33:00:00:00:01', '01:00:5e:00:00:01']
}

/**
 * One `bridge fdb show` line. `dev X` is printed unless the listing is for that device
 * (`bridge fdb show dev X`); a learned entry has no state word, so its line ends in a space.
 *
 * @example
 * printFdbEntry({ mac: '0a:58:0a:f4:01:02', dev: 'veth1', master: 'cni0', permanent: false }) // '0a:58:0a:f4:01:02 dev veth1 master cni0 '
 */
export function printFdbEntry(e: FdbEntry, opts: { dev?: boolean } = {}): string {
  const parts = [e.mac]
  if (opts.dev ?? true) parts.push(`dev ${e.dev}`)
  if (e.vlan !== undefined) parts.push(`vlan ${e.vlan}`)
  if (e.dst) parts.push(`dst ${e.dst}`)
  if (e.vni !== undefined) parts.push(`vni ${e.vni}`)
  if (e.master && !e.self) parts.push(`master ${e.master}`)
  if (e.self || (!e.master && e.dst)) parts.push('self')
  // On a bridge port, NUD_PERMANENT is the local kind (frames to it go up to the host) and a
  // configured forwarding entry is NUD_NOARP: `static` (br_fdb_fill_info).
  const state = !e.permanent ? '' : e.master && !e.self && !e.local ? 'static' : 'permanent'
  return state ? `${parts.join(' ')} ${state}` : `${parts.join(' ')} `
}

/**
 * `bridge fdb show [dev X] [br BR]`: devices in ifindex order (`br` keeps the bridge and its
 * ports); per device the bridge's entries for that port, then the device's own (a bridge
 * lists its own multicast entries before its `master` entries). `multicast: false` leaves
 * out the kernel's multicast self entries (for diffs of what was configured or learned).
 */
export function printBridgeFdb(ns: Netns, opts: { dev?: string; br?: string; multicast?: boolean } = {}): string {
  const out: string[] = []
  const withDev = { dev: opts.dev === undefined }
  const multicast = opts.multicast ?? true
  for (const l of byIfindex(ns.links)) {
    if (opts.dev !== undefined && l.name !== opts.dev) continue
    if (opts.br !== undefined && l.master !== opts.br && l.name !== opts.br) continue
    const master = ns.fdb.filter((f) => f.dev === l.name && f.master && !f.self).map((e) => printFdbEntry(e, withDev))
    const self = ns.fdb.filter((f) => f.dev === l.name && (!f.master || f.self)).map((e) => printFdbEntry(e, withDev))
    // `remote IP` on a VXLAN device is its default (all-zeros) FDB entry.
    if (l.kind === 'vxlan' && l.remote) self.push(`00:00:00:00:00:00${withDev.dev ? ` dev ${l.name}` : ''} dst ${l.remote}${l.dev ? ` via ${l.dev}` : ''} self permanent`)
    const mcast = multicast ? multicastSelf(l).map((m) => `${m}${withDev.dev ? ` dev ${l.name}` : ''} self permanent`) : []
    out.push(...(l.kind === 'bridge' ? [...mcast, ...master, ...self] : [...master, ...self, ...mcast]))
  }
  // Entries of a device the netns does not list (an imported dump without `ip link`) come last, as given.
  const known = new Set(ns.links.map((l) => l.name))
  for (const e of ns.fdb) if (!known.has(e.dev) && (opts.dev === undefined || e.dev === opts.dev) && (opts.br === undefined || e.master === opts.br)) out.push(printFdbEntry(e, withDev))
  return out.map((l) => `${l}\n`).join('')
}
