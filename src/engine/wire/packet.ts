/**
 * Packets as plain values: a stack of headers, outermost first. Encapsulation prepends
 * headers, decapsulation removes them; nothing here mutates a packet in place.
 */
import type { Ip, Mac } from './addr.ts'

export type L4Proto = 'tcp' | 'udp' | 'icmp' | 'ipip'

export interface EthernetHeader {
  readonly kind: 'eth'
  readonly src: Mac
  readonly dst: Mac
  readonly type: 'ipv4' | 'arp'
}

export interface ArpHeader {
  readonly kind: 'arp'
  readonly op: 'request' | 'reply'
  readonly senderMac: Mac
  readonly senderIp: Ip
  readonly targetMac: Mac
  readonly targetIp: Ip
}

export interface Ipv4Header {
  readonly kind: 'ipv4'
  readonly src: Ip
  readonly dst: Ip
  readonly ttl: number
  readonly df: boolean
  readonly id: number
  readonly proto: L4Proto
  /** Total length in bytes (IP header + payload). */
  readonly length: number
  /** Set once the packet was fragmented: it travels as fragments of at most this many bytes (shown as one packet). */
  readonly fragmented?: number
}

export type TcpFlag = 'SYN' | 'ACK' | 'RST' | 'FIN' | 'PSH'

export interface TcpHeader {
  readonly kind: 'tcp'
  readonly sport: number
  readonly dport: number
  readonly flags: readonly TcpFlag[]
}

export interface UdpHeader {
  readonly kind: 'udp'
  readonly sport: number
  readonly dport: number
}

export interface IcmpHeader {
  readonly kind: 'icmp'
  /** 0 echo reply, 3 destination unreachable, 8 echo request, 11 time exceeded. */
  readonly type: number
  readonly code: number
  readonly id?: number
  readonly seq?: number
  /** Next-hop MTU for type 3 code 4 (fragmentation needed). */
  readonly mtu?: number
  /** For errors: addresses and ports of the packet that caused it (the quoted header). */
  readonly quoted?: { readonly src: Ip; readonly dst: Ip; readonly proto: 'tcp' | 'udp' | 'icmp'; readonly sport?: number; readonly dport?: number }
}

export interface VxlanHeader {
  readonly kind: 'vxlan'
  readonly vni: number
}

export interface DnsQuestion {
  readonly name: string
  readonly type: 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT'
}

export interface DnsRecord {
  readonly name: string
  readonly type: 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT'
  readonly ttl: number
  readonly data: string
}

export interface DnsMessage {
  readonly kind: 'dns'
  readonly id: number
  readonly qr: 'query' | 'response'
  readonly rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED'
  readonly question: DnsQuestion
  readonly answers: readonly DnsRecord[]
  readonly aa?: boolean
}

export interface DataPayload {
  readonly kind: 'data'
  readonly text: string
}

export type Header = EthernetHeader | ArpHeader | Ipv4Header | TcpHeader | UdpHeader | IcmpHeader | VxlanHeader | DnsMessage | DataPayload

export interface Packet {
  readonly headers: readonly Header[]
}

/** Header sizes in bytes, for lengths and MTU checks. */
export const HEADER_BYTES = { eth: 14, ipv4: 20, udp: 8, tcp: 20, icmp: 8, vxlan: 8 } as const
/** What VXLAN adds on top of the inner IP packet: outer IP + UDP + VXLAN + inner Ethernet. */
export const VXLAN_OVERHEAD = HEADER_BYTES.ipv4 + HEADER_BYTES.udp + HEADER_BYTES.vxlan + HEADER_BYTES.eth

/** Index of the first header of a kind at or after `from`. */
export function findHeader<K extends Header['kind']>(p: Packet, kind: K, from = 0): number {
  for (let i = from; i < p.headers.length; i++) if (p.headers[i]!.kind === kind) return i
  return -1
}

export function getHeader<K extends Header['kind']>(p: Packet, kind: K, from = 0): Extract<Header, { kind: K }> | undefined {
  const i = findHeader(p, kind, from)
  return i < 0 ? undefined : (p.headers[i] as Extract<Header, { kind: K }>)
}

/** The outermost IPv4 header. */
export function ip(p: Packet): Ipv4Header | undefined {
  return getHeader(p, 'ipv4')
}

/** The L4 header right after the outermost IPv4 header. */
export function l4(p: Packet): TcpHeader | UdpHeader | IcmpHeader | undefined {
  const i = findHeader(p, 'ipv4')
  if (i < 0) return undefined
  const h = p.headers[i + 1]
  return h && (h.kind === 'tcp' || h.kind === 'udp' || h.kind === 'icmp') ? h : undefined
}

export function ports(p: Packet): { sport?: number; dport?: number } {
  const h = l4(p)
  return h && h.kind !== 'icmp' ? { sport: h.sport, dport: h.dport } : {}
}

/** Replace the header at index i. */
export function withHeader(p: Packet, i: number, h: Header): Packet {
  const headers = p.headers.slice()
  headers[i] = h
  return { headers }
}

/** Replace the outermost IPv4 header (and ports of its L4 header when given). */
export function rewriteL3(p: Packet, change: { src?: Ip; dst?: Ip; sport?: number; dport?: number; ttl?: number }): Packet {
  const i = findHeader(p, 'ipv4')
  if (i < 0) return p
  const headers = p.headers.slice()
  const ipH = headers[i] as Ipv4Header
  headers[i] = { ...ipH, ...(change.src !== undefined && { src: change.src }), ...(change.dst !== undefined && { dst: change.dst }), ...(change.ttl !== undefined && { ttl: change.ttl }) }
  const next = headers[i + 1]
  if (next && (next.kind === 'tcp' || next.kind === 'udp') && (change.sport !== undefined || change.dport !== undefined)) {
    headers[i + 1] = { ...next, ...(change.sport !== undefined && { sport: change.sport }), ...(change.dport !== undefined && { dport: change.dport }) }
  }
  return { headers }
}

/** Drop any link-layer header in front of the outermost IP header. */
export function stripL2(p: Packet): Packet {
  const i = findHeader(p, 'ipv4')
  const a = findHeader(p, 'arp')
  const start = i >= 0 ? i : a >= 0 ? a : 0
  return start === 0 ? p : { headers: p.headers.slice(start) }
}

export function withEthernet(p: Packet, src: Mac, dst: Mac): Packet {
  const body = stripL2(p)
  const type = body.headers[0]?.kind === 'arp' ? 'arp' : 'ipv4'
  return { headers: [{ kind: 'eth', src, dst, type }, ...body.headers] }
}

/** One line, tcpdump-like: `10.244.1.2.40000 > 10.96.0.10.53: UDP` */
export function summarize(p: Packet): string {
  const parts: string[] = []
  let i = 0
  while (i < p.headers.length) {
    const h = p.headers[i]!
    if (h.kind === 'arp') {
      parts.push(h.op === 'request' ? `ARP who-has ${h.targetIp} tell ${h.senderIp}` : `ARP ${h.senderIp} is-at ${h.senderMac}`)
      break
    }
    if (h.kind === 'ipv4') {
      const n = p.headers[i + 1]
      if (n?.kind === 'udp' && p.headers[i + 2]?.kind === 'vxlan') {
        parts.push(`[${h.src}.${n.sport} > ${h.dst}.${n.dport} UDP VXLAN vni ${(p.headers[i + 2] as VxlanHeader).vni}]`)
        i += 3
        continue
      }
      if (n?.kind === 'tcp') parts.push(`${h.src}.${n.sport} > ${h.dst}.${n.dport}: TCP [${n.flags.join(',')}]`)
      else if (n?.kind === 'udp') {
        const d = p.headers[i + 2]
        const dns = d?.kind === 'dns' ? ` DNS ${d.qr === 'query' ? `${d.question.type}? ${d.question.name}` : `${d.rcode} ${d.answers.map((a) => a.data).join(' ')}`.trim()}` : ''
        parts.push(`${h.src}.${n.sport} > ${h.dst}.${n.dport}: UDP${dns}`)
      } else if (n?.kind === 'icmp') parts.push(`${h.src} > ${h.dst}: ICMP ${icmpName(n)}`)
      else parts.push(`${h.src} > ${h.dst}: proto ${h.proto}`)
      break
    }
    i++
  }
  return parts.join(' ')
}

export function icmpName(h: IcmpHeader): string {
  if (h.type === 8) return `echo request id ${h.id ?? 0} seq ${h.seq ?? 0}`
  if (h.type === 0) return `echo reply id ${h.id ?? 0} seq ${h.seq ?? 0}`
  if (h.type === 11) return 'time exceeded in-transit'
  if (h.type === 3) {
    const codes: Record<number, string> = { 0: 'net unreachable', 1: 'host unreachable', 3: 'port unreachable', 4: `fragmentation needed (mtu ${h.mtu ?? '?'})`, 9: 'net prohibited', 10: 'host prohibited', 13: 'admin prohibited' }
    return `unreachable: ${codes[h.code] ?? `code ${h.code}`}`
  }
  return `type ${h.type} code ${h.code}`
}
