/**
 * `ip link` / `ip addr` (with -d, -s, -o), `ip -br link|addr` and `bridge [-d] link` text,
 * read as iproute2 6.x prints them (ipaddress.c print_linkinfo/print_addrinfo, link_*.c
 * print_opt). One record per interface; the importer merges records of the same name from
 * several outputs and decides each interface's kind. IPv6 addresses are recognised and
 * skipped: the engine models IPv4.
 */
import type { Addr } from '../model/types.ts'
import { isIpv4 } from '../wire/addr.ts'
import type { Mac } from '../wire/addr.ts'
import { emptyOut, from, intOf, isV6, keyValues, macOf, parseCidr, reject } from './parseCommon.ts'
import type { ParseOut } from './parseCommon.ts'
import type { Line } from './text.ts'
import { words } from './text.ts'
import type { From, VxlanAttrs } from './types.ts'

export interface LinkRecord {
  name: string
  ifindex?: number
  flags?: string[]
  mtu?: number
  master?: string
  operstate?: string
  mac?: Mac
  /** `link/ether`, `link/loopback`, `link/ipip`, `link/none`… */
  linkType?: string
  peerIfindex?: number
  peerName?: string
  linkNetnsid?: number
  linkNetns?: string
  /** Kind from `ip -d` details (`veth`, `vxlan`, `bridge`, `ipip`, `wireguard`…). */
  kind?: string
  vxlan?: VxlanAttrs
  ipip?: { local?: string; remote?: string }
  bridge?: { ageingTime?: number; stp?: boolean; vlanFiltering?: boolean }
  hairpin?: boolean
  portState?: string
  proxyArp?: boolean
  addrs: Addr[]
  altnames: string[]
  from: From[]
}

const HEADER = /^(\d+):\s+([^\s:@]+)(?:@([^\s:]+))?:\s+<([^>]*)>\s*(.*)$/
const ONELINE_ADDR = /^(\d+):\s+(\S+)\s+(inet6?\s.*)$/
const HEADER_KEYS = new Set(['mtu', 'qdisc', 'master', 'state', 'mode', 'group', 'qlen', 'link-netnsid', 'netns', 'priority', 'cost'])
const LINK_KEYS = new Set(['brd', 'peer', 'link-netnsid', 'link-netns', 'permaddr', 'promiscuity', 'allmulti', 'minmtu', 'maxmtu', 'addrgenmode', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'gso_max_segs', 'tso_max_size', 'tso_max_segs', 'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size', 'parentbus', 'parentdev', 'portname', 'portid', 'switchid', 'netnsid'])
const ADDR_KEYS = new Set(['brd', 'scope', 'peer', 'metric', 'proto'])
/** First words of detail lines that are not an interface kind. */
const NOT_KIND = new Set(['addrgenmode', 'altname', 'alias', 'vf', 'RX:', 'TX:', 'prop', 'inet', 'inet6', 'valid_lft', 'link/ether', 'numtxqueues'])

/** Interface kinds iproute2 prints as the first word of a details line. */
const KINDS = new Set([
  'veth', 'vxlan', 'bridge', 'ipip', 'dummy', 'vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'wireguard', 'tun', 'geneve', 'gre', 'gretap', 'ip6gre',
  'ip6gretap', 'ip6tnl', 'sit', 'bond', 'vrf', 'openvswitch', 'nlmon', 'ifb', 'xfrm', 'team', 'erspan', 'ipoib', 'vti', 'vti6', 'macsec', 'netkit', 'bareudp', 'hsr', 'rmnet', 'veth_pair',
])
const SLAVE_KINDS = new Set(['bridge_slave', 'bond_slave', 'team_slave', 'openvswitch_slave', 'vrf_slave'])

function header(line: Line, file: string, m: RegExpExecArray): LinkRecord {
  const rec: LinkRecord = { name: m[2]!, ifindex: Number(m[1]), flags: m[4]!.split(',').filter((f) => f !== ''), addrs: [], altnames: [], from: [from(file, line)] }
  const at = m[3]
  if (at !== undefined) {
    const ifm = /^if(\d+)$/.exec(at)
    if (ifm) rec.peerIfindex = Number(ifm[1])
    else if (at !== 'NONE') rec.peerName = at
  }
  const { values } = keyValues(words(m[5]!), HEADER_KEYS)
  const mtu = intOf(values.get('mtu'))
  if (mtu !== undefined) rec.mtu = mtu
  const master = values.get('master')
  if (master !== undefined) rec.master = master
  const state = values.get('state')
  if (state !== undefined) {
    if (/^[A-Z]+$/.test(state)) rec.operstate = state
    else rec.portState = state
  }
  const nsid = intOf(values.get('link-netnsid'))
  if (nsid !== undefined) rec.linkNetnsid = nsid
  return rec
}

function linkLine(rec: LinkRecord, text: string): boolean {
  const m = /^\s*link\/(\S+)(?:\s+(\S+))?(.*)$/.exec(text)
  if (!m) return false
  rec.linkType = m[1]!
  const addr = m[2]
  const mac = macOf(addr)
  if (mac) rec.mac = mac
  else if (m[1] === 'ipip' && addr !== undefined && isIpv4(addr) && addr !== '0.0.0.0') rec.ipip = { ...rec.ipip, local: addr }
  const { values } = keyValues(words(m[3]!), LINK_KEYS)
  const nsid = intOf(values.get('link-netnsid'))
  if (nsid !== undefined) rec.linkNetnsid = nsid
  const ns = values.get('link-netns')
  if (ns !== undefined) rec.linkNetns = ns
  const peer = values.get('peer')
  if (m[1] === 'ipip' && peer !== undefined && isIpv4(peer) && peer !== '0.0.0.0') rec.ipip = { ...rec.ipip, remote: peer }
  return true
}

function detailLine(rec: LinkRecord, tokens: string[]): boolean {
  const kind = tokens[0]!
  if (KINDS.has(kind)) {
    rec.kind = kind
    const rest = tokens.slice(1)
    if (kind === 'vxlan') rec.vxlan = vxlanAttrs(rest)
    else if (kind === 'ipip') rec.ipip = { ...rec.ipip, ...tunnelEnds(rest) }
    else if (kind === 'bridge') rec.bridge = bridgeAttrs(rest)
    return true
  }
  if (SLAVE_KINDS.has(kind)) {
    if (kind === 'bridge_slave') portAttrs(rec, tokens.slice(1))
    return true
  }
  return false
}

function vxlanAttrs(t: string[]): VxlanAttrs {
  const { values, flags } = keyValues(t, new Set(['id', 'remote', 'group', 'local', 'dev', 'dstport', 'srcport', 'ttl', 'ageing', 'tos', 'maxaddress', 'df', 'flowlabel', 'src_vni', 'vnifilter']))
  const local = values.get('local')
  const remote = values.get('remote')
  const group = values.get('group')
  const dev = values.get('dev')
  const dstport = intOf(values.get('dstport'))
  return {
    vni: intOf(values.get('id')) ?? 0,
    ...(local !== undefined && isIpv4(local) && { local }),
    ...(remote !== undefined && isIpv4(remote) && { remote }),
    ...(group !== undefined && isIpv4(group) && { group }),
    ...(dev !== undefined && { dev }),
    ...(dstport !== undefined && { dstport }),
    learning: !flags.includes('nolearning'),
  }
}

function tunnelEnds(t: string[]): { local?: string; remote?: string } {
  const { values } = keyValues(t, new Set(['remote', 'local', 'ttl', 'tos', 'dev', 'encap', 'encap-sport', 'encap-dport', 'fwmark']))
  const local = values.get('local')
  const remote = values.get('remote')
  return { ...(local !== undefined && isIpv4(local) && local !== '0.0.0.0' && { local }), ...(remote !== undefined && isIpv4(remote) && remote !== '0.0.0.0' && { remote }) }
}

function bridgeAttrs(t: string[]): LinkRecord['bridge'] {
  const { values } = keyValues(t, new Set(['ageing_time', 'stp_state', 'vlan_filtering', 'forward_delay', 'hello_time', 'max_age', 'priority']))
  const ageing = intOf(values.get('ageing_time'))
  const stp = intOf(values.get('stp_state'))
  const vf = intOf(values.get('vlan_filtering'))
  // iproute2 prints ageing_time in centiseconds (kernel clock_t): 30000 = 300 s.
  return { ...(ageing !== undefined && { ageingTime: ageing / 100 }), ...(stp !== undefined && { stp: stp !== 0 }), ...(vf !== undefined && { vlanFiltering: vf !== 0 }) }
}

function portAttrs(rec: LinkRecord, t: string[]): void {
  const { values } = keyValues(t, new Set(['state', 'priority', 'cost', 'hairpin', 'guard', 'root_block', 'fastleave', 'learning', 'flood', 'proxy_arp', 'proxy_arp_wifi', 'mcast_flood', 'bcast_flood', 'neigh_suppress', 'isolated']))
  const state = values.get('state')
  if (state !== undefined) rec.portState = state
  const hairpin = values.get('hairpin')
  if (hairpin === 'on' || hairpin === 'off') rec.hairpin = hairpin === 'on'
}

/** `inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0` → Addr, or 'v6' / undefined. */
export function parseInetLine(text: string): Addr | 'v6' | undefined {
  const t = words(text)
  if (t[0] === 'inet6') return 'v6'
  if (t[0] !== 'inet' || t[1] === undefined) return undefined
  const { values, flags } = keyValues(t.slice(2), ADDR_KEYS)
  let cidr = parseCidr(t[1])
  const peer = values.get('peer')
  // Point-to-point: `inet 10.0.0.1 peer 10.0.0.2/32`: the length is on the peer.
  if (cidr && peer !== undefined && !t[1].includes('/')) {
    const p = parseCidr(peer)
    if (p) cidr = { ip: cidr.ip, len: p.len }
  }
  if (!cidr) return undefined
  const scope = values.get('scope')
  const brd = values.get('brd')
  return {
    ip: cidr.ip,
    len: cidr.len,
    scope: scope === 'host' ? 'host' : scope === 'link' ? 'link' : 'global',
    ...(brd !== undefined && isIpv4(brd) && { broadcast: brd }),
    ...(flags.includes('noprefixroute') && { noprefixroute: true }),
  }
}

/** Lines of `ip -o`: records joined by a backslash become separate physical lines. */
function physical(lines: readonly Line[]): Line[] {
  const out: Line[] = []
  for (const l of lines) {
    if (!l.text.includes('\\')) {
      out.push(l)
      continue
    }
    const parts = l.text.split(/\\(?=\s)/)
    out.push({ ...l, text: parts[0]! })
    for (const p of parts.slice(1)) out.push({ ...l, text: `    ${p.trim()}` })
  }
  return out
}

/** `ip link`, `ip addr`, with -d/-s/-o. */
export function parseIpLinkText(lines: readonly Line[], file: string): ParseOut<LinkRecord> {
  const out = emptyOut<LinkRecord>()
  const byName = new Map<string, LinkRecord>()
  let cur: LinkRecord | undefined
  let skippedV6 = 0
  const badLines = new Set<number>()
  const bad = (l: Line, msg: string) => {
    if (badLines.has(l.n)) return
    badLines.add(l.n)
    reject(out, file, l, msg)
  }
  for (const l of physical(lines)) {
    const text = l.text
    if (text.trim() === '' || /^--$/.test(text)) continue
    const h = HEADER.exec(text)
    if (h) {
      const rec = header(l, file, h)
      const prev = byName.get(rec.name)
      cur = prev ? Object.assign(prev, { ...rec, addrs: prev.addrs, altnames: prev.altnames, from: [...prev.from, ...rec.from] }) : rec
      if (!prev) {
        byName.set(rec.name, cur)
        out.items.push(cur)
      }
      continue
    }
    const o = ONELINE_ADDR.exec(text)
    if (o) {
      const name = o[2]!.replace(/:$/, '')
      let rec = byName.get(name)
      if (!rec) {
        rec = { name, ifindex: Number(o[1]), addrs: [], altnames: [], from: [from(file, l)] }
        byName.set(name, rec)
        out.items.push(rec)
      }
      cur = rec
      const a = parseInetLine(o[3]!)
      if (a === 'v6') skippedV6++
      else if (a) pushAddr(rec, a)
      else bad(l, 'address line not understood')
      continue
    }
    if (!cur || !/^\s/.test(text)) {
      bad(l, 'expected an interface header (`N: name: <FLAGS> mtu …`)')
      continue
    }
    const t = words(text)
    const first = t[0]!
    if (first.startsWith('link/')) {
      if (!linkLine(cur, text)) bad(l, 'link line not understood')
    } else if (first === 'inet' || first === 'inet6') {
      const a = parseInetLine(text)
      if (a === 'v6') skippedV6++
      else if (a) pushAddr(cur, a)
      else bad(l, 'address line not understood')
    } else if (first === 'valid_lft' || first === 'RX:' || first === 'TX:' || /^\d+$/.test(first) || first === 'prop' || first === 'alias' || first === 'vf') {
      // lifetimes, statistics (-s), properties: understood, nothing to model
    } else if (first === 'altname') {
      if (t[1] !== undefined) cur.altnames.push(t[1])
    } else if (detailLine(cur, t)) {
      // kind details (-d)
    } else if (NOT_KIND.has(first) || LINK_KEYS.has(first)) {
      // plain details (`addrgenmode eui64 numtxqueues 1 …`): nothing to model
    } else if (/^[a-z][a-z0-9_]*$/.test(first)) {
      // A kind iproute2 knows and the importer does not (`batadv`, `hsr`…): keep its name.
      cur.kind ??= first
    } else bad(l, 'interface detail line not understood')
  }
  if (skippedV6 > 0) out.diagnostics.push({ code: 'IP006', severity: 'info', message: `${skippedV6} IPv6 address line(s) skipped: the engine models IPv4 only`, file, ...(lines[0] && { line: lines[0].n }) })
  return out
}

function pushAddr(rec: LinkRecord, a: Addr): void {
  if (!rec.addrs.some((x) => x.ip === a.ip && x.len === a.len)) rec.addrs.push(a)
}

/** `bridge link` and `bridge -d link`: port state, master, hairpin; the peer's name after `@`. */
export function parseBridgeLinkText(lines: readonly Line[], file: string): ParseOut<LinkRecord> {
  const out = emptyOut<LinkRecord>()
  let cur: LinkRecord | undefined
  for (const l of lines) {
    const text = l.text
    if (text.trim() === '') continue
    const h = HEADER.exec(text)
    if (h) {
      cur = header(l, file, h)
      out.items.push(cur)
      continue
    }
    if (cur && /^\s/.test(text)) {
      portAttrs(cur, words(text))
      continue
    }
    reject(out, file, l, 'expected a `bridge link` line (`N: name: <FLAGS> mtu … master BR state …`)')
  }
  return out
}

/** `ip -br link` (`name STATE MAC <FLAGS>`) and `ip -br addr` (`name STATE addr/len…`). */
export function parseIpBrief(lines: readonly Line[], file: string): ParseOut<LinkRecord> {
  const out = emptyOut<LinkRecord>()
  for (const l of lines) {
    const t = words(l.text)
    if (t.length < 2) {
      if (t.length > 0) reject(out, file, l, 'expected `name STATE …`')
      continue
    }
    const [nameAt, state, ...rest] = t as [string, string, ...string[]]
    const at = nameAt.indexOf('@')
    const name = at > 0 ? nameAt.slice(0, at) : nameAt
    const rec: LinkRecord = { name, operstate: state, addrs: [], altnames: [], from: [from(file, l)] }
    if (at > 0) {
      const peer = nameAt.slice(at + 1)
      const ifm = /^if(\d+)$/.exec(peer)
      if (ifm) rec.peerIfindex = Number(ifm[1])
      else if (peer !== 'NONE') rec.peerName = peer
    }
    for (const w of rest) {
      const mac = macOf(w)
      if (mac) rec.mac = mac
      else if (w.startsWith('<')) rec.flags = w.replace(/[<>]/g, '').split(',').filter((f) => f !== '')
      else if (isV6(w)) continue
      else {
        const c = w.includes('/') ? parseCidr(w) : undefined
        if (c) pushAddr(rec, { ip: c.ip, len: c.len, scope: c.ip.startsWith('127.') ? 'host' : 'global' })
      }
    }
    out.items.push(rec)
  }
  return out
}
