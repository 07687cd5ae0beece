/**
 * What a probe's sender sees, in one flat shape for both sides of the differential test:
 * parsed from the exported script's `PW-PROBE` lines (the kernel), or derived from an
 * engine trace by the rules the kernel applies to sockets (which ICMP errors reach a TCP,
 * UDP or ping socket, and as which errno). Pure: no I/O here.
 *
 * Socket rules modelled (net/ipv4/icmp.c icmp_err_convert, tcp_v4_err, __udp4_lib_err):
 * - ping (raw ICMP socket with IP_RECVERR) reports every ICMP error it gets, "From X …";
 *   a path-MTU error for its own packet is "local error: message too long".
 * - TCP in SYN_SENT aborts on any destination-unreachable or time-exceeded (errno from the
 *   table), except fragmentation-needed, which only lowers the path MTU.
 * - A connected UDP socket without IP_RECVERR only reports "hard" errors (port/protocol
 *   unreachable, prohibited, filtered); net/host unreachable and time exceeded are ignored.
 */
import type { Probe } from '../engine/export/probe.ts'
import { PROBE_LINE_TAG, formatProbe } from '../engine/export/probe.ts'
import type { World } from '../engine/model/types.ts'
import type { ConntrackEntry } from '../engine/netfilter/types.ts'
import { lookupRouteGet, routeErrno, routeSource } from '../engine/route/fib.ts'
import type { SimResult } from '../engine/sim/simulate.ts'
import type { TraceStep } from '../engine/sim/trace.ts'
import type { Packet } from '../engine/wire/packet.ts'
import { ip as ipOf, l4 } from '../engine/wire/packet.ts'

/** What one probe observed: `status` plus the fields that status has. */
export type Observation = Readonly<Record<string, string>> & { readonly status: string }

export interface ProbeLine {
  readonly spec: string
  readonly obs: Observation
}

/** Parse the script's result lines (other lines are ignored). */
export function parseProbeLines(text: string): ProbeLine[] {
  const out: ProbeLine[] = []
  for (const line of text.split('\n')) {
    const fields = line.split('\t')
    if (fields[0] !== PROBE_LINE_TAG || fields.length < 3) continue
    const obs: Record<string, string> = {}
    for (const f of fields.slice(2)) {
      const eq = f.indexOf('=')
      if (eq > 0) obs[f.slice(0, eq)] = f.slice(eq + 1)
    }
    out.push({ spec: fields[1]!, obs: { ...obs, status: obs.status ?? 'missing' } })
  }
  return out
}

const ICMP_UNREACH_NAMES: Readonly<Record<number, string>> = {
  0: 'net-unreachable',
  1: 'host-unreachable',
  2: 'protocol-unreachable',
  3: 'port-unreachable',
  4: 'frag-needed',
  9: 'net-prohibited',
  10: 'host-prohibited',
  13: 'filtered',
}

/** icmp_err_convert[code] for destination unreachable: errno and whether it is "hard" (fatal). */
const UNREACH_ERRNO: Readonly<Record<number, readonly [string, boolean]>> = {
  0: ['ENETUNREACH', false],
  1: ['EHOSTUNREACH', false],
  2: ['ENOPROTOOPT', true],
  3: ['ECONNREFUSED', true],
  4: ['EMSGSIZE', false],
  5: ['EOPNOTSUPP', false],
  6: ['ENETUNREACH', true],
  7: ['EHOSTDOWN', true],
  8: ['ENONET', true],
  9: ['ENETUNREACH', true],
  10: ['EHOSTUNREACH', true],
  11: ['ENETUNREACH', false],
  12: ['EHOSTUNREACH', false],
  13: ['EHOSTUNREACH', true],
}

export function icmpErrorName(type: number, code: number): string {
  if (type === 11) return 'ttl-exceeded'
  if (type === 3) return ICMP_UNREACH_NAMES[code] ?? 'other'
  return 'other'
}

/** The errno a TCP (in SYN_SENT) or connected UDP socket gets for an ICMP error, or undefined when it ignores it. */
export function socketErrno(proto: 'tcp' | 'udp', type: number, code: number): string | undefined {
  if (type === 11) return proto === 'tcp' ? 'EHOSTUNREACH' : undefined
  if (type !== 3) return undefined
  const e = UNREACH_ERRNO[code]
  if (!e) return undefined
  if (code === 4) return undefined // frag needed: path MTU update only
  if (proto === 'udp' && !e[1]) return undefined
  return e[0]
}

/** How the engine's trace ended for the sending socket. */
export type SocketView =
  | { readonly kind: 'answer'; readonly step: TraceStep }
  | { readonly kind: 'rst'; readonly step: TraceStep }
  | { readonly kind: 'icmp'; readonly type: number; readonly code: number; readonly from: string; readonly mtu?: number; readonly local: boolean }
  | { readonly kind: 'local'; readonly errno: string; readonly mtu?: number }
  | { readonly kind: 'arp-failed'; readonly src: string }
  | { readonly kind: 'silent' }

const isReplyFlow = (s: TraceStep) => s.flow === 'reply' || s.flow === 'dns-reply' || s.flow === 'icmp-error'

/** What the socket in `src` saw at the end of an engine trace. */
export function socketView(srcNetns: string, r: SimResult): SocketView {
  const steps = r.steps
  // An ICMP error reported locally (the sender's own netns generated it: no packet travels).
  const localIcmp = steps.find((s) => s.kind === 'icmp-error' && s.netns === srcNetns && /reported to the local sender/.test(s.explain))
  // Something delivered back to the sender's netns.
  for (const s of steps) {
    if (s.kind !== 'deliver' || s.netns !== srcNetns || !isReplyFlow(s)) continue
    const t = l4(s.packet)
    if (t?.kind === 'icmp' && (t.type === 3 || t.type === 11)) return { kind: 'icmp', type: t.type, code: t.code, from: ipOf(s.packet)?.src ?? '', ...(t.mtu !== undefined && { mtu: t.mtu }), local: false }
    if (t?.kind === 'tcp' && t.flags.includes('RST')) return { kind: 'rst', step: s }
    if (r.outcome.reply?.matchesRequest) return { kind: 'answer', step: s }
  }
  if (localIcmp) {
    const t = l4(localIcmp.packet)
    if (t?.kind === 'icmp') return { kind: 'icmp', type: t.type, code: t.code, from: ipOf(localIcmp.packet)?.src ?? '', ...(t.mtu !== undefined && { mtu: t.mtu }), local: true }
  }
  // Failures at the sender itself.
  const drop = steps.find((s) => s.kind === 'drop' && !s.minor && s.netns === srcNetns && (s.flow === 'request' || s.flow === 'dns-query'))
  if (drop) {
    const e = drop.explain
    if (/Network is unreachable/.test(e)) return { kind: 'local', errno: 'ENETUNREACH' }
    if (/Message too long|message too long/.test(e)) {
      const m = /the (\d+)-byte MTU/.exec(e)
      return { kind: 'local', errno: 'EMSGSIZE', ...(m && { mtu: Number(m[1]) }) }
    }
    if (/No route to host/.test(e)) return { kind: 'local', errno: 'EHOSTUNREACH' }
    if (/Permission denied/.test(e)) return { kind: 'local', errno: 'EACCES' }
    if (/Invalid argument|^blackhole route/.test(e)) return { kind: 'local', errno: 'EINVAL' }
    if (/^dropped by netfilter in (OUTPUT|POSTROUTING)/.test(e)) return { kind: 'local', errno: 'EPERM' }
    if (/^no ARP answer/.test(e)) return { kind: 'arp-failed', src: ipOf(drop.packet)?.src ?? '' }
  }
  return { kind: 'silent' }
}

function servedPeer(r: SimResult): string {
  const netns = r.outcome.deliveredNetns
  const d = r.steps.find((s) => s.kind === 'deliver' && s.netns === netns && (s.flow === 'request' || s.flow === 'dns-query'))
  return d ? (ipOf(d.packet)?.src ?? '') : ''
}

function dnsAnswer(p: Packet, type: 'A' | 'SRV' | 'PTR'): Observation | undefined {
  const d = p.headers.find((h) => h.kind === 'dns')
  if (d?.kind !== 'dns') return undefined
  // The probe keeps the records of the type it asked for (a CNAME on the way is left out).
  const answers = d.answers.filter((a) => a.type === type).map((a) => a.data.replace(/\.$/, ''))
  return { status: 'answer', rcode: d.rcode, answers: answers.join(',') }
}

/**
 * The engine's observation for a probe, from its trace (`r`) or, for `route`, from the
 * route lookup in `world`.
 */
export function observeEngine(probe: Probe, world: World, r: SimResult | undefined): Observation {
  if (probe.kind === 'route') return observeRoute(world, probe.from, probe.to)
  if (probe.kind === 'conntrack' || probe.kind === 'pause') return { status: 'ok' }
  // A resolver lookup is several queries: run.ts asks the engine's lookup (session.ts) for it.
  if (probe.kind === 'resolve') return { status: 'not-simulated' }
  if (!r) return { status: 'not-simulated' }
  const v = socketView(probe.from, r)
  switch (probe.kind) {
    case 'ping':
      switch (v.kind) {
        case 'answer':
          return { status: 'reply', from: ipOf(v.step.packet)?.src ?? '' }
        case 'icmp':
          if (v.local && v.type === 3 && v.code === 4) return { status: 'local-error', errno: 'EMSGSIZE', ...(v.mtu !== undefined && { mtu: String(v.mtu) }) }
          return { status: 'icmp-error', from: v.from, error: icmpErrorName(v.type, v.code), ...(v.mtu !== undefined && { mtu: String(v.mtu) }) }
        case 'arp-failed':
          // arp_error_report → icmp_send(HOST_UNREACH) to the local sender: ping prints "From <itself>".
          return { status: 'icmp-error', from: v.src, error: 'host-unreachable' }
        case 'local':
          return { status: 'local-error', errno: v.errno, ...(v.mtu !== undefined && { mtu: String(v.mtu) }) }
        default:
          return { status: 'timeout' }
      }
    case 'tcp':
    case 'udp': {
      switch (v.kind) {
        case 'answer':
          return { status: 'answer', 'served-by': r.outcome.deliveredNetns ?? '', peer: servedPeer(r) }
        case 'rst':
          return { status: 'error', errno: 'ECONNREFUSED' }
        case 'icmp': {
          const e = v.local && v.type === 3 && v.code === 4 ? 'EMSGSIZE' : socketErrno(probe.kind, v.type, v.code)
          return e ? { status: 'error', errno: e } : { status: 'timeout' }
        }
        case 'arp-failed':
          return probe.kind === 'tcp' ? { status: 'error', errno: 'EHOSTUNREACH' } : { status: 'timeout' }
        case 'local':
          return { status: 'error', errno: v.errno }
        default:
          return { status: 'timeout' }
      }
    }
    case 'dns': {
      if (v.kind === 'answer') return dnsAnswer(v.step.packet, probe.type ?? 'A') ?? { status: 'timeout' }
      if (v.kind === 'icmp') {
        const e = socketErrno('udp', v.type, v.code)
        return e ? { status: 'error', errno: e } : { status: 'timeout' }
      }
      if (v.kind === 'local') return { status: 'error', errno: v.errno }
      return { status: 'timeout' }
    }
  }
}

/** `ip route get` as the engine's FIB answers it. */
export function observeRoute(world: World, from: string, to: string): Observation {
  const ns = world.netns[from]
  if (!ns) return { status: 'error', errno: 'ENOENT' }
  const r = lookupRouteGet(ns, to)
  if (r.kind === 'local') return { status: 'route', type: 'local' }
  const errno = routeErrno(r)
  if (errno || r.kind === 'none' || r.kind === 'refused') return { status: 'error', errno: errno ?? 'ENETUNREACH' }
  const src = routeSource(ns, r.route, to) ?? ''
  return { status: 'route', type: 'unicast', dev: r.route.dev ?? '', via: r.route.via ?? '', src }
}

/** The fields compared for a probe kind and status (others are informational). */
function comparedFields(kind: Probe['kind'], status: string): string[] {
  switch (kind) {
    case 'ping':
      return status === 'reply' ? ['from'] : status === 'icmp-error' ? ['from', 'error', 'mtu'] : status === 'local-error' ? ['errno', 'mtu'] : []
    case 'tcp':
    case 'udp':
      return status === 'answer' ? ['served-by', 'peer'] : status === 'error' ? ['errno'] : []
    case 'route':
      return status === 'route' ? ['type', 'dev', 'via', 'src'] : status === 'error' ? ['errno'] : []
    case 'dns':
      return status === 'answer' ? ['rcode', 'answers'] : status === 'error' ? ['errno'] : []
    case 'resolve':
      return status === 'answer' ? ['answers'] : []
    case 'conntrack':
    case 'pause':
      return []
  }
}

function normalise(kind: Probe['kind'], field: string, value: string | undefined, obs: Observation): string | undefined {
  if (value === undefined) return undefined
  if (field === 'peer') return value.replace(/:\d+$/, '')
  if (field === 'answers') return value.split(',').filter(Boolean).sort().join(',')
  // `ip route get` names lo for local addresses; the engine names the device holding the address.
  if (kind === 'route' && field === 'dev' && obs.type === 'local') return undefined
  return value
}

export interface Comparison {
  readonly ok: boolean
  /** `field: kernel=… engine=…` for each difference. */
  readonly diffs: readonly string[]
}

/**
 * Compare the kernel's observation with the engine's for one probe.
 *
 * @example
 * compareObservations({ kind: 'ping', from: 'a', to: '10.0.0.2' }, { status: 'reply', from: '10.0.0.2', ttl: '64' }, { status: 'reply', from: '10.0.0.2' }).ok // true
 */
export function compareObservations(probe: Probe, kernel: Observation, engine: Observation): Comparison {
  if (kernel.status !== engine.status) return { ok: false, diffs: [`status: kernel=${kernel.status} engine=${engine.status}`] }
  const diffs: string[] = []
  for (const f of comparedFields(probe.kind, kernel.status)) {
    const k = normalise(probe.kind, f, kernel[f], kernel)
    const e = normalise(probe.kind, f, engine[f], engine)
    // A field one side cannot know (e.g. the MTU of an error the engine does not carry) is not a difference.
    if (k === undefined || e === undefined) continue
    if (k !== e) diffs.push(`${f}: kernel=${k} engine=${e}`)
  }
  return { ok: diffs.length === 0, diffs }
}

/**
 * The compared part of an observation as one string, for sets of outcomes (a Service's
 * backends over many tries): `answer served-by=b peer=10.244.1.2`.
 */
export function observationKey(kind: Probe['kind'], o: Observation): string {
  const fields = comparedFields(kind, o.status)
    .map((f) => [f, normalise(kind, f, o[f], o)] as const)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([f, v]) => `${f}=${v!}`)
  return [o.status, ...fields].join(' ')
}

/**
 * A conntrack entry reduced to what does not depend on ephemeral ports or ICMP ids:
 * `tcp 10.244.1.2 > 10.96.0.10:80 → 10.244.2.3:80` (+ ` snat X` when the reply goes to X).
 */
function ctSignature(proto: string, o: { src: string; dst: string; dport?: number }, r: { src: string; dst: string; sport?: number }): string {
  const ports = proto === 'icmp'
  const snat = r.dst !== o.src ? ` snat ${r.dst}` : ''
  return `${proto} ${o.src} > ${o.dst}${ports ? '' : `:${o.dport ?? 0}`} → ${r.src}${ports ? '' : `:${r.sport ?? 0}`}${snat}`
}

/**
 * Signatures of the NAT-ed TCP entries in `conntrack -L` output (the script joins lines with
 * `;`): the bindings Services and masquerade make. Not compared: entries without NAT (their
 * TCP state depends on how the stand-ins close, which the engine does not model), UDP and
 * ICMP entries (30 s: whether they are still listed depends on how long the run took).
 */
export function parseConntrackEntries(text: string): string[] {
  const out = new Set<string>()
  for (const line of text.split(/[;\n]/)) {
    const words = line.trim().split(/\s+/)
    const proto = words[0]
    if (proto !== 'tcp') continue
    const groups: Record<string, string>[] = []
    for (const w of words) {
      const m = /^(src|dst|sport|dport)=(.+)$/.exec(w)
      if (!m) continue
      if (m[1] === 'src') groups.push({})
      groups.at(-1)![m[1]!] = m[2]!
    }
    const [o, r] = groups
    if (!o?.src || !o.dst || !r?.src || !r.dst) continue
    if (r.src === o.dst && r.dst === o.src) continue // no NAT
    out.add(ctSignature(proto, { src: o.src, dst: o.dst, ...(o.dport !== undefined && { dport: Number(o.dport) }) }, { src: r.src, dst: r.dst, ...(r.sport !== undefined && { sport: Number(r.sport) }) }))
  }
  return [...out].sort()
}

/** The same signatures for the engine's conntrack table. */
export function engineConntrackEntries(entries: readonly ConntrackEntry[]): string[] {
  const natted = (e: ConntrackEntry) => e.reply.src !== e.orig.dst || e.reply.dst !== e.orig.src
  return [...new Set(entries.filter((e) => e.orig.proto === 'tcp' && natted(e)).map((e) => ctSignature(e.orig.proto, e.orig, e.reply)))].sort()
}

/** One line for a report: `status=… key=value…`. */
export function formatObservation(o: Observation): string {
  return [`status=${o.status}`, ...Object.entries(o).filter(([k]) => k !== 'status' && k !== 'detail').map(([k, v]) => `${k}=${v}`)].join(' ')
}

export { formatProbe }
