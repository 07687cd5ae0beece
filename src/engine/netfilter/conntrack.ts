/**
 * Connection tracking as pure functions over ConntrackEntry values: tuples in both
 * directions, the state a packet gets (NEW, ESTABLISHED, RELATED, INVALID), TCP state
 * names, timeouts on the injected clock, NAT bindings kept in the reply tuple, and a
 * `conntrack -L` view. Nothing here reads a clock; `now` is a parameter (ms).
 *
 * Kernel behaviour modelled (net/netfilter/nf_conntrack_core.c, nf_nat_core.c): a packet
 * matching an entry's reply tuple is a reply; NAT is the difference between the reply tuple
 * and the inverted original tuple, and replies are un-NATed from it without walking the
 * nat table. Simplifications: one zone; TCP tracks SYN_SENT → SYN_RECV → ESTABLISHED and
 * FIN/RST closing without window checks (nf_conntrack_tcp_loose=1: a mid-stream packet
 * starts an ESTABLISHED entry); ICMP errors are RELATED when they quote a tracked tuple.
 */
import type { Ip } from '../wire/addr.ts'
import type { ConntrackEntry, CtStateName, CtTuple } from './types.ts'

/** Default timeouts (ms), as /proc/sys/net/netfilter/nf_conntrack_*_timeout* ship them. */
export const CT_TIMEOUTS = {
  udp: 30_000,
  udpStream: 120_000,
  icmp: 30_000,
  SYN_SENT: 120_000,
  SYN_RECV: 60_000,
  ESTABLISHED: 432_000_000,
  FIN_WAIT: 120_000,
  CLOSE_WAIT: 60_000,
  LAST_ACK: 30_000,
  TIME_WAIT: 120_000,
  CLOSE: 10_000,
} as const

/** What conntrack needs of a packet. */
export interface CtPacket {
  readonly src: Ip
  readonly dst: Ip
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly sport?: number
  readonly dport?: number
  readonly icmpType?: number
  readonly icmpId?: number
  readonly icmpQuoted?: { readonly src: Ip; readonly dst: Ip; readonly proto: 'tcp' | 'udp' | 'icmp'; readonly sport?: number; readonly dport?: number }
  readonly tcpFlags?: readonly string[]
}

const ICMP_ECHO_REQUEST = 8
const ICMP_ECHO_REPLY = 0
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12])

export function isIcmpError(p: CtPacket): boolean {
  return p.proto === 'icmp' && p.icmpType !== undefined && ICMP_ERRORS.has(p.icmpType)
}

/** The tuple of a packet (for ICMP: sport = echo id, dport = 0). Undefined for ICMP errors. */
export function tupleOf(p: CtPacket): CtTuple | undefined {
  if (p.proto === 'icmp') {
    if (isIcmpError(p)) return undefined
    return { src: p.src, dst: p.dst, proto: 'icmp', sport: p.icmpId ?? 0, dport: 0 }
  }
  return { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport ?? 0, dport: p.dport ?? 0 }
}

export function invertTuple(t: CtTuple): CtTuple {
  return t.proto === 'icmp' ? { src: t.dst, dst: t.src, proto: 'icmp', sport: t.sport, dport: 0 } : { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport }
}

export function sameTuple(a: CtTuple, b: CtTuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.proto === b.proto && a.sport === b.sport && a.dport === b.dport
}

export function isExpired(e: ConntrackEntry, now: number): boolean {
  return e.expires <= now
}

/** Entries still alive at `now` (the kernel's garbage collector, run eagerly). */
export function gcConntrack(entries: readonly ConntrackEntry[], now: number): ConntrackEntry[] {
  return entries.filter((e) => !isExpired(e, now))
}

/** The live entry a packet belongs to, and in which direction. */
export function lookupConntrack(entries: readonly ConntrackEntry[], p: CtPacket, now: number): { entry: ConntrackEntry; dir: 'orig' | 'reply' } | undefined {
  const t = tupleOf(p)
  if (!t) return undefined
  for (const e of entries) {
    if (isExpired(e, now)) continue
    if (sameTuple(e.orig, t)) return { entry: e, dir: 'orig' }
    if (sameTuple(e.reply, t)) return { entry: e, dir: 'reply' }
  }
  return undefined
}

/**
 * For an ICMP error: the entry whose tuple the quoted header shows (the quoted packet went
 * out as orig or reply of that entry), which makes the error RELATED.
 */
export function lookupRelated(entries: readonly ConntrackEntry[], p: CtPacket, now: number): { entry: ConntrackEntry; dir: 'orig' | 'reply' } | undefined {
  const q = p.icmpQuoted
  if (!q) return undefined
  const t: CtTuple = q.proto === 'icmp' ? { src: q.src, dst: q.dst, proto: 'icmp', sport: q.sport ?? 0, dport: 0 } : { src: q.src, dst: q.dst, proto: q.proto, sport: q.sport ?? 0, dport: q.dport ?? 0 }
  // icmp_error_message: the quoted packet is inverted and looked up like any packet; it is the
  // packet as it left (after NAT), so it matches the inverse of a tuple, not the tuple itself.
  const inv = invertTuple(t)
  for (const e of entries) {
    if (isExpired(e, now)) continue
    if (sameTuple(e.reply, inv)) return { entry: e, dir: 'reply' }
    if (sameTuple(e.orig, inv)) return { entry: e, dir: 'orig' }
  }
  return undefined
}

function has(flags: readonly string[] | undefined, f: string): boolean {
  return flags?.includes(f) ?? false
}

/**
 * A new (unconfirmed) entry for the first packet of a connection.
 * @example newConntrackEntry(1, { src: '10.244.1.2', dst: '10.96.0.10', proto: 'udp', sport: 40000, dport: 53 }, 0).expires // 30000
 */
export function newConntrackEntry(id: number, p: CtPacket, now: number, mark = 0): ConntrackEntry | undefined {
  const orig = tupleOf(p)
  if (!orig) return undefined
  let tcpState: string | undefined
  let timeout: number
  if (p.proto === 'tcp') {
    // nf_conntrack_tcp_loose=1: a packet without SYN picks the connection up mid-stream.
    tcpState = has(p.tcpFlags, 'SYN') || !p.tcpFlags ? 'SYN_SENT' : 'ESTABLISHED'
    timeout = CT_TIMEOUTS[tcpState as 'SYN_SENT' | 'ESTABLISHED']
  } else timeout = p.proto === 'udp' ? CT_TIMEOUTS.udp : CT_TIMEOUTS.icmp
  return { id, orig, reply: invertTuple(orig), ...(tcpState && { tcpState }), status: ['UNREPLIED'], mark, expires: now + timeout, created: now }
}

/** Is a packet without an entry invalid for conntrack (a lone RST or a non-echo ICMP)? */
export function isInvalidNew(p: CtPacket): boolean {
  if (p.proto === 'tcp' && has(p.tcpFlags, 'RST')) return true
  if (p.proto === 'icmp' && !isIcmpError(p) && p.icmpType !== undefined && p.icmpType !== ICMP_ECHO_REQUEST) return true
  return false
}

/** The ctstate a packet of `dir` sees on `e` (before the packet updates it). */
export function stateFor(e: ConntrackEntry, dir: 'orig' | 'reply'): CtStateName {
  if (dir === 'reply') return 'ESTABLISHED'
  return e.status.includes('SEEN_REPLY') ? 'ESTABLISHED' : 'NEW'
}

/** The entry after a packet in `dir` passed: reply seen, TCP state, ASSURED, new timeout. */
export function updateOnPacket(e: ConntrackEntry, dir: 'orig' | 'reply', p: CtPacket, now: number): ConntrackEntry {
  let status: ConntrackEntry['status'][number][] = e.status.filter((s) => s !== 'UNREPLIED')
  const seen = e.status.includes('SEEN_REPLY') || dir === 'reply'
  if (seen && !status.includes('SEEN_REPLY')) status = [...status, 'SEEN_REPLY']
  if (!seen) status = ['UNREPLIED', ...status]
  let tcpState = e.tcpState
  let timeout: number
  if (p.proto === 'tcp' && tcpState !== undefined) {
    const f = p.tcpFlags ?? []
    if (has(f, 'RST')) tcpState = 'CLOSE'
    else if (has(f, 'FIN')) tcpState = tcpState === 'FIN_WAIT' || tcpState === 'CLOSE_WAIT' ? 'LAST_ACK' : 'FIN_WAIT'
    else if (tcpState === 'SYN_SENT' && dir === 'reply' && has(f, 'SYN') && has(f, 'ACK')) tcpState = 'SYN_RECV'
    else if (tcpState === 'SYN_SENT' && dir === 'reply' && !p.tcpFlags) tcpState = 'ESTABLISHED'
    else if (tcpState === 'SYN_RECV' && dir === 'orig' && has(f, 'ACK')) tcpState = 'ESTABLISHED'
    else if (tcpState === 'LAST_ACK' && has(f, 'ACK')) tcpState = 'TIME_WAIT'
    if (tcpState === 'ESTABLISHED' && !status.includes('ASSURED')) status = [...status, 'ASSURED']
    timeout = CT_TIMEOUTS[tcpState as keyof typeof CT_TIMEOUTS] ?? CT_TIMEOUTS.ESTABLISHED
  } else if (p.proto === 'udp') {
    // udp_packet: once a reply was seen, a flow still active 2 s after it started is a stream
    // (120 s, ASSURED); before that, a query and its answer keep the 30 s timeout.
    const stream = seen && (e.status.includes('ASSURED') || (e.created !== undefined && now - e.created >= 2000))
    if (stream && !status.includes('ASSURED')) status = [...status, 'ASSURED']
    timeout = stream ? CT_TIMEOUTS.udpStream : CT_TIMEOUTS.udp
  } else timeout = CT_TIMEOUTS.icmp
  return { ...e, status: order(status), ...(tcpState !== undefined && { tcpState }), expires: now + timeout }
}

const STATUS_ORDER = ['UNREPLIED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED', 'DNAT', 'SNAT'] as const
function order(s: readonly ConntrackEntry['status'][number][]): ConntrackEntry['status'][number][] {
  return STATUS_ORDER.filter((x) => s.includes(x))
}

/** Record a NAT binding: DNAT rewrites the reply's source, SNAT the reply's destination. */
export function bindNat(e: ConntrackEntry, manip: 'dst' | 'src', ip: Ip, port: number | undefined): ConntrackEntry {
  const r = e.reply
  const reply: CtTuple = manip === 'dst' ? { ...r, src: ip, ...(port !== undefined && r.proto !== 'icmp' && { sport: port }) } : { ...r, dst: ip, ...(port !== undefined && r.proto !== 'icmp' && { dport: port }) }
  const bit = manip === 'dst' ? 'DNAT' : 'SNAT'
  return { ...e, reply, status: order(e.status.includes(bit) ? e.status : [...e.status, bit]) }
}

export function hasNat(e: ConntrackEntry, manip: 'dst' | 'src'): boolean {
  return e.status.includes(manip === 'dst' ? 'DNAT' : 'SNAT')
}

/**
 * The address (and port) a packet of `dir` must carry after the manip of `manip` type: a
 * packet in one direction ends up as the inverse of the other direction's tuple.
 * Returns undefined when that manip changes nothing.
 */
export function natTarget(e: ConntrackEntry, dir: 'orig' | 'reply', manip: 'dst' | 'src'): { ip: Ip; port: number } | undefined {
  const want = invertTuple(dir === 'orig' ? e.reply : e.orig)
  const have = dir === 'orig' ? e.orig : e.reply
  if (manip === 'dst') return want.dst !== have.dst || want.dport !== have.dport ? { ip: want.dst, port: want.dport } : undefined
  return want.src !== have.src || want.sport !== have.sport ? { ip: want.src, port: want.sport } : undefined
}

/** Is `t` already the reply tuple of a live entry (a source-port clash for SNAT/MASQUERADE)? */
export function tupleTaken(entries: readonly ConntrackEntry[], replyTuple: CtTuple, now: number, except?: number): boolean {
  return entries.some((e) => e.id !== except && !isExpired(e, now) && (sameTuple(e.reply, replyTuple) || sameTuple(e.orig, replyTuple)))
}

/**
 * The source port SNAT/MASQUERADE uses: the original one if the resulting tuple is free
 * (nf_nat_used_tuple), else one picked with the seeded RNG in the range (like
 * nf_nat_l4proto_unique_tuple). `--random-fully` always picks.
 */
export function pickSnatPort(entries: readonly ConntrackEntry[], e: ConntrackEntry, ip: Ip, range: { from: number; to: number } | undefined, randomFully: boolean, random: () => number, now: number): number {
  const sport = e.orig.sport
  const lo = range?.from ?? (sport < 512 ? 1 : sport < 1024 ? 600 : 1024)
  const hi = range?.to ?? (sport < 512 ? 511 : sport < 1024 ? 1023 : 65535)
  const free = (port: number) => !tupleTaken(entries, { ...e.reply, dst: ip, dport: port }, now, e.id)
  if (e.orig.proto === 'icmp') return sport
  if (!randomFully && sport >= lo && sport <= hi && free(sport)) return sport
  const span = hi - lo + 1
  const start = lo + Math.floor(random() * span)
  for (let k = 0; k < span; k++) {
    const port = lo + ((start - lo + k) % span)
    if (free(port)) return port
  }
  return sport
}

function tupleText(t: CtTuple, dir: 'orig' | 'reply'): string {
  if (t.proto === 'icmp') return `src=${t.src} dst=${t.dst} type=${dir === 'orig' ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY} code=0 id=${t.sport}`
  return `src=${t.src} dst=${t.dst} sport=${t.sport} dport=${t.dport}`
}

const PROTO_NUM = { tcp: 6, udp: 17, icmp: 1 } as const

/**
 * The table as `conntrack -L` prints it (conntrack-tools 1.4.7), one entry per line, with
 * the remaining timeout in seconds at `now`. The summary line goes to stderr in the real
 * tool and is not included.
 * @example printConntrackL([e], 0) // 'udp      17 29 src=… [UNREPLIED] src=… mark=0 use=1\n'
 */
export function printConntrackL(entries: readonly ConntrackEntry[], now: number): string {
  const lines: string[] = []
  for (const e of entries) {
    if (isExpired(e, now)) continue
    const secs = Math.max(0, Math.floor((e.expires - now) / 1000))
    const parts = [`${e.orig.proto.padEnd(8)} ${PROTO_NUM[e.orig.proto]} ${secs}`]
    if (e.tcpState) parts.push(e.tcpState)
    parts.push(tupleText(e.orig, 'orig'))
    if (!e.status.includes('SEEN_REPLY')) parts.push('[UNREPLIED]')
    parts.push(tupleText(e.reply, 'reply'))
    if (e.status.includes('ASSURED')) parts.push('[ASSURED]')
    parts.push(`mark=${e.mark}`)
    if (e.zone) parts.push(`zone=${e.zone}`)
    parts.push('use=1')
    lines.push(parts.join(' '))
  }
  return lines.length ? `${lines.join('\n')}\n` : ''
}
