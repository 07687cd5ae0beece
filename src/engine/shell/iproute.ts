/**
 * iproute2's link and address output as `ip` prints it inside a netns, pinned to real output
 * captured on this machine (golden/captured.txt): `ip link`/`ip addr` (with `link-netns NAME`
 * when the peer netns has a name and `link-netnsid N` otherwise, an up bridge without ports
 * showing `state UNKNOWN` with carrier), `-d` details on one line each as iproute2 6.1 prints
 * them, `-br`, `-j`/`-j -p` JSON, `ip neigh`, `bridge link` and `bridge fdb`.
 *
 * These differ from print/iproute2.ts where that printer does not match the captures (the
 * portless bridge, link-netns names, `bridge link`'s `@` name, `bridge fdb show dev`, the
 * bridges' multicast entries); routes and `ip route get` come from that printer unchanged.
 * Simplification: no IPv6 (captured with IPv6 disabled), statistics (`-s`) are not kept.
 */
import type { Addr, FdbEntry, Link, NeighEntry, Netns, World } from '../model/types.ts'

function peerOf(w: World, l: Link): { ns: Netns; link: Link } | undefined {
  if (l.kind !== 'veth' || !l.peer) return undefined
  const ns = w.netns[l.peer.netns]
  const link = ns?.links.find((x) => x.name === l.peer!.name)
  return ns && link ? { ns, link } : undefined
}

export function carrier(w: World, ns: Netns, l: Link): boolean {
  if (!l.up) return false
  if (l.kind === 'veth') {
    if (!l.peer) return true
    return peerOf(w, l)?.link.up ?? false
  }
  if (l.kind === 'bridge') {
    const ports = ns.links.filter((p) => p.master === l.name)
    // A bridge without ports reports carrier (state UNKNOWN); with ports, it needs one that is up.
    return ports.length === 0 || ports.some((p) => carrier(w, ns, p))
  }
  return true
}

export function linkFlags(w: World, ns: Netns, l: Link): string[] {
  const f: string[] = []
  const c = carrier(w, ns, l)
  if (l.up && !c) f.push('NO-CARRIER')
  if (l.kind === 'loopback') f.push('LOOPBACK')
  else if (l.kind === 'ipip') f.push('NOARP')
  else f.push('BROADCAST', 'MULTICAST')
  if (l.up) f.push('UP')
  if (l.up && c) f.push('LOWER_UP')
  return f
}

export function operState(w: World, ns: Netns, l: Link): string {
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
export function displayName(w: World, l: Link, here?: string): string {
  if (l.kind === 'veth') {
    const peer = peerOf(w, l)
    if (peer && here !== undefined && peer.ns.name === here) return `${l.name}@${peer.link.name}`
    const idx = peer?.link.ifindex ?? l.peerIfindex
    if (idx !== undefined) return `${l.name}@if${idx}`
  }
  if (l.kind === 'ipip') return `${l.name}@NONE`
  return l.name
}

/** The netnsid a netns has for a peer netns: the order in which its veths first point there. */
export function netnsIds(ns: Netns): Map<string, number> {
  const ids = new Map<string, number>()
  for (const l of [...ns.links].sort((a, b) => a.ifindex - b.ifindex)) if (l.kind === 'veth' && l.peer && l.peer.netns !== ns.name && !ids.has(l.peer.netns)) ids.set(l.peer.netns, ids.size)
  return ids
}

/**
 * How `ip` names the peer netns of a veth: `link-netns NAME` when that netns is named (in
 * /run/netns: anything but a machine's root), else `link-netnsid N`.
 */
function peerNetnsText(w: World, ns: Netns, l: Link, nameOf: (netns: string) => string): string {
  if (l.kind !== 'veth' || !l.peer || l.peer.netns === ns.name) return ''
  const peerNs = w.netns[l.peer.netns]
  if (peerNs && peerNs.kind !== 'host' && peerNs.kind !== 'client') return ` link-netns ${nameOf(peerNs.name)}`
  return ` link-netnsid ${netnsIds(ns).get(l.peer.netns) ?? 0}`
}

function header(w: World, ns: Netns, l: Link, mode: boolean): string {
  const master = l.master ? ` master ${l.master}` : ''
  return `${l.ifindex}: ${displayName(w, l, ns.name)}: <${linkFlags(w, ns, l).join(',')}> mtu ${l.mtu} qdisc ${qdisc(l)}${master} state ${operState(w, ns, l)}${mode ? ' mode DEFAULT' : ''} group default qlen 1000`
}

function linkLayer(w: World, ns: Netns, l: Link, nameOf: (n: string) => string): string {
  if (l.kind === 'loopback') return '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
  if (l.kind === 'ipip') return `    link/ipip ${l.local ?? '0.0.0.0'} brd ${l.remote ?? '0.0.0.0'}`
  return `    link/ether ${l.mac} brd ff:ff:ff:ff:ff:ff${peerNetnsText(w, ns, l, nameOf)}`
}

const TAIL = (queues: number) => `addrgenmode eui64 numtxqueues ${queues} numrxqueues ${queues} gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 `

/** A bridge id as iproute2 prints it: priority, then the MAC bytes in hex without padding (`8000.be:af:3:84:23:ba`). */
function bridgeId(_ns: Netns, br: Link): string {
  return `8000.${br.mac.split(':').map((b) => parseInt(b, 16).toString(16)).join(':')}`
}

/** The `-d` lines after the link layer (iproute2 6.1 puts each kind's attributes on one line). */
function details(ns: Netns, l: Link): string {
  const port = l.master !== undefined
  const mtus = l.kind === 'loopback' ? 'minmtu 0 maxmtu 0 ' : 'minmtu 68 maxmtu 65535 '
  const head = ` promiscuity ${port ? 1 : 0}  allmulti ${port ? 1 : 0} ${mtus}`
  let kind: string
  switch (l.kind) {
    case 'vxlan':
      kind = `    vxlan id ${l.vni}${l.remote ? ` remote ${l.remote}` : ''}${l.group ? ` group ${l.group}` : ''}${l.local ? ` local ${l.local}` : ''}${l.dev ? ` dev ${l.dev}` : ''} srcport 0 0 dstport ${l.dstport}${l.learning ? '' : ' nolearning'} ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx ${TAIL(1)}`
      break
    case 'bridge':
      kind = `    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time ${l.ageingTime * 100} stp_state ${l.stp ? 1 : 0} priority 32768 vlan_filtering 0 bridge_id ${bridgeId(ns, l)} designated_root ${bridgeId(ns, l)} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer    0.00 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ${TAIL(1)}`
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
  const id = br ? bridgeId(ns, br) : '8000.00:00:00:00:00:00'
  const state = l.up ? 'forwarding' : 'disabled'
  return `bridge_slave state ${state} priority 32 cost 2 hairpin ${l.hairpin ? 'on' : 'off'} guard off root_block off fastleave off learning on flood on port_id 0x${(0x8000 + no).toString(16)} port_no 0x${no.toString(16)} designated_port ${0x8000 + no} designated_cost 0 designated_bridge ${id} designated_root ${id} hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp ${l.proxyArp ? 'on' : 'off'} proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off `
}

export interface LinkFilter {
  readonly dev?: string
  readonly up?: boolean
  readonly master?: string
  readonly type?: string
}

export function filterLinks(ns: Netns, f: LinkFilter): Link[] {
  return ns.links.filter((l) => (!f.dev || l.name === f.dev) && (!f.up || l.up) && (!f.master || l.master === f.master) && (!f.type || l.kind === f.type || (f.type === 'bridge_slave' && l.master !== undefined)))
}

/** `ip [-d] link show`. */
export function printLinks(w: World, ns: Netns, links: readonly Link[], opts: { details?: boolean; nameOf: (n: string) => string }): string {
  const out: string[] = []
  for (const l of links) {
    out.push(header(w, ns, l, true))
    out.push(linkLayer(w, ns, l, opts.nameOf) + (opts.details ? details(ns, l) : ''))
  }
  return out.length ? `${out.join('\n')}\n` : ''
}

function addrLines(a: Addr, dev: string): string[] {
  const brd = a.broadcast !== undefined && a.len < 31 ? ` brd ${a.broadcast}` : ''
  const scope = a.scope ?? 'global'
  return [`    inet ${a.ip}/${a.len}${brd} scope ${scope}${a.noprefixroute ? ' noprefixroute' : ''} ${dev}`.replace(/ $/, ''), '       valid_lft forever preferred_lft forever']
}

/** `ip [-d] addr show`. */
export function printAddrs(w: World, ns: Netns, links: readonly Link[], opts: { details?: boolean; nameOf: (n: string) => string }): string {
  const out: string[] = []
  for (const l of links) {
    out.push(header(w, ns, l, false))
    out.push(linkLayer(w, ns, l, opts.nameOf) + (opts.details ? details(ns, l) : ''))
    for (const a of l.addrs) out.push(...addrLines(a, l.name))
  }
  return out.length ? `${out.join('\n')}\n` : ''
}

/** `ip -br link` / `ip -br addr`. */
export function printBrief(w: World, ns: Netns, links: readonly Link[], what: 'link' | 'addr'): string {
  return links
    .map((l) => {
      const name = `${displayName(w, l, ns.name).padEnd(16)} ${operState(w, ns, l).padEnd(14)} `
      return what === 'link' ? `${name}${l.mac} <${linkFlags(w, ns, l).join(',')}> \n` : `${name}${l.addrs.map((a) => `${a.ip}/${a.len} `).join('')}\n`
    })
    .join('')
}

/** `ip -j link` / `ip -j addr` objects, keys in iproute2's order. */
export function jsonLinks(w: World, ns: Netns, links: readonly Link[], what: 'link' | 'addr', details: boolean): unknown[] {
  return links.map((l) => {
    const peer = peerOf(w, l)
    const o: Record<string, unknown> = { ifindex: l.ifindex }
    if (peer) o.link_index = peer.link.ifindex
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
    if (details) {
      o.promiscuity = l.master ? 1 : 0
      o.min_mtu = l.kind === 'loopback' ? 0 : 68
      o.max_mtu = l.kind === 'loopback' ? 0 : 65535
      if (l.kind === 'vxlan') o.linkinfo = { info_kind: 'vxlan', info_data: { id: l.vni, ...(l.remote && { remote: l.remote }), ...(l.local && { local: l.local }), ...(l.dev && { link: l.dev }), port_range: { low: 0, high: 0 }, port: l.dstport, learning: l.learning, ttl: 0, ageing: 300 } }
      else if (l.kind === 'bridge') o.linkinfo = { info_kind: 'bridge', info_data: { forward_delay: 1500, hello_time: 200, max_age: 2000, ageing_time: l.ageingTime * 100, stp_state: l.stp ? 1 : 0, priority: 32768, vlan_filtering: 0 } }
      else if (l.kind === 'veth') o.linkinfo = { info_kind: 'veth', ...(l.master && { info_slave_kind: 'bridge', info_slave_data: { state: l.up ? 'forwarding' : 'disabled', priority: 32, cost: 2, hairpin: l.hairpin ?? false, learning: true, flood: true, proxy_arp: l.proxyArp ?? false } }) }
      else if (l.kind === 'dummy' || l.kind === 'ipip') o.linkinfo = { info_kind: l.kind }
    }
    if (what === 'addr') o.addr_info = l.addrs.map((a) => ({ family: 'inet', local: a.ip, prefixlen: a.len, ...(a.broadcast && a.len < 31 && { broadcast: a.broadcast }), scope: a.scope ?? 'global', ...(a.noprefixroute && { noprefixroute: true }), label: l.name, valid_life_time: 4294967295, preferred_life_time: 4294967295 }))
    return o
  })
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

/** Neighbour state as `ip neigh` shows it now: a REACHABLE entry goes STALE after 30 s. */
export function neighState(n: NeighEntry, now: number): string {
  if (n.state === 'REACHABLE' && n.updated !== undefined && now - n.updated > 30_000) return 'STALE'
  return n.state
}

/** `ip neigh show [dev DEV]`: with a device filter the `dev` field is left out. */
export function printNeigh(entries: readonly NeighEntry[], now: number, opts: { dev?: string } = {}): string {
  return entries
    .map((n) => `${n.ip}${opts.dev ? '' : ` dev ${n.dev}`}${n.mac ? ` lladdr ${n.mac}` : ''}${n.router ? ' router' : ''} ${neighState(n, now)} \n`)
    .join('')
}

/**
 * `bridge link [show] [dev X]`: one line per bridge port. After the name comes `@` and the
 * name of the device whose ifindex is the veth peer's — in this netns, which is a different
 * device (iproute2 resolves the peer's ifindex locally) — or `@ifN` when no device has it.
 */
export function printBridgeLink(w: World, ns: Netns, dev?: string): string {
  return ns.links
    .filter((l) => l.master && ns.links.find((b) => b.name === l.master)?.kind === 'bridge' && (!dev || l.name === dev))
    .map((l) => {
      const peer = peerOf(w, l)
      const at = peer ? (ns.links.find((x) => x.ifindex === peer.link.ifindex)?.name ?? `if${peer.link.ifindex}`) : undefined
      return `${l.ifindex}: ${l.name}${at ? `@${at}` : ''}: <${linkFlags(w, ns, l).join(',')}> mtu ${l.mtu} master ${l.master} state ${l.up && carrier(w, ns, l) ? 'forwarding' : 'disabled'} priority 32 cost 2 \n`
    })
    .join('')
}

/** The multicast addresses an up Ethernet device has joined (all-hosts 01:00:5e:00:00:01, 33:33:00:00:00:01). */
function multicastSelf(l: Link): string[] {
  if (!l.up || (l.kind !== 'veth' && l.kind !== 'phys' && l.kind !== 'bridge' && l.kind !== 'dummy')) return []
  return ['33:33:00:00:00:01', '01:00:5e:00:00:01']
}

function fdbLine(e: FdbEntry, withDev: boolean): string {
  const parts = [e.mac]
  if (withDev) parts.push(`dev ${e.dev}`)
  if (e.vlan !== undefined) parts.push(`vlan ${e.vlan}`)
  if (e.dst) parts.push(`dst ${e.dst}`)
  if (e.vni !== undefined) parts.push(`vni ${e.vni}`)
  if (e.master && !e.self) parts.push(`master ${e.master}`)
  if (e.self || (!e.master && e.dst)) parts.push('self')
  // iproute2 prints "master X " then the state; a learned entry has none, so the line ends in a space.
  return e.permanent ? `${parts.join(' ')} permanent` : `${parts.join(' ')} `
}

/** `bridge fdb show [dev X] [br BR]`, devices in ifindex order, multicast self entries last per device. */
export function printBridgeFdb(ns: Netns, opts: { dev?: string; br?: string } = {}): string {
  const out: string[] = []
  for (const l of [...ns.links].sort((a, b) => a.ifindex - b.ifindex)) {
    if (opts.dev && l.name !== opts.dev) continue
    if (opts.br && l.master !== opts.br && l.name !== opts.br) continue
    const withDev = !opts.dev
    for (const e of ns.fdb.filter((f) => f.dev === l.name && f.master && !f.self)) out.push(fdbLine(e, withDev))
    for (const e of ns.fdb.filter((f) => f.dev === l.name && (!f.master || f.self))) out.push(fdbLine(e, withDev))
    // `remote IP` on a VXLAN device is its default (all-zeros) FDB entry.
    if (l.kind === 'vxlan' && l.remote && !opts.br) out.push(`00:00:00:00:00:00${withDev ? ` dev ${l.name}` : ''} dst ${l.remote}${l.dev ? ` via ${l.dev}` : ''} self permanent`)
    if (!opts.br) for (const m of multicastSelf(l)) out.push(`${m}${withDev ? ` dev ${l.name}` : ''} self permanent`)
  }
  return out.length ? `${out.join('\n')}\n` : ''
}
