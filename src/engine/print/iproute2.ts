/**
 * iproute2's output formats for a netns: `ip addr`, `ip link` (and `-d`), `ip route`,
 * `ip neigh`, `bridge fdb show`, `bridge link`, `ip route get`, plus the `-j` JSON forms.
 * Formats follow iproute2 6.x as printed on this kernel (captured in
 * src/engine/print/fixtures). Simplification: no IPv6 (link-local inet6 lines are omitted),
 * and the bridge's own multicast FDB entries are not modelled.
 */
import type { Addr, FdbEntry, Link, NeighEntry, Netns, Route, World } from '../model/types.ts'
import { broadcastOf } from '../wire/addr.ts'
import { describeRoute, lookupRoute, selectSource } from '../route/fib.ts'
import type { Ip } from '../wire/addr.ts'

function carrier(w: World | undefined, ns: Netns, l: Link): boolean {
  if (!l.up) return false
  if (l.kind === 'veth') {
    if (!l.peer || !w) return true
    const peer = w.netns[l.peer.netns]?.links.find((x) => x.name === l.peer!.name)
    return peer?.up ?? false
  }
  if (l.kind === 'bridge') return ns.links.some((p) => p.master === l.name && carrier(w, ns, p))
  return true
}

function flags(w: World | undefined, ns: Netns, l: Link): string {
  const f: string[] = []
  const c = carrier(w, ns, l)
  if (l.up && !c) f.push('NO-CARRIER')
  if (l.kind === 'loopback') f.push('LOOPBACK')
  else if (l.kind === 'ipip') f.push('NOARP')
  else f.push('BROADCAST', 'MULTICAST')
  if (l.up) f.push('UP')
  if (l.up && c) f.push('LOWER_UP')
  return f.join(',')
}

function operState(w: World | undefined, ns: Netns, l: Link): string {
  if (!l.up) return 'DOWN'
  if (l.kind === 'loopback' || l.kind === 'vxlan' || l.kind === 'dummy' || l.kind === 'ipip') return 'UNKNOWN'
  if (!carrier(w, ns, l)) return l.kind === 'veth' ? 'LOWERLAYERDOWN' : 'DOWN'
  return 'UP'
}

function qdisc(l: Link): string {
  if (!l.up && l.kind === 'loopback') return 'noop'
  if (l.kind === 'phys') return 'fq_codel'
  return l.up ? 'noqueue' : 'noop'
}

/** `veth1@if2` for a veth whose peer is known, `eth0@if7` in a pod. */
function displayName(w: World | undefined, l: Link): string {
  if (l.kind === 'veth') {
    const peerIndex = l.peer && w ? w.netns[l.peer.netns]?.links.find((x) => x.name === l.peer!.name)?.ifindex : l.peerIfindex
    if (peerIndex !== undefined) return `${l.name}@if${peerIndex}`
  }
  if (l.kind === 'ipip') return `${l.name}@NONE`
  return l.name
}

/** A stable netnsid for a peer netns, as the kernel numbers the ones it has seen. */
function netnsId(w: World | undefined, ns: Netns, peerNs: string): number {
  if (!w) return 0
  const seen: string[] = []
  for (const l of ns.links) if (l.kind === 'veth' && l.peer && l.peer.netns !== ns.name && !seen.includes(l.peer.netns)) seen.push(l.peer.netns)
  return Math.max(0, seen.indexOf(peerNs))
}

function linkHeader(w: World | undefined, ns: Netns, l: Link, mode: boolean): string {
  const master = l.master ? ` master ${l.master}` : ''
  const qlen = ' qlen 1000'
  return `${l.ifindex}: ${displayName(w, l)}: <${flags(w, ns, l)}> mtu ${l.mtu} qdisc ${qdisc(l)}${master} state ${operState(w, ns, l)}${mode ? ' mode DEFAULT' : ''} group default${qlen}`
}

function linkLayer(w: World | undefined, ns: Netns, l: Link): string {
  if (l.kind === 'loopback') return '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
  if (l.kind === 'ipip') return `    link/ipip ${l.local ?? '0.0.0.0'} brd ${l.remote ?? '0.0.0.0'}`
  let s = `    link/ether ${l.mac} brd ff:ff:ff:ff:ff:ff`
  if (l.kind === 'veth' && l.peer && l.peer.netns !== ns.name) s += ` link-netnsid ${netnsId(w, ns, l.peer.netns)}`
  return s
}

function details(l: Link): string {
  const base = 'promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 '
  switch (l.kind) {
    case 'vxlan':
      return `    ${base}\n    vxlan id ${l.vni}${l.remote ? ` remote ${l.remote}` : ''}${l.group ? ` group ${l.group}` : ''}${l.local ? ` local ${l.local}` : ''}${l.dev ? ` dev ${l.dev}` : ''} srcport 0 0 dstport ${l.dstport}${l.learning ? '' : ' nolearning'} ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx `
    case 'bridge':
      return `    ${base}\n    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time ${l.ageingTime * 100} stp_state ${l.stp ? 1 : 0} priority 32768 vlan_filtering 0 `
    case 'veth':
      return `    ${base}\n    veth ${l.master ? `\n    bridge_slave state forwarding priority 32 cost 2 hairpin ${l.hairpin ? 'on' : 'off'} learning on flood on proxy_arp off ` : ''}`
    case 'ipip':
      return `    ${base}\n    ipip any remote ${l.remote ?? 'any'} local ${l.local ?? 'any'} ttl inherit nopmtudisc `
    default:
      return `    ${base}`
  }
}

export function printIpLink(ns: Netns, opts: { w?: World; details?: boolean; dev?: string } = {}): string {
  const out: string[] = []
  for (const l of ns.links) {
    if (opts.dev && l.name !== opts.dev) continue
    out.push(linkHeader(opts.w, ns, l, true), linkLayer(opts.w, ns, l) + (opts.details ? '' : ''))
    if (opts.details) out.push(details(l))
  }
  return out.length ? `${out.join('\n')}\n` : ''
}

function addrLine(a: Addr, dev: string): string[] {
  const brd = a.len < 31 && a.broadcast !== undefined ? ` brd ${a.broadcast}` : ''
  const scope = a.scope ?? 'global'
  return [`    inet ${a.ip}/${a.len}${brd} scope ${scope}${scope === 'host' ? '' : ` ${dev}`}`, '       valid_lft forever preferred_lft forever']
}

export function printIpAddr(ns: Netns, opts: { w?: World; dev?: string } = {}): string {
  const out: string[] = []
  for (const l of ns.links) {
    if (opts.dev && l.name !== opts.dev) continue
    out.push(linkHeader(opts.w, ns, l, false), linkLayer(opts.w, ns, l))
    for (const a of l.addrs) out.push(...addrLine(a, l.name))
  }
  return out.length ? `${out.join('\n')}\n` : ''
}

/** One `ip route` line, as iproute2 prints it (note the trailing space). */
export function printRoute(r: Route): string {
  const parts: string[] = []
  if (r.type !== 'unicast') parts.push(r.type)
  parts.push(r.dst)
  if (r.via) parts.push('via', r.via)
  if (r.dev) parts.push('dev', r.dev)
  if (r.table !== 'main' && r.table !== 254) parts.push('table', String(r.table))
  if (r.proto && r.proto !== 'boot' && r.proto !== 'unspec') parts.push('proto', r.proto)
  if (r.scope !== 'global' && r.type === 'unicast') parts.push('scope', r.scope)
  if (r.src) parts.push('src', r.src)
  if (r.metric !== undefined) parts.push('metric', String(r.metric))
  if (r.mtu !== undefined) parts.push('mtu', String(r.mtu))
  if (r.onlink) parts.push('onlink')
  return `${parts.join(' ')} `
}

/** `ip route [show]`: main table, in the kernel's order (by prefix, then as added). */
export function printIpRoute(ns: Netns, opts: { w?: World } = {}): string {
  const routes = ns.routes.filter((r) => r.table === 'main')
  const sorted = [...routes].sort((a, b) => routeSortKey(a) - routeSortKey(b))
  return sorted.map((r) => printRoute(r) + linkdownSuffix(opts.w, ns, r)).join('\n') + (sorted.length ? '\n' : '')
}

function linkdownSuffix(w: World | undefined, ns: Netns, r: Route): string {
  if (!r.dev) return ''
  const l = ns.links.find((x) => x.name === r.dev)
  return l && l.up && !carrier(w, ns, l) ? 'linkdown ' : ''
}

/**
 * The kernel dumps the main table in address order, default first, and for one address the
 * longer prefix first (checked: 10.1.0.0/24 before 10.1.0.0/20 before 10.1.0.0/16).
 */
function routeSortKey(r: Route): number {
  if (r.dst === 'default') return -1
  const [ip, len] = r.dst.split('/')
  const parts = (ip ?? '0.0.0.0').split('.').map(Number)
  return (((parts[0]! * 256 + parts[1]!) * 256 + parts[2]!) * 256 + parts[3]!) * 64 + (32 - Number(len ?? 32))
}

export function printIpNeigh(ns: Netns): string {
  const lines = ns.neigh.map((n: NeighEntry) => `${n.ip} dev ${n.dev}${n.mac ? ` lladdr ${n.mac}` : ''}${n.router ? ' router' : ''} ${n.state} `)
  return lines.length ? `${lines.join('\n')}\n` : ''
}

export function printFdbEntry(e: FdbEntry): string {
  const parts = [e.mac]
  if (e.dst) parts.push('dst', e.dst)
  else parts.push('dev', e.dev)
  if (e.vlan !== undefined) parts.push('vlan', String(e.vlan))
  if (e.master) parts.push('master', e.master)
  if (e.self || (!e.master && e.dst)) parts.push('self')
  if (e.permanent) parts.push('permanent')
  return parts.join(' ')
}

/** `bridge fdb show [dev DEV]`. VXLAN entries print `dst`, bridge entries `dev … master`. */
export function printBridgeFdb(ns: Netns, opts: { dev?: string } = {}): string {
  const entries = ns.fdb.filter((e) => !opts.dev || e.dev === opts.dev)
  const lines = entries.map((e) => {
    const s = printFdbEntry(e)
    // Without `dev` filtering, VXLAN entries also name their device.
    return !opts.dev && e.dst ? s.replace(` dst ${e.dst}`, ` dev ${e.dev} dst ${e.dst}`) : s
  })
  return lines.length ? `${lines.join('\n')}\n` : ''
}

export function printBridgeLink(ns: Netns, opts: { w?: World } = {}): string {
  const lines = ns.links
    .filter((l) => l.master && ns.links.find((b) => b.name === l.master)?.kind === 'bridge')
    .map((l) => `${l.ifindex}: ${l.name}@${l.master}: <${flags(opts.w, ns, l)}> mtu ${l.mtu} master ${l.master} state ${l.up && carrier(opts.w, ns, l) ? 'forwarding' : 'disabled'} priority 32 cost 2 `)
  return lines.length ? `${lines.join('\n')}\n` : ''
}

/** `ip route get ADDR`: the route the kernel would use, with the source it would pick. */
export function printRouteGet(ns: Netns, dst: Ip): string {
  const r = lookupRoute(ns, dst)
  if (r.kind === 'none') return 'RTNETLINK answers: Network is unreachable\n'
  if (r.kind === 'local') return `local ${dst} dev lo src ${dst} uid 0 \n    cache <local> \n`
  const rt = r.route
  if (rt.type === 'blackhole') return 'RTNETLINK answers: Invalid argument\n'
  if (rt.type === 'unreachable') return 'RTNETLINK answers: No route to host\n'
  if (rt.type === 'prohibit') return 'RTNETLINK answers: Permission denied\n'
  const src = selectSource(ns, rt.dev, rt.via ?? dst, rt.src)
  return `${dst}${rt.via ? ` via ${rt.via}` : ''}${rt.dev ? ` dev ${rt.dev}` : ''}${src ? ` src ${src}` : ''} uid 0 \n    cache \n`
}

// ---- JSON forms (`ip -j …`) -----------------------------------------------------------------

export function jsonIpRoute(ns: Netns): unknown[] {
  return ns.routes
    .filter((r) => r.table === 'main')
    .map((r) => ({
      ...(r.type !== 'unicast' && { type: r.type }),
      dst: r.dst,
      ...(r.via && { gateway: r.via }),
      ...(r.dev && { dev: r.dev }),
      ...(r.proto && r.proto !== 'boot' && { protocol: r.proto }),
      ...(r.scope !== 'global' && r.type === 'unicast' && { scope: r.scope }),
      ...(r.src && { prefsrc: r.src }),
      ...(r.metric !== undefined && { metric: r.metric }),
      flags: r.onlink ? ['onlink'] : [],
    }))
}

export function jsonIpAddr(ns: Netns, opts: { w?: World } = {}): unknown[] {
  return ns.links.map((l) => ({
    ifindex: l.ifindex,
    ...(l.kind === 'veth' && l.peer && opts.w && { link_index: opts.w.netns[l.peer.netns]?.links.find((x) => x.name === l.peer!.name)?.ifindex }),
    ifname: l.name,
    flags: flags(opts.w, ns, l).split(','),
    mtu: l.mtu,
    qdisc: qdisc(l),
    ...(l.master && { master: l.master }),
    operstate: operState(opts.w, ns, l),
    group: 'default',
    txqlen: 1000,
    link_type: l.kind === 'loopback' ? 'loopback' : l.kind === 'ipip' ? 'ipip' : 'ether',
    address: l.mac,
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addr_info: l.addrs.map((a) => ({ family: 'inet', local: a.ip, prefixlen: a.len, ...(a.len < 31 && a.broadcast && { broadcast: a.broadcast ?? broadcastOf(a.ip, a.len) }), scope: a.scope ?? 'global', label: l.name, valid_life_time: 4294967295, preferred_life_time: 4294967295 })),
  }))
}

export function jsonIpLink(ns: Netns, opts: { w?: World; details?: boolean } = {}): unknown[] {
  return jsonIpAddr(ns, opts).map((x) => {
    const { addr_info: _a, ...rest } = x as Record<string, unknown>
    const l = ns.links.find((k) => k.name === rest.ifname)!
    if (!opts.details) return rest
    const info =
      l.kind === 'vxlan'
        ? { info_kind: 'vxlan', info_data: { id: l.vni, ...(l.local && { local: l.local }), ...(l.dev && { link: l.dev }), port: l.dstport, learning: l.learning, ageing: 300 } }
        : l.kind === 'bridge'
          ? { info_kind: 'bridge', info_data: { ageing_time: l.ageingTime * 100, stp_state: l.stp ? 1 : 0 } }
          : l.kind === 'veth'
            ? { info_kind: 'veth', ...(l.master && { info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', hairpin: l.hairpin ?? false } }) }
            : l.kind === 'ipip'
              ? { info_kind: 'ipip' }
              : undefined
    return { ...rest, ...(info && { linkinfo: info }) }
  })
}

/** A short `ip route` line for diffs and tables (without the trailing space). */
export function routeLine(r: Route): string {
  return describeRoute(r)
}

/** All of a netns's tables as lines, for diffing two worlds. */
export function stateLines(ns: Netns): { routes: string[]; neigh: string[]; fdb: string[]; links: string[] } {
  return {
    routes: ns.routes.map((r) => printRoute(r).trimEnd()),
    neigh: ns.neigh.filter((n) => n.state === 'PERMANENT' || n.state === 'NOARP').map((n) => `${n.ip} dev ${n.dev}${n.mac ? ` lladdr ${n.mac}` : ''} ${n.state}`),
    fdb: ns.fdb.filter((f) => f.permanent).map(printFdbEntry),
    links: ns.links.map((l: Link) => `${l.name} ${l.kind}${l.master ? ` master ${l.master}` : ''}${l.addrs.length ? ` ${l.addrs.map((a) => `${a.ip}/${a.len}`).join(',')}` : ''} mtu ${l.mtu}${l.up ? ' up' : ' down'}`),
  }
}

