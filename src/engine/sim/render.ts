/**
 * Traces as readable text, one hop per line, the packet on the next line in tcpdump style.
 * Used for golden files and the CLI's text output.
 */
import { summarize } from '../wire/packet.ts'
import { describeRoute } from '../route/fib.ts'
import type { Outcome, TableRef, TraceStep } from './trace.ts'

export function renderRef(ref: TableRef): string {
  switch (ref.table) {
    case 'route':
      return `route: ${describeRoute(ref.route)}${ref.route.source ? ` (line ${ref.route.source.line})` : ''}`
    case 'neigh':
      return `neigh: ${ref.entry.ip} dev ${ref.entry.dev}${ref.entry.mac ? ` lladdr ${ref.entry.mac}` : ''} ${ref.entry.state}`
    case 'fdb':
      return `fdb: ${ref.entry.mac} dev ${ref.entry.dev}${ref.entry.dst ? ` dst ${ref.entry.dst}` : ''}${ref.entry.master ? ` master ${ref.entry.master}` : ''}${ref.entry.permanent ? ' permanent' : ''}`
    case 'rule':
      return `rule ${ref.ruleId}: -A ${ref.chain} ${ref.raw}${ref.line !== undefined ? ` (line ${ref.line})` : ''}`
    case 'policy':
      return `policy: ${ref.tableName} ${ref.chain} ${ref.policy}`
    case 'conntrack':
      return `conntrack: ${ref.entry.orig.proto} ${ref.entry.orig.src}:${ref.entry.orig.sport} → ${ref.entry.orig.dst}:${ref.entry.orig.dport}`
    case 'sysctl':
      return `sysctl: ${ref.key} = ${ref.value}`
    case 'addr':
      return `addr: ${ref.addr.ip}/${ref.addr.len} dev ${ref.dev}`
    case 'socket':
      return `socket: ${ref.listener.proto}/${ref.listener.port} ${ref.listener.app}`
    case 'link':
      return `link: ${ref.dev} ${ref.field} ${ref.value}`
  }
}

export function renderStep(s: TraceStep, i: number): string {
  const where = `${s.netns}${s.dev ? ` ${s.dev}` : ''}`
  const lines = [`${String(i + 1).padStart(3)} ${s.flow.padEnd(10)} ${s.kind.padEnd(12)} [${where}] ${s.explain}${s.copy ? `  (copy: ${s.copy})` : ''}`]
  const pkt = summarize(s.packet)
  if (pkt) lines.push(`${' '.repeat(8)}${pkt}`)
  if (s.ref) lines.push(`${' '.repeat(8)}← ${renderRef(s.ref)}`)
  for (const n of s.notSimulated ?? []) lines.push(`${' '.repeat(8)}not simulated: ${n}`)
  return lines.join('\n')
}

export function renderTrace(steps: readonly TraceStep[], opts: { minor?: boolean } = {}): string {
  return steps
    .map((s, i) => [s, i] as const)
    .filter(([s]) => opts.minor !== false || !s.minor)
    .map(([s, i]) => renderStep(s, i))
    .join('\n')
}

export function renderOutcome(o: Omit<Outcome, 'steps'>): string {
  const parts = [`verdict: ${o.verdict}`]
  if (o.deliveredTo) parts.push(`delivered to ${o.deliveredTo}${o.deliveredNetns ? ` (${o.deliveredNetns})` : ''}`)
  if (o.dnat) parts.push(`DNAT → ${o.dnat}`)
  if (o.snat) parts.push(`${o.masquerade ? 'MASQUERADE' : 'SNAT'} → ${o.snat}`)
  if (o.encapsulated) parts.push('encapsulated')
  if (o.dropReason) parts.push(`reason: ${o.dropReason}`)
  if (o.reply) parts.push(`reply: ${o.reply.verdict}${o.reply.dropReason ? ` (${o.reply.dropReason})` : ''}`)
  if (o.probability !== 1) parts.unshift(`p=${formatProbability(o.probability)}`)
  return parts.join('; ')
}

export function formatProbability(p: number): string {
  return Number(p.toFixed(6)).toString()
}
