/**
 * The tables an inspector shows for one netns, in the forms the real tools print (`ip addr`,
 * `ip rule`, `ip route`, `ip neigh`, `bridge fdb`, `iptables-save`, `conntrack -L`), each row marked when
 * the current step used it, with the reason the engine gave. Pure: netns and step in, rows out.
 */
import type { ConntrackEntry, Rule, Ruleset } from '../../engine/netfilter/types.ts'
import type { FdbEntry, NeighEntry, Netns, Route, World } from '../../engine/model/types.ts'
import type { ChainWalk, RuleEval, TableRef, TraceStep } from '../../engine/sim/trace.ts'
import { printConntrackL } from '../../engine/netfilter/conntrack.ts'
import { printFdbEntry, printNeighEntry, printRoute } from '../../engine/print/iproute2.ts'
import { describeRule, isDefaultRules, rulesOf, sameRule } from '../../engine/route/rules.ts'

export interface Row {
  readonly key: string
  readonly text: string
  readonly used: boolean
  /** Why this entry was chosen (longest prefix, learned just now…). */
  readonly reason?: string
  /** The device the row is about, so selecting it can highlight the graph. */
  readonly dev?: string
  /** Addresses the row names, each with its part (`original src`…), so each can point at its owner in the graph. */
  readonly addrs?: readonly RowAddr[]
}

export interface RowAddr {
  readonly role: string
  readonly ip: string
}

/** A conntrack entry's endpoints, as `conntrack -L` orders them: original src, dst, then the reply's (an address already listed is not repeated). */
export function conntrackAddrs(e: ConntrackEntry): RowAddr[] {
  const all = [
    { role: 'original src', ip: e.orig.src },
    { role: 'original dst', ip: e.orig.dst },
    { role: 'reply src', ip: e.reply.src },
    { role: 'reply dst', ip: e.reply.dst },
  ]
  return all.filter((a, i) => all.findIndex((b) => b.ip === a.ip) === i)
}

const refIn = (ref: TableRef | undefined, netns: string, table: TableRef['table']) => (ref && ref.table === table && ref.netns === netns ? ref : undefined)

/** What the step did to a table: the entries it wrote (learned), by kind. */
function written(step: TraceStep | undefined, netns: string) {
  const neigh: NeighEntry[] = []
  const fdb: FdbEntry[] = []
  const ct: ConntrackEntry[] = []
  for (const e of step?.effects ?? []) {
    if (e.netns !== netns) continue
    if (e.kind === 'neigh') neigh.push(e.entry)
    else if (e.kind === 'fdb') fdb.push(e.entry)
    else if (e.kind === 'conntrack') ct.push(e.entry)
  }
  return { neigh, fdb, ct }
}

export function addrRows(ns: Netns, step?: TraceStep): Row[] {
  const ref = refIn(step?.ref, ns.name, 'addr')
  return ns.links.flatMap((l) =>
    l.addrs.map((a) => {
      const used = ref?.table === 'addr' && ref.dev === l.name && ref.addr.ip === a.ip
      return { key: `${l.name}/${a.ip}`, text: `${a.ip}/${a.len} dev ${l.name}${a.scope && a.scope !== 'global' ? ` scope ${a.scope}` : ''}`, used, dev: l.name, ...(used && { reason: 'a local address: the packet is for this netns (local table)' }) }
    }),
  )
}

const sameRoute = (a: Route, b: Route) => a.dst === b.dst && a.dev === b.dev && a.via === b.via && a.table === b.table && a.type === b.type && a.metric === b.metric

/** Routes of every table but local (which the kernel fills from the addresses); other tables print their `table N`. */
export function routeRows(ns: Netns, step?: TraceStep): Row[] {
  const ref = refIn(step?.ref, ns.name, 'route')
  return ns.routes
    .filter((r) => r.table !== 'local')
    .map((r, i) => {
      const used = ref?.table === 'route' && sameRoute(ref.route, r)
      return { key: `${i}:${r.dst}:${r.dev ?? ''}`, text: printRoute(r).trimEnd(), used, ...(r.dev && { dev: r.dev }), ...(used && ref?.table === 'route' && { reason: ref.reason }) }
    })
}

/** `ip rule`, only when the netns has rules beyond the kernel's three defaults; the rule that chose the route's table is marked. */
export function ruleRows(ns: Netns, step?: TraceStep): Row[] {
  if (isDefaultRules(ns.rules)) return []
  const ref = refIn(step?.ref, ns.name, 'route')
  const chose = ref?.table === 'route' ? ref.rule : undefined
  const rules = rulesOf(ns)
  // `ip rule` separates priority and rule with a tab; here the priorities are right-aligned instead.
  const width = Math.max(...rules.map((r) => String(r.priority).length))
  return rules.map((r, i) => {
    const used = chose !== undefined && sameRule(chose, r)
    const ends = r.action === 'blackhole' || r.action === 'unreachable' || r.action === 'prohibit'
    return { key: `rule:${i}:${r.priority}`, text: `${String(r.priority).padStart(width)}: ${describeRule(r)}`, used, ...(used && { reason: ends ? `the first matching rule: ${r.action}, the lookup ends here` : 'the first matching rule whose table had a route' }) }
  })
}

export function neighRows(ns: Netns, step?: TraceStep): Row[] {
  const ref = refIn(step?.ref, ns.name, 'neigh')
  const learned = written(step, ns.name).neigh
  return ns.neigh.map((n) => {
    const hit = ref?.table === 'neigh' && ref.entry.ip === n.ip && ref.entry.dev === n.dev
    const wrote = learned.some((x) => x.ip === n.ip && x.dev === n.dev)
    const used = hit || wrote
    return {
      key: `${n.dev}/${n.ip}`,
      text: printNeighEntry(n).trimEnd(),
      used,
      dev: n.dev,
      ...(used && { reason: wrote ? 'learned by this step' : n.state === 'PERMANENT' ? 'a permanent entry: no ARP needed' : 'already known: no ARP needed' }),
    }
  })
}

function fdbRow(e: FdbEntry, used: boolean, wrote: boolean): Row {
  const text = printFdbEntry(e).trimEnd()
  return {
    key: `${e.dev}/${e.mac}/${e.dst ?? ''}/${e.master ?? ''}`,
    text,
    used: used || wrote,
    dev: e.dev,
    ...((used || wrote) && { reason: wrote ? 'learned by this step' : e.dst ? `the VTEP for this MAC is ${e.dst}: the outer packet goes there` : `this MAC is behind port ${e.dev}` }),
  }
}

/** Bridge FDB (entries with a master) and VXLAN FDB (entries with a remote `dst`), apart. */
export function fdbRows(ns: Netns, step?: TraceStep): { bridge: Row[]; vxlan: Row[] } {
  const ref = refIn(step?.ref, ns.name, 'fdb')
  const learned = written(step, ns.name).fdb
  const same = (a: FdbEntry, b: FdbEntry) => a.mac === b.mac && a.dev === b.dev && a.dst === b.dst && a.master === b.master
  const bridge: Row[] = []
  const vxlan: Row[] = []
  for (const e of ns.fdb) {
    const row = fdbRow(e, ref?.table === 'fdb' && same(ref.entry, e), learned.some((x) => same(x, e)))
    if (e.dst !== undefined || (e.master === undefined && ns.links.find((l) => l.name === e.dev)?.kind === 'vxlan')) vxlan.push(row)
    else bridge.push(row)
  }
  return { bridge, vxlan }
}

/** The sysctls the engine models, as `sysctl` prints them; the one a step checked is marked. */
export function sysctlRows(ns: Netns, step?: TraceStep): Row[] {
  const ref = refIn(step?.ref, ns.name, 'sysctl')
  return (Object.entries(ns.sysctl) as [string, boolean | number][]).map(([k, v]) => {
    const used = ref?.table === 'sysctl' && ref.key === k
    const value = typeof v === 'boolean' ? (v ? 1 : 0) : v
    return { key: k, text: `${k} = ${value}`, used, ...(used && { reason: 'this setting decided the step' }) }
  })
}

/** `conntrack -L` lines at time `now`, the entry the step used or wrote marked. */
export function conntrackRows(ns: Netns, now: number, step?: TraceStep): Row[] {
  const ref = refIn(step?.ref, ns.name, 'conntrack')
  const wrote = written(step, ns.name).ct
  return ns.conntrack.flatMap((e) => {
    const text = printConntrackL([e], now).trimEnd()
    if (!text) return []
    const hit = ref?.table === 'conntrack' && ref.entry.id === e.id
    const w = wrote.some((x) => x.id === e.id)
    return [{ key: String(e.id), text, used: hit || w, addrs: conntrackAddrs(e), ...((hit || w) && { reason: hit ? 'this packet belongs to this connection' : 'created or updated by this step' }) }]
  })
}

// -------------------------------------------------------------------------------------------
// BGP (Calico)

export interface BgpPeerRow {
  readonly peer: string
  readonly peerIp: string
  readonly state: string
  readonly info: string
  /** The blocks this peer advertises, which BIRD here installs as routes via the peer. */
  readonly learned: readonly string[]
}

export interface BgpView {
  /** The cluster node (BIRD's name for itself). */
  readonly node: string
  readonly asNumber: number
  /** What this node's BIRD exports: its IPAM block(s). */
  readonly advertised: readonly string[]
  readonly peers: readonly BgpPeerRow[]
}

/**
 * A Calico node's BGP side, as `calicoctl node status` and BIRD's export see it: its peers
 * (node-to-node mesh) and the pod CIDR block it advertises. Undefined for a netns that is not
 * the host netns of a node with BGP sessions.
 */
export function bgpView(w: World, ns: Netns): BgpView | undefined {
  const bgp = w.cluster?.bgp
  if (!bgp || ns.kind !== 'host') return undefined
  const node = ns.node ?? ns.name
  const prefixesOf = (n: string) => bgp.advertised.find((a) => a.node === n)?.prefixes ?? []
  const peers = bgp.sessions.filter((s) => s.node === node).map((s) => ({ peer: s.peer, peerIp: s.peerIp, state: s.state, info: s.info, learned: prefixesOf(s.peer) }))
  const advertised = prefixesOf(node)
  if (peers.length === 0 && advertised.length === 0) return undefined
  return { node, asNumber: bgp.asNumber, advertised, peers }
}

// -------------------------------------------------------------------------------------------
// iptables

export type RuleStatus = 'matched' | 'missed' | 'not-evaluated'

export interface RuleRow {
  /** 1-based, as `iptables -L --line-numbers`. */
  readonly num: number
  readonly rule: Rule | undefined
  readonly raw: string
  readonly status: RuleStatus
  readonly eval?: RuleEval
  /** Missed inside a compact run (the failing match is computed when the row is shown). */
  readonly inMissRun: boolean
  readonly counters: readonly [number, number] | undefined
}

export interface ChainView {
  readonly table: string
  readonly chain: string
  readonly exit: string
  readonly policy?: string
  readonly rows: readonly RuleRow[]
}

/**
 * A chain walk with every rule of the chain: the ones evaluated (matched, or missed with the
 * failing match), the ones the compact form folded into miss runs, and the ones never reached.
 */
export function chainView(walk: ChainWalk, rs: Ruleset, counters: Netns['counters']): ChainView {
  const chain = rs.tables[walk.table]?.chains[walk.chain]
  const rules = chain?.rules ?? []
  const evals = new Map(walk.rules.map((r) => [r.index, r]))
  const inRun = (i: number) => (walk.missRuns ?? []).some((m) => i >= m.from && i <= m.to)
  const n = Math.max(rules.length, ...walk.rules.map((r) => r.index))
  const rows: RuleRow[] = []
  for (let i = 1; i <= n; i++) {
    const rule = rules[i - 1]
    const ev = evals.get(i)
    const run = !ev && inRun(i)
    const status: RuleStatus = ev ? ev.result : run ? 'missed' : 'not-evaluated'
    const id = rule?.id ?? ev?.ruleId
    rows.push({ num: i, rule, raw: rule?.raw ?? ev?.raw ?? '', status, ...(ev && { eval: ev }), inMissRun: run, counters: id ? counters[id] : undefined })
  }
  return { table: walk.table, chain: walk.chain, exit: walk.exit, ...(chain?.policy && { policy: chain.policy }), rows }
}

/** The netfilter step to show at a frame: this step's hook, else the last one before it in the segment. */
export function lastNetfilterStep(steps: readonly TraceStep[], index: number): { step: TraceStep; index: number } | undefined {
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--) {
    const s = steps[i]!
    if (s.netfilter) return { step: s, index: i }
  }
  return undefined
}
