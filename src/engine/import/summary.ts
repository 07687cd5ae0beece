/**
 * A readable, deterministic text summary of an import: per node the interfaces, routes,
 * neighbours, FDB, chains and what was inferred, each inference with the lines it came
 * from; then the lines not understood and the unsupported blocks. The CLI prints it and the
 * golden tests compare it, so a change in the importer reads like a diff of this text.
 */
import { describeRoute } from '../route/fib.ts'
import { isDefaultRules, printRule } from '../route/rules.ts'
import type { ImportedInterface, ImportedNode, ImportResult, From } from './types.ts'

/** `ip-route.txt:3,5,7 iptables.txt:12` (at most `max` references). */
export function printFrom(from: readonly From[], max = 6): string {
  if (from.length === 0) return ''
  const shown = from.slice(0, max)
  const parts: string[] = []
  let file: string | undefined
  let lines: number[] = []
  const flush = () => {
    if (file !== undefined) parts.push(`${file}:${lines.join(',')}`)
  }
  for (const f of shown) {
    if (f.file !== file) {
      flush()
      file = f.file
      lines = []
    }
    lines.push(f.line)
  }
  flush()
  return `${parts.join(' ')}${from.length > max ? ` (+${from.length - max} more)` : ''}`
}

function iface(l: ImportedInterface): string {
  const bits: string[] = [l.kindFrom === 'details' || l.kindFrom === 'link-type' ? l.kind : `${l.kind}?`]
  if (l.realKind) bits.push(`(${l.realKind})`)
  if (l.peerIfindex !== undefined) bits.push(`peer if${l.peerIfindex}`)
  if (l.peerName !== undefined) bits.push(`peer ${l.peerName}`)
  if (l.linkNetnsid !== undefined) bits.push(`netnsid ${l.linkNetnsid}`)
  if (l.linkNetns !== undefined) bits.push(`netns ${l.linkNetns}`)
  if (l.master !== undefined) bits.push(`master ${l.master}`)
  if (l.vxlan) {
    const v = l.vxlan
    bits.push(`vxlan id ${v.vni}${v.local ? ` local ${v.local}` : ''}${v.remote ? ` remote ${v.remote}` : ''}${v.dev ? ` dev ${v.dev}` : ''}${v.dstport !== undefined ? ` dstport ${v.dstport}` : ''}${v.learning ? '' : ' nolearning'}`)
  }
  if (l.ipip) bits.push(`ipip${l.ipip.local ? ` local ${l.ipip.local}` : ''}${l.ipip.remote ? ` remote ${l.ipip.remote}` : ''}`)
  if (l.mtu !== undefined) bits.push(`mtu ${l.mtu}`)
  if (l.mac !== undefined) bits.push(l.mac)
  if (l.up === false) bits.push('DOWN')
  if (l.hairpin) bits.push('hairpin')
  if (l.proxyArp) bits.push('proxy_arp')
  if (l.referencedOnly) bits.push('(only referenced)')
  const addrs = l.addrs.map((a) => `${a.ip}/${a.len}`).join(' ')
  return `${l.name.padEnd(16)} ${bits.join(' ')}${addrs ? `  ${addrs}` : ''}`
}

function printNode(n: ImportedNode): string[] {
  const out: string[] = []
  out.push(`node ${n.name} (name from ${n.nameFrom}; ${n.files.join(', ')})`)
  out.push(`  formats: ${n.formats.join(', ') || '-'}`)
  if (n.interfaces.length > 0) {
    out.push(`  interfaces (${n.interfaces.length}):`)
    for (const l of n.interfaces) out.push(`    ${iface(l)}`)
  }
  if (n.routes.length > 0) {
    out.push(`  routes (${n.routes.length}):`)
    for (const r of n.routes) out.push(`    ${describeRoute(r)}`)
  }
  if (n.neighbours.length > 0) {
    out.push(`  neighbours (${n.neighbours.length}):`)
    for (const x of n.neighbours) out.push(`    ${x.ip} dev ${x.dev}${x.mac ? ` lladdr ${x.mac}` : ''} ${x.state}`)
  }
  if (n.fdb.length > 0) {
    out.push(`  fdb (${n.fdb.length}):`)
    for (const f of n.fdb) out.push(`    ${f.mac} dev ${f.dev}${f.vlan !== undefined ? ` vlan ${f.vlan}` : ''}${f.master ? ` master ${f.master}` : ''}${f.dst ? ` dst ${f.dst}` : ''}${f.self ? ' self' : ''}${f.local ? ' local' : f.permanent ? ' permanent' : ''}`)
  }
  const tables = Object.entries(n.chains)
  if (tables.length > 0) {
    out.push(`  chains${n.iptablesBackend ? ` (iptables ${n.iptablesBackend})` : ''}:`)
    for (const [t, chains] of tables) out.push(`    ${t}: ${Object.entries(chains).map(([c, k]) => `${c} ${k}`).join(', ')}`)
  }
  const sys = Object.entries(n.sysctls)
  if (sys.length > 0) out.push(`  sysctls: ${sys.map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`).join(' ')}`)
  if (n.resolvConf) out.push(`  resolv.conf: nameserver ${n.resolvConf.nameservers.join(' ')} search ${n.resolvConf.search.join(' ')} ndots ${n.resolvConf.ndots}`)
  if (n.conntrack.length > 0) {
    const by = new Map<string, number>()
    for (const c of n.conntrack) by.set(c.entry.orig.proto, (by.get(c.entry.orig.proto) ?? 0) + 1)
    const nat = n.conntrack.filter((c) => c.entry.status.includes('DNAT') || c.entry.status.includes('SNAT')).length
    out.push(`  conntrack: ${n.conntrack.length} entries (${[...by].map(([p, k]) => `${p} ${k}`).join(', ')}; ${nat} NATed)`)
  }
  if (n.ipRules && isDefaultRules(n.ipRules)) out.push('  ip rules: the kernel\'s three defaults (local, main, default)')
  else if (n.ipRules) {
    out.push(`  ip rules (${n.ipRules.length}):`)
    for (const r of n.ipRules) out.push(`    ${printRule(r)}`)
  }
  if (n.flannelEnv) out.push(`  flannel subnet.env: ${Object.entries(n.flannelEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`)
  if (n.cniConfigs) out.push(`  CNI configs: ${n.cniConfigs.map((c) => `${c.file} (${c.types.join(', ')})`).join('; ')}`)
  if (n.localIps) out.push(`  local IPs (given): ${n.localIps.join(' ')}`)
  const inf = n.inferred
  out.push('  inferred:')
  if (inf.cni) out.push(`    CNI: ${inf.cni.value.name}${inf.cni.value.mode ? ` (${inf.cni.value.mode})` : ''}  ← ${printFrom(inf.cni.from)}`)
  if (inf.kubeProxyMode) out.push(`    kube-proxy: ${inf.kubeProxyMode.value}  ← ${printFrom(inf.kubeProxyMode.from)}`)
  if (inf.clusterCidr) out.push(`    cluster CIDR: ${inf.clusterCidr.value}  ← ${printFrom(inf.clusterCidr.from)}`)
  if (inf.podCidr) out.push(`    pod CIDR: ${inf.podCidr.value}  ← ${printFrom(inf.podCidr.from)}`)
  for (const ip of inf.nodeIps) out.push(`    node IP: ${ip.value.ip}${ip.value.len !== undefined ? `/${ip.value.len}` : ''}${ip.value.dev ? ` on ${ip.value.dev}` : ''}  ← ${printFrom(ip.from) || 'given'}`)
  for (const r of inf.remoteNodes) out.push(`    other node: ${r.ip}${r.podCidr ? ` pods ${r.podCidr}` : ''}${r.vtepMac ? ` VTEP ${r.vtepMac}` : ''}  ← ${printFrom(r.from)}`)
  for (const p of inf.pods) {
    const bits = [p.local ? 'on this node' : 'elsewhere']
    if (p.hostVeth) bits.push(`host end ${p.hostVeth}`)
    if (p.mac) bits.push(p.mac)
    if (p.endpointOf) bits.push(`endpoint of ${p.endpointOf.join(', ')}`)
    out.push(`    pod ${p.ip}: ${bits.join(', ')} [${p.how.join(', ')}]  ← ${printFrom(p.from)}`)
  }
  for (const s of inf.services) {
    const where = [s.clusterIP !== undefined ? `${s.clusterIP}:${s.port ?? '?'}` : undefined, s.nodePort !== undefined ? `nodePort ${s.nodePort}` : undefined, ...(s.externalIPs ?? []).map((x) => `external ${x}`), ...(s.loadBalancerIPs ?? []).map((x) => `LB ${x}`)].filter((x) => x !== undefined)
    const eps = s.endpoints.map((e) => `${e.ip}:${e.port}${e.probability !== undefined ? ` (${e.probability})` : ''}`).join(', ')
    out.push(`    service ${s.namespace}/${s.name}${s.portName ? `:${s.portName}` : ''} ${s.protocol} ${where.join(' ')} → ${eps || 'no endpoints'}  ← ${printFrom(s.from)}`)
  }
  return out
}

/**
 * The whole import as text.
 * @example printImportSummary(importDumps([{ name: 'r.txt', text: 'default via 10.0.0.1 dev eth0\n' }])).split('\n')[0] // 'node node (name from default; r.txt)'
 */
export function printImportSummary(r: ImportResult): string {
  const out: string[] = []
  for (const n of r.nodes) out.push(...printNode(n), '')
  if (r.unsupported.length > 0) {
    out.push(`unsupported (${r.unsupported.length}):`)
    for (const u of r.unsupported) out.push(`  ${u.file}:${u.line}: ${u.format}: ${u.message}`)
    out.push('')
  }
  if (r.notUnderstood.length > 0) {
    out.push(`not understood (${r.notUnderstood.length} lines):`)
    for (const u of r.notUnderstood) out.push(`  ${u.file}:${u.line}: ${u.text}`)
    out.push('')
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`
}
