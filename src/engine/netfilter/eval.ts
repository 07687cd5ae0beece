/**
 * Walk one table's chain for one packet, as ipt_do_table does: rules in order, the base
 * matches (-s -d -i -o -p -f) first, then each match; the first failing match makes the
 * rule miss; a matching rule's target decides (ACCEPT/DROP/REJECT/NAT end the table, jump
 * pushes a chain, goto replaces it, RETURN or the end of a chain pops, the end of a
 * built-in chain applies its policy; MARK, LOG and rules without a target continue).
 * Every rule evaluated becomes a RuleEval; for a miss, the failing match reads like
 * `-d 10.96.0.10/32 ≠ 10.96.45.123`. Pure: the netns, environment and conntrack view are
 * passed in; state changes (counters, recent lists, nth counters) come back as data.
 *
 * Long chains (kube-proxy's KUBE-SERVICES) are indexed by their `-d a.b.c.d/32` rules: rules
 * whose `-d` cannot match are not walked one by one but recorded as ChainWalk.missRuns; the
 * verdict is the same as a full walk (a failing -d is checked before any other match, so
 * no statistic, recent or nth side effect is skipped).
 *
 * A walk can be forked at its `-m statistic --mode random` matches (EvalEnv.fork): before each
 * decision that can go either way it hands out a snapshot of itself, and a later walk resumes
 * from that snapshot with the other answer instead of walking to it again from the start.
 */
import { ipToInt, isIpv4 } from '../wire/addr.ts'
import type { Netns } from '../model/types.ts'
import type { ChainWalk, MissRun, RuleEval } from '../sim/trace.ts'
import type { Chain, CtStateName, IpSet, Match, RecentEntry, Rule, Ruleset, TableName } from './types.ts'
import { hex, printMatchOptions, printNatRange, printPortSpec, tcpFlagBits } from './grammar.ts'

/** The packet as rules see it in one table walk. */
export interface EvalPacket {
  readonly src: string
  readonly dst: string
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly sport?: number
  readonly dport?: number
  readonly icmpType?: number
  readonly icmpCode?: number
  readonly tcpFlags?: readonly string[]
  readonly len: number
  readonly inIface?: string
  readonly outIface?: string
  readonly physIn?: string
  readonly physOut?: string
  readonly mark: number
  /** The connection's mark (conntrack's `mark=`); absent when the packet has no conntrack entry. */
  readonly ctMark?: number
  /** Conntrack state of the packet (INVALID when not tracked). */
  readonly ctState: CtStateName
  /** Conntrack status bits and NAT flags of its entry. */
  readonly ctStatus: readonly string[]
  readonly natDst?: boolean
  readonly natSrc?: boolean
}

export interface EvalEnv {
  readonly now: number
  decide(probability: number, label: string): boolean
  addrType(ip: string, iface?: string): string
  /**
   * Record only the rules that matched (a walk's missed rules are left out of its step). For
   * callers that keep nothing else, such as listing the outcomes of a hook's random choices.
   */
  readonly matchedOnly?: boolean
  /**
   * Lets the caller enumerate random choices by forking the walk instead of replaying it
   * (netfilter/enumerate.ts): a snapshot before each decision that can go either way, and a
   * snapshot to resume from when a walk starts. Without it, walks are as before.
   */
  readonly fork?: WalkFork
}

/**
 * Forking a table walk at its `-m statistic --mode random` decisions (EvalEnv.fork).
 * @example enumerateOutcomes<TableResult, WalkSnapshot>((decide, fork) => evalTable(rs, 'nat', 'PREROUTING', pkt, { now: 0, decide, fork, addrType: () => 'UNICAST' }, newEvalState(ns))).length
 * // 100 for kube-proxy's 100-endpoint cascade, its statistic rules walked 198 times in all (5,049 replaying)
 */
export interface WalkFork {
  /**
   * A table walk starts (`key`: its table and built-in chain). A snapshot returned is resumed
   * instead of starting at the built-in chain, and handed over: the walk continues in it, so
   * it must not be returned again.
   */
  resume(key: string): WalkSnapshot | undefined
  /** The walk is about to call decide() with 0 < p < 1: where it stands, to resume with the other answer. */
  save(snapshot: WalkSnapshot): void
}

/**
 * A table walk just before a random statistic match asks decide(): the chain stack, the packet
 * and mark, the rule and match being evaluated, the walk's records so far and every state it
 * changed (counters, nth counters, recent lists), copied. Resuming gives exactly the walk a
 * replay from the built-in chain with the same earlier answers would give. Unchanged until
 * it is resumed (once).
 */
export interface WalkSnapshot {
  readonly frames: readonly Frame[]
  readonly walks: readonly WalkRecord[]
  readonly cur: EvalPacket
  readonly mark: number
  readonly notrack: boolean
  /** The rule (0-based, in the top frame's chain) and its match about to be evaluated. */
  readonly rule: number
  readonly match: number
  /** What the rule's earlier matches gave. */
  readonly probability: number | undefined
  readonly assumed: readonly string[] | undefined
  readonly state: SavedState
}

/** Mutable state a walk reads and updates: recent lists and nth counters. */
export interface EvalState {
  readonly ns: Netns
  readonly recent: Map<string, RecentEntry[]>
  readonly nth: Map<string, number>
  readonly counters: { ruleId: string; bytes: number }[]
  readonly recentChanged: Set<string>
  readonly notSimulated: string[]
}

export function newEvalState(ns: Netns): EvalState {
  return { ns, recent: new Map(), nth: new Map(), counters: [], recentChanged: new Set(), notSimulated: [] }
}

export interface TableResult {
  /** CONTINUE never leaves here: a table ends in ACCEPT, DROP, REJECT or a NAT target. */
  readonly verdict: 'ACCEPT' | 'DROP' | 'REJECT'
  readonly rejectWith?: string
  /** The NAT target that ended the walk (nat table). */
  readonly nat?: { readonly rule: Rule }
  readonly mark: number
  /** The connection's mark after the walk (CONNMARK may change it); absent without an entry. */
  readonly ctMark?: number
  /** NOTRACK / CT --notrack fired (raw table). */
  readonly notrack: boolean
  readonly walks: ChainWalk[]
}

// ---------------------------------------------------------------------------------------
// Matching.

type MatchResult = { ok: true; assumed?: string; probability?: number } | { ok: false; failed: string; assumed?: string }

const OK: MatchResult = { ok: true }

function ifaceMatches(pattern: string, iface: string | undefined): boolean {
  if (iface === undefined) return false
  return pattern.endsWith('+') ? iface.startsWith(pattern.slice(0, -1)) : iface === pattern
}

function inRanges(ports: readonly { from: number; to: number }[], p: number | undefined): boolean {
  return p !== undefined && ports.some((r) => p >= r.from && p <= r.to)
}

const ipCache = new Map<string, number>()
function ipNum(ip: string): number {
  let v = ipCache.get(ip)
  if (v === undefined) {
    v = isIpv4(ip) ? ipToInt(ip) : -1
    if (ipCache.size > 10000) ipCache.clear()
    ipCache.set(ip, v)
  }
  return v
}

function fail(failed: string): MatchResult {
  return { ok: false, failed }
}

/** `--probability P: not taken`, once per probability (kube-proxy repeats a few hundred values). */
const notTaken = new Map<number, string>()
function notTakenText(p: number): string {
  let v = notTaken.get(p)
  if (v === undefined) {
    v = `--probability ${p.toFixed(11)}: not taken`
    if (notTaken.size > 10000) notTaken.clear()
    notTaken.set(p, v)
  }
  return v
}

function pre(m: { neg: boolean }): string {
  return m.neg ? '! ' : ''
}

function protoOf(pkt: EvalPacket): string {
  return pkt.proto
}

/** Evaluate one match. Side effects (recent, nth, decide) go through `st`/`env`. */
function evalMatch(m: Match, rule: Rule, pkt: EvalPacket, env: EvalEnv, st: EvalState): MatchResult {
  switch (m.kind) {
    case 'src':
      return (((ipNum(pkt.src) & m.cidr.mask) >>> 0) === m.cidr.net) !== m.neg ? OK : fail(m.neg ? `! -s ${m.cidr.text}: ${pkt.src} is inside` : `-s ${m.cidr.text} ≠ ${pkt.src}`)
    case 'dst':
      return (((ipNum(pkt.dst) & m.cidr.mask) >>> 0) === m.cidr.net) !== m.neg ? OK : fail(m.neg ? `! -d ${m.cidr.text}: ${pkt.dst} is inside` : `-d ${m.cidr.text} ≠ ${pkt.dst}`)
    case 'proto':
      return (protoOf(pkt) === m.proto) !== m.neg ? OK : fail(`${pre(m)}-p ${m.proto} ${m.neg ? '=' : '≠'} ${protoOf(pkt)}`)
    case 'in':
      return ifaceMatches(m.iface, pkt.inIface) !== m.neg ? OK : fail(`${pre(m)}-i ${m.iface} ${m.neg ? '=' : '≠'} ${pkt.inIface ?? '(none)'}`)
    case 'out':
      return ifaceMatches(m.iface, pkt.outIface) !== m.neg ? OK : fail(`${pre(m)}-o ${m.iface} ${m.neg ? '=' : '≠'} ${pkt.outIface ?? '(none)'}`)
    case 'fragment':
      // Simplification: packets are never fragments.
      return m.neg ? OK : fail(`${pre(m)}-f: not a fragment`)
    case 'sport':
    case 'dport': {
      const p = m.kind === 'sport' ? pkt.sport : pkt.dport
      if ((m.module === 'tcp' || m.module === 'udp' || m.module === 'sctp') && pkt.proto !== m.module) return { ok: false, failed: `-m ${m.module}: not ${m.module} (${pkt.proto})` }
      if (inRanges(m.ports, p) !== m.neg) return OK
      const opt = m.module === 'multiport' ? `--${m.kind}s` : `--${m.kind}`
      return fail(`${pre(m)}${opt} ${m.ports.map(printPortSpec).join(',')} ${m.neg ? '=' : '≠'} ${p ?? '(none)'}`)
    }
    case 'tcp-flags':
    case 'syn': {
      if (pkt.proto !== 'tcp') return { ok: false, failed: `-m tcp: not tcp (${pkt.proto})` }
      const have = tcpFlagBits(pkt.tcpFlags ?? ['SYN'])
      const mask = m.kind === 'syn' ? 0x17 : tcpFlagBits(m.mask)
      const comp = m.kind === 'syn' ? 0x02 : tcpFlagBits(m.comp)
      return ((have & mask) === comp) !== m.neg ? OK : fail(`${printMatchOptions(m)}: flags ${(pkt.tcpFlags ?? ['SYN']).join(',')}`)
    }
    case 'icmp-type': {
      if (pkt.proto !== 'icmp') return { ok: false, failed: `-m icmp: not icmp (${pkt.proto})` }
      const ok = m.type === 255 || (pkt.icmpType === m.type && (m.code === undefined || pkt.icmpCode === m.code))
      return ok !== m.neg ? OK : fail(`${pre(m)}--icmp-type ${m.text} ${m.neg ? '=' : '≠'} ${pkt.icmpType ?? '?'}/${pkt.icmpCode ?? 0}`)
    }
    case 'comment':
    case 'module':
      return OK
    case 'statistic': {
      if (m.mode === 'random') {
        const taken = env.decide(m.probability, rule.id)
        return taken !== m.neg ? { ok: true, probability: m.probability } : fail(notTakenText(m.probability))
      }
      const key = `nth:${rule.id}`
      const count = st.nth.get(key) ?? st.ns.counters[key]?.[0] ?? 0
      st.nth.set(key, count + 1)
      const ok = count % m.every === m.packet
      return ok !== m.neg ? OK : fail(`--every ${m.every} --packet ${m.packet}: this is packet ${count % m.every}`)
    }
    case 'mark': {
      const ok = ((pkt.mark & m.mask) >>> 0) === m.value
      return ok !== m.neg ? OK : fail(`${pre(m)}--mark ${hex(m.value)}${m.mask !== 0xffffffff ? `/${hex(m.mask)}` : ''} ${m.neg ? '=' : '≠'} ${hex(pkt.mark)}`)
    }
    case 'connmark': {
      const want = `${pre(m)}--mark ${hex(m.value)}${m.mask !== 0xffffffff ? `/${hex(m.mask)}` : ''}`
      // xt_connmark: no conntrack entry, no match (whatever `!` says).
      if (pkt.ctMark === undefined) return fail(`connmark ${want}: the packet has no conntrack entry`)
      const ok = ((pkt.ctMark & m.mask) >>> 0) === m.value
      return ok !== m.neg ? OK : fail(`connmark ${want} ${m.neg ? '=' : '≠'} ${hex(pkt.ctMark)}`)
    }
    case 'ctstate': {
      // The packet's state, plus DNAT/SNAT when its connection has that NAT.
      const ok = m.states.some((s) => s === pkt.ctState || (s === 'DNAT' && pkt.natDst === true) || (s === 'SNAT' && pkt.natSrc === true))
      if (ok !== m.neg) return OK
      const states = new Set<string>([pkt.ctState])
      if (pkt.natDst) states.add('DNAT')
      if (pkt.natSrc) states.add('SNAT')
      return fail(`${pre(m)}--${m.module === 'state' ? 'state' : 'ctstate'} ${m.states.join(',')} ${m.neg ? '∋' : '≠'} ${[...states].join(',')}`)
    }
    case 'ctstatus': {
      const ok = m.statuses.some((s) => (s === 'NONE' ? pkt.ctStatus.length === 0 : pkt.ctStatus.includes(s)))
      return ok !== m.neg ? OK : fail(`${pre(m)}--ctstatus ${m.statuses.join(',')} ${m.neg ? '∋' : '≠'} ${pkt.ctStatus.join(',') || 'NONE'}`)
    }
    case 'addrtype': {
      const iface = m.limitIfaceIn ? pkt.inIface : m.limitIfaceOut ? pkt.outIface : undefined
      for (const [side, spec] of [['src', m.src], ['dst', m.dst]] as const) {
        if (!spec) continue
        const ip = side === 'src' ? pkt.src : pkt.dst
        const t = env.addrType(ip, iface)
        const ok = spec.value.includes(t)
        if (ok === spec.neg) return { ok: false, failed: `${spec.neg ? '! ' : ''}--${side}-type ${spec.value.join(',')} ${spec.neg ? '=' : '≠'} ${t} (${ip})` }
      }
      return OK
    }
    case 'recent':
      return evalRecent(m, pkt, env, st)
    case 'set': {
      const inSet = setContains(st.ns.ipsets, m.name, m.flags, pkt)
      if (inSet === undefined) {
        // The kernel refuses a rule naming a set that does not exist, so the set is there: its
        // members are just not in the input (`ipset save` adds them). Assumed: not in it.
        const assumed = `--match-set ${m.name}: the set's members are not in the input (add \`ipset save\`); assumed not in the set`
        return m.neg ? { ok: true, assumed } : { ok: false, failed: `${pre(m)}--match-set ${m.name} ${m.flags.join(',')}: not in set (assumed)`, assumed }
      }
      return inSet !== m.neg ? OK : fail(`${pre(m)}--match-set ${m.name} ${m.flags.join(',')}: ${m.neg ? 'in' : 'not in'} set`)
    }
    case 'physdev': {
      const bridged = pkt.physIn !== undefined || pkt.physOut !== undefined
      if (m.isBridged && !(pkt.physIn !== undefined && pkt.physOut !== undefined)) return { ok: false, failed: '--physdev-is-bridged: not a bridged frame' }
      if (m.isIn && pkt.physIn === undefined) return { ok: false, failed: '--physdev-is-in: no bridge input port' }
      if (m.isOut && pkt.physOut === undefined) return { ok: false, failed: '--physdev-is-out: no bridge output port' }
      if (m.physIn && ifaceMatches(m.physIn.value, pkt.physIn) === m.physIn.neg) return { ok: false, failed: `${m.physIn.neg ? '! ' : ''}--physdev-in ${m.physIn.value} ${m.physIn.neg ? '=' : '≠'} ${pkt.physIn ?? (bridged ? '(none)' : '(not bridged)')}` }
      if (m.physOut && ifaceMatches(m.physOut.value, pkt.physOut) === m.physOut.neg) return { ok: false, failed: `${m.physOut.neg ? '! ' : ''}--physdev-out ${m.physOut.value} ${m.physOut.neg ? '=' : '≠'} ${pkt.physOut ?? (bridged ? '(none)' : '(not bridged)')}` }
      return OK
    }
    case 'limit':
      return { ok: true, assumed: `-m limit ${m.text}: not simulated, assumed under the limit (match)` }
    case 'unknown':
      return m.assumption === 'match' ? { ok: true, assumed: `-m ${m.module}${m.text ? ` ${m.text}` : ''}: not simulated, assumed to match` } : { ok: false, failed: `-m ${m.module}: not simulated, assumed not to match` }
  }
}

/**
 * Is the packet in set `name` (ipset's test, dimensions taken from `flags`)? Undefined when
 * the set is unknown. `list:set` members are sets tried in order; in a `hash:net` set the most
 * specific matching entry decides, so a `nomatch` entry carves an exception out of a wider one.
 */
function setContains(sets: Readonly<Record<string, IpSet>>, name: string, flags: readonly ('src' | 'dst')[], pkt: EvalPacket, depth = 0): boolean | undefined {
  const set = sets[name]
  if (!set) return undefined
  if (set.type === 'list:set') return depth < 4 && set.members.some((m) => setContains(sets, m.split(/\s+/)[0]!, flags, pkt, depth + 1) === true)
  let best: { len: number; nomatch: boolean } | undefined
  for (const member of set.members) {
    const [element = '', ...opts] = member.trim().split(/\s+/)
    if (!setMemberMatches(element, flags, pkt)) continue
    const slash = element.indexOf('/')
    const len = slash < 0 ? 32 : Number(element.slice(slash + 1).split(',')[0])
    if (!best || len > best.len) best = { len, nomatch: opts.includes('nomatch') }
  }
  return best !== undefined && !best.nomatch
}

function setMemberMatches(member: string, flags: readonly ('src' | 'dst')[], pkt: EvalPacket): boolean {
  const dims = member.split(',')
  for (let i = 0; i < flags.length && i < dims.length; i++) {
    const d = dims[i]!.trim()
    const useSrc = flags[i] === 'src'
    if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d)) {
      const [ip, len] = d.split('/')
      const mask = len === undefined ? 0xffffffff : Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0
      if (((ipNum(useSrc ? pkt.src : pkt.dst) & mask) >>> 0) !== ((ipNum(ip!) & mask) >>> 0)) return false
    } else {
      const pm = /^(?:(tcp|udp|sctp):)?(\d+)$/.exec(d)
      if (!pm) return false
      if (pm[1] && pm[1] !== pkt.proto) return false
      if ((useSrc ? pkt.sport : pkt.dport) !== Number(pm[2])) return false
    }
  }
  return true
}

function evalRecent(m: Extract<Match, { kind: 'recent' }>, pkt: EvalPacket, env: EvalEnv, st: EvalState): MatchResult {
  const mask = ipNum(m.mask ?? '255.255.255.255')
  const raw = m.rsource ? pkt.src : pkt.dst
  const addrN = (ipNum(raw) & mask) >>> 0
  const addr = `${addrN >>> 24}.${(addrN >>> 16) & 255}.${(addrN >>> 8) & 255}.${addrN & 255}`
  let list = st.recent.get(m.name)
  if (!list) {
    list = [...(st.ns.recent[m.name] ?? [])]
    st.recent.set(m.name, list)
  }
  const now = env.now
  const within = (e: RecentEntry) => m.seconds === undefined || now - e.last <= m.seconds * 1000
  if (m.reap && m.seconds !== undefined) {
    const kept = list.filter((e) => within(e))
    if (kept.length !== list.length) {
      list.length = 0
      list.push(...kept)
      st.recentChanged.add(m.name)
    }
  }
  const idx = list.findIndex((e) => e.addr === addr)
  const entry = idx >= 0 ? list[idx] : undefined
  const who = `${m.rsource ? 'source' : 'destination'} ${addr}`
  if (m.mode === 'set') {
    const next: RecentEntry = { addr, last: now, hits: (entry?.hits ?? 0) + 1 }
    if (idx >= 0) list[idx] = next
    else list.push(next)
    st.recentChanged.add(m.name)
    return m.neg ? { ok: false, failed: `! --set --name ${m.name}: never matches` } : OK
  }
  let hit = entry !== undefined && within(entry) && (m.hitcount === undefined || entry.hits >= m.hitcount)
  if (m.mode === 'remove' && entry) {
    list.splice(idx, 1)
    st.recentChanged.add(m.name)
    hit = true
  }
  if (m.mode === 'update' && hit && entry) {
    list[idx] = { addr, last: now, hits: entry.hits + 1 }
    st.recentChanged.add(m.name)
  }
  if (hit !== m.neg) return OK
  const why = !entry ? `${who} not in list ${m.name}` : m.neg ? `${who} is in list ${m.name}` : `${who} last seen ${Math.round((now - entry.last) / 1000)} s ago (> ${m.seconds} s)`
  return { ok: false, failed: `${m.neg ? '! ' : ''}--${m.mode} --name ${m.name}: ${why}` }
}

/**
 * Why a rule does not match a packet: the first failing match, rendered. Pure (no
 * statistic draw or recent update), for rules recorded compactly in a missRun.
 * @example explainMiss(rule, pkt) // '-d 10.96.0.10/32 ≠ 10.96.45.123'
 */
export function explainMiss(rule: Rule, pkt: EvalPacket, env: Omit<EvalEnv, 'decide'> = { now: 0, addrType: () => 'UNICAST' }, ns?: Netns): string | undefined {
  const st = newEvalState(ns ?? ({ ipsets: {}, recent: {}, counters: {} } as unknown as Netns))
  const e: EvalEnv = { ...env, decide: () => false }
  for (const m of rule.matches) {
    if (m.kind === 'statistic' || m.kind === 'recent') continue
    const r = evalMatch(m, rule, pkt, e, st)
    if (!r.ok) return r.failed
  }
  return undefined
}

// ---------------------------------------------------------------------------------------
// Chain index for long chains.

interface ChainIndex {
  /** Rules (0-based) with a positive `-d x/32` host match, by address. */
  readonly byDst: Map<number, number[]>
  /** Rules that must always be evaluated, sorted. */
  readonly always: number[]
  /** candidates() already merged, by destination (a chain is walked for the same few destinations again and again). */
  readonly merged: Map<number, number[]>
}

const INDEX_MIN_RULES = 64
const indexCache = new WeakMap<Chain, ChainIndex>()

function chainIndex(c: Chain): ChainIndex | undefined {
  if (c.rules.length < INDEX_MIN_RULES) return undefined
  let idx = indexCache.get(c)
  if (idx) return idx
  const byDst = new Map<number, number[]>()
  const always: number[] = []
  c.rules.forEach((r, i) => {
    const d = r.matches.find((m) => m.kind === 'dst')
    if (d && d.kind === 'dst' && !d.neg && d.cidr.mask === 0xffffffff) {
      const list = byDst.get(d.cidr.net)
      if (list) list.push(i)
      else byDst.set(d.cidr.net, [i])
    } else always.push(i)
  })
  idx = { byDst, always, merged: new Map() }
  indexCache.set(c, idx)
  return idx
}

/** Rule indices (0-based, ascending) a packet must be checked against, or undefined for all. */
function candidates(c: Chain, dst: string): number[] | undefined {
  const idx = chainIndex(c)
  if (!idx) return undefined
  const key = ipNum(dst)
  const hit = idx.byDst.get(key) ?? []
  if (hit.length === 0) return idx.always
  const done = idx.merged.get(key)
  if (done) return done
  const out: number[] = []
  let a = 0
  let b = 0
  while (a < idx.always.length || b < hit.length) {
    const x = idx.always[a]
    const y = hit[b]
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x!)
      a++
    } else {
      out.push(y)
      b++
    }
  }
  if (idx.merged.size > 256) idx.merged.clear()
  idx.merged.set(key, out)
  return out
}

// ---------------------------------------------------------------------------------------
// Walking.

function actionOf(rule: Rule): string {
  const t = rule.target
  switch (t.kind) {
    case 'jump':
      return `jump ${t.chain}`
    case 'goto':
      return `goto ${t.chain}`
    case 'REJECT':
      return `REJECT --reject-with ${t.rejectWith ?? 'icmp-port-unreachable'}`
    case 'DNAT':
      return `DNAT → ${printNatRange(t.to)}`
    case 'SNAT':
      return `SNAT → ${printNatRange(t.to)}`
    case 'MASQUERADE':
      return 'MASQUERADE'
    case 'MARK':
      return `MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`
    case 'CONNMARK':
      return t.op === 'set' ? `CONNMARK --set-xmark ${hex(t.value)}/${hex(t.mask)}` : `CONNMARK --${t.op}-mark --nfmask ${hex(t.nfmask)} --ctmask ${hex(t.ctmask)}`
    case 'CT':
      return t.notrack ? 'NOTRACK' : `CT ${t.text}`
    case 'other':
      return `${t.name} (not simulated, continues)`
    case 'none':
      return 'count only'
    default:
      return t.kind
  }
}

/** A ChainWalk while it is being written. */
interface WalkRecord {
  readonly table: TableName
  readonly chain: string
  rules: RuleEval[]
  exit: string
  missRuns?: MissRun[]
}

interface Frame {
  readonly chain: Chain
  /** Index into `order` (or rules when order is undefined). */
  pos: number
  readonly order: number[] | undefined
  readonly walk: WalkRecord
  /** The base chain was left by a goto: when the goto'd chain returns, the policy applies. */
  done: boolean
  /** Last rule index (0-based) accounted for, to emit miss runs. */
  last: number
}

const MAX_DEPTH = 128

/** Copies of a walk's frames and records (each frame copy points at its record's copy). */
function copyWalks(frames: readonly Frame[], walks: readonly WalkRecord[]): { frames: Frame[]; walks: WalkRecord[] } {
  const walksCopy: WalkRecord[] = []
  for (const w of walks) {
    const c: WalkRecord = { table: w.table, chain: w.chain, rules: w.rules.slice(), exit: w.exit }
    if (w.missRuns) c.missRuns = w.missRuns.slice()
    walksCopy.push(c)
  }
  const framesCopy: Frame[] = []
  for (const f of frames) framesCopy.push({ chain: f.chain, pos: f.pos, order: f.order, walk: walksCopy[walks.indexOf(f.walk)]!, done: f.done, last: f.last })
  return { frames: framesCopy, walks: walksCopy }
}

/** What a walk changed in its EvalState, copied (empty collections stay out). */
interface SavedState {
  readonly recent?: ReadonlyMap<string, RecentEntry[]>
  readonly nth?: ReadonlyMap<string, number>
  readonly counters: readonly { ruleId: string; bytes: number }[]
  readonly recentChanged?: ReadonlySet<string>
  readonly notSimulated: readonly string[]
}

function copyState(st: EvalState): SavedState {
  let recent: Map<string, RecentEntry[]> | undefined
  if (st.recent.size) {
    recent = new Map()
    for (const [k, v] of st.recent) recent.set(k, v.slice())
  }
  return {
    ...(recent && { recent }),
    ...(st.nth.size > 0 && { nth: new Map(st.nth) }),
    counters: st.counters.slice(),
    ...(st.recentChanged.size > 0 && { recentChanged: new Set(st.recentChanged) }),
    notSimulated: st.notSimulated.slice(),
  }
}

/** Make `st` (its ns aside) what it was when `saved` was copied from it; `st` takes over its recent lists. */
function restoreState(st: EvalState, saved: SavedState): void {
  st.recent.clear()
  if (saved.recent) for (const [k, v] of saved.recent) st.recent.set(k, v)
  st.nth.clear()
  if (saved.nth) for (const [k, v] of saved.nth) st.nth.set(k, v)
  st.counters.length = 0
  for (const c of saved.counters) st.counters.push(c)
  st.recentChanged.clear()
  if (saved.recentChanged) for (const k of saved.recentChanged) st.recentChanged.add(k)
  st.notSimulated.length = 0
  for (const n of saved.notSimulated) st.notSimulated.push(n)
}

/**
 * Walk a table from its built-in chain for one packet.
 * @example evalTable(ruleset, 'nat', 'PREROUTING', pkt, env, newEvalState(ns)).walks[0]?.exit // 'policy ACCEPT'
 */
export function evalTable(rs: Ruleset, table: TableName, hookChain: string, pkt: EvalPacket, env: EvalEnv, st: EvalState): TableResult {
  const t = rs.tables[table]
  const walks: WalkRecord[] = []
  const base = t?.chains[hookChain]
  if (!t || !base) return { verdict: 'ACCEPT', mark: pkt.mark, notrack: false, walks, ...(pkt.ctMark !== undefined && { ctMark: pkt.ctMark }) }
  let mark = pkt.mark
  let notrack = false
  let cur: EvalPacket = pkt
  const frames: Frame[] = []
  const push = (c: Chain) => {
    const walk = { table, chain: c.name, rules: [] as RuleEval[], exit: '' }
    walks.push(walk)
    frames.push({ chain: c, pos: 0, order: candidates(c, cur.dst), walk, done: false, last: -1 })
  }
  const noteSkipped = (f: Frame, upTo: number) => {
    // Rules f.last+1 .. upTo-1 (0-based) were skipped by the index: a miss run.
    if (upTo - 1 > f.last) {
      const run = { from: f.last + 2, to: upTo }
      ;(f.walk.missRuns ??= []).push(run)
    }
    f.last = upTo
  }
  const finish = (verdict: 'ACCEPT' | 'DROP' | 'REJECT', extra: Partial<TableResult> = {}): TableResult => {
    // Chains still on the stack were left by the decision taken deeper down.
    const decidedIn = frames[frames.length - 1]
    for (const fr of frames) if (fr.walk.exit === '' && fr !== decidedIn) fr.walk.exit = `left: ${decidedIn?.walk.exit ?? verdict} in ${decidedIn?.chain.name ?? '?'}`
    return { verdict, mark, notrack, walks, ...(cur.ctMark !== undefined && { ctMark: cur.ctMark }), ...extra }
  }
  const policy = (): TableResult => {
    const pol = base.policy ?? 'ACCEPT'
    st.counters.push({ ruleId: `${table}:${base.name}:policy`, bytes: cur.len })
    return finish(pol)
  }
  const fork = env.fork
  let resumed = fork?.resume(`${table} ${hookChain}`)
  if (resumed) {
    frames.push(...resumed.frames)
    walks.push(...resumed.walks)
    cur = resumed.cur
    mark = resumed.mark
    notrack = resumed.notrack
    restoreState(st, resumed.state)
  } else push(base)
  for (;;) {
    const f = frames[frames.length - 1]!
    let ri: number
    let from = 0
    /** The match whose decision the resumed snapshot was saved for (not saved again). */
    let decided = -1
    let probability: number | undefined
    let assumed: string[] | undefined
    if (resumed) {
      // The rule the snapshot was taken in, from its statistic match on.
      ri = resumed.rule
      from = resumed.match
      decided = from
      probability = resumed.probability
      if (resumed.assumed) assumed = [...resumed.assumed]
      resumed = undefined
    } else {
      const total = f.order ? f.order.length : f.chain.rules.length
      if (f.pos >= total) {
        if (f.order) noteSkipped(f, f.chain.rules.length)
        frames.pop()
        const caller = frames[frames.length - 1]
        if (!caller) {
          f.walk.exit = `end of chain: policy ${base.policy ?? 'ACCEPT'}`
          return policy()
        }
        if (caller.done) {
          f.walk.exit = `end of chain: back to ${caller.chain.name} (left by goto): policy ${base.policy ?? 'ACCEPT'}`
          return policy()
        }
        f.walk.exit = `end of chain: return to ${caller.chain.name}`
        continue
      }
      ri = f.order ? f.order[f.pos]! : f.pos
      f.pos++
      if (f.order) noteSkipped(f, ri)
      else f.last = ri
    }
    const rule = f.chain.rules[ri]!
    cur = mark === cur.mark ? cur : { ...cur, mark }
    let failed: string | undefined
    for (let mi = from; mi < rule.matches.length; mi++) {
      const m = rule.matches[mi]!
      if (fork && m.kind === 'statistic' && m.mode === 'random' && m.probability > 0 && m.probability < 1 && mi !== decided) {
        const copy = copyWalks(frames, walks)
        fork.save({ frames: copy.frames, walks: copy.walks, cur, mark, notrack, rule: ri, match: mi, probability, assumed: assumed && [...assumed], state: copyState(st) })
      }
      const r = evalMatch(m, rule, cur, env, st)
      if (!r.ok) {
        failed = r.failed
        if (r.assumed) (assumed ??= []).push(r.assumed)
        break
      }
      if (r.probability !== undefined) probability = r.probability
      if (r.assumed) (assumed ??= []).push(r.assumed)
    }
    if (failed !== undefined && env.matchedOnly && !assumed) continue
    const ev: { -readonly [K in keyof RuleEval]: RuleEval[K] } = { ruleId: rule.id, index: ri + 1, raw: rule.raw, result: failed === undefined ? 'matched' : 'missed' }
    if (rule.source?.line !== undefined) ev.line = rule.source.line
    if (failed !== undefined) ev.failed = failed
    if (assumed) {
      ev.assumed = assumed
      for (const a of assumed) st.notSimulated.push(`${rule.id}: ${a}`)
    }
    if (probability !== undefined) ev.probability = probability
    else {
      for (const m of rule.matches) {
        if (m.kind === 'statistic' && m.mode === 'random') {
          ev.probability = m.probability
          break
        }
      }
    }
    if (failed !== undefined) {
      f.walk.rules.push(ev)
      continue
    }
    ev.action = actionOf(rule)
    f.walk.rules.push(ev)
    st.counters.push({ ruleId: rule.id, bytes: cur.len })
    const tg = rule.target
    switch (tg.kind) {
      case 'ACCEPT':
        f.walk.exit = 'ACCEPT'
        return finish('ACCEPT')
      case 'DROP':
        f.walk.exit = 'DROP'
        return finish('DROP')
      case 'REJECT':
        f.walk.exit = `REJECT (${tg.rejectWith ?? 'icmp-port-unreachable'})`
        return finish('REJECT', { rejectWith: tg.rejectWith ?? 'icmp-port-unreachable' })
      case 'DNAT':
      case 'SNAT':
      case 'MASQUERADE':
        f.walk.exit = actionOf(rule)
        return finish('ACCEPT', { nat: { rule } })
      case 'RETURN': {
        if (f.order) noteSkipped(f, f.chain.rules.length)
        frames.pop()
        const caller = frames[frames.length - 1]
        if (!caller || caller.done) {
          f.walk.exit = `RETURN: policy ${base.policy ?? 'ACCEPT'}`
          return policy()
        }
        f.walk.exit = `RETURN to ${caller.chain.name}`
        continue
      }
      case 'jump':
      case 'goto': {
        const next = t.chains[tg.chain]
        if (!next) {
          st.notSimulated.push(`${rule.id}: jump to missing chain ${tg.chain} ignored`)
          continue
        }
        if (frames.length >= MAX_DEPTH) {
          f.walk.exit = `DROP: jump depth over ${MAX_DEPTH} (loop?)`
          return finish('DROP')
        }
        if (tg.kind === 'goto') {
          f.walk.exit = `goto ${tg.chain}`
          if (f.order) noteSkipped(f, f.chain.rules.length)
          if (frames.length > 1) frames.pop()
          else f.done = true
        }
        push(next)
        continue
      }
      case 'MARK':
        mark = ((mark & ~tg.mask) ^ tg.value) >>> 0
        continue
      case 'CONNMARK': {
        // xt_connmark: without a conntrack entry the target does nothing.
        const ct = cur.ctMark
        if (ct === undefined) continue
        if (tg.op === 'restore') mark = ((mark & ~tg.nfmask) ^ (ct & tg.ctmask)) >>> 0
        else {
          const next = tg.op === 'set' ? ((ct & ~tg.mask) ^ tg.value) >>> 0 : ((ct & ~tg.ctmask) ^ (mark & tg.nfmask)) >>> 0
          if (next !== ct) cur = { ...cur, ctMark: next }
        }
        continue
      }
      case 'NOTRACK':
        notrack = true
        continue
      case 'CT':
        if (tg.notrack) notrack = true
        else st.notSimulated.push(`${rule.id}: CT ${tg.text} not simulated`)
        continue
      case 'other':
        st.notSimulated.push(`${rule.id}: target ${tg.name} not simulated (treated as continue)`)
        continue
      case 'LOG':
      case 'none':
        continue
    }
  }
}
