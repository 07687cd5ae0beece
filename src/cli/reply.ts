/**
 * `reply` for a round trip whose answer is an ICMP error. The engine fills `reply` for what
 * the destination's socket (or a RST) sends back; an ICMP error about the request (port
 * unreachable, host unreachable, fragmentation needed, TTL exceeded) is traced back to the
 * sender in its own `icmp-error` flow but leaves `reply` null. This reads that flow: the error
 * is the answer the sender gets, as a RST is (the socket sees ECONNREFUSED, EHOSTUNREACH…).
 */
import type { Outcome, ReplyOutcome, TraceStep } from '../engine/sim/trace.ts'
import type { Packet } from '../engine/wire/packet.ts'

/**
 * The outcome with `reply` filled from its ICMP error flow, when the engine left it null.
 * Delivered when the error reached the sending socket, dropped (with the step's reason) when
 * it was lost on the way back; unchanged when there was no ICMP error.
 */
export function withIcmpErrorReply<T extends Outcome>(o: T, roundTrip: boolean): T {
  if (!roundTrip || o.reply !== null) return o
  const reply = icmpErrorReply(o.steps)
  return reply ? { ...o, reply } : o
}

export function icmpErrorReply(steps: readonly TraceStep[]): ReplyOutcome | undefined {
  const errors = steps.filter((s) => s.flow === 'icmp-error')
  if (errors.length === 0) return undefined
  const sent = steps.find((s) => s.kind === 'send' && s.flow === 'request')
  const got = errors.find((s) => s.kind === 'deliver')
  // The error raised in the sender's own netns is reported to its socket without travelling.
  const local = errors.find((s) => s.kind === 'icmp-error' && /reported to the local sender/.test(s.explain))
  const reached = got ?? local
  if (reached) return { verdict: 'delivered', dropReason: null, matchesRequest: sent ? quotes(reached.packet, sent.packet) : true }
  const lost = errors.find((s) => s.kind === 'drop' && !s.minor)
  return { verdict: 'dropped', dropReason: lost ? `ICMP error lost: ${lost.explain}` : 'the ICMP error did not reach the sender', matchesRequest: false }
}

/** Does the ICMP error quote the packet the socket sent (addresses, protocol, ports)? */
function quotes(err: Packet, sent: Packet): boolean {
  const icmp = err.headers.find((h) => h.kind === 'icmp')
  const ip = sent.headers.find((h) => h.kind === 'ipv4')
  const l4 = sent.headers.find((h) => h.kind === 'tcp' || h.kind === 'udp' || h.kind === 'icmp')
  const q = icmp?.kind === 'icmp' ? icmp.quoted : undefined
  if (!q || ip?.kind !== 'ipv4' || !l4) return true
  if (q.src !== ip.src || q.dst !== ip.dst || q.proto !== l4.kind) return false
  if (l4.kind === 'tcp' || l4.kind === 'udp') return (q.sport === undefined || q.sport === l4.sport) && (q.dport === undefined || q.dport === l4.dport)
  return true
}
