/**
 * `nslookup` and `dig` (BIND 9.18): each query is a traced packet from the netns the command
 * runs in to the server (resolv.conf's first nameserver, or `@server` / a second argument),
 * answered by CoreDNS when the packet gets there. Output as BIND prints it
 * (golden/captured.txt): nslookup's Server/Address/Name block and "** server can't find",
 * dig's header, sections aligned on BIND's columns, the .local mDNS warning, MSG SIZE,
 * "communications error … timed out" and "no servers could be reached".
 * nslookup walks the search list (as the resolver does); dig asks the name as given unless
 * `+search`. Simplifications: no AAAA follow-up query in nslookup, no retries (one query per
 * name; the timeout lines are printed as the tools would after their retries), no cookies.
 */
import { resolverQueries } from '../kube/dns.ts'
import type { DnsMessage, DnsRecord } from '../wire/packet.ts'
import { isIpv4 } from '../wire/addr.ts'
import { queryDns, queryError, resolveHost } from './dnsClient.ts'
import type { DnsQueryResult } from './dnsClient.ts'
import type { Command, Io } from './session.ts'
import { dnsWireLength } from './tcpdumpPrint.ts'
import { formatDate } from './text.ts'

function resolver(io: Io) {
  return io.sh.world.netns[io.netns]?.resolvConf ?? io.sh.world.netns[io.sh.machine]?.resolvConf
}

export const nslookup: Command = (io, argv) => {
  let type: 'A' | 'SRV' | 'PTR' = 'A'
  let retries = 2
  const pos: string[] = []
  for (const a of argv.slice(1)) {
    const m = /^-(?:type|query|q|ty)=(\w+)$/i.exec(a)
    if (m) {
      const t = m[1]!.toUpperCase()
      type = t === 'SRV' || t === 'PTR' ? t : 'A'
    } else if (/^-retry=(\d+)$/.test(a)) retries = Number(a.slice(7))
    else if (/^-/.test(a)) continue
    else pos.push(a)
  }
  let name = pos[0]
  if (name === undefined) {
    io.err('packetwalk: interactive nslookup is not simulated; use nslookup NAME [SERVER]\n')
    return 1
  }
  const rc = resolver(io)
  let server = pos[1] ?? rc?.nameservers[0]
  if (server === undefined) {
    io.out(';; no servers could be reached\n\n')
    return 1
  }
  if (!isIpv4(server)) {
    const r = resolveHost(io, server)
    if (!r.ip) {
      io.err(`nslookup: couldn't get address for '${server}': not found\n`)
      return 1
    }
    server = r.ip
  }
  if (isIpv4(name) && type === 'A') {
    type = 'PTR'
    name = `${name.split('.').reverse().join('.')}.in-addr.arpa`
  }
  const names = pos[1] === undefined && rc && !name.endsWith('.') ? resolverQueries(rc, name) : [name.replace(/\.$/, '')]
  let last: { q: string; r: DnsQueryResult } | undefined
  for (const q of names) {
    const r = queryDns(io, server, q, type)
    last = { q, r }
    if (r.status !== 'answer') break
    if (r.message!.rcode === 'NOERROR' && r.message!.answers.length > 0) break
  }
  const r = last!.r
  if (r.status !== 'answer') {
    io.out(`;; communications error to ${server}#53: ${queryError(r.status)}\n`.repeat(retries + 1))
    io.out(';; no servers could be reached\n\n')
    io.sh.advance(r.status === 'timeout' ? 5000 * (retries + 1) : 0)
    return 1
  }
  const msg = r.message!
  io.out(`Server:\t\t${server}\nAddress:\t${server}#53\n\n`)
  if (msg.rcode !== 'NOERROR' || msg.answers.length === 0) {
    io.out(msg.rcode === 'NOERROR' ? `*** Can't find ${last!.q}: No answer\n\n` : `** server can't find ${last!.q}: ${msg.rcode}\n\n`)
    return 1
  }
  if (!msg.aa) io.out('Non-authoritative answer:\n')
  for (const a of msg.answers) {
    if (a.type === 'A') io.out(`Name:\t${a.name.replace(/\.$/, '')}\nAddress: ${a.data}\n`)
    else if (a.type === 'PTR') io.out(`${a.name.replace(/\.$/, '')}\tname = ${a.data.replace(/\.?$/, '.')}\n`)
    else if (a.type === 'SRV') io.out(`${a.name.replace(/\.$/, '')}\tservice = ${a.data}\n`)
    else io.out(`${a.name}\t${a.type} ${a.data}\n`)
  }
  io.out('\n')
  return 0
}

/** BIND's column layout: each field starts at the next column stop (tabs), or after one space if past it. */
function columns(fields: readonly string[], stops: readonly number[]): string {
  let out = fields[0]!
  let col = out.length
  fields.slice(1).forEach((f, i) => {
    const stop = stops[i] ?? col + 1
    if (col < stop) {
      while (col < stop) {
        out += '\t'
        col = (Math.floor(col / 8) + 1) * 8
      }
    } else {
      out += ' '
      col++
    }
    out += f
    col += f.length
  })
  return out
}

function fqdn(n: string): string {
  return n.endsWith('.') ? n : `${n}.`
}

function rr(a: DnsRecord): string {
  const data = a.type === 'PTR' || a.type === 'CNAME' ? fqdn(a.data) : a.data
  return columns([fqdn(a.name), String(a.ttl), 'IN', a.type, data], [24, 32, 40, 48])
}

function soa(zone: string, serial: number): string {
  return columns([fqdn(zone), '30', 'IN', 'SOA', `ns.dns.${fqdn(zone)} hostmaster.${fqdn(zone)} ${serial} 7200 1800 86400 30`], [24, 32, 40, 48])
}

export const dig: Command = (io, argv) => {
  let server: string | undefined
  let short = false
  let search = false
  let type: 'A' | 'SRV' | 'PTR' = 'A'
  let tries = 3
  let answerOnly = false
  let name: string | undefined
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith('@')) server = a.slice(1)
    else if (a === '+short') short = true
    else if (a === '+search') search = true
    else if (/^\+tries=\d+$/.test(a)) tries = Number(a.slice(7))
    else if (/^\+retry=\d+$/.test(a)) tries = Number(a.slice(7)) + 1
    else if (a === '+noall') answerOnly = true
    else if (a.startsWith('+')) continue
    else if (a === '-t') type = (argv[++i] ?? 'A').toUpperCase() === 'SRV' ? 'SRV' : (argv[i] ?? '').toUpperCase() === 'PTR' ? 'PTR' : 'A'
    else if (a === '-x') {
      const ip = argv[++i] ?? ''
      name = `${ip.split('.').reverse().join('.')}.in-addr.arpa`
      type = 'PTR'
    } else if (/^(A|SRV|PTR)$/i.test(a) && name !== undefined) type = a.toUpperCase() as 'A'
    else if (a.startsWith('-')) continue
    else name ??= a
  }
  const rc = resolver(io)
  let srv = server ?? rc?.nameservers[0]
  if (srv !== undefined && !isIpv4(srv)) {
    const r = resolveHost(io, srv)
    if (!r.ip) {
      io.err(`dig: couldn't get address for '${srv}': not found\n`)
      return 10
    }
    srv = r.ip
  }
  const args = argv.slice(1).join(' ')
  const banner = `\n; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> ${args}\n${server !== undefined ? '; (1 server found)\n' : ''};; global options: +cmd\n`
  if (name === undefined) name = '.'
  if (srv === undefined) {
    io.out(`${banner};; no servers could be reached\n`)
    return 9
  }
  const names = search && rc && !name.endsWith('.') ? resolverQueries(rc, name) : [name.replace(/\.$/, '')]
  let r: DnsQueryResult | undefined
  let asked = names[0]!
  for (const q of names) {
    asked = q
    r = queryDns(io, srv, q, type)
    if (r.status !== 'answer' || (r.message!.rcode === 'NOERROR' && r.message!.answers.length > 0)) break
  }
  if (!r || r.status !== 'answer') {
    const errs = `;; communications error to ${srv}#53: ${queryError(r?.status ?? 'timeout')}\n`.repeat(tries)
    io.sh.advance(r?.status === 'timeout' ? 5000 * tries : 0)
    io.out(short ? `${errs};; no servers could be reached\n` : `${errs}${banner};; no servers could be reached\n`)
    return 9
  }
  const msg: DnsMessage = r.message!
  if (short) {
    io.out(msg.answers.map((a) => `${a.type === 'PTR' ? fqdn(a.data) : a.data}\n`).join(''))
    return 0
  }
  const zone = io.sh.world.cluster?.dns.clusterDomain ?? 'cluster.local'
  const authority = msg.rcode === 'NXDOMAIN' && msg.aa ? 1 : 0
  const warnLocal = /\.local\.?$/i.test(asked) ? ';; WARNING: .local is reserved for Multicast DNS\n;; You are currently testing what happens when an mDNS query is leaked to DNS\n' : ''
  const flags = msg.aa ? 'qr aa rd' : 'qr rd ra'
  const lines: string[] = []
  if (!answerOnly) {
    lines.push(`${banner};; Got answer:\n${warnLocal};; ->>HEADER<<- opcode: QUERY, status: ${msg.rcode}, id: ${msg.id}\n;; flags: ${flags}; QUERY: 1, ANSWER: ${msg.answers.length}, AUTHORITY: ${authority}, ADDITIONAL: 1\n${msg.aa ? ';; WARNING: recursion requested but not available\n' : ''}\n`)
    lines.push(`;; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n;; QUESTION SECTION:\n${columns([`;${fqdn(asked)}`, 'IN', type], [32, 40])}\n\n`)
  }
  if (msg.answers.length) lines.push(`${answerOnly ? '' : ';; ANSWER SECTION:\n'}${msg.answers.map(rr).join('\n')}\n${answerOnly ? '' : '\n'}`)
  if (authority && !answerOnly) lines.push(`;; AUTHORITY SECTION:\n${soa(zone, 1_700_000_000 + Math.floor(io.sh.clock / 1000))}\n\n`)
  if (!answerOnly) lines.push(`;; Query time: ${Math.max(0, Math.round(r.ms))} msec\n;; SERVER: ${srv}#53(${srv}) (UDP)\n;; WHEN: ${formatDate(io.sh.now)}\n;; MSG SIZE  rcvd: ${dnsWireLength(msg, { edns: true })}\n\n`)
  io.out(lines.join(''))
  return 0
}
