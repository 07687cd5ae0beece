/**
 * The fast path for `-A CHAIN …` lines of iptables-save in the shapes kube-proxy, flannel
 * and Calico write: it reads the line in place (no token objects) and builds exactly the
 * Match[] and Target the general grammar (grammar.ts) builds, or gives up and returns
 * undefined. It gives up on anything outside those shapes and on anything the grammar would
 * report: escaped or unterminated quotes, old `--opt ! value` negation, an option outside
 * its `-m` module, an implicit `-p tcp --dport` module, unknown modules or targets, bad
 * values. The caller then runs the general path, which owns every diagnostic, so results
 * and messages never depend on which path ran (fastRule.test.ts holds the two to identical
 * rulesets on the fixtures, generated dumps and random lines).
 */
import type { CidrValue, Match, NatRange, Target } from './types.ts'
import {
  ADDRTYPE_ORDER,
  CTSTATE_ORDER,
  CTSTATUS_ORDER,
  NAT_TARGET_OPTS,
  buildTarget,
  isTargetExtension,
  parseCidr,
  parseMarkMask,
  parsePortList,
  parseNatRange,
  parseQuad,
  parsePortRange,
  protoName,
  protoNumber,
  quantizeProbability,
  TARGET_FLAG_OPTS,
} from './grammar.ts'
import type { ParserState } from './grammar.ts'

export interface FastRule<C> {
  /** The chain the rule is appended to. */
  readonly chain: C
  readonly matches: Match[]
  readonly target: Target
  /** The rule-spec as written (what the general path keeps as `raw`). */
  readonly raw: string
}

// Word boundaries of the line being read, reused from line to line.
const MAX_WORDS = 96
const wordStart = new Int32Array(MAX_WORDS)
const textStart = new Int32Array(MAX_WORDS)
const textEnd = new Int32Array(MAX_WORDS)
const wordQuoted = new Uint8Array(MAX_WORDS)
let line = ''
let words = 0

/**
 * Split `text[from, to)` into words: blanks are spaces and tabs; a word is either plain
 * printable ASCII without quotes, or a whole `"…"` without backslashes. Anything else
 * (control characters, non-ASCII, single quotes, escapes, a quote inside a word) → false.
 */
function scanWords(text: string, from: number, to: number): boolean {
  const n = to
  let i = from
  let k = 0
  for (;;) {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c !== 32 && c !== 9) break
      i++
    }
    if (i >= n) break
    if (k === MAX_WORDS) return false
    wordStart[k] = i
    if (text.charCodeAt(i) === 34) {
      let j = i + 1
      for (; j < n; j++) {
        const c = text.charCodeAt(j)
        if (c === 34) break
        if (c === 92 || c < 32 || c > 126) return false
      }
      if (j >= n || j === i + 1) return false
      const after = j + 1
      if (after < n) {
        const c = text.charCodeAt(after)
        if (c !== 32 && c !== 9) return false
      }
      textStart[k] = i + 1
      textEnd[k] = j
      wordQuoted[k] = 1
      i = after
    } else {
      let j = i
      for (; j < n; j++) {
        const c = text.charCodeAt(j)
        if (c === 32 || c === 9) break
        if (c === 34 || c === 39 || c < 32 || c > 126) return false
      }
      textStart[k] = i
      textEnd[k] = j
      wordQuoted[k] = 0
      i = j
    }
    k++
  }
  line = text
  words = k
  return true
}

function word(k: number): string {
  return line.slice(textStart[k], textEnd[k])
}

function is(k: number, s: string): boolean {
  return wordQuoted[k] === 0 && textIs(k, s)
}

/** The text of word k is s (quoted or not). */
function textIs(k: number, s: string): boolean {
  const from = textStart[k]!
  const n = s.length
  if (textEnd[k]! - from !== n) return false
  for (let i = 0; i < n; i++) if (line.charCodeAt(from + i) !== s.charCodeAt(i)) return false
  return true
}

/** The grammar's isOptionWord: unquoted, and `!` or `-x…` / `--x…` with x alphanumeric. */
function isOptionWord(k: number): boolean {
  if (wordQuoted[k] === 1) return false
  const s = textStart[k]!
  const len = textEnd[k]! - s
  if (line.charCodeAt(s) === 33) return len === 1
  if (line.charCodeAt(s) !== 45 || len < 2) return false
  let c = line.charCodeAt(s + 1)
  if (c === 45) {
    if (len < 3) return false
    c = line.charCodeAt(s + 2)
  }
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** A plain value word at k: present, unquoted, not `!` (old negation) and not an option. */
function plainValue(k: number): boolean {
  return k < words && wordQuoted[k] === 0 && !isOptionWord(k)
}

// Modules the fast path reads. Their options, values and save order are the grammar's.
const M_NONE = 0
const M_COMMENT = 1
const M_PORTS = 2
const M_MULTIPORT = 3
const M_STATISTIC = 4
const M_MARK = 5
const M_ADDRTYPE = 6
const M_CONNTRACK = 7

function modOf(name: string): number {
  switch (name) {
    case 'comment':
      return M_COMMENT
    case 'tcp':
    case 'udp':
    case 'sctp':
      return M_PORTS
    case 'multiport':
      return M_MULTIPORT
    case 'statistic':
      return M_STATISTIC
    case 'mark':
      return M_MARK
    case 'addrtype':
      return M_ADDRTYPE
    case 'conntrack':
      return M_CONNTRACK
    default:
      return M_NONE
  }
}

type AddrSide = { neg: boolean; value: string[] }

// Values many rules share, built once: they are immutable, like every Match and Target.
const PROTO_MATCHES = new Map<string, Match>()
const MODULE_MATCHES = new Map<string, Match>()

function protoMatch(neg: boolean, proto: string): Match {
  const key = neg ? `!${proto}` : proto
  let m = PROTO_MATCHES.get(key)
  if (!m) PROTO_MATCHES.set(key, (m = { kind: 'proto', neg, proto }))
  return m
}

const PORT_MATCHES = new Map<number, Match>()
/** The previous rule's comment: a chain's rules often share it. */
let lastComment: Extract<Match, { kind: 'comment' }> | undefined
const STATISTIC_MATCHES = new Map<number, Match>()
const NET_MATCHES = new Map<number, Match>()

/** `--sport`/`--dport` of one port: modules tcp, udp, sctp (index 0-2) × negation × side × port. */
function portMatch(kind: 'sport' | 'dport', module: string, neg: boolean, port: number): Match {
  const key = ((module === 'tcp' ? 0 : module === 'udp' ? 1 : 2) * 4 + (neg ? 2 : 0) + (kind === 'dport' ? 1 : 0)) * 65536 + port
  const m = PORT_MATCHES.get(key)
  if (m) return m
  const made: Match = { kind, module, neg, ports: [{ from: port, to: port }] }
  PORT_MATCHES.set(key, made)
  return made
}

/** `-m statistic --mode random --probability p`, p already quantized. */
function statisticMatch(p: number): Match {
  let m = STATISTIC_MATCHES.get(p)
  if (!m) STATISTIC_MATCHES.set(p, (m = { kind: 'statistic', mode: 'random', probability: p, neg: false, text: `--mode random --probability ${p.toFixed(11)}` }))
  return m
}

/** `-s`/`-d` of a network (not a single host: those rarely repeat), by side × negation × prefix. */
function netMatch(kind: 'src' | 'dst', neg: boolean, cidr: CidrValue): Match {
  if (cidr.mask === 0xffffffff) return { kind, neg, cidr }
  let len = 0
  while (len < 32 && cidr.mask & (0x80000000 >>> len)) len++
  const key = (cidr.net * 33 + len) * 4 + (neg ? 2 : 0) + (kind === 'dst' ? 1 : 0)
  const m = NET_MATCHES.get(key)
  if (m) return m
  const made: Match = { kind, neg, cidr }
  NET_MATCHES.set(key, made)
  return made
}

/** `-m NAME` with no options of its own (`-p tcp -m tcp`). Only names modOf knows get here. */
function moduleMatch(module: string): Match {
  let m = MODULE_MATCHES.get(module)
  if (!m) MODULE_MATCHES.set(module, (m = { kind: 'module', module }))
  return m
}

/** Decimal port 0-65535 written without a sign or spaces, else -1 (parsePort reads other forms). */
function plainPort(v: string): number {
  const n = v.length
  if (n === 0 || n > 5) return -1
  let p = 0
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    p = p * 10 + c
  }
  return p <= 65535 ? p : -1
}
const PROBABILITY = /^[0-9.eE+-]+$/
const NO_TARGET: Target = { kind: 'none' }

/** Comma list, upper-cased, as the grammar's set-valued options read it; undefined if any is not in `order`. */
function orderedSet<T extends string>(v: string, order: readonly T[]): T[] | undefined {
  const items = v.split(',').map((s) => s.toUpperCase())
  for (const s of items) if (!(order as readonly string[]).includes(s)) return undefined
  return order.filter((s) => items.includes(s))
}

/**
 * The chains of the table being read, the jump targets already built for them (one per chain,
 * shared by the rules that jump there: Targets are immutable values), and the chain of the
 * previous line (iptables-save writes a chain's rules together).
 */
export interface FastTable<C extends { readonly name: string }> {
  readonly chains: ReadonlyMap<string, C>
  readonly jumps: Map<C, Target>
  /** The same pairs the other way round: a shared jump Target → its chain. */
  readonly chainOf: Map<Target, C>
  last?: C
  /** The two jump Targets most recently read, most recent first. */
  readonly recent: (Target | undefined)[]
}

/**
 * Read an `-A CHAIN rule-spec` line (no counters prefix, no line break), `text[from, to)`,
 * the fast way. Both the chain and a jump's target chain must exist in `t` (else the general
 * path reports them).
 * @example parseAppendFast('-A KUBE-SVC-X -m comment --comment "ns/a:http" -j KUBE-SEP-Y', table)?.target
 * // { kind: 'jump', chain: 'KUBE-SEP-Y' }
 */
export function parseAppendFast<C extends { readonly name: string }>(text: string, t: FastTable<C>, from = 0, to = text.length): FastRule<C> | undefined {
  if (!text.startsWith('-A ', from) || !scanWords(text, from + 3, to) || words === 0 || wordQuoted[0] === 1) return undefined
  let chain = t.last
  if (!chain || !is(0, chain.name)) {
    chain = t.chains.get(word(0))
    if (!chain) return undefined
    t.last = chain
  }
  const scratch = readSpec(t)
  if (!scratch) return undefined
  // An exact-size copy: a pushed-to array keeps spare room, and rulesets keep their arrays.
  const matches = scratch.slice()
  const first = wordStart[1]!
  const last = words - 1
  const raw = words < 2 ? '' : line.slice(first, wordQuoted[last] === 1 ? textEnd[last]! + 1 : textEnd[last])
  return { chain, matches, target, raw }
}

// What readSpec is building (module state, reused from line to line: no closures, no context objects).
let target: Target = { kind: 'none' }
let proto: string | undefined
let nBase = 0
let mod = M_NONE
let modName = ''
let a: Match | undefined
let b: Match | undefined
let src: AddrSide | undefined
let dst: AddrSide | undefined
let limitIn = false
let limitOut = false
let mode: string | undefined
let probability: number | undefined

/** Base matches go before every module's, as the grammar orders them. */
function pushBase(matches: Match[], m: Match): void {
  if (nBase === matches.length) matches.push(m)
  else matches.splice(nBase, 0, m)
  nBase++
}

function openModule(m: number, name: string): void {
  mod = m
  modName = name
  a = b = undefined
  src = dst = undefined
  limitIn = limitOut = false
  mode = probability = undefined
}

/** Finish the open module: its matches in save order, or the bare `-m NAME`. False to give up. */
function closeModule(matches: Match[]): boolean {
  switch (mod) {
    case M_NONE:
      return true
    case M_STATISTIC: {
      if (mode !== 'random' || probability === undefined) return false
      const p = quantizeProbability(probability)
      matches.push(statisticMatch(p))
      break
    }
    case M_ADDRTYPE: {
      const m: { -readonly [K in keyof Extract<Match, { kind: 'addrtype' }>]: Extract<Match, { kind: 'addrtype' }>[K] } = { kind: 'addrtype' }
      if (src) m.src = src
      if (dst) m.dst = dst
      if (limitIn) m.limitIfaceIn = true
      if (limitOut) m.limitIfaceOut = true
      matches.push(m)
      break
    }
    default:
      if (a) matches.push(a)
      if (b) matches.push(b)
      if (!a && !b) matches.push(moduleMatch(modName))
  }
  mod = M_NONE
  return true
}

/** The words after the chain name: matches (and `target`), or undefined to give up. */
const scratchMatches: Match[] = []

function readSpec<C extends { readonly name: string }>(t: FastTable<C>): Match[] | undefined {
  const matches = scratchMatches
  matches.length = 0
  target = NO_TARGET
  proto = undefined
  nBase = 0
  mod = M_NONE
  let k = 1
  while (k < words) {
    let neg = false
    if (wordQuoted[k] === 0 && textEnd[k]! - textStart[k]! === 1 && line.charCodeAt(textStart[k]!) === 33) {
      neg = true
      k++
      if (k >= words) return undefined
    }
    if (wordQuoted[k] === 1) return undefined
    const s = textStart[k]!
    const len = textEnd[k]! - s
    if (line.charCodeAt(s) !== 45 || len < 2) return undefined
    const v = k + 1
    if (len === 2) {
      // A base option or -m / -j / -g, always with a plain value.
      if (!plainValue(v)) return undefined
      const c = line.charCodeAt(s + 1)
      if (c === 106 && !neg && v + 1 === words) {
        // `-j NAME` ending the line: most often a jump this table made a Target for a line or two ago.
        const recent = recentJump(t, v)
        if (recent) {
          if (!closeModule(matches)) return undefined
          target = recent
          return matches
        }
      }
      const value = word(v)
      k += 2
      if (c === 115 || c === 100) {
        // -s, -d
        const cidr = parseCidr(value)
        if (!cidr) return undefined
        pushBase(matches, netMatch(c === 115 ? 'src' : 'dst', neg, cidr))
      } else if (c === 112) {
        // -p
        let name: string
        if (value === 'tcp' || value === 'udp' || value === 'icmp' || value === 'sctp') name = value
        else {
          const num = protoNumber(value)
          if (num === undefined) return undefined
          if (num === 0) continue
          name = protoName(value)
        }
        pushBase(matches, protoMatch(neg, name))
        if (!neg) proto = name
      } else if (c === 105 || c === 111) {
        // -i, -o
        if (value.length > 15) return undefined
        pushBase(matches, { kind: c === 105 ? 'in' : 'out', neg, iface: value })
      } else if (c === 109) {
        // -m
        if (neg || !closeModule(matches)) return undefined
        const m = modOf(value)
        if (m === M_NONE) return undefined
        openModule(m, value)
      } else if (c === 106 || c === 103) {
        // -j, -g: the rest of the line is the target's
        if (neg || !closeModule(matches)) return undefined
        const tg = readTarget(value, c === 103, k, t)
        if (!tg) return undefined
        target = tg
        return matches
      } else return undefined
      continue
    }
    // A long option of the open module.
    if (line.charCodeAt(s + 1) !== 45 || !readModuleOption(k, neg)) return undefined
    k += mod === M_ADDRTYPE && (is(k, '--limit-iface-in') || is(k, '--limit-iface-out')) ? 1 : 2
  }
  return closeModule(matches) ? matches : undefined
}

/** One `--option value` of the open module at word k. False to give up. */
function readModuleOption(k: number, neg: boolean): boolean {
  const v = k + 1
  switch (mod) {
    case M_COMMENT:
      // One value (quoted or not), and the next word must start an option (else: multi-word comment).
      if (!is(k, '--comment') || neg || a || v >= words || (wordQuoted[v] === 0 && isOptionWord(v))) return false
      if (v + 1 < words && !isOptionWord(v + 1)) return false
      a = lastComment && textIs(v, lastComment.text) ? lastComment : (lastComment = { kind: 'comment', text: word(v) })
      return true
    case M_PORTS:
    case M_MULTIPORT: {
      const multi = mod === M_MULTIPORT
      const kind = is(k, multi ? '--sports' : '--sport') ? 'sport' : is(k, multi ? '--dports' : '--dport') ? 'dport' : undefined
      if (!kind || !plainValue(v) || (kind === 'sport' ? a : b)) return false
      const value = word(v)
      const p = multi ? -1 : plainPort(value)
      let m: Match
      if (p >= 0) m = portMatch(kind, modName, neg, p)
      else {
        const r = multi ? undefined : parsePortRange(value)
        const ports = multi ? parsePortList(value) : r && [r]
        if (!ports) return false
        m = { kind, module: modName, neg, ports }
      }
      if (kind === 'sport') a = m
      else b = m
      return true
    }
    case M_STATISTIC: {
      if (neg || !plainValue(v)) return false
      const value = word(v)
      if (is(k, '--mode') && mode === undefined && value === 'random') mode = value
      else if (is(k, '--probability') && probability === undefined) {
        const p = Number(value)
        if (!PROBABILITY.test(value) || !(p >= 0 && p <= 1)) return false
        probability = p
      } else return false
      return true
    }
    case M_MARK: {
      if (!is(k, '--mark') || a || !plainValue(v)) return false
      const mm = parseMarkMask(word(v))
      if (!mm) return false
      a = { kind: 'mark', neg, value: (mm.value & mm.mask) >>> 0, mask: mm.mask }
      return true
    }
    case M_ADDRTYPE: {
      if (is(k, '--limit-iface-in') || is(k, '--limit-iface-out')) {
        if (neg) return false
        if (is(k, '--limit-iface-in')) limitIn = true
        else limitOut = true
        return true
      }
      const side = is(k, '--src-type') ? 'src' : is(k, '--dst-type') ? 'dst' : undefined
      if (!side || (side === 'src' ? src : dst) || !plainValue(v)) return false
      const types = orderedSet(word(v), ADDRTYPE_ORDER)
      if (!types) return false
      if (side === 'src') src = { neg, value: types }
      else dst = { neg, value: types }
      return true
    }
    case M_CONNTRACK: {
      if (!plainValue(v)) return false
      if (is(k, '--ctstate') && !a) {
        const states = orderedSet(word(v), CTSTATE_ORDER)
        if (!states) return false
        a = { kind: 'ctstate', neg, states }
      } else if (is(k, '--ctstatus') && !b) {
        const statuses = orderedSet(word(v), CTSTATUS_ORDER)
        if (!statuses) return false
        b = { kind: 'ctstatus', neg, statuses }
      } else return false
      return true
    }
    default:
      return false
  }
}

/** The jump Target for word k when it names one of the table's two most recent jump targets (no slice, no lookup). */
function recentJump<C extends { readonly name: string }>(t: FastTable<C>, k: number): Target | undefined {
  const r = t.recent
  for (let i = 0; i < 2; i++) {
    const j = r[i]
    if (j !== undefined && j.kind === 'jump' && textIs(k, j.chain)) {
      if (i === 1) {
        r[1] = r[0]
        r[0] = j
      }
      return j
    }
  }
  return undefined
}

/**
 * parseNatRange of word k in the shape kube-proxy writes, `a.b.c.d:port` (or `a.b.c.d`), read in
 * place: the same NatRange, or undefined for any other shape (parseNatRange reads those).
 */
function hostPort(k: number): NatRange | undefined {
  const from = textStart[k]!
  const to = textEnd[k]!
  let colon = from
  while (colon < to && line.charCodeAt(colon) !== 58) colon++
  if (parseQuad(line, from, colon) < 0) return undefined
  const ip = line.slice(from, colon)
  if (colon === to) return { fromIp: ip, toIp: ip }
  const n = to - colon - 1
  if (n === 0 || n > 5) return undefined
  let port = 0
  for (let i = colon + 1; i < to; i++) {
    const c = line.charCodeAt(i) - 48
    if (c < 0 || c > 9) return undefined
    port = port * 10 + c
  }
  return port <= 65535 ? { fromIp: ip, toIp: ip, fromPort: port, toPort: port } : undefined
}

/** `-j NAME` / `-g NAME` and the target options after it (the rest of the line). */
function readTarget<C extends { readonly name: string }>(name: string, goto: boolean, k: number, t: FastTable<C>): Target | undefined {
  if (k === words) {
    if (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN') return goto ? undefined : { kind: name }
    if (goto || !isTargetExtension(name)) {
      // A chain: it must exist (else the general path reports it); its name string is the table's own.
      const c = t.chains.get(name)
      if (!c) return undefined
      if (goto) return { kind: 'goto', chain: c.name }
      let j = t.jumps.get(c)
      if (!j) {
        j = { kind: 'jump', chain: c.name }
        t.jumps.set(c, j)
        t.chainOf.set(j, c)
      }
      t.recent[1] = t.recent[0]
      t.recent[0] = j
      return j
    }
  }
  if (goto) return undefined
  if (name === 'DNAT' && k + 2 === words && is(k, '--to-destination') && plainValue(k + 1)) {
    // buildTarget's DNAT with its one usual option, without the general option list.
    const to = hostPort(k + 1) ?? parseNatRange(word(k + 1))
    if (!to || (to.fromPort !== undefined && proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')) return undefined
    // The option and its value as one slice of the line when one space parts them (as iptables-save writes).
    const text = textStart[k + 1] === textEnd[k]! + 1 && line.charCodeAt(textEnd[k]!) === 32 ? line.slice(textStart[k], textEnd[k + 1]) : `--to-destination ${word(k + 1)}`
    return { kind: 'DNAT', to, text }
  }
  const allowed = NAT_TARGET_OPTS[name]
  if (!allowed && k < words) return undefined
  const opts: { opt: string; value?: string; col: number }[] = []
  while (k < words) {
    if (wordQuoted[k] === 1) return undefined
    const opt = word(k)
    if (!allowed?.includes(opt)) return undefined
    k++
    if (TARGET_FLAG_OPTS.has(opt)) opts.push({ opt, col: 0 })
    else {
      if (!plainValue(k)) return undefined
      opts.push({ opt, value: word(k), col: 0 })
      k++
    }
  }
  const p: ParserState = { problems: [], ...(proto !== undefined && { proto }) }
  const target = buildTarget(name, false, opts, p, 0)
  return p.problems.length === 0 ? target : undefined
}
