/**
 * `ip route`, `ip neigh`, `bridge fdb show` and `ip rule` text, as iproute2 6.x prints them
 * (iproute.c print_route, ipneigh.c print_neigh, bridge/fdb.c print_fdb, iprule.c
 * print_rule). Attributes that iproute2 leaves out when they have their default are filled in
 * the kernel's way: no `scope` = global, no `proto` = boot. IPv6 entries are recognised and
 * skipped.
 */
import { canonicalDst } from '../model/ops.ts'
import type { FdbEntry, NeighEntry, NeighState, Route, RouteType, RoutingRule } from '../model/types.ts'
import { parseRuleWords } from '../route/rules.ts'
import { isIpv4 } from '../wire/addr.ts'
import { diag, emptyOut, intOf, isV6, keyValues, macOf, reject } from './parseCommon.ts'
import type { ParseOut } from './parseCommon.ts'
import type { Line } from './text.ts'
import { words } from './text.ts'

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'multicast', 'anycast', 'nat'])
const ROUTE_KEYS = new Set(['via', 'dev', 'proto', 'scope', 'src', 'metric', 'table', 'mtu', 'advmss', 'hoplimit', 'realm', 'realms', 'expires', 'pref', 'nhid', 'error', 'weight', 'initcwnd', 'initrwnd', 'rto_min', 'uid', 'features', 'congctl', 'quickack', 'tos', 'dsfield', 'window', 'rtt', 'rttvar', 'ssthresh', 'cwnd', 'reordering', 'fastopen_no_cookie', 'ttl-propagate', 'as', 'encap', 'preference', 'priority'])
const ROUTE_FLAGS = new Set(['onlink', 'linkdown', 'dead', 'pervasive', 'offload', 'trap', 'notify', 'rt_offload', 'rt_trap', 'rt_offload_failed', 'cache', 'lock', 'inet', 'nexthop'])

function toDst(text: string): string | undefined {
  if (text === 'default') return 'default'
  const slash = text.indexOf('/')
  const ip = slash < 0 ? text : text.slice(0, slash)
  if (!isIpv4(ip)) return undefined
  if (slash >= 0 && !/^\d{1,2}$/.test(text.slice(slash + 1))) return undefined
  try {
    return canonicalDst(text)
  } catch {
    return undefined
  }
}

function tableOf(text: string | undefined): Route['table'] | 'unknown' {
  if (text === undefined || text === 'main') return 'main'
  if (text === 'local') return 'local'
  if (text === 'default') return 253
  const n = intOf(text)
  if (n === 254) return 'main'
  if (n === 255) return 'local'
  return n !== undefined && n >= 0 ? n : 'unknown'
}

interface RouteOut extends ParseOut<Route> {
  ipv6: number
}

/** `ip route [show table all]` text. */
export function parseIpRouteText(lines: readonly Line[], file: string): RouteOut {
  const out: RouteOut = { ...emptyOut<Route>(), ipv6: 0 }
  let last: { route: Route; index: number; nexthops: number } | undefined
  let lastWasV6 = false
  for (const l of lines) {
    const t = words(l.text)
    if (t.length === 0 || l.text === '--') continue
    if (/^\s/.test(l.text) && (t[0] === 'nexthop' || t[0] === 'cache')) {
      if (t[0] === 'cache') continue
      if (lastWasV6) continue
      if (!last) {
        reject(out, file, l, '`nexthop` line without a route before it')
        continue
      }
      const { values } = keyValues(t.slice(1), ROUTE_KEYS)
      last.nexthops++
      if (last.nexthops === 1) {
        const via = values.get('via')
        const dev = values.get('dev')
        const r: Route = { ...last.route, ...(via !== undefined && isIpv4(via) && { via }), ...(dev !== undefined && { dev }), raw: `${last.route.raw ?? ''} ${l.text.trim()}` }
        out.items[last.index] = r
        last.route = r
      } else {
        out.items[last.index] = { ...last.route, raw: `${last.route.raw ?? ''} ${l.text.trim()}` }
        last.route = out.items[last.index]!
        if (last.nexthops === 2)
          out.diagnostics.push(diag('IP007', file, l, `multipath route to ${last.route.dst}: only the first nexthop is simulated`, { severity: 'info' }))
      }
      continue
    }
    let i = 0
    let type: RouteType | 'other' = 'unicast'
    if (ROUTE_TYPES.has(t[0]!)) {
      const ty = t[0]!
      type = ty === 'multicast' || ty === 'anycast' || ty === 'nat' ? 'other' : (ty as RouteType)
      i = 1
    }
    const dstText = t[i]
    const { values, flags } = keyValues(t.slice(i + 1), ROUTE_KEYS)
    if (dstText === undefined) {
      reject(out, file, l, 'route without a destination')
      continue
    }
    const via = values.get('via')
    if (isV6(dstText) || (via !== undefined && isV6(via)) || values.has('pref')) {
      out.ipv6++
      lastWasV6 = true
      continue
    }
    lastWasV6 = false
    const dst = toDst(dstText)
    if (dst === undefined) {
      reject(out, file, l, `route destination "${dstText}" is not an IPv4 prefix`)
      continue
    }
    if (type === 'other') {
      out.diagnostics.push(diag('IP004', file, l, `${t[0]} route skipped: the engine does not model this route type`, { severity: 'info' }))
      last = undefined
      continue
    }
    const table = tableOf(values.get('table'))
    if (table === 'unknown') {
      out.diagnostics.push(diag('IP011', file, l, `routing table "${values.get('table')}" is not a number or a known name; route skipped`, { hint: 'run `ip route show table all` with numeric tables (`ip -N route show table all`)' }))
      last = undefined
      continue
    }
    const unknown = flags.filter((f) => !ROUTE_FLAGS.has(f) && !/^\d+$/.test(f) && f !== 'mtu')
    if (unknown.length > 0) out.diagnostics.push(diag('IP004', file, l, `route attribute(s) ignored: ${unknown.join(' ')}`, { severity: 'info' }))
    const scopeText = values.get('scope')
    const src = values.get('src')
    const metric = intOf(values.get('metric'))
    const mtuText = values.get('mtu') === 'lock' ? t[t.indexOf('lock') + 1] : values.get('mtu')
    const mtu = intOf(mtuText)
    const route: Route = {
      dst,
      type,
      table,
      ...(via !== undefined && isIpv4(via) && { via }),
      ...(values.has('dev') && { dev: values.get('dev')! }),
      ...(flags.includes('onlink') && { onlink: true }),
      scope: scopeText === 'link' ? 'link' : scopeText === 'host' ? 'host' : 'global',
      ...(src !== undefined && isIpv4(src) && { src }),
      proto: values.get('proto') ?? 'boot',
      ...(metric !== undefined && { metric }),
      ...(mtu !== undefined && { mtu }),
      source: { file, line: l.n },
      raw: l.text.trim(),
    }
    out.items.push(route)
    last = { route, index: out.items.length - 1, nexthops: 0 }
  }
  if (out.ipv6 > 0) out.diagnostics.push({ code: 'IP006', severity: 'info', message: `${out.ipv6} IPv6 route(s) skipped: the engine models IPv4 only`, file, ...(lines[0] && { line: lines[0].n }) })
  return out
}

const NUD_STATES = new Set<string>(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'INCOMPLETE', 'FAILED'])
const NEIGH_KEYS = new Set(['dev', 'lladdr', 'ref', 'used', 'probes', 'protocol', 'nomaster', 'vrf'])

/** A neighbour whose `dev` the output left out (`ip neigh show dev X` prints none). */
export type NeighRecord = Omit<NeighEntry, 'dev'> & { readonly dev?: string }

/** `ip neigh` text. `dev` comes from the command (`ip neigh show dev cni0`) when lines lack it. */
export function parseIpNeighText(lines: readonly Line[], file: string, dev?: string): ParseOut<NeighRecord> & { ipv6: number } {
  const out = { ...emptyOut<NeighRecord>(), ipv6: 0 }
  for (const l of lines) {
    const t = words(l.text)
    if (t.length === 0) continue
    const ip = t[0]!
    if (isV6(ip)) {
      out.ipv6++
      continue
    }
    if (!isIpv4(ip)) {
      reject(out, file, l, `neighbour address "${ip}" is not IPv4`)
      continue
    }
    const { values, flags } = keyValues(t.slice(1), NEIGH_KEYS)
    const state = flags.find((f) => NUD_STATES.has(f)) as NeighState | undefined
    if (state === undefined) {
      if (flags.includes('NONE')) {
        out.diagnostics.push(diag('IP004', file, l, 'neighbour in state NONE skipped', { severity: 'info' }))
        continue
      }
      reject(out, file, l, 'neighbour line without a state (REACHABLE, STALE, PERMANENT…)')
      continue
    }
    const mac = macOf(values.get('lladdr'))
    const d = values.get('dev') ?? dev
    out.items.push({ ip, ...(d !== undefined && { dev: d }), ...(mac && { mac }), state, ...(flags.includes('router') && { router: true }), source: { file, line: l.n } })
  }
  if (out.ipv6 > 0) out.diagnostics.push({ code: 'IP006', severity: 'info', message: `${out.ipv6} IPv6 neighbour(s) skipped: the engine models IPv4 only`, file, ...(lines[0] && { line: lines[0].n }) })
  return out
}

const FDB_KEYS = new Set(['dev', 'vlan', 'master', 'dst', 'port', 'vni', 'src_vni', 'via', 'nhid', 'used', 'link-netnsid', 'updated', 'state'])
const FDB_FLAGS = new Set(['self', 'router', 'extern_learn', 'offload', 'sticky', 'permanent', 'static', 'dynamic', 'locked', 'activity_notify', 'inactive', 'norefresh'])

/** A forwarding entry whose `dev` the output left out (`bridge fdb show dev X`). */
export type FdbRecord = Omit<FdbEntry, 'dev'> & { readonly dev?: string }

/** `bridge fdb show` text. */
export function parseBridgeFdbText(lines: readonly Line[], file: string, dev?: string): ParseOut<FdbRecord> {
  const out = emptyOut<FdbRecord>()
  for (const l of lines) {
    const t = words(l.text)
    if (t.length === 0) continue
    const mac = macOf(t[0])
    if (!mac) {
      reject(out, file, l, `"${t[0]}" is not a MAC address`)
      continue
    }
    const { values, flags } = keyValues(t.slice(1), FDB_KEYS)
    const unknown = flags.filter((f) => !FDB_FLAGS.has(f))
    if (unknown.length > 0) out.diagnostics.push(diag('IP004', file, l, `FDB attribute(s) ignored: ${unknown.join(' ')}`, { severity: 'info' }))
    const dst = values.get('dst')
    const vlan = intOf(values.get('vlan'))
    const vni = intOf(values.get('vni'))
    const master = values.get('master')
    const d = values.get('dev') ?? dev
    const permanent = flags.includes('permanent') || flags.includes('static')
    out.items.push({
      mac,
      ...(d !== undefined && { dev: d }),
      ...(master !== undefined && { master }),
      ...(dst !== undefined && isIpv4(dst) && { dst }),
      ...(vni !== undefined && { vni }),
      ...(flags.includes('self') && { self: true }),
      permanent,
      // A `permanent` entry on a bridge port is the port's own address (the kernel's local entry).
      ...(flags.includes('permanent') && master !== undefined && { local: true }),
      ...(vlan !== undefined && { vlan }),
      source: { file, line: l.n },
    })
  }
  return out
}

/** 1-based column of word `index` of `text` (words split as `words` does); past the end: after the last word. */
function wordColumn(text: string, index: number): number {
  const re = /\S+/g
  let m: RegExpExecArray | null
  let k = 0
  let end = text.length
  while ((m = re.exec(text)) !== null) {
    if (k === index) return m.index + 1
    end = m.index + m[0].length
    k++
  }
  return end + 2
}

/**
 * `ip rule [show]` text (iprule.c print_rule): every rule, the three defaults included, in the
 * order printed. `ip -6 rule` output (the command says so, or a line has an IPv6 `from`/`to`)
 * is skipped whole like IPv6 routes: its `0:` and `32766:` lines are the IPv6 list's.
 */
export function parseIpRuleText(lines: readonly Line[], file: string, opts: { readonly ipv6?: boolean } = {}): ParseOut<RoutingRule> & { ipv6: number } {
  const out = { ...emptyOut<RoutingRule>(), ipv6: 0 }
  const isV6Rule = (text: string) => words(text).some((w, i, t) => (t[i - 1] === 'from' || t[i - 1] === 'to') && isV6(w))
  if (opts.ipv6 === true || lines.some((l) => isV6Rule(l.text))) {
    out.ipv6 = lines.filter((l) => /^\s*\d+:/.test(l.text)).length
    out.diagnostics.push({ code: 'IP006', severity: 'info', message: `${out.ipv6} IPv6 rule(s) skipped: the engine models IPv4 only`, file, ...(lines[0] && { line: lines[0].n }) })
    return out
  }
  for (const l of lines) {
    const m = /^(\s*)(\d+):\s+(.*)$/.exec(l.text)
    if (!m) {
      if (l.text.trim() !== '') reject(out, file, l, 'expected `PRIORITY:\tfrom SELECTOR… ACTION` as `ip rule show` prints it')
      continue
    }
    const r = parseRuleWords(words(m[3]!))
    if (!r.ok) {
      const skip = l.text.length - m[3]!.length
      out.bad.push(l)
      // A table named in /etc/iproute2/rt_tables: `ip -N rule` prints its number.
      const named = r.error.startsWith('unknown table')
      out.diagnostics.push(diag(named ? 'IP011' : 'IP001', file, l, r.error, { col: skip + wordColumn(m[3]!, r.word), hint: named ? 'run `ip -N rule show`: it prints table numbers instead of the names in /etc/iproute2/rt_tables' : 'paste `ip rule show` output unchanged (iproute2 6.x)' }))
      continue
    }
    out.items.push({ ...r.rule, priority: Number(m[2]), source: { file, line: l.n } })
  }
  return out
}
