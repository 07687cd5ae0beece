/**
 * Name resolution as a program in a netns does it: /etc/hosts (localhost), then the resolver
 * from the netns's resolv.conf (glibc's search list and ndots, resolverQueries), one UDP
 * query per name to the first nameserver. Every query is a traced packet: it crosses the
 * bridge, hits the kube-dns ClusterIP rules and reaches a CoreDNS pod, or is lost on the way
 * (a timeout) or refused (ICMP port unreachable).
 * Simplification: the first nameserver only, no retries on other servers, no AAAA queries.
 */
import { resolverQueries } from '../kube/dns.ts'
import type { DnsMessage } from '../wire/packet.ts'
import { isIpv4 } from '../wire/addr.ts'
import type { TraceSegment } from '../scenario/timeline.ts'
import type { Io } from './session.ts'

export type QueryStatus = 'answer' | 'timeout' | 'refused' | 'hostunreach' | 'netunreach'

export interface DnsQueryResult {
  readonly status: QueryStatus
  readonly message?: DnsMessage
  readonly segment: TraceSegment
  /** Milliseconds the query took (simulated). */
  readonly ms: number
}

/** One query, from the command's netns to SERVER:53. */
export function queryDns(io: Io, server: string, name: string, type: 'A' | 'SRV' | 'PTR' = 'A'): DnsQueryResult {
  const seg = io.sh.trace({ from: io.netns, to: server, proto: 'udp', dport: 53, dns: { name: name.replace(/\.$/, ''), type } }, `DNS ${type}? ${name}`)
  const steps = seg.steps
  const answer = [...steps].reverse().find((st) => st.kind === 'deliver' && st.flow === 'dns-reply' && st.netns === io.netns)?.packet
  const msg = answer?.headers.find((h): h is DnsMessage => h.kind === 'dns')
  const ms = Math.max(0, Math.round((steps[steps.length - 1]?.t ?? 0) - (steps[0]?.t ?? 0)))
  if (msg && seg.outcome.reply?.verdict === 'delivered') return { status: 'answer', message: msg, segment: seg, ms }
  // An ICMP error for the query reaches the resolver's socket: BIND says why.
  const icmp = steps.filter((st) => st.netns === io.netns && (st.kind === 'deliver' || st.kind === 'icmp-error') && st.flow === 'icmp-error').flatMap((st) => st.packet.headers).find((h) => h.kind === 'icmp' && h.type === 3)
  const neighFail = steps.some((st) => st.netns === io.netns && st.kind === 'drop' && /no ARP answer/.test(st.explain))
  const status: QueryStatus = icmp?.kind === 'icmp' ? (icmp.code === 3 ? 'refused' : icmp.code === 0 ? 'netunreach' : 'hostunreach') : neighFail ? 'hostunreach' : 'timeout'
  return { status, segment: seg, ms }
}

/** BIND's words for a failed query (`;; communications error to S#53: …`). */
export function queryError(status: QueryStatus): string {
  return status === 'refused' ? 'connection refused' : status === 'hostunreach' ? 'host unreachable' : status === 'netunreach' ? 'network unreachable' : 'timed out'
}

export interface Resolved {
  readonly ip?: string
  /** The name that answered (after the search list). */
  readonly canonical?: string
  readonly error?: 'nxdomain' | 'timeout' | 'noresolver'
  readonly server?: string
}

const HOSTS: Readonly<Record<string, string>> = { localhost: '127.0.0.1', 'localhost.localdomain': '127.0.0.1', 'ip6-localhost': '127.0.0.1' }

/** getaddrinfo() for one IPv4 address. */
export function resolveHost(io: Io, name: string): Resolved {
  if (isIpv4(name)) return { ip: name, canonical: name }
  const host = HOSTS[name.toLowerCase()]
  if (host) return { ip: host, canonical: name }
  const rc = io.sh.world.netns[io.netns]?.resolvConf ?? io.sh.world.netns[io.sh.machine]?.resolvConf
  const server = rc?.nameservers[0]
  if (!rc || server === undefined) return { error: 'noresolver' }
  for (const q of resolverQueries(rc, name)) {
    const r = queryDns(io, server, q)
    if (r.status !== 'answer') return { error: 'timeout', server }
    const a = r.message?.answers.find((x) => x.type === 'A')
    if (r.message?.rcode === 'NOERROR' && a) return { ip: a.data, canonical: q, server }
  }
  return { error: 'nxdomain', server }
}
