/**
 * The netfilter entry point the tracer calls at each hook. Pure: callers pass the netns,
 * the packet's L3/L4 view and the environment (clock, seeded choices); the result says
 * what happened and returns the updated netns (conntrack, counters, recent lists).
 *
 * Kernel order at each hook (priorities from include/uapi/linux/netfilter_ipv4.h):
 *   PREROUTING  raw(-300) → conntrack(-200) → mangle(-150) → nat DNAT(-100)
 *   INPUT       mangle → filter(0) → security(50) → nat SNAT(100) → conntrack confirm
 *   FORWARD     mangle → filter → security
 *   OUTPUT      raw → conntrack → mangle → nat DNAT → filter → security
 *   POSTROUTING mangle → nat SNAT → conntrack confirm
 * The nat table is walked only for the first packet of a connection (an unconfirmed
 * entry); later packets get the stored binding from conntrack: destination rewritten at
 * PREROUTING/OUTPUT, source at POSTROUTING/INPUT, so replies are un-NATed without rules.
 * A DROP anywhere means no confirm. A netns with no tables returns ACCEPT and tracks
 * nothing. `ct` travels with the packet inside one netns (the tracer drops it when the
 * packet crosses into another netns, as skb_scrub_packet does); a packet that already
 * carries a ct (looped back over lo) is not looked up again.
 */
import type { Ip } from '../wire/addr.ts'
import type { Netns } from '../model/types.ts'
import type { ChainWalk, Effect, NetfilterStep } from '../sim/trace.ts'
import type { ConntrackEntry, CtStateName, Hook, RecentEntry, Rule, Ruleset, TableName } from './types.ts'
import { evalTable, newEvalState } from './eval.ts'
import { hex } from './grammar.ts'
import type { EvalPacket, WalkFork } from './eval.ts'
import { bindNat, gcConntrack, hasNat, isIcmpError, isInvalidNew, lookupConntrack, lookupRelated, newConntrackEntry, pickSnatPort, stateFor, tupleOf, updateOnPacket } from './conntrack.ts'

/** What netfilter sees of a packet. */
export interface NfPacket {
  readonly src: Ip
  readonly dst: Ip
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly sport?: number
  readonly dport?: number
  readonly icmpType?: number
  readonly icmpCode?: number
  /** For ICMP errors: the tuple of the packet the error is about (RELATED lookups). */
  readonly icmpQuoted?: { readonly src: Ip; readonly dst: Ip; readonly proto: 'tcp' | 'udp' | 'icmp'; readonly sport?: number; readonly dport?: number }
  readonly icmpId?: number
  readonly tcpFlags?: readonly string[]
  readonly len: number
  readonly inIface?: string
  readonly outIface?: string
  /** Bridge ports, when br_netfilter runs the hook for a bridged frame. */
  readonly physIn?: string
  readonly physOut?: string
  readonly mark: number
  /** Set by the first hook that tracks the packet; carried to later hooks. */
  readonly ct?: CtRef
}

export interface CtRef {
  readonly entry: ConntrackEntry
  readonly dir: 'orig' | 'reply'
  readonly state: CtStateName
  /** True until the entry is confirmed (written to the table) at POSTROUTING/INPUT. */
  readonly unconfirmed: boolean
  /** NAT manips already set up for this (unconfirmed) connection: the nat table is not walked again for them. */
  readonly natDone?: readonly ('dst' | 'src')[]
}

export interface NfEnv {
  /** Simulated time, ms. */
  readonly now: number
  /** Take a probabilistic branch (`-m statistic --mode random`); the caller may enumerate. */
  decide(probability: number, label: string): boolean
  /** Uniform [0,1) from the seeded RNG (port selection for MASQUERADE and the like). */
  random(): number
  /** `-m addrtype` type of an address in this netns: LOCAL, UNICAST, BROADCAST, MULTICAST, BLACKHOLE, UNREACHABLE, PROHIBIT. */
  addrType(ip: Ip, iface?: string): string
  /** The source address MASQUERADE picks for a packet leaving through `outIface` towards `dst`. */
  masqueradeSource(outIface: string | undefined, dst: Ip): Ip | undefined
  /** Record only the rules that matched (EvalEnv.matchedOnly): for listing outcomes, not for a trace. */
  readonly matchedOnly?: boolean
  /** Fork table walks at their random choices instead of replaying them (EvalEnv.fork). */
  readonly fork?: WalkFork
}

export interface NatChange {
  readonly kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'un-DNAT' | 'un-SNAT'
  readonly field: 'dst' | 'src'
  readonly from: string
  readonly to: string
  readonly ruleId?: string
}

export interface HookOutcome {
  readonly verdict: 'ACCEPT' | 'DROP' | 'REJECT'
  readonly rejectWith?: string
  /** The packet after NAT and MARK. */
  readonly packet: NfPacket
  readonly netns: Netns
  /** For the trace; `chains` is empty when no table has rules at this hook. */
  readonly step: NetfilterStep
  readonly effects: readonly Effect[]
  readonly nat: readonly NatChange[]
  /** Rules whose matches were assumed rather than simulated. */
  readonly notSimulated: readonly string[]
  /** The mangle table changed the mark: at OUTPUT the kernel routes the packet again (ipt_mangle_out). */
  readonly mangleRemarked?: boolean
}


const trackingCache = new WeakMap<Ruleset, boolean>()

/**
 * Connection tracking runs in a netns only once something there needs it: the nat table, or
 * a rule that matches or sets connection state (nf_ct_netns_get is called by those modules).
 * A netns with only a plain filter table does not track, as checked on Linux.
 */
export function needsConntrack(rs: Ruleset): boolean {
  let v = trackingCache.get(rs)
  if (v === undefined) {
    v = rs.tables.nat !== undefined
    if (!v) {
      outer: for (const t of Object.values(rs.tables)) {
        for (const c of Object.values(t.chains)) {
          for (const r of c.rules) {
            if (r.matches.some((m) => m.kind === 'ctstate' || m.kind === 'ctstatus' || m.kind === 'connmark') || r.target.kind === 'CT' || r.target.kind === 'NOTRACK' || r.target.kind === 'CONNMARK') {
              v = true
              break outer
            }
          }
        }
      }
    }
    trackingCache.set(rs, v)
  }
  return v
}

type Stage = TableName | 'conntrack' | 'confirm'

/** What runs at each hook, in priority order. */
export const HOOK_ORDER: Readonly<Record<Hook, readonly Stage[]>> = {
  PREROUTING: ['raw', 'conntrack', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat', 'confirm'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'conntrack', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat', 'confirm'],
}

function manipOf(hook: Hook): 'dst' | 'src' {
  return hook === 'PREROUTING' || hook === 'OUTPUT' ? 'dst' : 'src'
}

function hostPort(ip: string, port: number | undefined, proto: string): string {
  return port === undefined || proto === 'icmp' ? ip : `${ip}:${port}`
}

const NO_STATUS: readonly string[] = []

function evalView(p: NfPacket): EvalPacket {
  const ct = p.ct
  const v: { -readonly [K in keyof EvalPacket]: EvalPacket[K] } = {
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    len: p.len,
    mark: p.mark,
    ctState: ct?.state ?? 'INVALID',
    ctStatus: ct && ct.entry.id !== 0 ? ct.entry.status.filter((x) => x !== 'UNREPLIED' && x !== 'DNAT' && x !== 'SNAT') : NO_STATUS,
    natDst: ct !== undefined && hasNat(ct.entry, 'dst'),
    natSrc: ct !== undefined && hasNat(ct.entry, 'src'),
  }
  if (ct && ct.entry.id !== 0) v.ctMark = ct.entry.mark
  if (p.sport !== undefined) v.sport = p.sport
  if (p.dport !== undefined) v.dport = p.dport
  if (p.icmpType !== undefined) v.icmpType = p.icmpType
  if (p.icmpCode !== undefined) v.icmpCode = p.icmpCode
  if (p.tcpFlags) v.tcpFlags = p.tcpFlags
  if (p.inIface !== undefined) v.inIface = p.inIface
  if (p.outIface !== undefined) v.outIface = p.outIface
  if (p.physIn !== undefined) v.physIn = p.physIn
  if (p.physOut !== undefined) v.physOut = p.physOut
  return v
}

function pickInRange(from: number, to: number, random: () => number): number {
  return to > from ? from + Math.floor(random() * (to - from + 1)) : from
}

function ipRangePick(fromIp: string, toIp: string | undefined, random: () => number): string {
  if (toIp === undefined || toIp === fromIp) return fromIp
  const a = fromIp.split('.').reduce((v, o) => v * 256 + Number(o), 0)
  const b = toIp.split('.').reduce((v, o) => v * 256 + Number(o), 0)
  const n = pickInRange(Math.min(a, b), Math.max(a, b), random)
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/**
 * Run every table registered at `hook` for a packet, in the kernel's order, with conntrack
 * and NAT. Returns the verdict, the packet after NAT/MARK (with `ct` for later hooks), the
 * netns with its conntrack table, counters and recent lists updated, and the trace data.
 * @example processHook(ns, 'PREROUTING', { src: '10.244.1.2', dst: '10.96.0.10', proto: 'udp', sport: 40000, dport: 53, len: 60, mark: 0 }, env).nat[0]?.to // '10.244.2.3:53'
 */
export function processHook(ns: Netns, hook: Hook, pkt: NfPacket, env: NfEnv, path: 'routed' | 'bridge' = 'routed'): HookOutcome {
  const rs = ns.netfilter
  if (Object.keys(rs.tables).length === 0) {
    return { verdict: 'ACCEPT', packet: pkt, netns: ns, step: { hook, path, chains: [], verdict: 'ACCEPT', notes: ['no netfilter rules in this netns'] }, effects: [], nat: [], notSimulated: [] }
  }
  let p: NfPacket = pkt
  let table: ConntrackEntry[] = ns.conntrack as ConntrackEntry[]
  let tableChanged = false
  const chains: ChainWalk[] = []
  const notes: string[] = []
  const nat: NatChange[] = []
  const effects: Effect[] = []
  const st = newEvalState(ns)
  let notrack = false
  let mangleRemarked = false
  let verdict: HookOutcome['verdict'] = 'ACCEPT'
  let rejectWith: string | undefined
  const now = env.now
  const random = () => env.random()
  const putEntry = (e: ConntrackEntry) => {
    table = [...table.filter((x) => x.id !== e.id), e]
    tableChanged = true
    effects.push({ kind: 'conntrack', netns: ns.name, entry: e })
  }

  /** CONNMARK changed the connection's mark: the entry carries it (written back once confirmed). */
  const takeCtMark = (ctMark: number | undefined) => {
    const ct = p.ct
    if (ctMark === undefined || !ct || ct.entry.id === 0 || ctMark === ct.entry.mark) return
    const entry = { ...ct.entry, mark: ctMark }
    if (!ct.unconfirmed) putEntry(entry)
    p = { ...p, ct: { ...ct, entry } }
    notes.push(`conntrack: CONNMARK sets the connection's mark of entry #${entry.id} to ${hex(ctMark)}`)
  }

  const tracking = needsConntrack(rs)
  if (!tracking && (hook === 'PREROUTING' || hook === 'OUTPUT')) notes.push('conntrack: not active in this netns (no nat table and no rule that needs connection state)')
  stages: for (const stage of HOOK_ORDER[hook]) {
    if (!tracking && (stage === 'conntrack' || stage === 'confirm')) continue
    if (stage === 'conntrack') {
      if (p.ct) {
        notes.push(`conntrack: packet already tracked (${p.ct.state}, entry #${p.ct.entry.id}): no lookup`)
        continue
      }
      if (notrack) {
        const t = tupleOf(p) ?? { src: p.src, dst: p.dst, proto: p.proto, sport: 0, dport: 0 }
        p = { ...p, ct: { entry: { id: 0, orig: t, reply: t, status: [], mark: 0, expires: now }, dir: 'orig', state: 'UNTRACKED', unconfirmed: false } }
        notes.push('conntrack: NOTRACK in raw: the packet is UNTRACKED')
        continue
      }
      const live = gcConntrack(table, now)
      if (live.length !== table.length) {
        table = live
        tableChanged = true
      }
      const found = lookupConntrack(table, p, now)
      if (found) {
        const state = stateFor(found.entry, found.dir)
        const updated = updateOnPacket(found.entry, found.dir, p, now)
        putEntry(updated)
        p = { ...p, ct: { entry: updated, dir: found.dir, state, unconfirmed: false } }
        notes.push(`conntrack: ${state}, ${found.dir === 'reply' ? 'reply' : 'original'} direction of entry #${updated.id}`)
        continue
      }
      if (isIcmpError(p)) {
        const rel = lookupRelated(table, p, now)
        if (rel) {
          p = { ...p, ct: { entry: rel.entry, dir: rel.dir, state: 'RELATED', unconfirmed: false } }
          notes.push(`conntrack: RELATED (ICMP error about entry #${rel.entry.id})`)
        } else notes.push('conntrack: INVALID (ICMP error about no tracked connection)')
        continue
      }
      if (isInvalidNew(p)) {
        notes.push('conntrack: INVALID (cannot start a connection)')
        continue
      }
      const id = table.reduce((m, e) => Math.max(m, e.id), 0) + 1
      // A new connection's mark starts at 0 whatever the packet's (checked: raw MARK 5, then -m connmark --mark 0 matched).
      const entry = newConntrackEntry(id, p, now)
      if (entry) {
        p = { ...p, ct: { entry, dir: 'orig', state: 'NEW', unconfirmed: true } }
        notes.push(`conntrack: NEW, entry #${id} (unconfirmed until ${hook === 'OUTPUT' ? 'POSTROUTING' : 'POSTROUTING or INPUT'})`)
      }
      continue
    }
    if (stage === 'confirm') {
      const ct = p.ct
      if (ct && ct.unconfirmed && ct.entry.id !== 0) {
        const entry: ConntrackEntry = { ...ct.entry, status: [...ct.entry.status.filter((x) => x !== 'CONFIRMED'), 'CONFIRMED'] }
        putEntry(entry)
        p = { ...p, ct: { ...ct, entry, unconfirmed: false } }
        notes.push(`conntrack: entry #${entry.id} confirmed`)
      }
      continue
    }
    if (stage === 'nat') {
      const res = natStage(rs.tables.nat !== undefined)
      if (res === 'stop') break stages
      continue
    }
    if (!rs.tables[stage]?.chains[hook]) continue
    const r = evalTable(rs, stage, hook, evalView(p), env, st)
    chains.push(...r.walks)
    takeCtMark(r.ctMark)
    if (r.mark !== p.mark) {
      if (stage === 'mangle') mangleRemarked = true
      p = { ...p, mark: r.mark }
    }
    if (r.notrack) notrack = true
    if (r.verdict !== 'ACCEPT') {
      verdict = r.verdict
      if (r.rejectWith) rejectWith = r.rejectWith
      break
    }
  }

  function natStage(hasNatTable: boolean): 'stop' | 'go' {
    const ct = p.ct
    const manip = manipOf(hook)
    if (!ct || ct.entry.id === 0 || ct.state === 'INVALID') return 'go'
    if (ct.unconfirmed && ct.dir === 'orig' && !(ct.natDone ?? []).includes(manip)) {
      let entry = ct.entry
      if (hasNatTable && rs.tables.nat?.chains[hook]) {
        const r = evalTable(rs, 'nat', hook, evalView(p), env, st)
        chains.push(...r.walks)
        takeCtMark(r.ctMark)
        if (r.mark !== p.mark) p = { ...p, mark: r.mark }
        if (r.verdict !== 'ACCEPT') {
          verdict = r.verdict
          if (r.rejectWith) rejectWith = r.rejectWith
          return 'stop'
        }
        if (r.nat) {
          const done = applyNatTarget(r.nat.rule, entry, manip)
          if (done === 'drop') {
            verdict = 'DROP'
            return 'stop'
          }
          if (done) entry = done
        }
      }
      if (manip === 'src' && !entry.status.includes('SNAT') && entry.orig.proto !== 'icmp') {
        // Null binding: the kernel still keeps the reply tuple unique (nf_nat_alloc_null_binding).
        const port = pickSnatPort(table, entry, p.src, undefined, false, random, now)
        if (port !== entry.orig.sport) {
          const from = hostPort(p.src, p.sport, p.proto)
          entry = bindNat(entry, 'src', p.src, port)
          p = { ...p, sport: port }
          nat.push({ kind: 'SNAT', field: 'src', from, to: hostPort(p.src, port, p.proto) })
          notes.push(`nat: source port ${entry.orig.sport} already used by another connection: ${port} instead`)
        }
      }
      p = { ...p, ct: { ...ct, entry, natDone: [...(ct.natDone ?? []), manip] } }
      return 'go'
    }
    // Established or reply: apply the stored binding, no rules.
    const e = ct.entry
    if (ct.state === 'RELATED') {
      // nf_nat_icmp_reply_translation: an ICMP error is translated only when its connection has
      // the NAT this hook would undo (IPS_SRC_NAT / IPS_DST_NAT, swapped for the reply direction).
      const needed: 'dst' | 'src' = ct.dir === 'reply' ? (manip === 'dst' ? 'src' : 'dst') : manip
      if (!hasNat(e, needed)) return 'go'
    }
    const other = ct.dir === 'orig' ? e.reply : e.orig
    const want = manip === 'dst' ? { ip: other.src, port: other.sport } : { ip: other.dst, port: other.dport }
    const curIp = manip === 'dst' ? p.dst : p.src
    const curPort = manip === 'dst' ? p.dport : p.sport
    const portChanges = p.proto !== 'icmp' && ct.state !== 'RELATED' && curPort !== undefined && curPort !== want.port
    if (curIp === want.ip && !portChanges) return 'go'
    const from = hostPort(curIp, curPort, p.proto)
    const newPort = portChanges ? want.port : curPort
    const kind: NatChange['kind'] = ct.dir === 'orig' ? (manip === 'dst' ? 'DNAT' : 'SNAT') : manip === 'dst' ? 'un-SNAT' : 'un-DNAT'
    if (manip === 'dst') p = { ...p, dst: want.ip, ...(newPort !== undefined && p.proto !== 'icmp' && { dport: newPort }) }
    else p = { ...p, src: want.ip, ...(newPort !== undefined && p.proto !== 'icmp' && { sport: newPort }) }
    if (ct.state === 'RELATED' && p.icmpQuoted) {
      // The quoted header is translated with the inverse manip (nf_nat_icmp_reply_translation).
      const q = p.icmpQuoted
      p = { ...p, icmpQuoted: manip === 'dst' ? { ...q, src: want.ip, ...(q.sport !== undefined && { sport: other.sport }) } : { ...q, dst: want.ip, ...(q.dport !== undefined && { dport: other.dport }) } }
    }
    const to = hostPort(want.ip, newPort, p.proto)
    nat.push({ kind, field: manip, from, to })
    notes.push(`nat: ${kind} from conntrack entry #${e.id}: ${manip} ${from} → ${to} (no nat rules walked)`)
    return 'go'
  }

  function applyNatTarget(rule: Rule, entry: ConntrackEntry, manip: 'dst' | 'src'): ConntrackEntry | 'drop' | undefined {
    const t = rule.target
    if (t.kind === 'DNAT' && manip === 'dst') {
      const ip = t.to.fromIp !== undefined ? ipRangePick(t.to.fromIp, t.to.toIp, random) : p.dst
      const port = t.to.fromPort !== undefined && p.proto !== 'icmp' ? pickInRange(t.to.fromPort, t.to.toPort ?? t.to.fromPort, random) : p.dport
      const from = hostPort(p.dst, p.dport, p.proto)
      p = { ...p, dst: ip, ...(port !== undefined && p.proto !== 'icmp' && { dport: port }) }
      const to = hostPort(ip, port, p.proto)
      nat.push({ kind: 'DNAT', field: 'dst', from, to, ruleId: rule.id })
      // The kernel sets IPS_DST_NAT only when the tuple really changes (nf_nat_setup_info).
      return from === to ? entry : bindNat(entry, 'dst', ip, p.proto === 'icmp' ? undefined : port)
    }
    if ((t.kind === 'SNAT' || t.kind === 'MASQUERADE') && manip === 'src') {
      let ip: string | undefined
      let range: { from: number; to: number } | undefined
      let randomFully: boolean
      if (t.kind === 'SNAT') {
        ip = t.to.fromIp !== undefined ? ipRangePick(t.to.fromIp, t.to.toIp, random) : p.src
        if (t.to.fromPort !== undefined) range = { from: t.to.fromPort, to: t.to.toPort ?? t.to.fromPort }
        randomFully = t.randomFully === true
      } else {
        ip = env.masqueradeSource(p.outIface, p.dst)
        if (t.toPorts) range = t.toPorts
        randomFully = t.randomFully === true
        if (ip === undefined) {
          notes.push(`MASQUERADE: no address to use on ${p.outIface ?? 'the outgoing interface'}: dropped`)
          return 'drop'
        }
      }
      const port = pickSnatPort(table, entry, ip, range, randomFully, random, now)
      const from = hostPort(p.src, p.sport, p.proto)
      p = { ...p, src: ip, ...(p.sport !== undefined && p.proto !== 'icmp' && { sport: port }) }
      const to = hostPort(ip, p.proto === 'icmp' ? undefined : port, p.proto)
      nat.push({ kind: t.kind, field: 'src', from, to, ruleId: rule.id })
      return from === to ? entry : bindNat(entry, 'src', ip, p.proto === 'icmp' ? undefined : port)
    }
    st.notSimulated.push(`${rule.id}: ${t.kind} is not valid at ${hook}; ignored`)
    return undefined
  }

  // Write state back: counters, nth counters, recent lists, conntrack.
  let counters = ns.counters
  if (st.counters.length || st.nth.size) {
    const next: Record<string, readonly [number, number]> = { ...ns.counters }
    for (const c of st.counters) {
      const [pk, b] = next[c.ruleId] ?? [0, 0]
      next[c.ruleId] = [pk + 1, b + c.bytes]
      effects.push({ kind: 'counter', netns: ns.name, ruleId: c.ruleId, bytes: c.bytes })
    }
    for (const [key, n] of st.nth) {
      next[key] = [n, 0]
      effects.push({ kind: 'counter', netns: ns.name, ruleId: key, bytes: 0 })
    }
    counters = next
  }
  let recent = ns.recent
  if (st.recentChanged.size) {
    const next: Record<string, readonly RecentEntry[]> = { ...ns.recent }
    for (const name of st.recentChanged) {
      const list = st.recent.get(name) ?? []
      next[name] = list
      for (const e of list) if (e.last === now) effects.push({ kind: 'recent', netns: ns.name, list: name, entry: e })
    }
    recent = next
  }
  const netns: Netns = counters === ns.counters && recent === ns.recent && !tableChanged ? ns : { ...ns, counters, recent, conntrack: table }
  const notSimulated = [...new Set(st.notSimulated)]
  const step: NetfilterStep = { hook, path, chains, verdict, ...(notes.length > 0 && { notes }) }
  return { verdict, ...(rejectWith !== undefined && { rejectWith }), packet: p, netns, step, effects, nat, notSimulated, ...(mangleRemarked && { mangleRemarked }) }
}
