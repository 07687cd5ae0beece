/**
 * JSON output of iproute2 (`ip -j [-d] addr|link|route|neigh|rule`, `bridge -j fdb|link`, with
 * or without -p). The object keys tell which command printed it (ifname+addr_info: addr;
 * ifname+link_type: link; priority+src: rule; dst+lladdr/state: neigh; mac+ifname: fdb; dst:
 * route).
 * A block is one JSON value; when it parses, all its lines are understood.
 */
import type { Route, RoutingRule } from '../model/types.ts'
import { parseRuleWords } from '../route/rules.ts'
import { isIpv4 } from '../wire/addr.ts'
import { diag, macOf, parseCidr } from './parseCommon.ts'
import type { ParseOut } from './parseCommon.ts'
import type { LinkRecord } from './parseIpLink.ts'
import type { FdbRecord, NeighRecord } from './parseTables.ts'
import type { Line } from './text.ts'
import type { From } from './types.ts'
import type { NeighState, RouteType } from '../model/types.ts'

export interface JsonOut {
  readonly links: LinkRecord[]
  readonly routes: Route[]
  readonly neigh: NeighRecord[]
  readonly fdb: FdbRecord[]
  readonly rules: RoutingRule[]
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

export function parseIpJsonText(lines: readonly Line[], file: string): ParseOut<JsonOut> {
  const out: ParseOut<JsonOut> = { items: [], bad: [], diagnostics: [] }
  const first = lines[0]
  if (!first) return out
  const where: From = { file, line: first.n }
  let doc: unknown
  try {
    doc = JSON.parse(lines.map((l) => l.text).join('\n'))
  } catch {
    out.bad.push(...lines)
    out.diagnostics.push(diag('IP008', file, first, 'JSON output that does not parse'))
    return out
  }
  const res: JsonOut = { links: [], routes: [], neigh: [], fdb: [], rules: [] }
  const arr = Array.isArray(doc) ? doc : [doc]
  let unknown = 0
  let v6 = 0
  let v6Rules = 0
  for (const o of arr) {
    if (!isObj(o)) {
      unknown++
      continue
    }
    if (typeof o.priority === 'number' && typeof o.src === 'string') {
      // A rule (it may have `dst`, so before routes): its keys back into `ip rule` words.
      const r = ruleOf(o)
      if (r === 'v6') v6Rules++
      else if (r.ok) res.rules.push({ ...r.rule, priority: o.priority, source: where })
      else if (r.error.startsWith('unknown table')) out.diagnostics.push(diag('IP011', file, first, `rule ${o.priority}: ${r.error}`, { hint: 'run `ip -N -j rule show`: it prints table numbers instead of the names in /etc/iproute2/rt_tables' }))
      else out.diagnostics.push(diag('IP001', file, first, `rule ${o.priority}: ${r.error}`, { hint: 'paste `ip -j rule show` output unchanged (iproute2 6.x)' }))
    } else if (typeof o.mac === 'string' && typeof o.ifname === 'string') {
      const f = fdbOf(o, where)
      if (f) res.fdb.push(f)
    } else if (typeof o.ifname === 'string') res.links.push(linkOf(o, where))
    else if (typeof o.dst === 'string' && ('lladdr' in o || 'state' in o) && !('gateway' in o)) {
      const n = neighOf(o, where)
      if (n === 'v6') v6++
      else if (n) res.neigh.push(n)
    } else if (typeof o.dst === 'string') {
      const r = routeOf(o, where)
      if (r === 'v6') v6++
      else if (r) res.routes.push(r)
    } else unknown++
  }
  // `ip -6 -j rule`: its `0` and `32766` rules are the IPv6 list's, so none of them is kept.
  if (v6Rules > 0) {
    v6 += res.rules.length + v6Rules
    res.rules.length = 0
  }
  if (unknown > 0) out.diagnostics.push(diag('IP004', file, first, `${unknown} JSON object(s) of an unknown shape ignored`, { severity: 'info' }))
  if (v6 > 0) out.diagnostics.push(diag('IP006', file, first, `${v6} IPv6 entr${v6 === 1 ? 'y' : 'ies'} skipped: the engine models IPv4 only`, { severity: 'info' }))
  out.items.push(res)
  return out
}

function linkOf(o: Obj, where: From): LinkRecord {
  const rec: LinkRecord = { name: str(o.ifname)!, addrs: [], altnames: [], from: [where] }
  const ifindex = num(o.ifindex)
  if (ifindex !== undefined) rec.ifindex = ifindex
  if (Array.isArray(o.flags)) rec.flags = o.flags.filter((f): f is string => typeof f === 'string')
  const mtu = num(o.mtu)
  if (mtu !== undefined) rec.mtu = mtu
  const master = str(o.master)
  if (master !== undefined) rec.master = master
  const operstate = str(o.operstate)
  if (operstate !== undefined) rec.operstate = operstate
  const linkType = str(o.link_type)
  if (linkType !== undefined) rec.linkType = linkType
  const mac = macOf(str(o.address))
  if (mac) rec.mac = mac
  const peer = num(o.link_index)
  if (peer !== undefined) rec.peerIfindex = peer
  const link = str(o.link)
  if (link !== undefined) rec.peerName = link
  const nsid = num(o.link_netnsid)
  if (nsid !== undefined) rec.linkNetnsid = nsid
  if (Array.isArray(o.altnames)) rec.altnames.push(...o.altnames.filter((a): a is string => typeof a === 'string'))
  if (Array.isArray(o.addr_info)) {
    for (const a of o.addr_info) {
      if (!isObj(a) || a.family !== 'inet') continue
      const c = parseCidr(`${str(a.local) ?? ''}/${num(a.prefixlen) ?? 32}`)
      if (!c) continue
      const scope = str(a.scope)
      const brd = str(a.broadcast)
      rec.addrs.push({ ip: c.ip, len: c.len, scope: scope === 'host' ? 'host' : scope === 'link' ? 'link' : 'global', ...(brd !== undefined && isIpv4(brd) && { broadcast: brd }), ...(a.noprefixroute === true && { noprefixroute: true }) })
    }
  }
  // `bridge -j link` puts the port state and hairpin at the top level.
  const state = str(o.state)
  if (state !== undefined && /^[a-z]+$/.test(state)) rec.portState = state
  if (typeof o.hairpin === 'boolean') rec.hairpin = o.hairpin
  const info = isObj(o.linkinfo) ? o.linkinfo : undefined
  if (info) {
    const kind = str(info.info_kind)
    if (kind !== undefined) rec.kind = kind
    const d = isObj(info.info_data) ? info.info_data : {}
    if (kind === 'vxlan') {
      const local = str(d.local)
      const remote = str(d.remote)
      const group = str(d.group)
      const dev = str(d.link)
      const port = num(d.port)
      rec.vxlan = { vni: num(d.id) ?? 0, ...(local && isIpv4(local) && { local }), ...(remote && isIpv4(remote) && { remote }), ...(group && isIpv4(group) && { group }), ...(dev !== undefined && { dev }), ...(port !== undefined && { dstport: port }), learning: d.learning !== false }
    } else if (kind === 'ipip') {
      const local = str(d.local)
      const remote = str(d.remote)
      rec.ipip = { ...(local && isIpv4(local) && local !== '0.0.0.0' && { local }), ...(remote && isIpv4(remote) && remote !== '0.0.0.0' && { remote }) }
    } else if (kind === 'bridge') {
      const ageing = num(d.ageing_time)
      const stp = num(d.stp_state)
      const vf = num(d.vlan_filtering)
      rec.bridge = { ...(ageing !== undefined && { ageingTime: ageing / 100 }), ...(stp !== undefined && { stp: stp !== 0 }), ...(vf !== undefined && { vlanFiltering: vf !== 0 }) }
    }
    const slave = isObj(info.info_slave_data) ? info.info_slave_data : undefined
    if (info.info_slave_kind === 'bridge' && slave) {
      const st = str(slave.state)
      if (st !== undefined) rec.portState = st
      if (typeof slave.hairpin === 'boolean') rec.hairpin = slave.hairpin
    }
  }
  return rec
}

/**
 * `ip -j rule` keys (iprule.c print_rule) as the words `ip rule show` prints, so one grammar
 * reads both: `{"src":"10.0.0.0","srclen":16,"fwmark":"0x80","fwmask":"0xff","table":"200"}`
 * → `from 10.0.0.0/16 fwmark 0x80/0xff lookup 200`.
 */
function ruleOf(o: Obj): ReturnType<typeof parseRuleWords> | 'v6' {
  const w: string[] = []
  const text = (v: unknown): string | undefined => str(v) ?? (num(v) !== undefined ? String(num(v)) : undefined)
  const prefix = (key: 'src' | 'dst', word: string): boolean => {
    const a = str(o[key])
    if (a === undefined) return false
    if (a.includes(':')) return true
    const len = num(o[`${key}len`])
    w.push(word, len === undefined ? a : `${a}/${len}`)
    return false
  }
  if ('not' in o) w.push('not')
  if (prefix('src', 'from') || prefix('dst', 'to')) return 'v6'
  const range = (key: string, word: string): void => {
    const one = text(o[key])
    const from = text(o[`${key}_start`])
    const to = text(o[`${key}_end`])
    if (one !== undefined) w.push(word, one)
    else if (from !== undefined) w.push(word, to === undefined || to === from ? from : `${from}-${to}`)
  }
  const pairs: [string, string][] = [['tos', 'tos'], ['iif', 'iif'], ['oif', 'oif'], ['ipproto', 'ipproto'], ['tun_id', 'tun_id'], ['table', 'lookup'], ['suppress_prefixlen', 'suppress_prefixlength'], ['suppress_ifgroup', 'suppress_ifgroup'], ['flow_to', 'realms'], ['goto', 'goto'], ['protocol', 'proto']]
  const mark = text(o.fwmark)
  const mask = text(o.fwmask)
  if (mark !== undefined) w.push('fwmark', mask === undefined ? mark : `${mark}/${mask}`)
  if ('l3mdev' in o) w.push('l3mdev')
  if ('uid_start' in o) w.push('uidrange', `${text(o.uid_start) ?? ''}-${text(o.uid_end) ?? ''}`)
  range('sport', 'sport')
  range('dport', 'dport')
  for (const [key, word] of pairs) {
    const v = text(o[key])
    if (v !== undefined) w.push(word, v)
  }
  if ('nop' in o) w.push('nop')
  const action = str(o.action)
  if (action !== undefined) w.push(action)
  return parseRuleWords(w)
}

const TYPES = new Set(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw'])

function routeOf(o: Obj, where: From): Route | 'v6' | undefined {
  const dstText = str(o.dst)!
  const gw = str(o.gateway)
  if (dstText.includes(':') || (gw !== undefined && gw.includes(':'))) return 'v6'
  const type = str(o.type) ?? 'unicast'
  if (!TYPES.has(type)) return undefined
  let dst: string
  if (dstText === 'default') dst = 'default'
  else {
    const c = parseCidr(dstText)
    if (!c) return undefined
    dst = dstText
  }
  const flags = Array.isArray(o.flags) ? o.flags : []
  const tableText = str(o.table) ?? String(num(o.table) ?? 'main')
  const table: Route['table'] = tableText === 'main' ? 'main' : tableText === 'local' ? 'local' : tableText === 'default' ? 253 : Number(tableText)
  if (typeof table === 'number' && !Number.isFinite(table)) return undefined
  const nexthops = Array.isArray(o.nexthops) ? o.nexthops.filter(isObj) : []
  const via = gw ?? str(nexthops[0]?.gateway)
  const dev = str(o.dev) ?? str(nexthops[0]?.dev)
  const scope = str(o.scope)
  const src = str(o.prefsrc)
  const metric = num(o.metric)
  return {
    dst,
    type: type as RouteType,
    table,
    ...(via !== undefined && isIpv4(via) && { via }),
    ...(dev !== undefined && { dev }),
    ...(flags.includes('onlink') && { onlink: true }),
    scope: scope === 'link' ? 'link' : scope === 'host' ? 'host' : 'global',
    ...(src !== undefined && isIpv4(src) && { src }),
    proto: str(o.protocol) ?? 'boot',
    ...(metric !== undefined && { metric }),
    source: where,
    raw: JSON.stringify(o),
  }
}

const NUD = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'INCOMPLETE', 'FAILED'])

function neighOf(o: Obj, where: From): NeighRecord | 'v6' | undefined {
  const ip = str(o.dst)!
  if (ip.includes(':')) return 'v6'
  if (!isIpv4(ip)) return undefined
  const states = Array.isArray(o.state) ? o.state.filter((s): s is string => typeof s === 'string') : []
  const state = states.find((s) => NUD.has(s)) as NeighState | undefined
  if (!state) return undefined
  const mac = macOf(str(o.lladdr))
  const dev = str(o.dev)
  return { ip, ...(dev !== undefined && { dev }), ...(mac && { mac }), state, ...('router' in o && { router: true }), source: where }
}

function fdbOf(o: Obj, where: From): FdbRecord | undefined {
  const mac = macOf(str(o.mac))
  if (!mac) return undefined
  const flags = Array.isArray(o.flags) ? o.flags : []
  const state = str(o.state)
  const master = str(o.master)
  const dst = str(o.dst)
  const vlan = num(o.vlan)
  const vni = num(o.vni)
  const permanent = state === 'permanent' || state === 'static'
  return {
    mac,
    dev: str(o.ifname)!,
    ...(master !== undefined && { master }),
    ...(dst !== undefined && isIpv4(dst) && { dst }),
    ...(vni !== undefined && { vni }),
    ...(flags.includes('self') && { self: true }),
    permanent,
    ...(state === 'permanent' && master !== undefined && { local: true }),
    ...(vlan !== undefined && { vlan }),
    source: where,
  }
}
