/**
 * `ping` (iputils 20221126): each probe is an ICMP echo request traced through the world, one
 * second apart on the simulated clock. Output as iputils prints it (golden/captured.txt):
 * replies with ttl and time, "From X icmp_seq=N Destination Host Unreachable" when ARP fails
 * (on this host, from its own address, or at a router), "Frag needed and DF set (mtu = M)"
 * from a router, then "ping: local error: message too long, mtu=M" once the path MTU is
 * known (it is cached per netns and destination, as the kernel does), `connect` errors for
 * a missing route, and the statistics block (+errors, % loss, pipe, rtt).
 *
 * Path MTU discovery as Linux does it: -M want (the default) sets DF unless the packet is
 * larger than a known path MTU (then the kernel fragments it); -M do always sets DF and fails
 * locally above the MTU; -M dont never sets DF.
 * Simplifications: without -c, 4 probes are sent (a real ping runs until Ctrl-C); times are
 * derived from the hops the packet crossed, not measured; replies to a name are shown by address.
 */
import { lookupRoute } from '../route/fib.ts'
import type { TraceSegment } from '../scenario/timeline.ts'
import type { IcmpHeader, Packet } from '../wire/packet.ts'
import type { Netns } from '../model/types.ts'
import type { ConntrackEntry, CtTuple } from '../netfilter/types.ts'
import { resolveHost } from './dnsClient.ts'
import type { Command, Io } from './session.ts'
import { hash32 } from './text.ts'

const UNREACH: Readonly<Record<number, string>> = {
  0: 'Destination Net Unreachable',
  1: 'Destination Host Unreachable',
  2: 'Destination Protocol Unreachable',
  3: 'Destination Port Unreachable',
  9: 'Destination Net Prohibited',
  10: 'Destination Host Prohibited',
  13: 'Packet filtered',
}

interface Probe {
  readonly kind: 'reply' | 'error' | 'lost' | 'local-error'
  readonly text?: string
  readonly rtt?: number
}

/** What the ping socket got for one traced echo request. */
export function readProbe(io: Io, seg: TraceSegment, seq: number, size: number, target: string): Probe {
  const steps = seg.steps
  const src = steps.find((s) => s.kind === 'send')?.packet.headers.find((h) => h.kind === 'ipv4')
  const ownIp = src?.kind === 'ipv4' ? src.src : ''
  // An ICMP error for our probe, delivered to this netns (from a router or the destination).
  const err = steps.find((s) => s.netns === io.netns && (s.kind === 'deliver' || s.kind === 'icmp-error') && s.flow === 'icmp-error' && s.packet.headers.some((h) => h.kind === 'icmp' && (h.type === 3 || h.type === 11)))
  if (err) {
    const ipH = err.packet.headers.find((h) => h.kind === 'ipv4')
    const icmp = err.packet.headers.find((h): h is IcmpHeader => h.kind === 'icmp')!
    const from = ipH?.kind === 'ipv4' ? ipH.src : ownIp
    if (icmp.type === 11) return { kind: 'error', text: `From ${from} icmp_seq=${seq} Time to live exceeded` }
    if (icmp.code === 4) {
      io.sh.pmtu = { ...io.sh.pmtu, [`${io.netns} ${target}`]: icmp.mtu ?? 0 }
      return { kind: 'error', text: `From ${from} icmp_seq=${seq} Frag needed and DF set (mtu = ${icmp.mtu ?? 0})` }
    }
    return { kind: 'error', text: `From ${from} icmp_seq=${seq} ${UNREACH[icmp.code] ?? `Dest Unreachable, Bad Code: ${icmp.code}`}` }
  }
  // ARP failed on this host's own output: the kernel reports host unreachable from our address.
  const neighFail = steps.find((s) => s.netns === io.netns && s.kind === 'drop' && /no ARP answer/.test(s.explain))
  if (neighFail) return { kind: 'error', text: `From ${ownIp} icmp_seq=${seq} Destination Host Unreachable` }
  const tooBig = steps.find((s) => s.netns === io.netns && s.kind === 'drop' && /Message too long/.test(s.explain))
  if (tooBig) return { kind: 'local-error', text: `ping: local error: message too long, mtu=${/(\d+)-byte MTU/.exec(tooBig.explain)?.[1] ?? '1500'}` }
  const back = [...steps].reverse().find((s) => s.netns === io.netns && s.kind === 'deliver' && s.flow === 'reply')
  if (back && seg.outcome.reply?.verdict === 'delivered' && seg.outcome.reply.matchesRequest !== false) {
    const ipH = back.packet.headers.find((h) => h.kind === 'ipv4')
    const ttl = ipH?.kind === 'ipv4' ? ipH.ttl : 64
    const from = ipH?.kind === 'ipv4' ? ipH.src : target
    const hops = steps.filter((s) => s.kind === 'veth' || s.kind === 'segment').length
    const arp = steps.some((s) => s.kind === 'arp-request')
    const jitter = (hash32(`${io.sh.seed}/${seq}/${target}`) % 40) / 1000
    const rtt = 0.03 + hops * 0.012 + (arp ? 0.16 : 0) + jitter
    return { kind: 'reply', text: `${size + 8} bytes from ${from}: icmp_seq=${seq} ttl=${ttl} time=${rtt.toFixed(3)} ms`, rtt }
  }
  return { kind: 'lost' }
}

/**
 * A ping keeps one ICMP id for all its probes and counts icmp_seq up; the tracer numbers each
 * probe on its own. Give the traced echo (request, reply, and their conntrack entry) the
 * ping's id and sequence number; a later probe refreshes the same conntrack entry.
 */
export function renumberEcho(seg: TraceSegment, id: number, seq: number): TraceSegment {
  const first = seg.steps.find((s) => s.kind === 'send')?.packet.headers.find((h): h is IcmpHeader => h.kind === 'icmp' && h.type === 8)
  if (!first || first.id === undefined) return seg
  const old = first.id
  const fixPacket = (p: Packet): Packet => (p.headers.some((h) => h.kind === 'icmp' && h.id === old && (h.type === 8 || h.type === 0)) ? { headers: p.headers.map((h) => (h.kind === 'icmp' && h.id === old && (h.type === 8 || h.type === 0) ? { ...h, id, seq } : h)) } : p)
  const fixTuple = (t: CtTuple): CtTuple => (t.proto === 'icmp' && t.sport === old ? { ...t, sport: id } : t)
  const fixEntry = (e: ConntrackEntry): ConntrackEntry => ({ ...e, orig: fixTuple(e.orig), reply: fixTuple(e.reply) })
  const steps = seg.steps.map((st) => ({ ...st, packet: fixPacket(st.packet), ...(st.effects && { effects: st.effects.map((ef) => (ef.kind === 'conntrack' ? { ...ef, entry: fixEntry(ef.entry) } : ef)) }) }))
  const netns: Record<string, Netns> = {}
  for (const [name, n] of Object.entries(seg.after.netns)) {
    if (!n.conntrack.some((e) => e.orig.proto === 'icmp' && e.orig.sport === old)) {
      netns[name] = n
      continue
    }
    const fixed = n.conntrack.map((e) => (e.orig.proto === 'icmp' && e.orig.sport === old ? fixEntry(e) : e))
    // The same id again is the same flow: keep the refreshed entry only.
    const kept = fixed.filter((e, i) => !fixed.some((o, j) => j > i && o.orig.proto === 'icmp' && o.orig.src === e.orig.src && o.orig.dst === e.orig.dst && o.orig.sport === e.orig.sport))
    netns[name] = { ...n, conntrack: kept }
  }
  return { ...seg, steps, after: { ...seg.after, netns } }
}

/** `%g` for the loss percentage: 100, 0, 33.3333, 66.6667. */
function pct(x: number): string {
  return String(Number(x.toPrecision(6)))
}

export const ping: Command = (io, argv) => {
  let count: number | undefined
  let size = 56
  let pmtudisc: 'want' | 'do' | 'dont' = 'want'
  let ttl: number | undefined
  let quiet = false
  let target: string | undefined
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => {
      const v = a.length > 2 ? a.slice(2) : argv[++i]
      if (v === undefined) {
        io.err(`ping: option requires an argument -- '${a[1] ?? ''}'\n`)
        throw new Error('usage')
      }
      return v
    }
    try {
      if (/^-c/.test(a)) count = Number(value())
      else if (/^-s/.test(a)) size = Number(value())
      else if (/^-M/.test(a)) {
        const v = value()
        pmtudisc = v === 'do' || v === 'probe' ? 'do' : v === 'dont' ? 'dont' : 'want'
      } else if (/^-t/.test(a)) ttl = Number(value())
      else if (/^-[WwiIQlp]/.test(a)) value()
      else if (a === '-q') quiet = true
      else if (/^-[4nvDOAaRrUdfLB]+$/.test(a)) continue
      else if (a.startsWith('-')) {
        io.err(`ping: invalid option -- '${a.slice(1, 2)}'\n`)
        return 2
      } else target = a
    } catch {
      return 2
    }
  }
  if (target === undefined) {
    io.err('ping: usage error: Destination address required\n')
    return 1
  }
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    io.err(`ping: invalid argument: '${count}': out of range: 1 <= value <= 9223372036854775807\n`)
    return 1
  }
  const r = resolveHost(io, target)
  if (!r.ip) {
    io.err(`ping: ${target}: ${r.error === 'nxdomain' ? 'Name or service not known' : 'Temporary failure in name resolution'}\n`)
    return 2
  }
  const ip = r.ip
  const ns = io.sh.world.netns[io.netns]!
  const route = lookupRoute(ns, ip)
  if (route.kind === 'none') {
    io.err('ping: connect: Network is unreachable\n')
    return 2
  }
  if (route.kind === 'route' && route.route.type !== 'unicast') {
    const why = route.route.type === 'blackhole' ? 'Invalid argument' : route.route.type === 'prohibit' ? 'Permission denied' : 'No route to host'
    io.err(`ping: connect: ${why}\n`)
    return 2
  }
  const n = count ?? 4
  const shown = r.canonical ?? target
  io.out(`PING ${shown} (${ip}) ${size}(${size + 28}) bytes of data.\n`)
  const echoId = 1 + (hash32(`${io.sh.seed}/${io.netns}/${ip}/id`) % 65534)
  const rtts: number[] = []
  let errors = 0
  let neighErrors = 0
  const localMtu = (): number => {
    const rt = lookupRoute(io.sh.world.netns[io.netns]!, ip)
    if (rt.kind !== 'route') return 65536
    const dev = io.sh.world.netns[io.netns]!.links.find((l) => l.name === rt.route.dev)
    return Math.min(rt.route.mtu ?? Infinity, dev?.mtu ?? 65536)
  }
  for (let seq = 1; seq <= n; seq++) {
    if (seq > 1) io.sh.advance(1000)
    const total = size + 28
    const pmtu = Math.min(localMtu(), io.sh.pmtu[`${io.netns} ${ip}`] ?? Infinity)
    if (pmtudisc === 'do' && total > pmtu) {
      io.err(`ping: local error: message too long, mtu=${pmtu}\n`)
      errors++
      continue
    }
    const df = pmtudisc === 'do' || (pmtudisc === 'want' && total <= pmtu)
    const seg = io.sh.trace({ from: io.netns, to: ip, proto: 'icmp', size: total, df, ...(ttl !== undefined && { ttl }) }, `ping ${ip} icmp_seq=${seq}`, (seg) => renumberEcho(seg, echoId, seq))
    const probe = readProbe(io, seg, seq, size, ip)
    if (probe.kind === 'reply') {
      rtts.push(probe.rtt!)
      if (!quiet) io.out(`${probe.text!}\n`)
    } else if (probe.kind === 'error') {
      errors++
      if (/Destination Host Unreachable/.test(probe.text!)) neighErrors++
      if (!quiet) io.out(`${probe.text!}\n`)
    } else if (probe.kind === 'local-error') {
      errors++
      io.err(`${probe.text!}\n`)
    }
  }
  const received = rtts.length
  const elapsed = n > 1 ? (n - 1) * 1000 + 5 + (hash32(`${io.sh.seed}/${ip}`) % 30) : 0
  const loss = (100 * (n - received)) / n
  io.out(`\n--- ${shown} ping statistics ---\n${n} packets transmitted, ${received} received${errors ? `, +${errors} errors` : ''}, ${pct(loss)}% packet loss, time ${elapsed}ms\n`)
  let tail = ''
  if (received > 0) {
    const min = Math.min(...rtts)
    const max = Math.max(...rtts)
    const avg = rtts.reduce((a, b) => a + b, 0) / received
    const mdev = Math.sqrt(Math.max(0, rtts.reduce((a, b) => a + b * b, 0) / received - avg * avg))
    tail = `rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms`
  }
  // ARP holds the probes while it retries, so several are in flight at once ("pipe").
  if (neighErrors > 1) tail += `${tail ? ', ' : ''}pipe ${Math.min(n, 3)}`
  io.out(`${tail}\n`)
  if (count === undefined) io.err('packetwalk: a real ping keeps going until Ctrl-C; this one sent 4 probes (use -c N).\n')
  return received > 0 ? 0 : 1
}
