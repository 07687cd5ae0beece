/**
 * The one entry point for tracing in a world that may carry a cluster: the tracer, plus what
 * only the Kubernetes layer knows — CoreDNS answers, and what NetworkPolicy did (or, under a
 * CNI that does not enforce it, would have done) to this packet, said in plain words.
 */
import type { World } from './model/types.ts'
import { clusterDnsResponder } from './kube/dns.ts'
import { policiesFor } from './kube/networkPolicy.ts'
import type { PodState } from './kube/state.ts'
import { simulate } from './sim/simulate.ts'
import type { SimOptions, SimResult } from './sim/simulate.ts'
import { enumerateAtDecisionHook, traceAllOutcomes } from './sim/outcomes.ts'
import type { ChoiceOutcome, ChoiceOutcomes } from './sim/outcomes.ts'
import type { Outcome, SendSpec, TraceStep } from './sim/trace.ts'
import type { Choice } from './netfilter/enumerate.ts'
import type { TraceSegment } from './scenario/timeline.ts'

export type TraceOptions = Omit<SimOptions, 'dns'>

/** Trace one packet (and its answer) in a world; cluster worlds get CoreDNS and policy notes. */
export function traceWorld(world: World, send: SendSpec, opts: TraceOptions = {}): SimResult {
  const cluster = world.cluster
  return withPolicyNotes(world, send, simulate(world, send, { ...opts, ...(cluster && { dns: clusterDnsResponder(cluster) }) }))
}

function withPolicyNotes(world: World, send: SendSpec, r: SimResult): SimResult {
  if (!world.cluster) return r
  const a = annotatePolicy(world, send, r.steps, r.outcome)
  return { ...r, steps: a.steps, outcome: { ...r.outcome, ...(a.dropReason && { dropReason: a.dropReason }) } }
}

/** The outcomes of a trace's random choices, listed without a full trace each (enumerateTraceOutcomes). */
export interface TraceOutcomeList {
  /** `hook`: enumerated at the one hook that chooses; `full`: every choice sequence traced; `none`: no choice. */
  readonly method: ChoiceOutcomes['method']
  /** Each with its probability, where the choice was made and what it did there (sim/outcomes.ts ChoiceOutcome). */
  readonly outcomes: readonly ChoiceOutcome[]
  /** The full trace of the outcome `choices` lead to, as traceWorld gives it, and the world after it. */
  replay(choices: readonly Choice[]): { readonly outcome: Outcome; readonly world: World }
}

/**
 * Every outcome of the random choices (`-m statistic --mode random`) with its probability,
 * found where the choices are made instead of by tracing each (sim/outcomes.ts): a
 * 100-endpoint Service is one trace and 100 runs of one hook. `replay` traces one in full.
 * Same outcomes as traceWorldAll (its `dnat` and probabilities), in the same order.
 * @example
 * const list = enumerateTraceOutcomes(world, { from: 'default/client', to: '10.96.0.20', proto: 'tcp', dport: 80 })
 * list.outcomes.map((o) => `${o.dnat} ${o.probability}`) // ['10.244.1.5:80 0.5', '10.244.2.4:80 0.5']
 * list.replay(list.outcomes[1]!.choices).outcome.deliveredTo // '10.244.2.4:80'
 */
export function enumerateTraceOutcomes(world: World, send: SendSpec, opts: Omit<TraceOptions, 'decide' | 'rng'> = {}): TraceOutcomeList {
  const cluster = world.cluster
  const list = enumerateAtDecisionHook(world, send, { ...opts, ...(cluster && { dns: clusterDnsResponder(cluster) }) })
  return {
    method: list.method,
    outcomes: list.outcomes,
    replay: (choices) => {
      const r = withPolicyNotes(world, send, list.replay(choices))
      const listed = list.outcomes.find((o) => o.choices.length === choices.length && o.choices.every((c, i) => c.taken === choices[i]!.taken))
      const probability = listed?.probability ?? choices.reduce((p, c) => p * (c.taken ? c.probability : 1 - c.probability), 1)
      return { outcome: { probability, ...r.outcome, steps: r.steps }, world: r.world }
    },
  }
}

/**
 * Every outcome of the random choices, with probabilities and each one's full trace: every
 * choice sequence is traced (sim/outcomes.ts traceAllOutcomes). What `packetwalk trace
 * --all-outcomes --json` prints; to list outcomes without their steps, enumerateTraceOutcomes.
 */
export function traceWorldAll(world: World, send: SendSpec, opts: Omit<TraceOptions, 'decide' | 'rng'> = {}): Outcome[] {
  const cluster = world.cluster
  const outcomes = traceAllOutcomes(world, send, { ...opts, ...(cluster && { dns: clusterDnsResponder(cluster) }) })
  if (!cluster) return outcomes
  return outcomes.map((o) => {
    const a = annotatePolicy(world, send, o.steps, o)
    return { ...o, steps: a.steps, ...(a.dropReason && { dropReason: a.dropReason }) }
  })
}

function podByNetns(world: World, netns: string | null | undefined): PodState | undefined {
  if (!netns) return undefined
  return world.cluster?.pods.find((p) => p.netns === netns)
}

function podByIp(world: World, ip: string): PodState | undefined {
  return world.cluster?.pods.find((p) => p.ip === ip && !p.hostNetwork)
}

/**
 * Add a note where NetworkPolicy mattered: under Calico, the policies that decided a drop;
 * under flannel, the policies that select the pods but are not enforced.
 */
function annotatePolicy(world: World, send: SendSpec, steps: readonly TraceStep[], outcome: Omit<Outcome, 'steps' | 'probability'>): { steps: TraceStep[]; dropReason?: string } {
  const cluster = world.cluster
  if (!cluster || cluster.networkPolicies.length === 0) return { steps: [...steps] }
  const src = podByNetns(world, send.from) ?? podByIp(world, send.from)
  const dst = podByNetns(world, outcome.deliveredNetns) ?? (outcome.dnat ? podByIp(world, outcome.dnat.split(':')[0]!) : podByIp(world, send.to))
  const egress = src ? policiesFor(cluster, src, 'Egress') : []
  const ingress = dst ? policiesFor(cluster, dst, 'Ingress') : []
  const names = (ps: typeof egress) => ps.map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`).join(', ')
  const out = [...steps]
  if (!cluster.policy.enforced) {
    if (egress.length === 0 && ingress.length === 0) return { steps: out }
    const parts = [
      ...(egress.length ? [`egress of ${src!.namespace}/${src!.name} is selected by ${names(egress)}`] : []),
      ...(ingress.length ? [`ingress of ${dst!.namespace}/${dst!.name} is selected by ${names(ingress)}`] : []),
    ]
    const at = out.findIndex((s) => s.kind === 'deliver' && s.flow === 'request')
    const anchor = out[at >= 0 ? at : out.length - 1]
    if (!anchor) return { steps: out }
    const note: TraceStep = { kind: 'note', flow: anchor.flow, netns: anchor.netns, packet: anchor.packet, t: anchor.t, explain: `NetworkPolicy not enforced: ${parts.join('; ')}, but ${cluster.policy.reason}` }
    out.splice(at >= 0 ? at : out.length, 0, note)
    return { steps: out }
  }
  // Enforced (Calico): name the policies when a policy chain decided a drop.
  const dropAt = out.findIndex((s) => s.kind === 'drop' && s.ref?.table === 'rule' && /^cali-/.test(s.ref.chain))
  if (dropAt < 0) return { steps: out }
  const drop = out[dropAt]!
  const walked = new Set<string>()
  for (let i = dropAt; i >= 0 && i >= dropAt - 3; i--) for (const c of out[i]!.netfilter?.chains ?? []) if (/^cali-p[io]-/.test(c.chain)) walked.add(c.chain)
  const dir = drop.ref?.table === 'rule' && /cali-fw-|cali-po-/.test(drop.ref.chain) ? 'egress' : 'ingress'
  const governing = dir === 'egress' ? egress : ingress
  const who = dir === 'egress' ? src : dst
  const text = governing.length
    ? `NetworkPolicy denied this packet: ${dir} of ${who ? `${who.namespace}/${who.name}` : 'the pod'} is governed by ${names(governing)}, and no rule in ${governing.length > 1 ? 'them' : 'it'} allows ${send.proto}${send.dport ? `/${send.dport}` : ''} from ${send.from}${walked.size ? ` (policy chains walked: ${[...walked].join(', ')})` : ''}`
    : `NetworkPolicy (Calico) dropped this packet in ${drop.ref?.table === 'rule' ? drop.ref.chain : 'a policy chain'}`
  out.splice(dropAt + 1, 0, { kind: 'note', flow: drop.flow, netns: drop.netns, packet: drop.packet, t: drop.t, explain: text })
  // The request's verdict names the policy (a drop of the reply leaves the request's reason alone).
  const dropReason = drop.flow === 'request' || drop.flow === 'dns-query' ? (governing.length ? `denied by NetworkPolicy ${names(governing)} (${dir} of ${who ? `${who.namespace}/${who.name}` : 'the pod'}; enforced by Calico)` : text) : undefined
  return { steps: out, ...(dropReason && { dropReason }) }
}

/** One trace as a timeline segment (what a viewer plays). */
export function traceSegment(world: World, send: SendSpec, opts: { title?: string; seed?: number; now?: number } = {}): TraceSegment {
  const r = traceWorld(world, send, { seed: opts.seed ?? 1, now: opts.now ?? 0 })
  return { kind: 'trace', title: opts.title ?? `${send.from} → ${send.to}${send.dport ? `:${send.dport}` : ''} (${send.proto})`, send, before: world, after: r.world, steps: r.steps, outcome: { probability: 1, ...r.outcome } }
}
