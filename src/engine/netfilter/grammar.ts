/**
 * The one iptables rule-spec grammar: words after `-A CHAIN` (from iptables-save text,
 * `iptables -S` output or an `iptables` argv) become the engine's Match[] and Target, and
 * Match[]/Target print back the way iptables-save prints them (iptables 1.8.9 legacy):
 * base matches first (-s -d -i -o -p -f), then each `-m` module with its options in the
 * module's own save order, then the target. Parsing never throws; problems carry a stable
 * code, the word's column and, where we know it, the message iptables itself prints.
 *
 * Simplifications: a hostname where an address belongs is refused (iptables would resolve
 * it); service names for ports come from a small built-in table, not /etc/services.
 */
import { intToIp, maskOf } from '../wire/addr.ts'
import type { CidrValue, CtStateName, Match, NatRange, PortSpec, Target } from './types.ts'
import type { NfCode } from './codes.ts'
import type { Token } from './tokenize.ts'

export interface SpecProblem {
  readonly code: NfCode
  readonly severity: 'error' | 'warning'
  readonly message: string
  readonly col: number
  readonly hint?: string
  /** What iptables itself prints for this problem (`Bad argument \`x'`). */
  readonly tool?: string
}

export interface RuleSpec {
  readonly matches: Match[]
  readonly target: Target
  /** `-c PKTS BYTES` inside the rule-spec. */
  readonly counters?: readonly [number, number]
  /** Column of the word naming the target (for "unknown chain" diagnostics). */
  readonly targetCol?: number
  readonly problems: SpecProblem[]
}

// ---------------------------------------------------------------------------------------
// Small tables: protocols, services, ICMP types, TCP flags, address types. Tables looked up
// by a word of the input have no prototype, so `-p constructor` or `-m toString` is an
// unknown name like any other, not a property of Object.prototype.

function table<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.assign(Object.create(null) as Record<string, T>, entries)
}

export const PROTO_NUMBERS: Readonly<Record<string, number>> = table({ all: 0, icmp: 1, igmp: 2, ipencap: 4, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132, udplite: 136 })
const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 2: 'igmp', 4: 'ipencap', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp', 136: 'udplite' }

/** Canonical protocol name as iptables-save prints it (`6` → `tcp`, unknown numbers stay numbers). */
export function protoName(p: string): string {
  const n = /^\d+$/.test(p) ? Number(p) : PROTO_NUMBERS[p.toLowerCase()]
  if (n === undefined) return p.toLowerCase()
  return PROTO_NAMES[n] ?? String(n)
}

export function protoNumber(p: string): number | undefined {
  return /^\d+$/.test(p) ? Number(p) : PROTO_NUMBERS[p.toLowerCase()]
}

/** A few /etc/services names (simplification: not the whole file). */
export const SERVICES: Readonly<Record<string, number>> = table({
  tcpmux: 1, ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, ntp: 123, imap2: 143, snmp: 161, ldap: 389, https: 443, syslog: 514, submission: 587, ldaps: 636, rsync: 873, imaps: 993, pop3s: 995, mysql: 3306, 'cisco-sccp': 2000, mdns: 5353, postgresql: 5432, 'http-alt': 8080, 'sun-answerbook': 8888, 'x11': 6000, kerberos: 88, bgp: 179, microsoft_ds: 445, vxlan: 4789, etcd: 2379,
})
const SERVICE_BY_PORT: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(SERVICES).map(([k, v]) => [v, k]))
export function serviceName(port: number): string | undefined {
  return SERVICE_BY_PORT[port]
}

export const ICMP_TYPES: Readonly<Record<string, readonly [number, number?]>> = table<readonly [number, number?]>({
  'echo-reply': [0], pong: [0], 'destination-unreachable': [3], 'network-unreachable': [3, 0], 'host-unreachable': [3, 1], 'protocol-unreachable': [3, 2], 'port-unreachable': [3, 3], 'fragmentation-needed': [3, 4], 'source-route-failed': [3, 5], 'network-unknown': [3, 6], 'host-unknown': [3, 7], 'network-prohibited': [3, 9], 'host-prohibited': [3, 10], 'TOS-network-unreachable': [3, 11], 'TOS-host-unreachable': [3, 12], 'communication-prohibited': [3, 13], 'host-precedence-violation': [3, 14], 'precedence-cutoff': [3, 15], 'source-quench': [4], redirect: [5], 'network-redirect': [5, 0], 'host-redirect': [5, 1], 'TOS-network-redirect': [5, 2], 'TOS-host-redirect': [5, 3], 'echo-request': [8], ping: [8], 'router-advertisement': [9], 'router-solicitation': [10], 'time-exceeded': [11], 'ttl-exceeded': [11], 'ttl-zero-during-transit': [11, 0], 'ttl-zero-during-reassembly': [11, 1], 'parameter-problem': [12], 'ip-header-bad': [12, 0], 'required-option-missing': [12, 1], 'timestamp-request': [13], 'timestamp-reply': [14], 'address-mask-request': [17], 'address-mask-reply': [18],
})

export const TCP_FLAG_BITS: Readonly<Record<string, number>> = table({ FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ALL: 0x3f, NONE: 0 })
const TCP_FLAG_ORDER = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] as const

export function tcpFlagBits(names: readonly string[]): number {
  let v = 0
  for (const n of names) v |= TCP_FLAG_BITS[n.toUpperCase()] ?? 0
  return v
}

/** `SYN,ACK` the way iptables prints a flag set (fixed order, NONE when empty). */
export function printTcpFlags(bits: number): string {
  const out = TCP_FLAG_ORDER.filter((f) => bits & TCP_FLAG_BITS[f]!)
  return out.length ? out.join(',') : 'NONE'
}

export const ADDRTYPE_ORDER = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'] as const
export const CTSTATE_ORDER: readonly CtStateName[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT']
export const CTSTATUS_ORDER = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'] as const
const REJECT_WITH: Readonly<Record<string, string>> = table({
  'icmp-net-unreachable': 'icmp-net-unreachable', 'net-unreach': 'icmp-net-unreachable',
  'icmp-host-unreachable': 'icmp-host-unreachable', 'host-unreach': 'icmp-host-unreachable',
  'icmp-proto-unreachable': 'icmp-proto-unreachable', 'proto-unreach': 'icmp-proto-unreachable',
  'icmp-port-unreachable': 'icmp-port-unreachable', 'port-unreach': 'icmp-port-unreachable',
  'icmp-net-prohibited': 'icmp-net-prohibited', 'net-prohib': 'icmp-net-prohibited',
  'icmp-host-prohibited': 'icmp-host-prohibited', 'host-prohib': 'icmp-host-prohibited',
  'icmp-admin-prohibited': 'icmp-admin-prohibited', 'admin-prohib': 'icmp-admin-prohibited',
  'tcp-reset': 'tcp-reset', 'tcp-rst': 'tcp-reset',
})

/** Targets iptables knows as extensions (not user chains). Anything else after -j is a chain. */
const TARGET_EXTENSIONS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'NOTRACK', 'CT', 'DNAT', 'SNAT', 'MASQUERADE', 'MARK', 'QUEUE', 'NFQUEUE', 'TCPMSS', 'CONNMARK', 'REDIRECT', 'TPROXY', 'SET', 'TRACE', 'AUDIT', 'CHECKSUM', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'ULOG', 'NFLOG', 'CLUSTERIP', 'HMARK', 'IDLETIMER', 'LED', 'NETMAP', 'RATEEST', 'SECMARK', 'CONNSECMARK', 'SYNPROXY', 'TEE', 'ECN', 'NETLINK',
])

export function isTargetExtension(name: string): boolean {
  return TARGET_EXTENSIONS.has(name)
}

// ---------------------------------------------------------------------------------------
// Value parsers (return undefined on bad input).

/**
 * u32 value of `text[from, to)` as a dotted quad, or -1: exactly four decimal parts without
 * leading zeros, each 0-255 (what ipaddr.js `isValidFourPartDecimal` accepts, without a regex
 * or an allocation).
 */
export function parseQuad(text: string, from = 0, to = text.length): number {
  let v = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1
      v = v * 256 + part
      part = 0
      digits = 0
      dots++
      continue
    }
    if (c < 48 || c > 57 || (digits === 1 && part === 0)) return -1
    part = part * 10 + (c - 48)
    digits++
    if (part > 255) return -1
  }
  if (digits === 0 || dots !== 3) return -1
  return (v * 256 + part) >>> 0
}

export function isQuad(text: string): boolean {
  return parseQuad(text) >= 0
}

export function parseCidr(text: string): CidrValue | undefined {
  const slash = text.indexOf('/')
  const ip = parseQuad(text, 0, slash < 0 ? text.length : slash)
  if (ip < 0) return undefined
  let len = 32
  // Whether `text` already reads as the canonical `a.b.c.d/len` (then it is kept, not rebuilt).
  let canonical = slash >= 0
  if (slash >= 0) {
    const l = text.length - slash - 1
    const d0 = text.charCodeAt(slash + 1) - 48
    const d1 = l === 2 ? text.charCodeAt(slash + 2) - 48 : 0
    if ((l === 1 || l === 2) && d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9) {
      len = l === 1 ? d0 : d0 * 10 + d1
      if (l === 2 && d0 === 0) canonical = false
    } else {
      const m = parseQuad(text, slash + 1)
      if (m < 0) return undefined
      let k = 0
      while (k < 32 && m & (0x80000000 >>> k)) k++
      if (maskOf(k) !== m) return undefined
      len = k
      canonical = false
    }
    if (len > 32) return undefined
  }
  const mask = maskOf(len)
  const net = (ip & mask) >>> 0
  return { text: canonical && net === ip ? text : `${intToIp(net)}/${len}`, net, mask }
}

export function cidrLen(c: CidrValue): number {
  let k = 0
  while (k < 32 && c.mask & (0x80000000 >>> k)) k++
  return k
}

function parsePort(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    return n <= 65535 ? n : undefined
  }
  return SERVICES[text]
}

/** `80`, `1000:2000`, `:1024`, `1024:`, `http`. */
export function parsePortRange(text: string): PortSpec | undefined {
  const i = text.indexOf(':')
  if (i < 0) {
    const p = parsePort(text)
    return p === undefined ? undefined : { from: p, to: p }
  }
  const a = i === 0 ? 0 : parsePort(text.slice(0, i))
  const b = i === text.length - 1 ? 65535 : parsePort(text.slice(i + 1))
  if (a === undefined || b === undefined) return undefined
  return a <= b ? { from: a, to: b } : { from: b, to: a }
}

export function parsePortList(text: string): PortSpec[] | undefined {
  const out: PortSpec[] = []
  for (const part of text.split(',')) {
    const r = parsePortRange(part)
    if (!r) return undefined
    out.push(r)
  }
  return out.length > 15 ? undefined : out
}

export function printPortSpec(p: PortSpec): string {
  return p.from === p.to ? String(p.from) : `${p.from}:${p.to}`
}

function parseU32(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text) || /^\d+$/.test(text)) {
    const n = Number(text)
    return n <= 0xffffffff ? n >>> 0 : undefined
  }
  return undefined
}

/** `v` or `v/m` (mark values). */
export function parseMarkMask(text: string): { value: number; mask: number } | undefined {
  const [v, m, extra] = text.split('/')
  if (extra !== undefined || v === undefined) return undefined
  const value = parseU32(v)
  const mask = m === undefined ? 0xffffffff : parseU32(m)
  if (value === undefined || mask === undefined) return undefined
  return { value, mask }
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`
}

/** `10.0.0.1`, `10.0.0.1-10.0.0.3`, `10.0.0.1:80`, `10.0.0.1:80-90`, `:8080`. */
export function parseNatRange(text: string): NatRange | undefined {
  const colon = text.indexOf(':')
  const ipPart = colon < 0 ? text : text.slice(0, colon)
  const portPart = colon < 0 ? undefined : text.slice(colon + 1)
  let fromIp: string | undefined
  let toIp: string | undefined
  if (ipPart !== '') {
    // Words after a second '-' are ignored, as they always were here.
    const dash = ipPart.indexOf('-')
    const a = dash < 0 ? ipPart : ipPart.slice(0, dash)
    const next = dash < 0 ? -1 : ipPart.indexOf('-', dash + 1)
    const b = dash < 0 ? undefined : ipPart.slice(dash + 1, next < 0 ? ipPart.length : next)
    if (!a || !isQuad(a) || (b !== undefined && !isQuad(b))) return undefined
    fromIp = a
    toIp = b ?? a
  }
  if (portPart !== undefined) {
    const dash = portPart.indexOf('-')
    const a = dash < 0 ? portPart : portPart.slice(0, dash)
    const next = dash < 0 ? -1 : portPart.indexOf('-', dash + 1)
    const pa = parsePort(a)
    const pb = dash < 0 ? pa : parsePort(portPart.slice(dash + 1, next < 0 ? portPart.length : next))
    if (pa === undefined || pb === undefined) return undefined
    return fromIp === undefined ? { fromPort: pa, toPort: pb } : { fromIp, toIp: toIp!, fromPort: pa, toPort: pb }
  }
  if (fromIp === undefined) return undefined
  return { fromIp, toIp: toIp! }
}

export function printNatRange(r: NatRange): string {
  let s = ''
  if (r.fromIp !== undefined) s += r.fromIp + (r.toIp !== undefined && r.toIp !== r.fromIp ? `-${r.toIp}` : '')
  if (r.fromPort !== undefined) s += `:${r.fromPort}` + (r.toPort !== undefined && r.toPort !== r.fromPort ? `-${r.toPort}` : '')
  return s
}

/** The kernel keeps `--probability` as a u32 fraction of 2^31; this is the value it uses and prints. */
export function quantizeProbability(p: number): number {
  return Math.round(p * 0x80000000) / 0x80000000
}

/** xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with `"`, `\`, `'` escaped. */
export function saveString(s: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(s)) return s
  return `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`
}

// ---------------------------------------------------------------------------------------
// The parser.

type Handler = (c: OptCtx) => void

interface ModuleDef {
  readonly options: Readonly<Record<string, Handler>>
  /** Build the module's matches from what its options collected, in save order. */
  readonly finalize: (st: ModState, p: ParserState) => Match[]
}

interface ModState {
  readonly module: string
  readonly col: number
  readonly f: Record<string, unknown>
  /** Options the engine keeps as text only (`--tcp-option 5`). */
  readonly extra: string[]
  readonly implicit: boolean
}

interface OptCtx {
  readonly opt: string
  readonly col: number
  readonly neg: boolean
  readonly st: ModState
  /** Next value word, or undefined (and a problem) when missing. Handles `--opt ! value`. */
  value(): string | undefined
  /** Next word if it is not an option. */
  peekValue(): string | undefined
  bad(what: string, value: string, tool?: string): void
}

export interface ParserState {
  readonly problems: SpecProblem[]
  proto?: string
}

const sportDport = (module: string): Record<string, Handler> => {
  const port = (kind: 'sport' | 'dport') => (c: OptCtx) => {
    const v = c.value()
    if (v === undefined) return
    const r = parsePortRange(v)
    if (!r) return c.bad('port', v, `invalid port/service \`${v}' specified`)
    c.st.f[kind] = { kind, module, neg: c.neg, ports: [r] } satisfies Match
  }
  return { '--sport': port('sport'), '--source-port': port('sport'), '--dport': port('dport'), '--destination-port': port('dport') }
}

function flagsList(text: string): string[] | undefined {
  const parts = text.split(',').map((s) => s.toUpperCase())
  return parts.every((p) => p in TCP_FLAG_BITS) ? parts : undefined
}

/** `-m mark --mark v[/m]` and `-m connmark --mark v[/m]`: the same option, on the packet's or the connection's mark. */
function markModule(kind: 'mark' | 'connmark'): ModuleDef {
  return {
    options: {
      '--mark': (c) => {
        const v = c.value()
        if (v === undefined) return
        const mm = parseMarkMask(v)
        if (!mm) return c.bad(kind, v, `Bad mark value \`${v}'`)
        c.st.f[kind] = { kind, neg: c.neg, value: (mm.value & mm.mask) >>> 0, mask: mm.mask } satisfies Match
      },
    },
    finalize: (st) => pick(st, [kind]),
  }
}

const MODULES: Readonly<Record<string, ModuleDef>> = table<ModuleDef>({
  tcp: {
    options: {
      ...sportDport('tcp'),
      '--tcp-flags': (c) => {
        const m = c.value()
        const v = m === undefined ? undefined : c.value()
        if (m === undefined || v === undefined) return
        const mask = flagsList(m)
        const comp = flagsList(v)
        if (!mask || !comp) return c.bad('TCP flags', `${m} ${v}`, `Unknown TCP flag \`${!mask ? m : v}'`)
        c.st.f.flags = { kind: 'tcp-flags', neg: c.neg, mask, comp } satisfies Match
      },
      '--syn': (c) => {
        c.st.f.flags = { kind: 'syn', neg: c.neg } satisfies Match
      },
      '--tcp-option': (c) => {
        const v = c.value()
        if (v !== undefined) c.st.extra.push(`${c.neg ? '! ' : ''}--tcp-option ${v}`)
      },
    },
    finalize: (st) => pick(st, ['sport', 'dport', 'flags']),
  },
  udp: { options: sportDport('udp'), finalize: (st) => pick(st, ['sport', 'dport']) },
  sctp: { options: sportDport('sctp'), finalize: (st) => pick(st, ['sport', 'dport']) },
  icmp: {
    options: {
      '--icmp-type': (c) => {
        const v = c.value()
        if (v === undefined) return
        if (v === 'any') {
          c.st.f.type = { kind: 'icmp-type', neg: c.neg, type: 255, text: 'any' } satisfies Match
          return
        }
        const named = ICMP_TYPES[v]
        if (named) {
          const [type, code] = named
          c.st.f.type = { kind: 'icmp-type', neg: c.neg, type, ...(code !== undefined && { code }), text: v } satisfies Match
          return
        }
        const m = /^(\d+)(?:\/(\d+))?$/.exec(v)
        if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255)) return c.bad('ICMP type', v, `Invalid ICMP type \`${v}'`)
        c.st.f.type = { kind: 'icmp-type', neg: c.neg, type: Number(m[1]), ...(m[2] !== undefined && { code: Number(m[2]) }), text: v } satisfies Match
      },
    },
    finalize: (st) => pick(st, ['type']),
  },
  multiport: {
    options: (() => {
      const ports = (kind: 'sport' | 'dport' | 'ports') => (c: OptCtx) => {
        const v = c.value()
        if (v === undefined) return
        const list = parsePortList(v)
        if (!list) return c.bad('port list', v, `invalid port/service \`${v}' specified`)
        if (kind === 'ports') c.st.extra.push(`${c.neg ? '! ' : ''}--ports ${list.map(printPortSpec).join(',')}`)
        else c.st.f[kind] = { kind, module: 'multiport', neg: c.neg, ports: list } satisfies Match
      }
      return { '--sports': ports('sport'), '--source-ports': ports('sport'), '--dports': ports('dport'), '--destination-ports': ports('dport'), '--ports': ports('ports') }
    })(),
    finalize: (st) => pick(st, ['sport', 'dport']),
  },
  comment: {
    options: {
      '--comment': (c) => {
        const v = c.value()
        if (v === undefined) return
        // The unquoted multi-word form (`--comment kubernetes service portals`): take words up to the next option.
        const words = [v]
        let w: string | undefined
        while ((w = c.peekValue()) !== undefined) words.push(w)
        c.st.f.comment = { kind: 'comment', text: words.join(' ') } satisfies Match
        if (words.length > 1) c.st.f.multiword = true
      },
    },
    finalize: (st) => pick(st, ['comment']),
  },
  statistic: {
    options: {
      '--mode': (c) => {
        const v = c.value()
        if (v !== 'random' && v !== 'nth') return v === undefined ? undefined : c.bad('statistic mode', v, `Bad mode \`${v}'`)
        c.st.f.mode = v
      },
      '--probability': (c) => {
        const v = c.value()
        if (v === undefined) return
        const p = Number(v)
        if (!/^[0-9.eE+-]+$/.test(v) || !(p >= 0 && p <= 1)) return c.bad('probability', v, `--probability must be between 0 and 1`)
        c.st.f.probability = p
        c.st.f.pText = v
        if (c.neg) c.st.f.neg = true
      },
      '--every': (c) => {
        const v = c.value()
        if (v === undefined) return
        if (!/^\d+$/.test(v) || Number(v) < 1) return c.bad('--every', v, `cannot parse --every \`${v}'`)
        c.st.f.every = Number(v)
        if (c.neg) c.st.f.neg = true
      },
      '--packet': (c) => {
        const v = c.value()
        if (v === undefined) return
        if (!/^\d+$/.test(v)) return c.bad('--packet', v, `cannot parse --packet \`${v}'`)
        c.st.f.packet = Number(v)
      },
    },
    finalize: (st, p) => {
      const neg = st.f.neg === true
      if (st.f.mode === 'nth') {
        const every = typeof st.f.every === 'number' ? st.f.every : 1
        const packet = typeof st.f.packet === 'number' ? st.f.packet : 0
        return [{ kind: 'statistic', mode: 'nth', every, packet, neg, text: `--mode nth${neg ? ' !' : ''} --every ${every} --packet ${packet}` }]
      }
      if (st.f.mode !== 'random') {
        p.problems.push({ code: 'NF013', severity: 'error', message: '-m statistic needs --mode random or --mode nth', col: st.col, tool: 'no mode specified' })
        return [{ kind: 'unknown', module: 'statistic', text: '', assumption: 'match' }]
      }
      const raw = typeof st.f.probability === 'number' ? st.f.probability : 0
      const probability = quantizeProbability(raw)
      return [{ kind: 'statistic', mode: 'random', probability, neg, text: `--mode random${neg ? ' !' : ''} --probability ${probability.toFixed(11)}` }]
    },
  },
  mark: markModule('mark'),
  connmark: markModule('connmark'),
  conntrack: {
    options: {
      '--ctstate': (c) => {
        const v = c.value()
        if (v === undefined) return
        const states = v.split(',').map((s) => s.toUpperCase())
        if (!states.every((s) => (CTSTATE_ORDER as readonly string[]).includes(s))) return c.bad('ctstate', v, `Bad ctstate "${states.find((s) => !(CTSTATE_ORDER as readonly string[]).includes(s))}"`)
        c.st.f.ctstate = { kind: 'ctstate', neg: c.neg, states: CTSTATE_ORDER.filter((s) => states.includes(s)) } satisfies Match
      },
      '--ctstatus': (c) => {
        const v = c.value()
        if (v === undefined) return
        const st = v.split(',').map((s) => s.toUpperCase())
        if (!st.every((s) => (CTSTATUS_ORDER as readonly string[]).includes(s))) return c.bad('ctstatus', v, `Bad ctstatus "${st.find((s) => !(CTSTATUS_ORDER as readonly string[]).includes(s))}"`)
        c.st.f.ctstatus = { kind: 'ctstatus', neg: c.neg, statuses: CTSTATUS_ORDER.filter((s) => st.includes(s)) } satisfies Match
      },
      ...Object.fromEntries(['--ctproto', '--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst', '--ctorigsrcport', '--ctorigdstport', '--ctreplsrcport', '--ctrepldstport', '--ctexpire', '--ctdir'].map((o) => [o, (c: OptCtx) => {
        const v = c.value()
        if (v !== undefined) c.st.extra.push(`${c.neg ? '! ' : ''}${o} ${v}`)
      }])),
    },
    finalize: (st) => pick(st, ['ctstate', 'ctstatus']),
  },
  state: {
    options: {
      '--state': (c) => {
        const v = c.value()
        if (v === undefined) return
        const states = v.split(',').map((s) => s.toUpperCase())
        const ok: readonly string[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED']
        if (!states.every((s) => ok.includes(s))) return c.bad('state', v, `Bad state "${states.find((s) => !ok.includes(s))}"`)
        c.st.f.ctstate = { kind: 'ctstate', module: 'state', neg: c.neg, states: CTSTATE_ORDER.filter((s) => states.includes(s)) } satisfies Match
      },
    },
    finalize: (st) => pick(st, ['ctstate']),
  },
  addrtype: {
    options: {
      '--src-type': (c) => addrTypes(c, 'src'),
      '--dst-type': (c) => addrTypes(c, 'dst'),
      '--limit-iface-in': (c) => void (c.st.f.limitIfaceIn = true),
      '--limit-iface-out': (c) => void (c.st.f.limitIfaceOut = true),
    },
    finalize: (st) => {
      const f = st.f as { src?: { neg: boolean; value: string[] }; dst?: { neg: boolean; value: string[] }; limitIfaceIn?: boolean; limitIfaceOut?: boolean }
      return [{ kind: 'addrtype', ...(f.src && { src: f.src }), ...(f.dst && { dst: f.dst }), ...(f.limitIfaceIn && { limitIfaceIn: true }), ...(f.limitIfaceOut && { limitIfaceOut: true }) }]
    },
  },
  recent: {
    options: {
      ...Object.fromEntries((['set', 'rcheck', 'update', 'remove'] as const).map((m) => [`--${m}`, (c: OptCtx) => {
        c.st.f.mode = m
        if (c.neg) c.st.f.neg = true
      }])),
      '--seconds': (c) => num(c, 'seconds'),
      '--hitcount': (c) => num(c, 'hitcount'),
      '--reap': (c) => void (c.st.f.reap = true),
      '--rttl': (c) => void c.st.extra.push('--rttl'),
      '--name': (c) => {
        const v = c.value()
        if (v !== undefined) c.st.f.name = v
      },
      '--mask': (c) => {
        const v = c.value()
        if (v === undefined) return
        if (!isQuad(v)) return c.bad('mask', v, `host/network \`${v}' not found`)
        c.st.f.mask = v
      },
      '--rsource': (c) => void (c.st.f.rsource = true),
      '--rdest': (c) => void (c.st.f.rsource = false),
    },
    finalize: (st, p) => {
      const f = st.f as { mode?: 'set' | 'rcheck' | 'update' | 'remove'; neg?: boolean; name?: string; seconds?: number; hitcount?: number; reap?: boolean; rsource?: boolean; mask?: string }
      if (!f.mode) p.problems.push({ code: 'NF013', severity: 'error', message: '-m recent needs one of --set, --rcheck, --update, --remove', col: st.col, tool: 'recent: you must specify one of `--set\', `--rcheck\' `--update\' or `--remove\'' })
      return [{ kind: 'recent', mode: f.mode ?? 'rcheck', neg: f.neg === true, name: f.name ?? 'DEFAULT', ...(f.seconds !== undefined && { seconds: f.seconds }), ...(f.hitcount !== undefined && { hitcount: f.hitcount }), ...(f.reap && { reap: true }), rsource: f.rsource !== false, mask: f.mask ?? '255.255.255.255' }]
    },
  },
  set: {
    options: {
      '--match-set': (c) => {
        const name = c.value()
        const flags = name === undefined ? undefined : c.value()
        if (name === undefined || flags === undefined) return
        const fl = flags.split(',')
        if (!fl.every((x) => x === 'src' || x === 'dst')) return c.bad('set flags', flags, `You must specify (the comma separated list of) 'src' or 'dst'.`)
        c.st.f.set = { kind: 'set', neg: c.neg, name, flags: fl } satisfies Match
      },
      ...Object.fromEntries(['--return-nomatch', '--update-counters', '--update-subcounters', '--packets-eq', '--packets-lt', '--packets-gt', '--bytes-eq', '--bytes-lt', '--bytes-gt'].map((o) => [o, (c: OptCtx) => {
        const v = o.includes('-eq') || o.includes('-lt') || o.includes('-gt') ? c.value() : ''
        c.st.extra.push(`${c.neg ? '! ' : ''}${o}${v ? ` ${v}` : ''}`)
      }])),
    },
    finalize: (st) => pick(st, ['set']),
  },
  physdev: {
    options: {
      '--physdev-in': (c) => {
        const v = c.value()
        if (v !== undefined) c.st.f.physIn = { neg: c.neg, value: v }
      },
      '--physdev-out': (c) => {
        const v = c.value()
        if (v !== undefined) c.st.f.physOut = { neg: c.neg, value: v }
      },
      '--physdev-is-in': (c) => void (c.st.f.isIn = true),
      '--physdev-is-out': (c) => void (c.st.f.isOut = true),
      '--physdev-is-bridged': (c) => void (c.st.f.isBridged = true),
    },
    finalize: (st) => {
      const f = st.f as { physIn?: { neg: boolean; value: string }; physOut?: { neg: boolean; value: string }; isIn?: boolean; isOut?: boolean; isBridged?: boolean }
      return [{ kind: 'physdev', ...(f.physIn && { physIn: f.physIn }), ...(f.physOut && { physOut: f.physOut }), ...(f.isIn && { isIn: true }), ...(f.isOut && { isOut: true }), ...(f.isBridged && { isBridged: true }) }]
    },
  },
  limit: {
    options: {
      '--limit': (c) => {
        const v = c.value()
        if (v !== undefined) c.st.extra.push(`--limit ${v}`)
      },
      '--limit-burst': (c) => {
        const v = c.value()
        if (v !== undefined && v !== '5') c.st.extra.push(`--limit-burst ${v}`)
      },
    },
    finalize: (st) => {
      const text = st.extra.join(' ')
      st.extra.length = 0
      return [{ kind: 'limit', text }]
    },
  },
})
for (const def of Object.values(MODULES)) Object.setPrototypeOf(def.options, null)

function pick(st: ModState, keys: readonly string[]): Match[] {
  return keys.flatMap((k) => (st.f[k] ? [st.f[k] as Match] : []))
}

function num(c: OptCtx, key: string): void {
  const v = c.value()
  if (v === undefined) return
  if (!/^\d+$/.test(v)) return c.bad(key, v, `recent: bad value for option "--${key}", or out of range (0-4294967295).`)
  c.st.f[key] = Number(v)
}

function addrTypes(c: OptCtx, side: 'src' | 'dst'): void {
  const v = c.value()
  if (v === undefined) return
  const types = v.split(',').map((s) => s.toUpperCase())
  if (!types.every((t) => (ADDRTYPE_ORDER as readonly string[]).includes(t))) return c.bad('address type', v, `addrtype: bad type "${types.find((t) => !(ADDRTYPE_ORDER as readonly string[]).includes(t))}"`)
  c.st.f[side] = { neg: c.neg, value: ADDRTYPE_ORDER.filter((t) => types.includes(t)) }
}

const BASE_SHORT: Readonly<Record<string, string>> = table({
  '-s': 's', '--source': 's', '--src': 's',
  '-d': 'd', '--destination': 'd', '--dst': 'd',
  '-p': 'p', '--protocol': 'p', '--proto': 'p',
  '-i': 'i', '--in-interface': 'i',
  '-o': 'o', '--out-interface': 'o',
  '-f': 'f', '--fragment': 'f',
  '-j': 'j', '--jump': 'j',
  '-g': 'g', '--goto': 'g',
  '-m': 'm', '--match': 'm',
  '-c': 'c', '--set-counters': 'c',
  '-4': '4', '--ipv4': '4',
})

/** Does a word start a new option (so it ends an unquoted comment or an unknown module's text)? */
export function isOptionWord(t: Token): boolean {
  return !t.quoted && (t.text === '!' || /^--?[A-Za-z0-9]/.test(t.text))
}

/** Target options that take no value. */
export const TARGET_FLAG_OPTS: ReadonlySet<string> = new Set(['--random', '--persistent', '--random-fully', '--notrack', '--log-uid', '--log-tcp-sequence', '--log-tcp-options', '--log-ip-options', '--log-macdecode', '--save-mark', '--restore-mark'])

export const NAT_TARGET_OPTS: Readonly<Record<string, readonly string[]>> = table<readonly string[]>({
  DNAT: ['--to-destination', '--random', '--persistent'],
  SNAT: ['--to-source', '--random', '--random-fully', '--persistent'],
  MASQUERADE: ['--to-ports', '--random', '--random-fully'],
  MARK: ['--set-xmark', '--set-mark', '--or-mark', '--and-mark', '--xor-mark'],
  CONNMARK: ['--set-xmark', '--set-mark', '--or-mark', '--and-mark', '--xor-mark', '--save-mark', '--restore-mark', '--nfmask', '--ctmask', '--mask'],
  REJECT: ['--reject-with'],
})

/**
 * Parse the words of a rule-spec (everything after `-A CHAIN`).
 * @example parseRuleSpec(tokenizeLine('-d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-X').tokens).target
 * // { kind: 'jump', chain: 'KUBE-SVC-X' }
 */
export function parseRuleSpec(tokens: readonly Token[]): RuleSpec {
  const p: ParserState = { problems: [] }
  const optCtx = new OptionCtx(tokens, () => i, (v) => (i = v), (code, severity, message, col, tool) => problem(code, severity, message, col, tool))
  const base: Match[] = []
  const mods: ModState[] = []
  let target: Target = { kind: 'none' }
  let targetName: string | undefined
  let targetCol: number | undefined
  let goto = false
  const targetOpts: { opt: string; value?: string; col: number }[] = []
  let counters: [number, number] | undefined
  let i = 0
  const n = tokens.length

  const problem = (code: NfCode, severity: 'error' | 'warning', message: string, col: number, tool?: string, hint?: string) => {
    p.problems.push({ code, severity, message, col, ...(tool !== undefined && { tool }), ...(hint !== undefined && { hint }) })
  }

  /** Take the value after an option, honouring the old `-s ! x` negation form. */
  const takeValue = (opt: Token, negBox: { neg: boolean }): string | undefined => {
    let t = tokens[i]
    if (t && !t.quoted && t.text === '!') {
      problem('NF011', 'warning', `old negation form \`${opt.text} ! …\`; iptables 1.8 wants \`! ${opt.text} …\``, t.col, `Bad argument \`${tokens[i + 1]?.text ?? ''}'`, `write "! ${opt.text} VALUE"`)
      negBox.neg = !negBox.neg
      i++
      t = tokens[i]
    }
    if (!t) {
      problem('NF013', 'error', `option "${opt.text}" requires an argument`, opt.col, `option "${opt.text}" requires an argument`)
      return undefined
    }
    i++
    return t.text
  }

  while (i < n) {
    let neg = false
    let t = tokens[i]!
    if (!t.quoted && t.text === '!') {
      neg = true
      i++
      const next = tokens[i]
      if (!next) {
        problem('NF013', 'error', '"!" at the end of the rule', t.col, 'Bad argument `!\'')
        break
      }
      t = next
    }
    const opt = t.text
    i++
    const b = t.quoted ? undefined : BASE_SHORT[opt]
    if (b) {
      const box = { neg }
      switch (b) {
        case 's':
        case 'd': {
          const v = takeValue(t, box)
          if (v === undefined) break
          const cidr = parseCidr(v)
          if (!cidr) {
            problem('NF007', 'error', `"${v}" is not an IPv4 address or CIDR`, tokens[i - 1]!.col, `host/network \`${v}' not found`, 'use a.b.c.d or a.b.c.d/len')
            break
          }
          base.push({ kind: b === 's' ? 'src' : 'dst', neg: box.neg, cidr })
          break
        }
        case 'p': {
          const v = takeValue(t, box)
          if (v === undefined) break
          const num = protoNumber(v)
          if (num === undefined) {
            problem('NF007', 'error', `unknown protocol "${v}"`, tokens[i - 1]!.col, `unknown protocol "${v}" specified`)
            break
          }
          if (num === 0) break // `-p all`: no protocol match
          const name = protoName(v)
          base.push({ kind: 'proto', neg: box.neg, proto: name })
          if (!box.neg) p.proto = name
          break
        }
        case 'i':
        case 'o': {
          const v = takeValue(t, box)
          if (v === undefined) break
          if (v.length > 15) {
            problem('NF007', 'error', `interface name "${v}" is longer than 15 characters`, tokens[i - 1]!.col, `interface name \`${v}' must be shorter than IFNAMSIZ (15)`)
            break
          }
          base.push({ kind: b === 'i' ? 'in' : 'out', neg: box.neg, iface: v })
          break
        }
        case 'f':
          base.push({ kind: 'fragment', neg })
          break
        case '4':
          break
        case 'c': {
          const a = takeValue(t, box)
          const c = a === undefined ? undefined : takeValue(t, box)
          if (a === undefined || c === undefined) break
          if (!/^\d+$/.test(a) || !/^\d+$/.test(c)) {
            problem('NF016', 'error', `bad counters "${a} ${c}"`, t.col, `-c packet counter not numeric`)
            break
          }
          counters = [Number(a), Number(c)]
          break
        }
        case 'j':
        case 'g': {
          const v = takeValue(t, box)
          if (v === undefined) break
          targetName = v
          targetCol = tokens[i - 1]!.col
          goto = b === 'g'
          break
        }
        case 'm': {
          const v = takeValue(t, box)
          if (v === undefined) break
          const st: ModState = { module: v, col: tokens[i - 1]!.col, f: {}, extra: [], implicit: false }
          mods.push(st)
          if (!MODULES[v]) {
            // Unknown module: keep its words as text up to the next base option, -m, -j or -g.
            const words: string[] = []
            while (i < n) {
              const w = tokens[i]!
              if (!w.quoted && (BASE_SHORT[w.text] || (w.text === '!' && tokens[i + 1] && BASE_SHORT[tokens[i + 1]!.text]))) break
              words.push(w.quoted || /\s/.test(w.text) ? `"${w.text.replace(/["\\]/g, (c) => `\\${c}`)}"` : w.text)
              i++
            }
            st.extra.push(words.join(' '))
          }
          break
        }
      }
      continue
    }
    // A target option?
    if (targetName !== undefined && (NAT_TARGET_OPTS[targetName]?.includes(opt) || (!isKnownModuleOption(mods, opt, p.proto) && opt.startsWith('--')))) {
      const takesValue = !TARGET_FLAG_OPTS.has(opt)
      let value: string | undefined
      if (takesValue) {
        const v = tokens[i]
        if (v && !isOptionWord(v)) {
          value = v.quoted || /\s/.test(v.text) || v.text === '' ? `"${v.text.replace(/["\\]/g, (c) => `\\${c}`)}"` : v.text
          i++
        } else if (NAT_TARGET_OPTS[targetName]?.includes(opt)) {
          problem('NF013', 'error', `option "${opt}" requires an argument`, t.col, `option "${opt}" requires an argument`)
        }
      }
      targetOpts.push({ opt: (neg ? '! ' : '') + opt, ...(value !== undefined && { value }), col: t.col })
      continue
    }
    // A module option: the most recent loaded module that knows it, else the implicit protocol module.
    let st: ModState | undefined
    let h: Handler | undefined
    for (let k = mods.length - 1; k >= 0; k--) {
      const def = MODULES[mods[k]!.module]
      if (def?.options[opt]) {
        st = mods[k]
        h = def.options[opt]
        break
      }
    }
    if (!h && p.proto && MODULES[p.proto]?.options[opt]) {
      st = { module: p.proto, col: t.col, f: {}, extra: [], implicit: true }
      mods.push(st)
      h = MODULES[p.proto]!.options[opt]
    }
    if (!h || !st) {
      // Unknown module's option words were already swallowed; this is a genuinely unknown option.
      problem('NF006', 'error', `unknown option "${opt}"`, t.col, `unknown option "${opt}"`, opt === '--dport' || opt === '--sport' ? 'add -p tcp or -p udp before it' : undefined)
      // Skip its value words so the rest still parses.
      while (i < n && !isOptionWord(tokens[i]!)) i++
      continue
    }
    const ctx = optCtx.reset(opt, t, neg, st)
    h(ctx)
    if (st.f.multiword === true) {
      delete st.f.multiword
      problem('NF017', 'warning', 'unquoted multi-word comment: read up to the next option', t.col, `Bad argument \`${String((st.f.comment as { text: string }).text.split(' ')[1])}'`, 'quote it: --comment "…"')
    }
  }

  const matches: Match[] = [...base]
  for (const st of mods) {
    const def = MODULES[st.module]
    let ms: Match[] = def ? def.finalize(st, p) : []
    if (st.extra.length) {
      const text = st.extra.join(' ')
      if (def) problem('NF012', 'warning', `-m ${st.module} ${text}: kept as text, not simulated`, st.col)
      else problem('NF018', 'warning', `match module "${st.module}" is not modelled; assumed to match`, st.col)
      ms = [...ms, { kind: 'unknown', module: st.module, text, assumption: 'match' }]
    }
    if (ms.length === 0) ms = [{ kind: 'module', module: st.module }]
    matches.push(...ms)
  }

  if (targetName !== undefined) target = buildTarget(targetName, goto, targetOpts, p, targetCol ?? 1)
  return { matches, target, ...(counters && { counters }), ...(targetCol !== undefined && { targetCol }), problems: p.problems }
}

/** The per-option view handlers get; one instance per parse, reset for each option. */
class OptionCtx implements OptCtx {
  opt = ''
  col = 0
  neg = false
  st!: ModState
  private tok!: Token
  constructor(
    private readonly tokens: readonly Token[],
    private readonly getI: () => number,
    private readonly setI: (i: number) => void,
    private readonly report: (code: NfCode, severity: 'error' | 'warning', message: string, col: number, tool?: string) => void,
  ) {}
  reset(opt: string, tok: Token, neg: boolean, st: ModState): this {
    this.opt = opt
    this.tok = tok
    this.col = tok.col
    this.neg = neg
    this.st = st
    return this
  }
  value(): string | undefined {
    let i = this.getI()
    let t = this.tokens[i]
    if (t && !t.quoted && t.text === '!') {
      this.report('NF011', 'warning', `old negation form \`${this.opt} ! …\`; iptables 1.8 wants \`! ${this.opt} …\``, t.col, `Bad argument \`${this.tokens[i + 1]?.text ?? ''}'`)
      this.neg = !this.neg
      i++
      t = this.tokens[i]
    }
    if (!t) {
      this.setI(i)
      this.report('NF013', 'error', `option "${this.opt}" requires an argument`, this.tok.col, `option "${this.opt}" requires an argument`)
      return undefined
    }
    this.setI(i + 1)
    return t.text
  }
  peekValue(): string | undefined {
    const i = this.getI()
    const w = this.tokens[i]
    if (!w || isOptionWord(w)) return undefined
    this.setI(i + 1)
    return w.text
  }
  bad(what: string, value: string, tool?: string): void {
    this.report('NF007', 'error', `bad ${what} "${value}"`, this.tokens[this.getI() - 1]?.col ?? this.col, tool)
  }
}

function isKnownModuleOption(mods: readonly ModState[], opt: string, proto: string | undefined): boolean {
  if (mods.some((m) => MODULES[m.module]?.options[opt])) return true
  return proto !== undefined && MODULES[proto]?.options[opt] !== undefined
}

/** The Target for `-j NAME` (or `-g`) and its options; problems go to `p`. */
export function buildTarget(name: string, goto: boolean, opts: readonly { opt: string; value?: string; col: number }[], p: ParserState, col: number): Target {
  const get = (o: string) => opts.find((x) => x.opt === o)
  const has = (o: string) => opts.some((x) => x.opt === o)
  const text = opts.map((o) => (o.value !== undefined ? `${o.opt} ${o.value}` : o.opt)).join(' ')
  const unexpected = (allowed: readonly string[]) => {
    for (const o of opts) if (!allowed.includes(o.opt)) p.problems.push({ code: 'NF006', severity: 'error', message: `unknown option "${o.opt}" for target ${name}`, col: o.col, tool: `unknown option "${o.opt}"` })
  }
  if (goto) {
    unexpected([])
    return { kind: 'goto', chain: name }
  }
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'NOTRACK':
      unexpected([])
      return { kind: name }
    case 'LOG':
      return text ? { kind: 'LOG', text } : { kind: 'LOG' }
    case 'REJECT': {
      unexpected(['--reject-with'])
      const w = get('--reject-with')?.value
      if (w === undefined) return { kind: 'REJECT' }
      const canon = REJECT_WITH[w]
      if (!canon) {
        p.problems.push({ code: 'NF007', severity: 'error', message: `bad --reject-with "${w}"`, col, tool: `unknown reject type "${w}"` })
        return { kind: 'REJECT' }
      }
      return { kind: 'REJECT', rejectWith: canon }
    }
    case 'DNAT':
    case 'SNAT': {
      const opt = name === 'DNAT' ? '--to-destination' : '--to-source'
      unexpected(NAT_TARGET_OPTS[name]!)
      const v = get(opt)?.value
      const to = v === undefined ? undefined : parseNatRange(v)
      if (!to) {
        p.problems.push({ code: v === undefined ? 'NF013' : 'NF007', severity: 'error', message: v === undefined ? `${name} needs ${opt}` : `bad ${opt} "${v}"`, col, tool: v === undefined ? `${name}: option "${opt}" is required` : `Bad IP address "${v}"` })
        return { kind: 'other', name, text }
      }
      if ((to.fromPort !== undefined) && p.proto !== 'tcp' && p.proto !== 'udp' && p.proto !== 'sctp') {
        p.problems.push({ code: 'NF007', severity: 'error', message: `${name} with a port needs -p tcp, udp or sctp`, col, tool: 'Need TCP, UDP, SCTP or DCCP with port specification' })
      }
      if (name === 'DNAT') return { kind: 'DNAT', to, text, ...(has('--random') && { random: true }), ...(has('--persistent') && { persistent: true }) }
      return { kind: 'SNAT', to, text, ...(has('--random') && { random: true }), ...(has('--random-fully') && { randomFully: true }) }
    }
    case 'MASQUERADE': {
      unexpected(NAT_TARGET_OPTS.MASQUERADE!)
      const v = get('--to-ports')?.value
      let toPorts: PortSpec | undefined
      if (v !== undefined) {
        const m = /^(\d+)(?:-(\d+))?$/.exec(v)
        if (!m) p.problems.push({ code: 'NF007', severity: 'error', message: `bad --to-ports "${v}"`, col, tool: `Port "${v}" not valid` })
        else toPorts = { from: Number(m[1]), to: Number(m[2] ?? m[1]) }
        if (p.proto !== 'tcp' && p.proto !== 'udp' && p.proto !== 'sctp') p.problems.push({ code: 'NF007', severity: 'error', message: 'MASQUERADE --to-ports needs -p tcp, udp or sctp', col, tool: 'Need TCP, UDP, SCTP or DCCP with port specification' })
      }
      return { kind: 'MASQUERADE', ...(toPorts && { toPorts }), ...(has('--random') && { random: true }), ...(has('--random-fully') && { randomFully: true }) }
    }
    case 'MARK': {
      unexpected(NAT_TARGET_OPTS.MARK!)
      const o = opts[0]
      if (!o || o.value === undefined || opts.length > 1) {
        p.problems.push({ code: 'NF013', severity: 'error', message: 'MARK needs exactly one of --set-xmark, --set-mark, --or-mark, --and-mark, --xor-mark', col, tool: 'MARK target: Parameter --set/and/or/xor-mark is required' })
        return { kind: 'other', name, text }
      }
      const op = o.opt.slice(2) as 'set-xmark' | 'set-mark' | 'or-mark' | 'and-mark' | 'xor-mark'
      const mm = op === 'set-xmark' || op === 'set-mark' ? parseMarkMask(o.value) : (() => {
        const v = parseU32(o.value)
        return v === undefined ? undefined : { value: v, mask: 0xffffffff }
      })()
      if (!mm) {
        p.problems.push({ code: 'NF007', severity: 'error', message: `bad mark "${o.value}"`, col: o.col, tool: `Bad MARK value "${o.value}"` })
        return { kind: 'other', name, text }
      }
      // Stored as the kernel's xmark pair: mark = (mark & ~mask) ^ value (libxt_MARK parse).
      let value = mm.value
      let mask = mm.mask
      if (op === 'set-mark') mask = (mm.value | mm.mask) >>> 0
      else if (op === 'and-mark') {
        value = 0
        mask = ~mm.value >>> 0
      } else if (op === 'or-mark') mask = mm.value
      else if (op === 'xor-mark') mask = 0
      return { kind: 'MARK', op, value, mask }
    }
    case 'CT':
      return { kind: 'CT', ...(has('--notrack') && { notrack: true }), text }
    case 'CONNMARK':
      return connmarkTarget(opts, p, col, text)
    default:
      if (isTargetExtension(name)) return { kind: 'other', name, text }
      if (opts.length) unexpected([])
      return { kind: 'jump', chain: name }
  }
}

/** CONNMARK's options as libxt_CONNMARK reads them (revision 2; --set-mark v/m sets the bits of v|m). */
function connmarkTarget(opts: readonly { opt: string; value?: string; col: number }[], p: ParserState, col: number, text: string): Target {
  const fail = (message: string, c = col): Target => {
    p.problems.push({ code: 'NF013', severity: 'error', message, col: c, tool: 'CONNMARK target: No operation specified' })
    return { kind: 'other', name: 'CONNMARK', text }
  }
  const ops = opts.filter((o) => !['--nfmask', '--ctmask', '--mask'].includes(o.opt))
  const o = ops[0]
  if (!o || ops.length > 1) return fail('CONNMARK needs exactly one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark, --save-mark, --restore-mark')
  if (o.opt === '--save-mark' || o.opt === '--restore-mark') {
    const num = (name: string) => {
      const v = opts.find((x) => x.opt === name)
      if (v?.value === undefined) return 0xffffffff
      const n = parseU32(v.value)
      if (n === undefined) p.problems.push({ code: 'NF007', severity: 'error', message: `bad ${name} "${v.value}"`, col: v.col, tool: `Bad ${name} value "${v.value}"` })
      return n ?? 0xffffffff
    }
    const mask = num('--mask')
    return { kind: 'CONNMARK', op: o.opt === '--save-mark' ? 'save' : 'restore', nfmask: opts.some((x) => x.opt === '--nfmask') ? num('--nfmask') : mask, ctmask: opts.some((x) => x.opt === '--ctmask') ? num('--ctmask') : mask }
  }
  if (o.value === undefined) return fail(`${o.opt} needs a value`, o.col)
  const mm = o.opt === '--set-xmark' || o.opt === '--set-mark' ? parseMarkMask(o.value) : ((v) => (v === undefined ? undefined : { value: v, mask: 0xffffffff }))(parseU32(o.value))
  if (!mm) {
    p.problems.push({ code: 'NF007', severity: 'error', message: `bad mark "${o.value}"`, col: o.col, tool: `Bad CONNMARK value "${o.value}"` })
    return { kind: 'other', name: 'CONNMARK', text }
  }
  // The kernel's xmark pair, as for MARK: ctmark = (ctmark & ~mask) ^ value.
  switch (o.opt) {
    case '--set-mark':
      return { kind: 'CONNMARK', op: 'set', value: mm.value, mask: (mm.value | mm.mask) >>> 0 }
    case '--and-mark':
      return { kind: 'CONNMARK', op: 'set', value: 0, mask: ~mm.value >>> 0 }
    case '--or-mark':
      return { kind: 'CONNMARK', op: 'set', value: mm.value, mask: mm.value }
    case '--xor-mark':
      return { kind: 'CONNMARK', op: 'set', value: mm.value, mask: 0 }
    default:
      return { kind: 'CONNMARK', op: 'set', value: mm.value, mask: mm.mask }
  }
}

// ---------------------------------------------------------------------------------------
// Printing (iptables-save form).

/** The `-m` module a match belongs to, or undefined for the base matches. */
export function moduleOf(m: Match): string | undefined {
  switch (m.kind) {
    case 'src':
    case 'dst':
    case 'proto':
    case 'in':
    case 'out':
    case 'fragment':
      return undefined
    case 'sport':
    case 'dport':
      return m.module
    case 'tcp-flags':
    case 'syn':
      return 'tcp'
    case 'icmp-type':
      return 'icmp'
    case 'ctstate':
      return m.module ?? 'conntrack'
    case 'ctstatus':
      return 'conntrack'
    case 'unknown':
    case 'module':
      return m.module
    default:
      return m.kind
  }
}

const BASE_ORDER: Readonly<Record<string, number>> = { src: 0, dst: 1, in: 2, out: 3, proto: 4, fragment: 5 }

/** One match's options as iptables-save prints them (without `-m MODULE`). */
export function printMatchOptions(m: Match): string {
  const not = (neg: boolean) => (neg ? '! ' : '')
  switch (m.kind) {
    case 'src':
      return `${not(m.neg)}-s ${m.cidr.text}`
    case 'dst':
      return `${not(m.neg)}-d ${m.cidr.text}`
    case 'proto':
      return `${not(m.neg)}-p ${m.proto}`
    case 'in':
      return `${not(m.neg)}-i ${m.iface}`
    case 'out':
      return `${not(m.neg)}-o ${m.iface}`
    case 'fragment':
      return `${not(m.neg)}-f`
    case 'sport':
    case 'dport': {
      const list = m.ports.map(printPortSpec).join(',')
      const opt = m.module === 'multiport' ? `--${m.kind}s` : `--${m.kind}`
      return `${not(m.neg)}${opt} ${list}`
    }
    case 'tcp-flags':
      return `${not(m.neg)}--tcp-flags ${printTcpFlags(tcpFlagBits(m.mask))} ${printTcpFlags(tcpFlagBits(m.comp))}`
    case 'syn':
      return `${not(m.neg)}--tcp-flags FIN,SYN,RST,ACK SYN`
    case 'icmp-type':
      return `${not(m.neg)}--icmp-type ${m.type === 255 ? 'any' : m.code !== undefined ? `${m.type}/${m.code}` : m.type}`
    case 'comment':
      return `--comment ${saveString(m.text)}`
    case 'statistic':
      return m.mode === 'random' ? `--mode random${m.neg ? ' !' : ''} --probability ${m.probability.toFixed(11)}` : `--mode nth${m.neg ? ' !' : ''} --every ${m.every} --packet ${m.packet}`
    case 'mark':
    case 'connmark':
      return `${not(m.neg)}--mark ${hex(m.value)}${m.mask !== 0xffffffff ? `/${hex(m.mask)}` : ''}`
    case 'ctstate':
      return `${not(m.neg)}--${m.module === 'state' ? 'state' : 'ctstate'} ${m.states.join(',')}`
    case 'ctstatus':
      return `${not(m.neg)}--ctstatus ${m.statuses.join(',')}`
    case 'addrtype': {
      const parts: string[] = []
      if (m.src) parts.push(`${not(m.src.neg)}--src-type ${m.src.value.join(',')}`)
      if (m.dst) parts.push(`${not(m.dst.neg)}--dst-type ${m.dst.value.join(',')}`)
      if (m.limitIfaceIn) parts.push('--limit-iface-in')
      if (m.limitIfaceOut) parts.push('--limit-iface-out')
      return parts.join(' ')
    }
    case 'recent': {
      const parts = [`${not(m.neg)}--${m.mode}`]
      if (m.seconds !== undefined) parts.push(`--seconds ${m.seconds}`)
      if (m.reap) parts.push('--reap')
      if (m.hitcount !== undefined) parts.push(`--hitcount ${m.hitcount}`)
      parts.push(`--name ${m.name}`, `--mask ${m.mask ?? '255.255.255.255'}`, m.rsource ? '--rsource' : '--rdest')
      return parts.join(' ')
    }
    case 'set':
      return `${not(m.neg)}--match-set ${m.name} ${m.flags.join(',')}`
    case 'physdev': {
      const parts: string[] = []
      if (m.isIn) parts.push('--physdev-is-in')
      if (m.physIn) parts.push(`${not(m.physIn.neg)}--physdev-in ${m.physIn.value}`)
      if (m.isOut) parts.push('--physdev-is-out')
      if (m.physOut) parts.push(`${not(m.physOut.neg)}--physdev-out ${m.physOut.value}`)
      if (m.isBridged) parts.push('--physdev-is-bridged')
      return parts.join(' ')
    }
    case 'limit':
    case 'unknown':
      return m.text
    case 'module':
      return ''
  }
}

/** The matches of a rule as iptables-save prints them. */
export function printMatches(matches: readonly Match[]): string {
  const base = matches.filter((m) => moduleOf(m) === undefined).sort((a, b) => BASE_ORDER[a.kind]! - BASE_ORDER[b.kind]!)
  const parts = base.map(printMatchOptions)
  let current: string | undefined
  let seen = new Set<string>()
  for (const m of matches) {
    const mod = moduleOf(m)
    if (mod === undefined) continue
    // A new `-m` when the module changes, or the same kind shows up again (two -m comment).
    const kindKey = m.kind === 'unknown' ? `unknown` : m.kind
    if (mod !== current || seen.has(kindKey) || m.kind === 'module') {
      parts.push(`-m ${mod}`)
      current = mod
      seen = new Set()
    }
    seen.add(kindKey)
    const o = printMatchOptions(m)
    if (o) parts.push(o)
  }
  return parts.join(' ')
}

/** The target as iptables-save prints it (`-j DNAT --to-destination 10.244.1.2:80`). */
export function printTarget(t: Target): string {
  switch (t.kind) {
    case 'none':
      return ''
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'NOTRACK':
    case 'LOG':
      return `-j ${t.kind}${t.text ? ` ${t.text}` : ''}`
    case 'REJECT':
      return `-j REJECT --reject-with ${t.rejectWith ?? 'icmp-port-unreachable'}`
    case 'jump':
      return `-j ${t.chain}`
    case 'goto':
      return `-g ${t.chain}`
    case 'DNAT':
      return `-j DNAT --to-destination ${printNatRange(t.to)}${t.random ? ' --random' : ''}${t.persistent ? ' --persistent' : ''}`
    case 'SNAT':
      return `-j SNAT --to-source ${printNatRange(t.to)}${t.random ? ' --random' : ''}${t.randomFully ? ' --random-fully' : ''}${/--persistent/.test(t.text) ? ' --persistent' : ''}`
    case 'MASQUERADE':
      return `-j MASQUERADE${t.toPorts ? ` --to-ports ${t.toPorts.from}${t.toPorts.to !== t.toPorts.from ? `-${t.toPorts.to}` : ''}` : ''}${t.random ? ' --random' : ''}${t.randomFully ? ' --random-fully' : ''}`
    case 'MARK':
      return `-j MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`
    case 'CT':
      return `-j CT${t.text ? ` ${t.text}` : ''}`
    case 'CONNMARK':
      return t.op === 'set' ? `-j CONNMARK --set-xmark ${hex(t.value)}/${hex(t.mask)}` : `-j CONNMARK --${t.op}-mark --nfmask ${hex(t.nfmask)} --ctmask ${hex(t.ctmask)}`
    case 'other':
      return `-j ${t.name}${t.text ? ` ${t.text}` : ''}`
  }
}

/** A whole rule-spec (matches, then target), as iptables-save prints it after `-A CHAIN`. */
export function printRuleSpec(matches: readonly Match[], target: Target): string {
  const m = printMatches(matches)
  const t = printTarget(target)
  return m && t ? `${m} ${t}` : m || t
}

/** The target's name as `iptables -L` shows it in the target column. */
export function targetName(t: Target): string {
  switch (t.kind) {
    case 'none':
      return ''
    case 'jump':
    case 'goto':
      return t.chain
    case 'other':
      return t.name
    case 'NOTRACK':
      return 'CT'
    default:
      return t.kind
  }
}
