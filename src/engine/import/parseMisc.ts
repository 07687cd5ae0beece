/**
 * The smaller outputs: `conntrack -L` (and /proc/net/nf_conntrack), `sysctl`, resolv.conf,
 * flannel's subnet.env, CNI network configs, `hostname`, `iptables -V`.
 *
 * conntrack -L prints the time left in seconds; entries are placed on the simulated clock as
 * if the dump was taken at t = 0 (`expires` = seconds × 1000). ICMP tuples carry the echo id
 * as `sport` and 0 as `dport`, the convention of netfilter/conntrack.ts.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { ResolvConf } from '../model/types.ts'
import type { ConntrackEntry, CtTuple, IpSet } from '../netfilter/types.ts'
import { isIpv4 } from '../wire/addr.ts'
import { diag, emptyOut, from, intOf, reject } from './parseCommon.ts'
import type { ParseOut } from './parseCommon.ts'
import type { Line } from './text.ts'
import { words } from './text.ts'
import type { From, ImportedConntrack } from './types.ts'

// ------------------------------------------------------------------ conntrack -L

const CT_PROTOS = new Set(['tcp', 'udp', 'icmp'])
const CT_OTHER = new Set(['unknown', 'sctp', 'dccp', 'gre', 'udplite', 'icmpv6'])

/** `conntrack -L` lines (conntrack-tools) and `/proc/net/nf_conntrack` lines (`ipv4 2 tcp 6 …`). */
export function parseConntrackText(lines: readonly Line[], file: string): ParseOut<ImportedConntrack> {
  const out = emptyOut<ImportedConntrack>()
  let skipped = 0
  let id = 0
  for (const l of lines) {
    let t = words(l.text)
    if (t.length === 0) continue
    if (t[0] === 'conntrack' && /^v[\d.]+$/.test(t[1] ?? '')) continue // the summary line
    if (t[0] === 'ipv4' && t[1] === '2') t = t.slice(2)
    else if (t[0] === 'ipv6' && t[1] === '10') {
      skipped++
      continue
    }
    const proto = t[0]!
    if (CT_OTHER.has(proto)) {
      skipped++
      continue
    }
    if (!CT_PROTOS.has(proto)) {
      reject(out, file, l, `conntrack protocol "${proto}" not understood`)
      continue
    }
    const secs = intOf(t[2])
    if (secs === undefined) {
      reject(out, file, l, 'expected `PROTO NUM SECONDS …`')
      continue
    }
    let i = 3
    let tcpState: string | undefined
    if (t[i] !== undefined && /^[A-Z_]+$/.test(t[i]!)) tcpState = t[i++]
    const tuples: Record<string, string>[] = [{}, {}]
    const flags: string[] = []
    const extra: Record<string, string> = {}
    let which = -1
    for (; i < t.length; i++) {
      const w = t[i]!
      if (w.startsWith('[')) {
        flags.push(w.replace(/[[\]]/g, ''))
        continue
      }
      const eq = w.indexOf('=')
      if (eq < 0) continue
      const k = w.slice(0, eq)
      const v = w.slice(eq + 1)
      if (k === 'src') which++
      if (which >= 0 && which < 2 && ['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'].includes(k)) tuples[which]![k] = v
      else extra[k] = v
    }
    const orig = tuple(proto as CtTuple['proto'], tuples[0]!)
    const reply = tuple(proto as CtTuple['proto'], tuples[1]!)
    if (!orig || !reply) {
      reject(out, file, l, 'conntrack entry without both tuples (src= dst= … src= dst= …)')
      continue
    }
    const status: ConntrackEntry['status'][number][] = []
    if (flags.includes('UNREPLIED')) status.push('UNREPLIED')
    else status.push('SEEN_REPLY')
    if (flags.includes('ASSURED')) status.push('ASSURED')
    status.push('CONFIRMED')
    // NAT is the difference between the reply tuple and the inverted original (nf_nat).
    if (reply.src !== orig.dst || (proto !== 'icmp' && reply.sport !== orig.dport)) status.push('DNAT')
    if (reply.dst !== orig.src || (proto !== 'icmp' && reply.dport !== orig.sport)) status.push('SNAT')
    const zone = intOf(extra.zone)
    const entry: ConntrackEntry = {
      id: intOf(extra.id) ?? ++id,
      orig,
      reply,
      ...(tcpState !== undefined && proto === 'tcp' && { tcpState }),
      status,
      mark: parseMark(extra.mark),
      expires: secs * 1000,
      ...(zone !== undefined && zone !== 0 && { zone }),
    }
    out.items.push({ entry, from: from(file, l), raw: l.text.trim() })
  }
  if (skipped > 0) out.diagnostics.push({ code: 'IP012', severity: 'info', message: `${skipped} conntrack entr${skipped === 1 ? 'y' : 'ies'} of protocols the engine does not model (IGMP, SCTP, GRE, IPv6…) skipped`, file, ...(lines[0] && { line: lines[0].n }) })
  return out
}

function parseMark(v: string | undefined): number {
  if (v === undefined) return 0
  const n = v.startsWith('0x') ? parseInt(v, 16) : Number(v)
  return Number.isFinite(n) ? n >>> 0 : 0
}

function tuple(proto: CtTuple['proto'], kv: Record<string, string>): CtTuple | undefined {
  const src = kv.src
  const dst = kv.dst
  if (src === undefined || dst === undefined || !isIpv4(src) || !isIpv4(dst)) return undefined
  if (proto === 'icmp') return { src, dst, proto, sport: intOf(kv.id) ?? 0, dport: 0 }
  const sport = intOf(kv.sport)
  const dport = intOf(kv.dport)
  if (sport === undefined || dport === undefined) return undefined
  return { src, dst, proto, sport, dport }
}

// ------------------------------------------------------------------ sysctl

export interface SysctlRecord {
  readonly key: string
  /** The value, or undefined when sysctl said the key does not exist (module not loaded). */
  readonly value?: string
  readonly from: From
}

/**
 * `sysctl k …`, `sysctl -a` (`key = value`) and `cat /proc/sys/…` (a bare value; its key
 * comes from the command). `sysctl: cannot stat /proc/sys/net/bridge/…` means the key does
 * not exist: for bridge-nf-call-iptables, br_netfilter is not loaded, so bridged traffic
 * never meets iptables.
 */
export function parseSysctlText(lines: readonly Line[], file: string, key?: string): ParseOut<SysctlRecord> {
  const out = emptyOut<SysctlRecord>()
  for (const l of lines) {
    const text = l.text.trim()
    if (text === '') continue
    const m = /^([A-Za-z0-9_.\-/@:+]+)\s*=\s?(.*)$/.exec(text)
    if (m) {
      out.items.push({ key: m[1]!.replace(/\//g, '.'), value: m[2]!.trim(), from: from(file, l) })
      continue
    }
    const missing = /^sysctl: cannot stat \/proc\/sys\/(\S+?):? No such file or directory$/.exec(text)
    if (missing) {
      out.items.push({ key: missing[1]!.replace(/\//g, '.'), from: from(file, l) })
      continue
    }
    if (/^sysctl: (permission denied|reading key|setting key)/.test(text)) continue
    if (key !== undefined && /^\S+$/.test(text)) {
      out.items.push({ key, value: text, from: from(file, l) })
      continue
    }
    reject(out, file, l, 'expected `key = value`')
  }
  return out
}

// ------------------------------------------------------------------ resolv.conf

/** resolv.conf: nameserver (up to 3 used by glibc), search (the last one wins), options ndots:N (default 1). */
export function parseResolvConfText(lines: readonly Line[], file: string): ParseOut<ResolvConf> & { warnings: Diagnostic[] } {
  const out = { ...emptyOut<ResolvConf>(), warnings: [] as Diagnostic[] }
  const nameservers: string[] = []
  let search: string[] = []
  let ndots = 1
  let first: Line | undefined
  for (const l of lines) {
    const t = words(l.text)
    if (t.length === 0 || /^[#;]/.test(t[0]!)) continue
    first ??= l
    const [k, ...v] = t as [string, ...string[]]
    if (k === 'nameserver') {
      if (v[0] !== undefined && isIpv4(v[0])) nameservers.push(v[0])
      else if (v[0] !== undefined && v[0].includes(':')) out.diagnostics.push(diag('IP006', file, l, 'IPv6 nameserver skipped', { severity: 'info' }))
      else reject(out, file, l, 'nameserver needs an IPv4 address')
    } else if (k === 'search' || k === 'domain') search = v
    else if (k === 'options') {
      for (const o of v) {
        const m = /^ndots:(\d+)$/.exec(o)
        if (m) ndots = Math.min(15, Number(m[1]))
      }
    } else if (k !== 'sortlist') reject(out, file, l, `unknown resolv.conf keyword "${k}"`)
  }
  if (first) out.items.push({ nameservers, search, ndots, source: { file, line: first.n } })
  return out
}

// ------------------------------------------------------------------ flannel subnet.env

export function parseFlannelEnvText(lines: readonly Line[], file: string): ParseOut<{ key: string; value: string; from: From }> {
  const out = emptyOut<{ key: string; value: string; from: From }>()
  for (const l of lines) {
    const m = /^(FLANNEL_[A-Z0-9_]+)=(.*)$/.exec(l.text.trim())
    if (m) out.items.push({ key: m[1]!, value: m[2]!.replace(/^"|"$/g, ''), from: from(file, l) })
    else if (l.text.trim() !== '') reject(out, file, l, 'expected `FLANNEL_…=value`')
  }
  return out
}

// ------------------------------------------------------------------ CNI config

/** A CNI network config (.conf) or list (.conflist): its name and plugin types in order. */
export function parseCniConfText(lines: readonly Line[], file: string): ParseOut<{ name?: string; types: string[]; from: From }> {
  const out = emptyOut<{ name?: string; types: string[]; from: From }>()
  const first = lines.find((l) => l.text.trim() !== '')
  if (!first) return out
  let doc: unknown
  try {
    doc = JSON.parse(lines.map((l) => l.text).join('\n'))
  } catch {
    for (const l of lines) reject(out, file, l, 'CNI config that is not valid JSON')
    return out
  }
  const o = isObject(doc) ? doc : {}
  const types: string[] = []
  const plugins = Array.isArray(o.plugins) ? o.plugins : [o]
  for (const p of plugins) {
    if (isObject(p) && typeof p.type === 'string') types.push(p.type)
    if (isObject(p) && isObject(p.delegate) && typeof p.delegate.type === 'string') types.push(p.delegate.type)
  }
  if (types.length === 0) {
    for (const l of lines) reject(out, file, l, 'JSON object that is not a CNI config (no "type" or "plugins")')
    return out
  }
  out.items.push({ ...(typeof o.name === 'string' && { name: o.name }), types, from: from(file, first) })
  return out
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// ------------------------------------------------------------------ hostname, iptables -V

export function parseHostnameText(lines: readonly Line[], file: string): ParseOut<{ name: string; from: From }> {
  const out = emptyOut<{ name: string; from: From }>()
  for (const l of lines) {
    const t = l.text.trim()
    if (t === '') continue
    if (/^[A-Za-z0-9][\w.-]*$/.test(t)) out.items.push({ name: t, from: from(file, l) })
    else reject(out, file, l, 'expected a host name')
  }
  return out
}

export function parseIptablesVersionText(lines: readonly Line[], file: string): ParseOut<{ backend: 'nf_tables' | 'legacy'; from: From }> {
  const out = emptyOut<{ backend: 'nf_tables' | 'legacy'; from: From }>()
  for (const l of lines) {
    const m = /^iptables v[\d.]+(?: \((nf_tables|legacy)\))?$/.exec(l.text.trim())
    // Before 1.8 there was only the legacy backend and no suffix.
    if (m) out.items.push({ backend: m[1] === 'nf_tables' ? 'nf_tables' : 'legacy', from: from(file, l) })
    else if (l.text.trim() !== '') reject(out, file, l, 'expected `iptables vX.Y.Z (backend)`')
  }
  return out
}

/**
 * `ipset save` (`create NAME TYPE …` then `add NAME ELEMENT …`) and `ipset list` (`Name:`,
 * `Type:`, … `Members:` then one element per line). Sets of family inet6 are skipped (IPv4
 * only); an element keeps its options (`nomatch`, `timeout 0`, `comment "…"`) as written.
 */
export function parseIpsetText(lines: readonly Line[], file: string): ParseOut<IpSet> {
  const out = emptyOut<IpSet>()
  const sets = new Map<string, { name: string; type: string; members: string[]; v6: boolean }>()
  let listing: { name: string; type: string; members: string[]; v6: boolean } | undefined
  let inMembers = false
  for (const l of lines) {
    const text = l.text.trim()
    if (text === '') {
      inMembers = false
      continue
    }
    const save = /^(create|add)\s+(\S+)\s+(.+)$/.exec(text)
    if (save && !inMembers) {
      const [, cmd, name, rest] = save as unknown as [string, string, string, string]
      if (cmd === 'create') sets.set(name, { name, type: rest.split(/\s+/)[0]!, members: [], v6: /\bfamily inet6\b/.test(rest) })
      else {
        const set = sets.get(name)
        if (set) set.members.push(rest)
        else reject(out, file, l, `\`add ${name}\` before \`create ${name}\``, 'paste the whole `ipset save` output')
      }
      continue
    }
    const field = /^(Name|Type|Revision|Header|Size in memory|References|Number of entries|Members):\s*(.*)$/.exec(text)
    if (field && !(inMembers && field[1] !== 'Name')) {
      const [, key, value] = field as unknown as [string, string, string]
      if (key === 'Name') {
        listing = { name: value, type: '', members: [], v6: false }
        sets.set(value, listing)
        inMembers = false
      } else if (!listing) reject(out, file, l, `\`${key}:\` outside a set`, 'paste the whole `ipset list` output, from its `Name:` line')
      else if (key === 'Type') listing.type = value
      else if (key === 'Header') listing.v6 = /\bfamily inet6\b/.test(value)
      else if (key === 'Members') inMembers = true
      continue
    }
    if (inMembers && listing) {
      listing.members.push(text)
      continue
    }
    reject(out, file, l, 'not `ipset save` or `ipset list` output', 'paste the output of `ipset save`')
  }
  let v6 = 0
  for (const s of sets.values()) {
    if (s.v6) v6++
    else out.items.push({ name: s.name, type: s.type, members: s.members })
  }
  if (v6 > 0) out.diagnostics.push(diag('IP006', file, lines[0], `${v6} IPv6 set(s) skipped: the engine models IPv4 only`, { severity: 'info' }))
  return out
}
