/**
 * Tracing a packet through imported nodes, for the import panel: the picker choices (pods,
 * Services, node addresses the import inferred), the form's values turned into a packet the
 * way `packetwalk trace` does it (same name resolution), the outcomes (one run, or every
 * outcome of kube-proxy's random choices), and an outcome as a scenario the explainer plays.
 * Every outcome is listed from the engine's enumeration (enumerateTraceOutcomes: where the
 * random choice is made and what it did there); a short list is also traced in full, a long
 * one (a Service with many endpoints) traces an outcome when it is played.
 * Pure: the engine does the work; nothing here touches the DOM or a store.
 */
import type { ImportResult } from '../../engine/import/types.ts'
import type { World } from '../../engine/model/types.ts'
import type { TraceSegment } from '../../engine/scenario/timeline.ts'
import { NameError, resolveSource, resolveTarget } from '../../engine/session.ts'
import { worldAtStep } from '../../engine/sim/effects.ts'
import { formatProbability, renderOutcome } from '../../engine/sim/render.ts'
import type { Outcome, SendSpec, TraceStep } from '../../engine/sim/trace.ts'
import { enumerateTraceOutcomes, traceWorld } from '../../engine/trace.ts'
import type { ChoiceOutcome } from '../../engine/sim/outcomes.ts'
import { isIpv4 } from '../../engine/wire/addr.ts'
import type { LoadedScenario, Narration } from '../scenarios/types.ts'
import { IMPORT_TRACE_ID, IMPORT_VIEW_ID } from './catalog.ts'

export type Proto = 'tcp' | 'udp' | 'icmp'

export interface PickOption {
  /** What goes into the field: an address, a netns or node name. */
  readonly value: string
  readonly label: string
  readonly group: string
  /** A destination's port and protocol (a Service port). */
  readonly port?: number
  readonly proto?: Proto
}

/** At most this many choices per group in a picker (a 5,000-Service dump still types in the field). */
export const PICK_LIMIT = 300

/** Where a packet can start: the pods and nodes the import knows, and a client outside. */
export function sourceOptions(result: ImportResult, world: World): PickOption[] {
  const out: PickOption[] = []
  const serves = new Map<string, readonly string[]>()
  for (const n of result.nodes) for (const p of n.inferred.pods) if (p.endpointOf?.length) serves.set(p.ip, p.endpointOf)
  // Pods that can send are the ones the world has a netns for (the nodes' own, and endpoints in another imported node's pod CIDR).
  for (const ns of Object.values(world.netns)) {
    if (ns.kind !== 'pod' || out.length >= PICK_LIMIT) continue
    const ip = ns.links.find((l) => l.kind !== 'loopback')?.addrs[0]?.ip
    if (ip === undefined) continue
    const svc = serves.get(ip)
    out.push({ value: ip, group: 'Pods', label: `${ip} — pod on ${ns.node ?? '?'}${svc ? ` (${svc.slice(0, 2).join(', ')})` : ''}` })
  }
  for (const n of result.nodes) {
    const ip = n.inferred.nodeIps[0]?.value.ip
    out.push({ value: ip ?? n.name, group: 'Nodes', label: ip ? `${ip} — node ${n.name} itself (locally generated)` : `${n.name} — the node itself` })
  }
  out.push({ value: '203.0.113.10', group: 'Outside', label: '203.0.113.10 — a client outside the nodes (arrives from the network)' })
  return out
}

/** Where it can go: Service ports (ClusterIP and NodePort), pods, node addresses. */
export function destinationOptions(result: ImportResult): PickOption[] {
  const out: PickOption[] = []
  const seen = new Set<string>()
  const add = (o: PickOption) => {
    const k = `${o.value}:${o.port ?? ''}/${o.proto ?? ''}`
    if (seen.has(k)) return
    seen.add(k)
    out.push(o)
  }
  let services = 0
  for (const n of result.nodes) {
    for (const s of n.inferred.services) {
      if (services >= PICK_LIMIT) break
      const proto: Proto = s.protocol === 'udp' ? 'udp' : 'tcp'
      const name = `${s.namespace}/${s.name}${s.portName ? `:${s.portName}` : ''}`
      const eps = `${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'}`
      if (s.clusterIP !== undefined && s.port !== undefined) {
        add({ value: s.clusterIP, port: s.port, proto, group: 'Services (ClusterIP)', label: `${name} — ${s.clusterIP}:${s.port}/${proto} (${eps})` })
        services++
      }
      const nodeIp = n.inferred.nodeIps[0]?.value.ip
      if (s.nodePort !== undefined && nodeIp !== undefined) add({ value: nodeIp, port: s.nodePort, proto, group: 'Services (NodePort)', label: `${name} — NodePort ${nodeIp}:${s.nodePort}/${proto} on ${n.name}` })
    }
  }
  for (const n of result.nodes) {
    for (const p of n.inferred.pods.slice(0, PICK_LIMIT)) {
      const port = p.ports?.[0]
      add({ value: p.ip, ...(port && port.proto !== 'sctp' && { port: port.port, proto: port.proto }), group: 'Pods', label: `${p.ip} — pod ${p.local ? `on ${n.name}` : 'elsewhere'}${port ? ` (serves ${port.proto}/${port.port})` : ''}` })
    }
  }
  for (const n of result.nodes) for (const ip of n.inferred.nodeIps) add({ value: ip.value.ip, group: 'Nodes', label: `${ip.value.ip} — node ${n.name}${ip.value.dev ? ` (${ip.value.dev})` : ''}` })
  return out
}

export interface TraceForm {
  readonly from: string
  /** An address, `address:port`, a Service `ns/name[:port]`, or a netns. */
  readonly to: string
  readonly proto: Proto
  /** The port field ('' when none). */
  readonly port: string
  readonly allOutcomes: boolean
}

/**
 * The packet a form describes, resolved like `packetwalk trace --from --to --proto`, or why
 * it cannot be sent (said so a person can fix the form).
 *
 * @example
 * sendFromForm(world, { from: '10.244.1.2', to: '10.96.45.10', proto: 'tcp', port: '80', allOutcomes: true })
 * // { send: { from: '10.244.1.2', to: '10.96.45.10', proto: 'tcp', dport: 80, roundTrip: true } }
 */
export function sendFromForm(world: World, form: TraceForm): { readonly send: SendSpec; readonly explain: string } | { readonly error: string } {
  const from = form.from.trim()
  const to = form.to.trim()
  if (from === '') return { error: 'Choose where the packet starts (a pod, a node, or any IPv4 address).' }
  if (to === '') return { error: 'Choose where it goes (a Service, a pod, a node, or any IPv4 address).' }
  const portText = form.port.trim()
  if (portText !== '' && !/^\d{1,5}$/.test(portText)) return { error: `Port “${portText}” is not a number.` }
  const port = portText === '' ? undefined : Number(portText)
  if (port !== undefined && (port < 1 || port > 65535)) return { error: 'The port must be between 1 and 65535.' }
  let source: string
  let target: ReturnType<typeof resolveTarget>
  try {
    source = resolveSource(world, from)
    target = resolveTarget(world, to, port)
  } catch (e) {
    if (e instanceof NameError) return { error: e.message }
    throw e
  }
  const dport = port ?? target.port
  const proto = form.proto
  if (proto !== 'icmp' && dport === undefined) return { error: `A ${proto} packet needs a port (e.g. ${target.ip}:80).` }
  const send: SendSpec = { from: source, to: target.ip, proto, ...(proto !== 'icmp' && dport !== undefined && { dport }), roundTrip: true }
  // An address that is a Service's ClusterIP says so.
  const svc = target.explain === target.ip ? world.services?.find((s) => s.clusterIP === target.ip && (dport === undefined || s.port === dport)) : undefined
  return { send, explain: svc ? `ClusterIP of ${svc.namespace}/${svc.name}${svc.portName ? `:${svc.portName}` : ''}` : target.explain }
}

export interface TracedOutcome extends Outcome {
  /** The outcome's place in the list (most likely first). */
  readonly index: number
}

/** One outcome in the list: what the enumeration says about it, and its full trace once made. */
export interface ListedOutcome {
  readonly index: number
  readonly probability: number
  /** Where the random choice was made and what it did there (no trace needed). */
  readonly choice: ChoiceOutcome
  /** The full trace, when the list was traced with it (one run, or a short list). */
  readonly traced?: TracedOutcome
}

export interface OutcomeList {
  /** Most likely first. */
  readonly outcomes: readonly ListedOutcome[]
  /** The full trace of a listed outcome: made once, then kept. */
  trace(o: ListedOutcome): TracedOutcome
}

/** Lists up to this many outcomes are traced in full at once (each card shows its verdict); longer ones trace an outcome when it is played. */
export const TRACE_ALL_LIMIT = 12

/**
 * The outcomes of a packet: one run (probability 1), or every outcome the random choices
 * allow, most likely first.
 * @example listOutcomes(world, { from: '10.244.1.2', to: '10.96.45.10', proto: 'tcp', dport: 80 }, true).outcomes.map((o) => o.choice.dnat)
 * // ['10.244.1.2:8080', '10.244.1.200:8080']
 */
export function listOutcomes(world: World, send: SendSpec, allOutcomes: boolean): OutcomeList {
  if (!allOutcomes) {
    const r = traceWorld(world, send, { seed: 1, now: 0 })
    const traced: TracedOutcome = { probability: 1, ...r.outcome, steps: r.steps, index: 0 }
    const choice: ChoiceOutcome = { probability: 1, choices: [], at: null, verdictAtHook: null, dnat: r.outcome.dnat, snat: r.outcome.snat, masquerade: r.outcome.masquerade, matched: [] }
    const only: ListedOutcome = { index: 0, probability: 1, choice, traced }
    return { outcomes: [only], trace: () => traced }
  }
  const list = enumerateTraceOutcomes(world, send, { seed: 1, now: 0 })
  const sorted = list.outcomes.map((choice, i) => ({ choice, i })).sort((a, b) => b.choice.probability - a.choice.probability || a.i - b.i)
  const done = new Map<number, TracedOutcome>()
  const trace = (o: Pick<ListedOutcome, 'index' | 'choice'>): TracedOutcome => {
    let t = done.get(o.index)
    if (!t) {
      t = { ...list.replay(o.choice.choices).outcome, index: o.index }
      done.set(o.index, t)
    }
    return t
  }
  const eager = sorted.length <= TRACE_ALL_LIMIT
  const outcomes = sorted.map(({ choice }, index): ListedOutcome => (eager ? { index, probability: choice.probability, choice, traced: trace({ index, choice }) } : { index, probability: choice.probability, choice }))
  return { outcomes, trace: (o) => o.traced ?? trace(o) }
}

/** Every listed outcome traced in full (what `listOutcomes` gives, each with its steps). */
export function traceImported(world: World, send: SendSpec, allOutcomes: boolean): TracedOutcome[] {
  const list = listOutcomes(world, send, allOutcomes)
  return list.outcomes.map((o) => list.trace(o))
}

/** A rule the packet matched on its way, with the user's own line. */
export interface MatchedRule {
  readonly netns: string
  readonly hook: string
  readonly table: string
  readonly chain: string
  readonly raw: string
  readonly action: string
  readonly file?: string
  readonly line?: number
  readonly probability?: number
}

/**
 * The rules that decided something for the request (a jump, a DNAT, a verdict), in order:
 * the path through kube-proxy's chains a user can check against their own dump.
 */
export function matchedRules(world: World, steps: readonly TraceStep[], flow: TraceStep['flow'] = 'request'): MatchedRule[] {
  const out: MatchedRule[] = []
  for (const s of steps) {
    if (s.kind !== 'netfilter' || !s.netfilter || s.flow !== flow) continue
    for (const walk of s.netfilter.chains) {
      for (const r of walk.rules) {
        if (r.result !== 'matched' || r.action === undefined) continue
        const rule = findRule(world, s.netns, r.ruleId)
        out.push({
          netns: s.netns,
          hook: s.netfilter.hook,
          table: walk.table,
          chain: walk.chain,
          raw: r.raw,
          action: r.action,
          ...(rule?.source?.file !== undefined && { file: rule.source.file }),
          ...((rule?.source?.line ?? r.line) !== undefined && { line: rule?.source?.line ?? r.line }),
          ...(r.probability !== undefined && { probability: r.probability }),
        })
      }
    }
  }
  return out
}

function findRule(world: World, netns: string, ruleId: string) {
  const [table, ...rest] = ruleId.split(':')
  const index = Number(rest.pop())
  const chain = rest.join(':')
  const t = world.netns[netns]?.netfilter.tables[table as 'nat']
  return Object.hasOwn(t?.chains ?? {}, chain) ? t?.chains[chain]?.rules[index - 1] : undefined
}

/** The rules an untraced outcome matched at the hook that chose it (its card's path, before it is traced). */
export function matchedAtHook(world: World, c: ChoiceOutcome): MatchedRule[] {
  if (!c.at) return []
  const at = c.at
  return c.matched.flatMap((m) => {
    if (m.rule.action === undefined) return []
    const rule = findRule(world, at.netns, m.rule.ruleId)
    const line = rule?.source?.line ?? m.rule.line
    return [{ netns: at.netns, hook: at.hook, table: m.table, chain: m.chain, raw: m.rule.raw, action: m.rule.action, ...(rule?.source?.file !== undefined && { file: rule.source.file }), ...(line !== undefined && { line }), ...(m.rule.probability !== undefined && { probability: m.rule.probability }) }]
  })
}

/** One line for an outcome not traced yet: what the choice did where it was made (the rest is known once it is played). */
export function describeChoice(c: ChoiceOutcome): string {
  const bits: string[] = []
  if (c.dnat) bits.push(`DNAT → ${c.dnat}`)
  if (c.snat) bits.push(`${c.masquerade ? 'MASQUERADE' : 'SNAT'} → ${c.snat}`)
  if (c.at) bits.push(`chosen in ${c.at.hook} on ${c.at.netns}${c.verdictAtHook && c.verdictAtHook !== 'ACCEPT' ? `, ${c.verdictAtHook === 'DROP' ? 'dropped' : 'rejected'} there` : ''}`)
  return bits.join(' · ')
}

/** One line for an outcome in a list: where it ended and how likely it is. */
export function describeOutcome(o: Omit<Outcome, 'steps'>): string {
  const bits: string[] = []
  if (o.verdict === 'delivered') bits.push(`delivered to ${o.deliveredTo ?? '?'}${o.deliveredNetns ? ` (${o.deliveredNetns})` : ''}`)
  else bits.push(`${o.verdict}${o.dropReason ? `: ${o.dropReason}` : ''}`)
  if (o.dnat) bits.push(`DNAT → ${o.dnat}`)
  if (o.snat) bits.push(`${o.masquerade ? 'MASQUERADE' : 'SNAT'} → ${o.snat}`)
  if (o.encapsulated) bits.push('through the overlay')
  if (o.reply) bits.push(`reply ${o.reply.verdict}${o.reply.dropReason ? ` (${o.reply.dropReason})` : ''}`)
  else if (o.verdict === 'delivered' && o.deliveredNetns === null) bits.push('the answer is not traced (it would come from outside the input)')
  return bits.join(' · ')
}

export function percent(p: number): string {
  const v = p * 100
  return `${Number(v.toFixed(v < 1 ? 2 : 1))}%`
}


/**
 * An outcome as a scenario for the explainer: one trace segment (graph, inspectors and
 * playback work as for any scenario) and narration that says where the rules came from.
 */
export function outcomeScenario(world: World, result: ImportResult, send: SendSpec, o: TracedOutcome, total: number, target: string): LoadedScenario {
  const steps = o.steps
  const after = steps.length > 0 ? worldAtStep(world, steps, steps.length - 1) : world
  const { steps: _steps, index: _index, ...outcome } = o
  const title = `${send.from} → ${send.to}${send.dport !== undefined ? `:${send.dport}` : ''} (${send.proto})`
  const seg: TraceSegment = { kind: 'trace', title, send, before: world, after, steps, outcome }
  const nodes = result.nodes.map((n) => n.name).join(', ')
  const which = total > 1 ? ` Outcome ${o.index + 1} of ${total}, probability ${percent(o.probability)}.` : ''
  const narration: Narration[] = [{ from: 0, to: Math.max(0, steps.length - 1), text: `Traced through the imported routes and rules of ${nodes} (${target}).${which} ${renderOutcome({ ...outcome, probability: 1 })}.` }]
  const dnatAt = steps.findIndex((s) => s.kind === 'netfilter' && s.netfilter?.chains.some((c) => c.rules.some((r) => r.result === 'matched' && r.action?.startsWith('DNAT'))))
  const dnatRule = matchedRules(world, steps).find((r) => r.action.startsWith('DNAT'))
  // From the hook that matched the rule to the step that rewrote the packet.
  const natAt = steps.findIndex((s, i) => i > dnatAt && s.kind === 'nat')
  if (dnatAt >= 0 && dnatRule) narration.push({ from: dnatAt, to: natAt > dnatAt ? natAt : dnatAt, text: `Your rule ${dnatRule.file ?? ''}${dnatRule.line !== undefined ? `:${dnatRule.line}` : ''} in ${dnatRule.chain}: -A ${dnatRule.chain} ${dnatRule.raw}` })
  return {
    id: IMPORT_TRACE_ID,
    title: `Imported: ${title}`,
    summary: `${nodes}: ${describeOutcome(outcome)}${total > 1 ? ` (p=${formatProbability(o.probability)})` : ''}`,
    timeline: { segments: [seg] },
    narration,
  }
}

/** The imported nodes on their own, for the explainer's graph and inspectors: one change frame. */
export function importedWorldScenario(world: World, result: ImportResult): LoadedScenario {
  const nodes = result.nodes.map((n) => n.name)
  const events = result.nodes.map((n) => ({ kind: 'import', node: n.name, text: `imported ${n.name}: ${n.interfaces.length} interfaces, ${n.routes.length} routes, ${Object.values(n.chains).reduce((k, c) => k + Object.keys(c).length, 0)} chains, ${n.inferred.pods.length} pods, ${n.inferred.services.length} Service ports` }))
  return {
    id: IMPORT_VIEW_ID,
    title: `Imported: ${nodes.join(', ') || 'no node'}`,
    summary: `The node${nodes.length === 1 ? '' : 's'} as the dumps show ${nodes.length === 1 ? 'it' : 'them'}; trace a packet from the import panel.`,
    timeline: { segments: [{ kind: 'change', title: 'Imported from node dumps', before: world, after: world, events }] },
    narration: [{ from: 0, to: 0, text: `Rebuilt from your dumps: ${nodes.join(', ')}.${world.notes?.length ? ` Assumed where the dumps say nothing: ${world.notes.length} note${world.notes.length === 1 ? '' : 's'} in the import panel.` : ''}` }],
  }
}

/** Whether a field holds something a trace accepts as an address (for hints while typing). */
export function looksLikeAddress(text: string): boolean {
  return isIpv4(text.trim().split(':')[0] ?? '')
}
