/**
 * A subset of pcap-filter(7), the expression language tcpdump takes: `host`, `src|dst host`,
 * `net CIDR`, `port`, `src|dst port`, `portrange`, the protocols `ip`, `arp`, `icmp`, `tcp`,
 * `udp`, combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses. As in libpcap, the
 * expression tests the outermost headers of the frame on the wire (a VXLAN packet is `udp
 * port 8472`, not `icmp`). A bare address means `host ADDR`, a bare number `port N`.
 * Parsing never throws: an unknown word is an error message in tcpdump's own words.
 */
import { cidrContains, isIpv4 } from '../wire/addr.ts'
import type { Packet } from '../wire/packet.ts'

export type FilterExpr =
  | { readonly kind: 'and' | 'or'; readonly a: FilterExpr; readonly b: FilterExpr }
  | { readonly kind: 'not'; readonly e: FilterExpr }
  | { readonly kind: 'proto'; readonly proto: 'ip' | 'arp' | 'icmp' | 'tcp' | 'udp' }
  | { readonly kind: 'host'; readonly dir?: 'src' | 'dst'; readonly ip: string }
  | { readonly kind: 'net'; readonly dir?: 'src' | 'dst'; readonly cidr: string }
  | { readonly kind: 'port'; readonly dir?: 'src' | 'dst'; readonly proto?: 'tcp' | 'udp'; readonly from: number; readonly to: number }

const SERVICES: Readonly<Record<string, number>> = { http: 80, https: 443, domain: 53, ssh: 22, 'http-alt': 8080, otv: 8472, vxlan: 4789, bgp: 179, ntp: 123 }

/** Parse a filter expression (the words after tcpdump's options). */
export function parseFilter(words: readonly string[]): { expr?: FilterExpr; error?: string } {
  const toks = words.flatMap((w) => w.split(/(\(|\)|!)/).filter((x) => x !== '' && x !== ' ')).flatMap((w) => w.split(/\s+/).filter(Boolean))
  if (toks.length === 0) return {}
  let i = 0
  const peek = () => toks[i]
  const fail = (msg: string): never => {
    throw new FilterError(msg)
  }
  const parseOr = (): FilterExpr => {
    let a = parseAnd()
    while (peek() === 'or' || peek() === '||') {
      i++
      a = { kind: 'or', a, b: parseAnd() }
    }
    return a
  }
  const parseAnd = (): FilterExpr => {
    let a = parseNot()
    for (;;) {
      const t = peek()
      if (t === 'and' || t === '&&') {
        i++
        a = { kind: 'and', a, b: parseNot() }
        continue
      }
      // Juxtaposed primitives are not allowed in pcap; `host 1.2.3.4 port 80` is a syntax error.
      return a
    }
  }
  const parseNot = (): FilterExpr => {
    const t = peek()
    if (t === 'not' || t === '!') {
      i++
      return { kind: 'not', e: parseNot() }
    }
    if (t === '(') {
      i++
      const e = parseOr()
      if (peek() !== ')') fail('syntax error in filter expression: unbalanced parentheses')
      i++
      return e
    }
    return parsePrimitive()
  }
  const number = (t: string | undefined): number => {
    if (t === undefined) fail('syntax error in filter expression: syntax error')
    const n = /^\d+$/.test(t!) ? Number(t) : SERVICES[t!]
    if (n === undefined || n > 65535) fail(`syntax error in filter expression: unknown port '${t}'`)
    return n!
  }
  const parsePrimitive = (): FilterExpr => {
    let t = peek()
    if (t === undefined) fail('syntax error in filter expression: syntax error')
    let dir: 'src' | 'dst' | undefined
    let proto: 'tcp' | 'udp' | undefined
    if (t === 'src' || t === 'dst') {
      dir = t
      i++
      t = peek()
    }
    if ((t === 'tcp' || t === 'udp') && (toks[i + 1] === 'port' || toks[i + 1] === 'portrange' || toks[i + 1] === 'src' || toks[i + 1] === 'dst')) {
      proto = t
      i++
      t = peek()
      if (t === 'src' || t === 'dst') {
        dir = t
        i++
        t = peek()
      }
    }
    switch (t) {
      case 'ip':
      case 'arp':
      case 'icmp':
      case 'tcp':
      case 'udp':
        if (dir) fail(`syntax error in filter expression: '${dir}' modifier applied to ${t}`)
        i++
        return { kind: 'proto', proto: t }
      case 'host': {
        i++
        const ip = toks[i++]
        if (!ip || !isIpv4(ip)) fail(`syntax error in filter expression: unknown host '${ip ?? ''}'`)
        return { kind: 'host', ...(dir && { dir }), ip: ip! }
      }
      case 'net': {
        i++
        const cidr = toks[i++]
        if (!cidr || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) fail(`syntax error in filter expression: unknown network '${cidr ?? ''}'`)
        return { kind: 'net', ...(dir && { dir }), cidr: cidr! }
      }
      case 'port': {
        i++
        const p = number(toks[i++])
        return { kind: 'port', ...(dir && { dir }), ...(proto && { proto }), from: p, to: p }
      }
      case 'portrange': {
        i++
        const r = toks[i++] ?? ''
        const m = /^(\d+)-(\d+)$/.exec(r)
        if (!m) fail(`syntax error in filter expression: illegal port range '${r}'`)
        return { kind: 'port', ...(dir && { dir }), ...(proto && { proto }), from: Number(m![1]), to: Number(m![2]) }
      }
      default:
        if (t !== undefined && isIpv4(t)) {
          i++
          return { kind: 'host', ...(dir && { dir }), ip: t }
        }
        if (t !== undefined && /^\d+$/.test(t)) {
          i++
          return { kind: 'port', ...(dir && { dir }), from: Number(t), to: Number(t) }
        }
        return fail(`syntax error in filter expression: syntax error`)
    }
  }
  try {
    const expr = parseOr()
    if (i < toks.length) fail('syntax error in filter expression: syntax error')
    return { expr }
  } catch (e) {
    if (e instanceof FilterError) return { error: e.message }
    throw e
  }
}

class FilterError extends Error {}

/** Does a frame, as it crosses the interface, match the expression? */
export function matchFilter(expr: FilterExpr | undefined, pkt: Packet): boolean {
  if (!expr) return true
  const headers = pkt.headers
  const ipIdx = headers.findIndex((h) => h.kind === 'ipv4' || h.kind === 'arp')
  const l3 = ipIdx >= 0 ? headers[ipIdx] : undefined
  const l4 = ipIdx >= 0 ? headers[ipIdx + 1] : undefined
  const addrs = (): { src?: string; dst?: string } => (l3?.kind === 'ipv4' ? { src: l3.src, dst: l3.dst } : l3?.kind === 'arp' ? { src: l3.senderIp, dst: l3.targetIp } : {})
  const ports = (): { proto?: 'tcp' | 'udp'; sport?: number; dport?: number } => (l3?.kind === 'ipv4' && (l4?.kind === 'tcp' || l4?.kind === 'udp') ? { proto: l4.kind, sport: l4.sport, dport: l4.dport } : {})
  const test = (e: FilterExpr): boolean => {
    switch (e.kind) {
      case 'and':
        return test(e.a) && test(e.b)
      case 'or':
        return test(e.a) || test(e.b)
      case 'not':
        return !test(e.e)
      case 'proto':
        if (e.proto === 'arp') return l3?.kind === 'arp'
        if (e.proto === 'ip') return l3?.kind === 'ipv4'
        return l3?.kind === 'ipv4' && l4?.kind === e.proto
      case 'host': {
        const a = addrs()
        return e.dir === 'src' ? a.src === e.ip : e.dir === 'dst' ? a.dst === e.ip : a.src === e.ip || a.dst === e.ip
      }
      case 'net': {
        const a = addrs()
        const inNet = (ip: string | undefined) => ip !== undefined && ip !== '' && cidrContains(e.cidr, ip)
        return e.dir === 'src' ? inNet(a.src) : e.dir === 'dst' ? inNet(a.dst) : inNet(a.src) || inNet(a.dst)
      }
      case 'port': {
        const p = ports()
        if (!p.proto || (e.proto && p.proto !== e.proto)) return false
        const hit = (n: number | undefined) => n !== undefined && n >= e.from && n <= e.to
        return e.dir === 'src' ? hit(p.sport) : e.dir === 'dst' ? hit(p.dport) : hit(p.sport) || hit(p.dport)
      }
    }
  }
  return test(expr)
}
