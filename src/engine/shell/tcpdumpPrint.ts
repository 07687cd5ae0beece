/**
 * tcpdump 4.99's one-line decoding of a frame (checked against real captures in
 * golden/captured.txt): ARP, ICMP (echo, unreachable with its code, need-to-frag, time
 * exceeded), UDP with DNS decoded on port 53, VXLAN on 4789 and OTV on 8472 (the inner frame
 * on a second line), TCP flags with sequence numbers and options. `-e` adds the Ethernet
 * header, `-n` keeps port numbers numeric (names otherwise).
 *
 * Simplifications: TCP is only the handshake the tracer models (SYN, SYN-ACK, RST), so no
 * data segments appear; sequence numbers and timestamps are derived from the ports, not
 * random; DNS messages never carry EDNS (`[1au]`).
 */
import type { DnsMessage, Header, IcmpHeader, Packet } from '../wire/packet.ts'
import { hash32 } from './text.ts'

export interface TcpdumpOptions {
  readonly numeric: boolean
  readonly link: boolean
  readonly verbose?: boolean
}

const PORT_NAMES: Readonly<Record<number, string>> = { 22: 'ssh', 53: 'domain', 80: 'http', 123: 'ntp', 179: 'bgp', 443: 'https', 5353: 'mdns', 6443: 'sun-sr-https', 8080: 'http-alt', 8472: 'otv' }

/** The text after the timestamp for one frame (may be two lines for tunnels). */
export function printFrame(pkt: Packet, o: TcpdumpOptions): string {
  const hs = pkt.headers
  const eth = hs[0]?.kind === 'eth' ? hs[0] : undefined
  const start = eth ? 1 : 0
  const body = printL3(hs, start, o)
  if (!eth || !o.link) return body.text
  const frameLen = body.length + 14
  const type = hs[start]?.kind === 'arp' ? 'ARP (0x0806)' : 'IPv4 (0x0800)'
  return `${eth.src} > ${eth.dst}, ethertype ${type}, length ${frameLen}: ${body.withoutPrefix}`
}

interface L3Text {
  /** `IP …` / `ARP, …` as printed without -e. */
  readonly text: string
  /** What follows the Ethernet header with -e: no `IP ` / `ARP, ` prefix. */
  readonly withoutPrefix: string
  /** L3 length in bytes. */
  readonly length: number
}

function printL3(hs: readonly Header[], i: number, o: TcpdumpOptions): L3Text {
  const h = hs[i]
  if (h?.kind === 'arp') {
    const what = h.op === 'request' ? `Request who-has ${h.targetIp} tell ${h.senderIp}, length 28` : `Reply ${h.senderIp} is-at ${h.senderMac}, length 28`
    return { text: `ARP, ${what}`, withoutPrefix: what, length: 28 }
  }
  if (h?.kind !== 'ipv4') return { text: 'unknown frame', withoutPrefix: 'unknown frame', length: 0 }
  const l4 = hs[i + 1]
  const port = (p: number) => (o.numeric ? String(p) : (PORT_NAMES[p] ?? String(p)))
  let rest: string
  if (l4?.kind === 'icmp') rest = `${h.src} > ${h.dst}: ${printIcmp(l4, h.length)}`
  else if (l4?.kind === 'udp') {
    const head = `${h.src}.${port(l4.sport)} > ${h.dst}.${port(l4.dport)}: `
    const next = hs[i + 2]
    if (next?.kind === 'vxlan') {
      const inner = hs.slice(i + 3)
      const innerText = inner.length > 0 ? printFrame({ headers: inner }, o) : ''
      const tunnel = l4.dport === 8472 ? `OTV, flags [I] (0x08), overlay 0, instance ${next.vni}` : `VXLAN, flags [I] (0x08), vni ${next.vni}`
      rest = `${head}${tunnel}\n${innerText}`
    } else if (next?.kind === 'dns') rest = `${head}${printDns(next)}`
    else rest = `${head}UDP, length ${Math.max(0, h.length - 28)}`
  } else if (l4?.kind === 'tcp') {
    const head = `${h.src}.${port(l4.sport)} > ${h.dst}.${port(l4.dport)}: `
    rest = `${head}${printTcp(h.src, h.dst, l4.sport, l4.dport, l4.flags)}`
  } else rest = `${h.src} > ${h.dst}: ip-proto-${h.proto === 'ipip' ? 4 : 0} ${Math.max(0, h.length - 20)}`
  return { text: `IP ${rest}`, withoutPrefix: rest, length: h.length }
}

function printIcmp(t: IcmpHeader, ipLength: number): string {
  const len = ipLength - 20
  if (t.type === 8) return `ICMP echo request, id ${t.id ?? 0}, seq ${t.seq ?? 0}, length ${len}`
  if (t.type === 0) return `ICMP echo reply, id ${t.id ?? 0}, seq ${t.seq ?? 0}, length ${len}`
  const q = t.quoted
  // An ICMP error quotes the offending IP header and as much payload as fits in 576 bytes.
  const quotedLen = q?.proto === 'icmp' ? 84 : q?.proto === 'udp' ? 29 : 40
  const errLen = t.type === 3 && t.code === 4 ? 556 : 8 + quotedLen
  if (t.type === 11) return `ICMP time exceeded in-transit, length ${errLen}`
  if (t.type === 3) {
    const dst = q?.dst ?? '?'
    switch (t.code) {
      case 0:
        return `ICMP net ${dst} unreachable, length ${errLen}`
      case 1:
        return `ICMP host ${dst} unreachable, length ${errLen}`
      case 2:
        return `ICMP ${dst} protocol ${q?.proto ?? '?'} unreachable, length ${errLen}`
      case 3:
        return `ICMP ${dst} ${q?.proto ?? 'udp'} port ${q?.dport ?? 0} unreachable, length ${errLen}`
      case 4:
        return `ICMP ${dst} unreachable - need to frag (mtu ${t.mtu ?? 0}), length ${errLen}`
      case 9:
        return `ICMP net ${dst} unreachable - admin prohibited, length ${errLen}`
      case 10:
        return `ICMP host ${dst} unreachable - admin prohibited, length ${errLen}`
      case 13:
        return `ICMP host ${dst} unreachable - admin prohibited filter, length ${errLen}`
      default:
        return `ICMP ${dst} unreachable - code ${t.code}, length ${errLen}`
    }
  }
  return `ICMP type-#${t.type}, length ${len}`
}

/** Size of a DNS message on the wire: header, question, answers (names compressed), SOA for NXDOMAIN. */
export function dnsWireLength(m: DnsMessage, opts: { edns?: boolean } = {}): number {
  const qname = m.question.name.replace(/\.$/, '')
  const nameLen = qname === '' ? 1 : qname.split('.').reduce((n, l) => n + l.length + 1, 0) + 1
  let len = 12 + nameLen + 4
  for (const a of m.answers) len += 2 + 10 + (a.type === 'A' ? 4 : a.type === 'AAAA' ? 16 : a.data.length + 2)
  if (m.qr === 'response' && m.rcode === 'NXDOMAIN' && m.aa) len += 54
  if (opts.edns) len += 11
  return len
}

function printDns(m: DnsMessage): string {
  const len = dnsWireLength(m)
  const name = `${m.question.name.replace(/\.$/, '')}.`
  if (m.qr === 'query') return `${m.id}+ ${m.question.type}? ${name} (${len})`
  const rcode = m.rcode === 'NOERROR' ? '' : ` ${m.rcode === 'NXDOMAIN' ? 'NXDomain' : m.rcode === 'SERVFAIL' ? 'ServFail' : 'Refused'}`
  // CoreDNS answers its own zone authoritatively and without recursion: `*` (AA) and `-` (no RA).
  const flags = m.aa ? '*-' : ''
  const ns = m.rcode === 'NXDOMAIN' && m.aa ? 1 : 0
  const answers = m.answers.map((a) => ` ${a.type} ${a.data}`).join(',')
  return `${m.id}${rcode}${flags} ${m.answers.length}/${ns}/0${answers} (${len})`
}

function printTcp(src: string, dst: string, sport: number, dport: number, flags: readonly string[]): string {
  const isn = (a: string, b: string, p: number, q: number) => hash32(`${a}:${p}>${b}:${q}`)
  const ts = (a: string, p: number) => hash32(`ts ${a}:${p}`) % 4_000_000_000
  const syn = flags.includes('SYN')
  const ack = flags.includes('ACK')
  const rst = flags.includes('RST')
  const f = `${syn ? 'S' : ''}${flags.includes('FIN') ? 'F' : ''}${rst ? 'R' : ''}${flags.includes('PSH') ? 'P' : ''}${ack ? '.' : ''}`
  if (syn && !ack) return `Flags [${f}], seq ${isn(src, dst, sport, dport)}, win 64240, options [mss 1460,sackOK,TS val ${ts(src, sport)} ecr 0,nop,wscale 7], length 0`
  if (syn && ack) return `Flags [${f}], seq ${isn(src, dst, sport, dport)}, ack ${(isn(dst, src, dport, sport) + 1) >>> 0}, win 65160, options [mss 1460,sackOK,TS val ${ts(src, sport)} ecr ${ts(dst, dport)},nop,wscale 7], length 0`
  if (rst) return `Flags [${f}], seq 0, ack ${(isn(dst, src, dport, sport) + 1) >>> 0}, win 0, length 0`
  return `Flags [${f}], ack 1, win 502, length 0`
}
