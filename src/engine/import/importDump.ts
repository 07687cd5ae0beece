/**
 * Importing node dumps: split each input into blocks, read every block with its format's
 * parser, gather the results per node, merge what several outputs say about one interface,
 * and infer the Kubernetes picture. Every input line ends up understood, unsupported (in a
 * recognised block the engine cannot use) or in `notUnderstood`, never lost. Never throws.
 *
 * Node names, strongest first: the caller's (a folder, `--node`), the bundle header, the
 * prompt's `user@host`, a `hostname` output in the same input, else "node".
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { FdbEntry, LinkKind, NeighEntry, ResolvConf, Route, Sysctls } from '../model/types.ts'
import { EMPTY_RULESET } from '../netfilter/types.ts'
import type { Ruleset } from '../netfilter/types.ts'
import { cidrContains } from '../wire/addr.ts'
import type { Ip } from '../wire/addr.ts'
import { splitBlocks } from './blocks.ts'
import type { Block } from './blocks.ts'
import type { DumpFormat } from './formats.ts'
import { isModelFormat } from './formats.ts'
import { inferNode } from './infer.ts'
import { mergeRulesets, parseIptablesBlock } from './iptablesBlocks.ts'
import { diag } from './parseCommon.ts'
import type { ParseOut } from './parseCommon.ts'
import { parseBridgeLinkText, parseIpBrief, parseIpLinkText } from './parseIpLink.ts'
import type { LinkRecord } from './parseIpLink.ts'
import { parseIpJsonText } from './parseIpJson.ts'
import { parseCniConfText, parseConntrackText, parseFlannelEnvText, parseHostnameText, parseIptablesVersionText, parseResolvConfText, parseSysctlText } from './parseMisc.ts'
import type { SysctlRecord } from './parseMisc.ts'
import { parseBridgeFdbText, parseIpNeighText, parseIpRouteText, parseIpRuleText } from './parseTables.ts'
import type { FdbRecord, NeighRecord } from './parseTables.ts'
import type { DumpInput, From, ImportedBlock, ImportedConntrack, ImportedInterface, ImportedNode, ImportResult } from './types.ts'

export const DEFAULT_NODE = 'node'

interface NodeAcc {
  name: string
  nameFrom: ImportedNode['nameFrom']
  files: string[]
  links: LinkRecord[]
  routes: Route[]
  neigh: NeighRecord[]
  fdb: FdbRecord[]
  ruleset: Ruleset
  declaredBuiltins: Set<string>
  backend?: 'nf_tables' | 'legacy'
  nftTables: boolean
  sysctl: SysctlRecord[]
  resolv?: ResolvConf
  conntrack: ImportedConntrack[]
  ipRules: string[]
  flannelEnv: Record<string, string>
  flannelEnvFrom?: From
  cni: { file: string; name?: string; types: string[]; from: From }[]
  formats: { format: DumpFormat; from: From }[]
  localIps: Ip[]
}

function newAcc(name: string, nameFrom: ImportedNode['nameFrom']): NodeAcc {
  return { name, nameFrom, files: [], links: [], routes: [], neigh: [], fdb: [], ruleset: EMPTY_RULESET, declaredBuiltins: new Set(), nftTables: false, sysctl: [], conntrack: [], ipRules: [], flannelEnv: {}, cni: [], formats: [], localIps: [] }
}

/**
 * Import node dumps (files or pastes). A folder is one input per file with `node` set to
 * the folder's name; a collector bundle names its node itself.
 *
 * @example
 * const r = importDumps([{ name: 'paste', text: 'root@w1:~# ip route\ndefault via 10.0.0.1 dev eth0\n' }])
 * r.nodes[0]?.name // 'w1'
 * r.nodes[0]?.routes[0]?.via // '10.0.0.1'
 */
export function importDumps(inputs: readonly DumpInput[]): ImportResult {
  const nodes = new Map<string, NodeAcc>()
  const notUnderstood: { file: string; line: number; text: string }[] = []
  const unsupported: { file: string; line: number; format: string; message: string }[] = []
  const diagnostics: Diagnostic[] = []
  const blocksOut: ImportedBlock[] = []

  for (const input of inputs) {
    let split: readonly Block[]
    try {
      split = splitBlocks(input.text, input.name, input.node).blocks
    } catch (e) {
      // The splitter is total; this is a guard against a bug losing the user's text.
      diagnostics.push({ code: 'IP001', severity: 'error', message: `internal error while splitting ${input.name}: ${String(e)}`, file: input.name })
      continue
    }
    // A `hostname` output names the node of the blocks that have no name from a prompt.
    let hostname: string | undefined
    for (const b of split) {
      if (b.format === 'hostname' && b.node === undefined) {
        const h = parseHostnameText(b.lines, b.file).items[0]
        if (h) {
          hostname = h.name
          break
        }
      }
    }
    const accFor = (b: Block): NodeAcc => {
      const name = b.node ?? hostname ?? DEFAULT_NODE
      const from: ImportedNode['nameFrom'] = b.node !== undefined ? (b.nodeFrom ?? 'input') : hostname !== undefined ? 'hostname' : 'default'
      let acc = nodes.get(name)
      if (!acc) {
        acc = newAcc(name, from)
        nodes.set(name, acc)
      }
      if (!acc.files.includes(b.file)) acc.files.push(b.file)
      return acc
    }
    if (input.localIps && input.localIps.length > 0) {
      const name = input.node ?? DEFAULT_NODE
      const acc = nodes.get(name) ?? newAcc(name, input.node !== undefined ? 'input' : 'default')
      nodes.set(name, acc)
      for (const ip of input.localIps) if (!acc.localIps.includes(ip)) acc.localIps.push(ip)
    }
    for (const b of split) {
      const first = b.lines[0]
      const last = b.lines[b.lines.length - 1]
      if (!first || !last) continue
      blocksOut.push({ file: b.file, format: b.format, startLine: first.n, endLine: last.n, ...(b.node !== undefined && { node: b.node }), ...(b.hint && { command: b.hint.command }) })
      if (b.message !== undefined) {
        unsupported.push({ file: b.file, line: first.n, format: b.format, message: b.message })
        const acc = accFor(b)
        acc.formats.push({ format: b.format, from: { file: b.file, line: first.n } })
        if (b.format === 'nft') acc.nftTables = true
        continue
      }
      if (b.format === 'unknown') {
        for (const l of b.lines) notUnderstood.push({ file: b.file, line: l.n, text: l.text })
        diagnostics.push(diag('IP001', b.file, first, b.lines.length === 1 ? 'line not understood' : `${b.lines.length} lines not understood (lines ${first.n}–${last.n})`, { hint: 'each command output should start right after its prompt line, or be pasted on its own' }))
        continue
      }
      if (!isModelFormat(b.format)) continue
      const acc = accFor(b)
      acc.formats.push({ format: b.format, from: { file: b.file, line: first.n } })
      if (b.hint?.excerpt) diagnostics.push(diag('IP016', b.file, first, `output filtered by \`${b.hint.command.split('|').slice(1).join('|').trim()}\`: only part of it is here`, { severity: 'info' }))
      const bad = readBlock(b, acc, diagnostics)
      for (const l of bad) notUnderstood.push({ file: b.file, line: l.n, text: l.text })
    }
  }

  const out: ImportedNode[] = []
  for (const acc of nodes.values()) out.push(finishNode(acc, diagnostics))
  notUnderstood.sort((a, b) => (a.file === b.file ? a.line - b.line : 0))
  return { nodes: out, notUnderstood, unsupported, diagnostics, blocks: blocksOut }
}

/** Read one block into the node; returns the lines it could not use. */
function readBlock(b: Block, acc: NodeAcc, diagnostics: Diagnostic[]): readonly { n: number; text: string }[] {
  const file = b.file
  const take = <T>(r: ParseOut<T>): T[] => {
    diagnostics.push(...r.diagnostics)
    return r.items
  }
  const bad = <T>(r: ParseOut<T>) => r.bad
  switch (b.format) {
    case 'ip-link': {
      const r = parseIpLinkText(b.lines, file)
      acc.links.push(...take(r))
      return bad(r)
    }
    case 'ip-brief': {
      const r = parseIpBrief(b.lines, file)
      acc.links.push(...take(r))
      return bad(r)
    }
    case 'bridge-link': {
      const r = parseBridgeLinkText(b.lines, file)
      acc.links.push(...take(r))
      return bad(r)
    }
    case 'ip-route': {
      const r = parseIpRouteText(b.lines, file)
      addRoutes(acc, take(r), diagnostics, b)
      return bad(r)
    }
    case 'ip-neigh': {
      const r = parseIpNeighText(b.lines, file, b.hint?.dev)
      acc.neigh.push(...take(r))
      return bad(r)
    }
    case 'bridge-fdb': {
      const r = parseBridgeFdbText(b.lines, file, b.hint?.dev)
      acc.fdb.push(...take(r))
      return bad(r)
    }
    case 'ip-rule': {
      const r = parseIpRuleText(b.lines, file)
      acc.ipRules.push(...take(r))
      return bad(r)
    }
    case 'ip-json': {
      const r = parseIpJsonText(b.lines, file)
      for (const j of take(r)) {
        acc.links.push(...j.links)
        addRoutes(acc, j.routes, diagnostics, b)
        acc.neigh.push(...j.neigh.map((n) => (n.dev === undefined && b.hint?.dev !== undefined ? { ...n, dev: b.hint.dev } : n)))
        acc.fdb.push(...j.fdb)
        acc.ipRules.push(...j.rules)
      }
      return bad(r)
    }
    case 'iptables-save':
    case 'iptables-S': {
      const r = parseIptablesBlock(b)
      diagnostics.push(...r.diagnostics)
      const first = b.lines[0]!
      const isLegacy = /legacy/.test(b.hint?.command ?? '')
      const tables = Object.keys(r.ruleset.tables)
      const clash = tables.filter((t) => t in acc.ruleset.tables)
      if (isLegacy && clash.length > 0) {
        diagnostics.push(diag('IP014', file, first, `table(s) ${clash.join(', ')} hold rules in both the nf_tables and the legacy backend; the kernel runs both, packetwalk keeps the ones read first`, { hint: 'on the node, remove the stale backend\'s rules (often left by an older kube-proxy image)' }))
      } else {
        const m = mergeRulesets(acc.ruleset, r.ruleset, r.declaredBuiltins)
        acc.ruleset = m.ruleset
        for (const k of r.declaredBuiltins) acc.declaredBuiltins.add(k)
        if (m.replaced.length > 0) diagnostics.push(diag('IP010', file, first, `chain(s) printed again, this output wins: ${m.replaced.slice(0, 8).join(', ')}${m.replaced.length > 8 ? '…' : ''}`, { severity: 'info' }))
      }
      return b.lines.filter((l) => r.badLines.has(l.n))
    }
    case 'conntrack': {
      const r = parseConntrackText(b.lines, file)
      acc.conntrack.push(...take(r))
      return bad(r)
    }
    case 'sysctl': {
      const r = parseSysctlText(b.lines, file, b.hint?.sysctlKey)
      acc.sysctl.push(...take(r))
      return bad(r)
    }
    case 'resolv-conf': {
      const r = parseResolvConfText(b.lines, file)
      const rc = take(r)[0]
      if (rc) acc.resolv = rc
      return bad(r)
    }
    case 'flannel-env': {
      const r = parseFlannelEnvText(b.lines, file)
      for (const e of take(r)) {
        acc.flannelEnv[e.key] = e.value
        acc.flannelEnvFrom ??= e.from
      }
      return bad(r)
    }
    case 'cni-conf': {
      const r = parseCniConfText(b.lines, file)
      const path = /^cat\s+(\S+)/.exec(b.hint?.command ?? '')?.[1] ?? file
      for (const c of take(r)) acc.cni.push({ file: path, ...c })
      return bad(r)
    }
    case 'hostname':
      return bad(parseHostnameText(b.lines, file))
    case 'iptables-version': {
      const r = parseIptablesVersionText(b.lines, file)
      const v = take(r)[0]
      if (v) acc.backend = v.backend
      return bad(r)
    }
    default:
      return []
  }
}

/** Routes from several outputs: the same route printed twice is kept once. */
function addRoutes(acc: NodeAcc, routes: readonly Route[], diagnostics: Diagnostic[], b: Block): void {
  const key = (r: Route) => `${r.type} ${r.dst} ${String(r.table)} ${r.metric ?? 0} ${r.dev ?? ''} ${r.via ?? ''}`
  const seen = new Set(acc.routes.map(key))
  const before = acc.routes.length
  let dup = 0
  for (const r of routes) {
    if (seen.has(key(r))) {
      dup++
      continue
    }
    seen.add(key(r))
    acc.routes.push(r)
  }
  const first = b.lines[0]
  if (before > 0 && first) diagnostics.push(diag('IP010', b.file, first, `a second routing table output for node ${acc.name}: merged with the first (${dup} route(s) were in both)`, { severity: 'info', hint: 'import outputs taken at different times as different nodes (--node)' }))
}

// ------------------------------------------------------------------ finishing a node

const KIND_FROM_DETAILS: Record<string, LinkKind> = { veth: 'veth', bridge: 'bridge', vxlan: 'vxlan', ipip: 'ipip', dummy: 'dummy', vlan: 'phys', bond: 'phys', team: 'phys', macvlan: 'phys', ipvlan: 'phys' }

function mergeLinks(records: readonly LinkRecord[]): LinkRecord[] {
  const byName = new Map<string, LinkRecord>()
  for (const r of records) {
    const prev = byName.get(r.name)
    if (!prev) {
      byName.set(r.name, { ...r, addrs: [...r.addrs], altnames: [...r.altnames], from: [...r.from] })
      continue
    }
    const merged: LinkRecord = { ...prev }
    for (const [k, v] of Object.entries(r) as [keyof LinkRecord, unknown][]) {
      if (v === undefined || k === 'addrs' || k === 'altnames' || k === 'from') continue
      ;(merged as unknown as Record<string, unknown>)[k] = v
    }
    for (const a of r.addrs) if (!merged.addrs.some((x) => x.ip === a.ip && x.len === a.len)) merged.addrs.push(a)
    for (const a of r.altnames) if (!merged.altnames.includes(a)) merged.altnames.push(a)
    merged.from = [...prev.from, ...r.from]
    byName.set(r.name, merged)
  }
  return [...byName.values()]
}

function kindOf(r: LinkRecord, masters: ReadonlySet<string>): Pick<ImportedInterface, 'kind' | 'kindFrom' | 'realKind'> {
  if (r.kind !== undefined) {
    const k = KIND_FROM_DETAILS[r.kind]
    if (k !== undefined) return { kind: k, kindFrom: 'details', ...(k === 'phys' && { realKind: r.kind }) }
    // wireguard, tun, gre…: no L2 neighbour the engine can model; kept as a device without a segment.
    return { kind: 'dummy', kindFrom: 'details', realKind: r.kind }
  }
  if (r.linkType === 'loopback' || r.name === 'lo') return { kind: 'loopback', kindFrom: r.linkType === 'loopback' ? 'link-type' : 'name' }
  if (r.linkType === 'ipip') return { kind: 'ipip', kindFrom: 'link-type' }
  if (masters.has(r.name)) return { kind: 'bridge', kindFrom: 'usage' }
  return { ...kindFromName(r.name, r.peerIfindex !== undefined || r.linkNetnsid !== undefined || r.linkNetns !== undefined), kindFrom: 'name' }
}

/** A kind from the interface name alone, as the usual CNIs and distributions name them. */
export function kindFromName(name: string, hasPeer = false): { kind: LinkKind } {
  if (name === 'lo') return { kind: 'loopback' }
  if (/^(flannel\.\d+|flannel-v6\.\d+|vxlan[.-]|cilium_vxlan|vx)/.test(name)) return { kind: 'vxlan' }
  if (/^tunl\d+$/.test(name)) return { kind: 'ipip' }
  if (/^(cni\d+|cbr\d+|docker\d+|br-|virbr|kube-bridge|weave$|lxcbr|lxdbr)/.test(name)) return { kind: 'bridge' }
  if (/^(cali|veth|lxc|vethwe|enc)/.test(name)) return { kind: 'veth' }
  if (/^(kube-ipvs\d+|nodelocaldns|dummy)/.test(name)) return { kind: 'dummy' }
  if (hasPeer && !/^(eth|ens|enp|eno|em|wl)/.test(name)) return { kind: 'veth' }
  return { kind: 'phys' }
}

function finishNode(acc: NodeAcc, diagnostics: Diagnostic[]): ImportedNode {
  const masters = new Set<string>()
  for (const r of acc.links) if (r.master !== undefined) masters.add(r.master)
  for (const f of acc.fdb) if (f.master !== undefined && f.dev === f.master) masters.add(f.master)
  const records = mergeLinks(acc.links)
  const listed = new Set(records.map((r) => r.name))
  // Interfaces only referenced by routes, neighbours or FDB (the dump has no `ip link`).
  const referenced = new Map<string, From[]>()
  const ref = (dev: string | undefined, src: { file?: string; line: number } | undefined) => {
    if (dev === undefined || listed.has(dev) || dev === '') return
    referenced.set(dev, [...(referenced.get(dev) ?? []), ...(src ? [{ file: src.file ?? '', line: src.line }] : [])])
  }
  for (const r of acc.routes) ref(r.dev, r.source)
  for (const n of acc.neigh) ref(n.dev, n.source)
  for (const f of acc.fdb) {
    ref(f.dev, f.source)
    ref(f.master, f.source)
  }
  for (const r of records) ref(r.master, r.from[0])
  const interfaces: ImportedInterface[] = records.map((r) => toInterface(r, masters))
  for (const [name, from] of referenced) {
    // A connected route's `src` is the interface's own address (`… proto kernel scope link src IP`).
    const addrs = acc.routes
      .filter((r) => r.dev === name && r.proto === 'kernel' && r.src !== undefined && r.table === 'main' && r.dst !== 'default')
      .map((r) => ({ ip: r.src!, len: r.dst.includes('/') ? Number(r.dst.split('/')[1]) : 32, scope: 'global' as const }))
      .filter((a, i, all) => all.findIndex((x) => x.ip === a.ip) === i)
    const k = masters.has(name) ? { kind: 'bridge' as LinkKind, kindFrom: 'usage' as const } : { ...kindFromName(name), kindFrom: 'name' as const }
    interfaces.push({ name, ...k, addrs, referencedOnly: true, from: uniq(from).slice(0, 4) })
  }

  // Sysctls.
  const sysctlRaw: Record<string, { value: string; from: From }> = {}
  for (const s of acc.sysctl) sysctlRaw[s.key] = { value: s.value ?? 'unavailable', from: s.from }
  const sysctls = sysctlsOf(sysctlRaw)
  const withProxyArp = interfaces.map((l) => {
    const v = sysctlRaw[`net.ipv4.conf.${l.name}.proxy_arp`]?.value
    return v === undefined ? l : { ...l, proxyArp: v === '1' }
  })

  // Neighbours without a device: the device the kernel would use to reach them.
  const neighbours: NeighEntry[] = []
  let devless = 0
  for (const n of acc.neigh) {
    const dev = n.dev ?? deviceFor(n.ip, acc.routes, withProxyArp)
    if (dev === undefined) {
      devless++
      continue
    }
    // The same neighbour printed twice (two outputs): the later state wins.
    const at = neighbours.findIndex((x) => x.ip === n.ip && x.dev === dev)
    if (at >= 0) neighbours[at] = { ...n, dev }
    else neighbours.push({ ...n, dev })
  }
  if (devless > 0) diagnostics.push({ code: 'IP005', severity: 'warning', message: `${devless} neighbour(s) without a device and no route to place them; skipped`, hint: 'paste `ip neigh` without a `dev` filter, or with the prompt line that shows the command' })

  // FDB: entries without a device belong to the node's VXLAN device; self entries of other
  // devices are their multicast/unicast address filters, not forwarding entries.
  const vxlanDevs = withProxyArp.filter((l) => l.kind === 'vxlan').map((l) => l.name)
  const fdb: FdbEntry[] = []
  let filters = 0
  let fdbDevless = 0
  for (const f of acc.fdb) {
    let dev = f.dev
    if (dev === undefined && f.dst !== undefined && vxlanDevs.length === 1) dev = vxlanDevs[0]
    if (dev === undefined && f.dst !== undefined && vxlanDevs.length === 0) {
      const guess = acc.routes.find((r) => r.dev !== undefined && /^(flannel\.\d+|vxlan\.calico)$/.test(r.dev))?.dev ?? acc.neigh.find((n) => n.dev !== undefined && /^(flannel\.\d+|vxlan\.calico)$/.test(n.dev))?.dev
      dev = guess
    }
    if (dev === undefined) {
      fdbDevless++
      continue
    }
    const isVxlan = vxlanDevs.includes(dev) || kindFromName(dev).kind === 'vxlan'
    if (f.self && f.dst === undefined && !isVxlan) {
      filters++
      continue
    }
    if (!fdb.some((x) => x.mac === f.mac && x.dev === dev && x.master === f.master && x.dst === f.dst && x.vlan === f.vlan)) fdb.push({ ...f, dev })
  }
  if (filters > 0) diagnostics.push({ code: 'IP004', severity: 'info', message: `${acc.name}: ${filters} \`self\` FDB entr${filters === 1 ? 'y' : 'ies'} of non-VXLAN devices (their multicast/address filters) not modelled` })
  if (fdbDevless > 0) diagnostics.push({ code: 'IP005', severity: 'warning', message: `${acc.name}: ${fdbDevless} FDB entr${fdbDevless === 1 ? 'y' : 'ies'} without a device skipped`, hint: 'paste `bridge fdb show` with the prompt line (`bridge fdb show dev flannel.1`)' })

  const guessed = withProxyArp.filter((l) => l.kindFrom === 'name' && l.kind !== 'loopback')
  if (guessed.length > 0) diagnostics.push({ code: 'IP015', severity: 'info', message: `${acc.name}: kind guessed from the name for ${guessed.map((l) => `${l.name} (${l.kind})`).join(', ')}`, hint: '`ip -d link` shows each interface\'s kind' })

  const chains: Record<string, Record<string, number>> = {}
  for (const [t, table] of Object.entries(acc.ruleset.tables)) {
    if (!table) continue
    const c: Record<string, number> = {}
    for (const name of table.order) c[name] = table.chains[name]?.rules.length ?? 0
    chains[t] = c
  }

  const formats = [...new Set(acc.formats.map((f) => f.format))]
  const inferred = inferNode({
    interfaces: withProxyArp,
    routes: acc.routes,
    neighbours,
    fdb,
    ruleset: acc.ruleset,
    ...(Object.keys(acc.flannelEnv).length > 0 && { flannelEnv: acc.flannelEnv }),
    ...(acc.flannelEnvFrom && { flannelEnvFrom: acc.flannelEnvFrom }),
    cniConfigs: acc.cni,
    formats,
    formatFrom: acc.formats,
    localIps: acc.localIps,
  })
  return {
    name: acc.name,
    nameFrom: acc.nameFrom,
    files: acc.files,
    interfaces: withProxyArp,
    routes: acc.routes,
    neighbours,
    fdb,
    chains,
    ruleset: acc.ruleset,
    builtinChainsSeen: [...acc.declaredBuiltins].sort(),
    ...(acc.backend && { iptablesBackend: acc.backend }),
    sysctls,
    sysctlRaw,
    ...(acc.resolv && { resolvConf: acc.resolv }),
    conntrack: acc.conntrack,
    ...(acc.ipRules.length > 0 && { ipRules: acc.ipRules }),
    ...(Object.keys(acc.flannelEnv).length > 0 && { flannelEnv: acc.flannelEnv }),
    ...(acc.cni.length > 0 && { cniConfigs: acc.cni.map((c) => ({ file: c.file, ...(c.name !== undefined && { name: c.name }), types: c.types })) }),
    ...(acc.localIps.length > 0 && { localIps: acc.localIps }),
    formats,
    inferred,
  }
}

function uniq(list: readonly From[]): From[] {
  const seen = new Set<string>()
  return list.filter((f) => {
    const k = `${f.file}:${f.line}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function toInterface(r: LinkRecord, masters: ReadonlySet<string>): ImportedInterface {
  const k = kindOf(r, masters)
  const up = r.flags ? r.flags.includes('UP') : r.operstate !== undefined ? r.operstate !== 'DOWN' : undefined
  return {
    name: r.name,
    ...(r.ifindex !== undefined && { ifindex: r.ifindex }),
    ...k,
    ...(r.mtu !== undefined && { mtu: r.mtu }),
    ...(r.mac !== undefined && { mac: r.mac }),
    ...(up !== undefined && { up }),
    ...(r.flags && { flags: r.flags }),
    ...(r.master !== undefined && { master: r.master }),
    addrs: r.addrs,
    ...(r.peerIfindex !== undefined && { peerIfindex: r.peerIfindex }),
    ...(r.peerName !== undefined && { peerName: r.peerName }),
    ...(r.linkNetnsid !== undefined && { linkNetnsid: r.linkNetnsid }),
    ...(r.linkNetns !== undefined && { linkNetns: r.linkNetns }),
    ...(r.vxlan && { vxlan: r.vxlan }),
    ...(r.ipip && { ipip: r.ipip }),
    ...(r.bridge && { bridge: r.bridge }),
    ...(r.hairpin !== undefined && { hairpin: r.hairpin }),
    ...((r.flags?.includes('NOARP') ?? false) && { noarp: true }),
    ...(r.altnames.length > 0 && { altnames: r.altnames }),
    from: r.from,
  }
}

/** The device the kernel would use to reach `ip`: longest-prefix route with a device, or a connected address. */
function deviceFor(ip: Ip, routes: readonly Route[], links: readonly ImportedInterface[]): string | undefined {
  let best: { dev: string; len: number } | undefined
  for (const r of routes) {
    if (r.dev === undefined || r.table !== 'main' || r.type !== 'unicast') continue
    const len = r.dst === 'default' ? 0 : r.dst.includes('/') ? Number(r.dst.split('/')[1]) : 32
    const cidr = r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`
    if (cidrContains(cidr, ip) && (!best || len > best.len)) best = { dev: r.dev, len }
  }
  if (best) return best.dev
  for (const l of links) for (const a of l.addrs) if (a.len < 32 && cidrContains(`${a.ip}/${a.len}`, ip)) return l.name
  return undefined
}

function sysctlsOf(raw: Readonly<Record<string, { value: string }>>): Partial<Sysctls> {
  const out: Partial<Record<keyof Sysctls, unknown>> = {}
  const bool = (k: string) => (raw[k] === undefined ? undefined : raw[k].value === 'unavailable' ? false : raw[k].value === '1')
  const fwd = bool('net.ipv4.ip_forward') ?? bool('net.ipv4.conf.all.forwarding')
  if (fwd !== undefined) out['net.ipv4.ip_forward'] = fwd
  // No such key: br_netfilter is not loaded, so bridged frames never meet iptables.
  const brnf = bool('net.bridge.bridge-nf-call-iptables')
  if (brnf !== undefined) out['net.bridge.bridge-nf-call-iptables'] = brnf
  const rp = raw['net.ipv4.conf.all.rp_filter']?.value
  if (rp === '0' || rp === '1' || rp === '2') out['net.ipv4.conf.all.rp_filter'] = Number(rp)
  const echo = bool('net.ipv4.icmp_echo_ignore_all')
  if (echo !== undefined) out['net.ipv4.icmp_echo_ignore_all'] = echo
  const rl = bool('net.ipv4.conf.all.route_localnet')
  if (rl !== undefined) out['net.ipv4.conf.all.route_localnet'] = rl
  return out as Partial<Sysctls>
}
