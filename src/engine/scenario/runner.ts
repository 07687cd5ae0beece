/**
 * Scenario files → a playable timeline with narration and checkpoints on frames, and the
 * checked expectations. Pure: files the scenario refers to are read through `readFile`,
 * which the caller provides (Node fs in the CLI, bundled text in the browser).
 */
import { parse as parseYaml } from 'yaml'
import type { Diagnostic } from '../diagnostics.ts'
import type { World } from '../model/types.ts'
import { setSysctl, NetError } from '../model/ops.ts'
import type { Sysctls } from '../model/types.ts'
import { loadWorldFile } from '../world/worldFile.ts'
import { parseCluster } from '../kube/parseCluster.ts'
import { buildCluster } from '../kube/build.ts'
import { applyPolicy, deletePod, deletePolicy, runPod, scaleDeployment } from '../kube/operations.ts'
import type { OperationResult } from '../kube/operations.ts'
import { NetworkPolicy as NetworkPolicySchema } from '../kube/schema.ts'
import { NameError, lookup, resolveSource, resolveTarget } from '../session.ts'
import { traceWorldAll } from '../trace.ts'
import type { Outcome, SendSpec, TraceStep } from '../sim/trace.ts'
import { diagnosticAt, readYaml, zodIssuesToDiagnostics } from '../yamlSource.ts'
import type { YamlSource } from '../yamlSource.ts'
import { ScenarioFile } from './schema.ts'
import type { Action, Expect, StepAnchor } from './schema.ts'
import { frameCount, traceSegment } from './timeline.ts'
import type { ChangeSegment, Segment, Timeline, TraceSegment, WorldEvent } from './timeline.ts'

export const SCN_CODES = {
  SCN001: 'YAML syntax error',
  SCN002: 'schema violation',
  SCN003: 'a referenced file is missing or broken',
  SCN004: 'an action cannot run (unknown name, refused operation)',
  SCN005: 'a narration or checkpoint anchor matches no step',
} as const

export interface FrameNote {
  readonly frame: number
  readonly action: number
  readonly text: string
}

export interface FrameCheckpoint {
  readonly frame: number
  readonly action: number
  readonly question: string
  readonly choices: readonly string[]
  readonly answer: number
  readonly explain: string
}

export interface ExpectationResult {
  readonly action: number
  readonly title: string
  readonly field: string
  readonly expected: unknown
  readonly actual: unknown
  readonly ok: boolean
}

export interface ActionSpan {
  readonly action: number
  readonly title: string
  readonly firstFrame: number
  readonly lastFrame: number
}

export interface ScenarioRun {
  readonly scenario: ScenarioFile
  readonly timeline: Timeline
  readonly start: World
  readonly notes: readonly FrameNote[]
  readonly checkpoints: readonly FrameCheckpoint[]
  readonly spans: readonly ActionSpan[]
  readonly results: readonly ExpectationResult[]
  readonly diagnostics: readonly Diagnostic[]
  readonly whatIfs: readonly string[]
}

export interface ParsedScenario {
  readonly scenario?: ScenarioFile
  readonly diagnostics: Diagnostic[]
  readonly source: YamlSource
}

/** Parse and validate a scenario file; every problem is a diagnostic with its line. */
export function parseScenario(text: string, opts: { file?: string } = {}): ParsedScenario {
  const source = readYaml(text, { code: 'SCN001', ...(opts.file !== undefined && { file: opts.file }) })
  const diagnostics = [...source.diagnostics]
  const doc = source.docs[0]
  if (!doc) {
    if (diagnostics.length === 0) diagnostics.push({ code: 'SCN002', severity: 'error', message: 'the file is empty', hint: 'a scenario starts with `apiVersion: packetwalk.dev/v1` and `kind: Scenario`', ...(opts.file !== undefined && { file: opts.file }) })
    return { diagnostics, source }
  }
  const r = ScenarioFile.safeParse(doc.value)
  if (!r.success) {
    diagnostics.push(...zodIssuesToDiagnostics(source, doc.index, r.error.issues, { code: 'SCN002', ...(opts.file !== undefined && { file: opts.file }) }))
    return { diagnostics, source }
  }
  // Anchor indices that can be checked without running: checkpoint answers within choices.
  r.data.actions.forEach((a, ai) =>
    a.checkpoints.forEach((c, ci) => {
      if (c.answer >= c.choices.length) diagnostics.push(diagnosticAt(source, doc.index, ['actions', ai, 'checkpoints', ci, 'answer'], { code: 'SCN002', severity: 'error', message: `answer ${c.answer} but only ${c.choices.length} choices (answers count from 0)`, ...(opts.file !== undefined && { file: opts.file }) }))
    }),
  )
  return { scenario: r.data, diagnostics, source }
}

function actionTitle(a: Action): string {
  return a.title
}

/** The index of the step an anchor points at, within `steps` (undefined when none matches). */
export function resolveAnchor(steps: readonly TraceStep[], at: StepAnchor): number | undefined {
  if (steps.length === 0) return undefined
  if (at === 'start') return 0
  if (at === 'end') return steps.length - 1
  if (typeof at === 'number') return at < steps.length ? at : undefined
  let seen = 0
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!
    if (s.kind !== at.kind) continue
    if (at.netns !== undefined && s.netns !== at.netns) continue
    if (at.flow !== undefined && s.flow !== at.flow) continue
    if (++seen === at.nth) return i
  }
  return undefined
}

interface RunCtx {
  world: World
  segments: Segment[]
  readonly diagnostics: Diagnostic[]
  readonly results: ExpectationResult[]
  readonly file?: string
  readonly source?: YamlSource
  readonly seed: number
}

function change(ctx: RunCtx, title: string, after: World, events: WorldEvent[], op?: OperationResult): void {
  const diff = op?.diff.map((d) => ({ netns: d.netns, added: Object.values(d.sections).flatMap((s) => s.added), removed: Object.values(d.sections).flatMap((s) => s.removed) }))
  const seg: ChangeSegment = { kind: 'change', title, before: ctx.world, after, events, ...(diff && { diff }) }
  ctx.segments.push(seg)
  ctx.world = after
}

function opResult(ctx: RunCtx, title: string, r: OperationResult, ai: number): void {
  for (const d of r.diagnostics) if (d.severity === 'error') problem(ctx, ai, `${title}: ${d.message}`)
  const world: World = { ...r.world, cluster: r.cluster }
  change(ctx, title, world, r.events.map((e) => ({ kind: e.kind, text: e.text, ...(e.node !== undefined && { node: e.node }), ...(e.pod !== undefined && { pod: e.pod }), ...(e.detail !== undefined && { detail: e.detail }) })), r)
}

function problem(ctx: RunCtx, ai: number, message: string, code: keyof typeof SCN_CODES = 'SCN004', sub: (string | number)[] = []): void {
  const base = { code, severity: 'error' as const, message, ...(ctx.file !== undefined && { file: ctx.file }) }
  ctx.diagnostics.push(ctx.source ? diagnosticAt(ctx.source, 0, ['actions', ai, ...sub], base) : base)
}

function snapshot(ctx: RunCtx, ai: number): { world: World; cluster: NonNullable<World['cluster']> } | undefined {
  const cluster = ctx.world.cluster
  if (!cluster) {
    problem(ctx, ai, 'this action needs a cluster scenario (`cluster:`), not a plain world')
    return undefined
  }
  return { world: ctx.world, cluster }
}

function splitRef(ref: string): { namespace: string; name: string } {
  const [a, b] = ref.includes('/') ? (ref.split('/') as [string, string]) : ['default', ref]
  return { namespace: a, name: b }
}

function check(ctx: RunCtx, ai: number, title: string, field: string, expected: unknown, actual: unknown, ok?: boolean): void {
  ctx.results.push({ action: ai, title, field, expected, actual, ok: ok ?? JSON.stringify(expected) === JSON.stringify(actual) })
}

function matchesDelivery(want: string, o: Omit<Outcome, 'steps'>): boolean {
  if (o.deliveredTo === want || o.deliveredNetns === want) return true
  if (o.deliveredNetns && want.endsWith('*')) return o.deliveredNetns.startsWith(want.slice(0, -1))
  return false
}

function checkOutcome(ctx: RunCtx, ai: number, title: string, e: Expect, o: Omit<Outcome, 'steps'>, steps: readonly TraceStep[], all?: () => Outcome[]): void {
  if (e.verdict !== undefined) check(ctx, ai, title, 'verdict', e.verdict, o.verdict)
  if (e.deliveredTo !== undefined) check(ctx, ai, title, 'deliveredTo', e.deliveredTo, o.deliveredNetns ? `${o.deliveredTo} (${o.deliveredNetns})` : o.deliveredTo, matchesDelivery(e.deliveredTo, o))
  if (e.dnat !== undefined) check(ctx, ai, title, 'dnat', e.dnat, o.dnat, e.dnat === null ? o.dnat === null : o.dnat !== null && (o.dnat === e.dnat || (e.dnat.endsWith('*') && o.dnat.startsWith(e.dnat.slice(0, -1)))))
  if (e.masquerade !== undefined) check(ctx, ai, title, 'masquerade', e.masquerade, o.masquerade)
  if (e.encapsulated !== undefined) check(ctx, ai, title, 'encapsulated', e.encapsulated, o.encapsulated)
  if (e.dropReason !== undefined) check(ctx, ai, title, 'dropReason', e.dropReason, o.dropReason, o.dropReason !== null && o.dropReason.toLowerCase().includes(e.dropReason.toLowerCase()))
  if (e.reply !== undefined) check(ctx, ai, title, 'reply', e.reply, o.reply?.verdict ?? 'none')
  if (e.replyMatches !== undefined) check(ctx, ai, title, 'replyMatches', e.replyMatches, o.reply?.matchesRequest ?? false)
  if (e.steps) {
    const kinds = new Set(steps.map((s) => s.kind))
    for (const k of e.steps.include) check(ctx, ai, title, `steps include ${k}`, true, kinds.has(k as TraceStep['kind']))
    for (const k of e.steps.exclude) check(ctx, ai, title, `steps exclude ${k}`, false, kinds.has(k as TraceStep['kind']))
  }
  if (e.deliveredToAny && all) {
    const outcomes = all()
    const total = outcomes.reduce((p, x) => p + x.probability, 0)
    check(ctx, ai, title, 'probabilities sum to 1', 1, Math.round(total * 1e9) / 1e9)
    for (const want of e.deliveredToAny) check(ctx, ai, title, `reachable: ${want}`, true, outcomes.some((x) => matchesDelivery(want, x)))
  }
}

function runAction(ctx: RunCtx, a: Action, ai: number, expect: Expect | undefined): void {
  const title = actionTitle(a)
  try {
    if ('send' in a) {
      const from = resolveSource(ctx.world, a.send.from)
      const target = resolveTarget(ctx.world, a.send.to, a.send.port)
      const proto = a.send.proto
      if (proto !== 'icmp' && target.port === undefined) return problem(ctx, ai, `${a.send.to}: a port is needed for ${proto}`, 'SCN004', ['send', 'to'])
      const send: SendSpec = {
        from,
        to: target.ip,
        proto,
        ...(proto !== 'icmp' && target.port !== undefined && { dport: target.port }),
        ...(a.send.size !== undefined && { size: a.send.size }),
        ...(a.send.df !== undefined && { df: a.send.df }),
        ...(a.send.ttl !== undefined && { ttl: a.send.ttl }),
        roundTrip: a.send.roundTrip,
      }
      const seed = ctx.seed + ai
      const seg = traceSegment(ctx.world, send, { title, seed, now: ai * 1000 })
      ctx.segments.push(seg)
      ctx.world = seg.after
      if (expect) checkOutcome(ctx, ai, title, expect, seg.outcome, seg.steps, () => traceWorldAll(seg.before, send, { seed, now: ai * 1000 }))
      return
    }
    if ('lookup' in a || 'connect' in a) {
      const spec = 'lookup' in a ? { from: a.lookup.from, name: a.lookup.name, type: a.lookup.type } : { from: a.connect.from, name: a.connect.name, type: 'A' as const }
      const r = lookup(ctx.world, spec.from, spec.name, { type: spec.type, seed: ctx.seed + ai, now: ai * 1000 })
      r.segments.forEach((s) => ctx.segments.push(s))
      ctx.world = r.world
      if (expect?.queries) check(ctx, ai, title, 'queries', expect.queries, r.queries)
      if (expect?.answer !== undefined) check(ctx, ai, title, 'answer', expect.answer, r.answer ?? r.rcode)
      if ('connect' in a) {
        if (!r.answer) return problem(ctx, ai, `${a.connect.name} did not resolve (${r.rcode}); nothing to connect to`)
        const send: SendSpec = { from: resolveSource(ctx.world, a.connect.from), to: r.answer, proto: a.connect.proto, dport: a.connect.port, roundTrip: true }
        const seg = traceSegment(ctx.world, send, { title: `${title}: connect to ${r.answer}:${a.connect.port}`, seed: ctx.seed + ai + 100, now: ai * 1000 + 500 })
        ctx.segments.push(seg)
        ctx.world = seg.after
        if (expect) checkOutcome(ctx, ai, title, { ...expect, queries: undefined, answer: undefined }, seg.outcome, seg.steps)
      }
      return
    }
    if ('sysctl' in a) {
      const key = a.sysctl.key as keyof Sysctls
      const value = key === 'net.ipv4.conf.all.rp_filter' ? (Number(a.sysctl.value) as 0 | 1 | 2) : a.sysctl.value === true || a.sysctl.value === 1
      const after = setSysctl(ctx.world, a.sysctl.netns, key, value)
      change(ctx, title, after, [{ kind: 'sysctl', text: `sysctl -w ${a.sysctl.key}=${Number(value)} in ${a.sysctl.netns}` }])
      return
    }
    if ('note' in a) return change(ctx, title, ctx.world, [{ kind: 'note', text: a.note }])
    if ('scale' in a) {
      const s = snapshot(ctx, ai)
      if (s) opResult(ctx, title, scaleDeployment(s, splitRef(a.scale.deployment), a.scale.replicas), ai)
      return
    }
    if ('startPod' in a) {
      const s = snapshot(ctx, ai)
      if (!s) return
      const ref = splitRef(a.startPod.pod)
      opResult(ctx, title, runPod(s, { namespace: ref.namespace, name: ref.name, labels: { run: ref.name }, hostNetwork: false, containers: [{ name: ref.name, image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] }), ai)
      return
    }
    if ('deletePod' in a) {
      const s = snapshot(ctx, ai)
      if (s) opResult(ctx, title, deletePod(s, splitRef(a.deletePod.pod)), ai)
      return
    }
    if ('applyPolicy' in a) {
      const s = snapshot(ctx, ai)
      if (!s) return
      const parsed = NetworkPolicySchema.safeParse(parseYaml(a.applyPolicy))
      if (!parsed.success) return problem(ctx, ai, `applyPolicy: not a NetworkPolicy: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'SCN002', ['applyPolicy'])
      opResult(ctx, title, applyPolicy(s, parsed.data), ai)
      return
    }
    if ('deletePolicy' in a) {
      const s = snapshot(ctx, ai)
      if (s) opResult(ctx, title, deletePolicy(s, splitRef(a.deletePolicy.name)), ai)
      return
    }
    if ('cni' in a || 'commands' in a) return problem(ctx, ai, `${'cni' in a ? 'cni' : 'commands'} actions are not supported yet`)
  } catch (e) {
    if (e instanceof NameError || e instanceof NetError) return problem(ctx, ai, e.message)
    throw e
  }
}

/**
 * Build the world a scenario starts from, run its actions, and place narration and
 * checkpoints on frames.
 *
 * @example
 * const run = runScenario(parseScenario(text).scenario!, { readFile: (p) => files[p] })
 * run.results.every((r) => r.ok)
 */
export function runScenario(scn: ScenarioFile, io: { readFile: (relPath: string) => string | undefined; file?: string; source?: YamlSource }, opts: { whatIfs?: readonly string[]; seed?: number } = {}): ScenarioRun {
  const diagnostics: Diagnostic[] = []
  const seed = opts.seed ?? scn.seed
  const toggles = scn.whatIfs.filter((w) => opts.whatIfs?.includes(w.id))
  for (const id of opts.whatIfs ?? []) if (!scn.whatIfs.some((w) => w.id === id)) diagnostics.push({ code: 'SCN004', severity: 'error', message: `no what-if called "${id}" (have: ${scn.whatIfs.map((w) => w.id).join(', ') || 'none'})` })

  let world: World | undefined
  const ref = scn.world ?? scn.cluster!
  const text = io.readFile(ref)
  const where = { ...(io.file !== undefined && { file: io.file }) }
  if (text === undefined) diagnostics.push({ code: 'SCN003', severity: 'error', message: `cannot read ${scn.world ? 'world' : 'cluster'} file ${ref}`, hint: 'paths are relative to the scenario file', ...where })
  else if (scn.world) {
    const r = loadWorldFile(text, { file: ref })
    diagnostics.push(...r.diagnostics.map((d) => ({ ...d, code: d.severity === 'error' ? d.code : d.code })))
    world = r.world
  } else {
    const parsed = parseCluster(text, { file: ref })
    diagnostics.push(...parsed.diagnostics)
    const cniToggle = toggles.find((t) => t.cni)?.cni
    const desc = cniToggle ? { ...parsed.desc, config: { ...parsed.desc.config, cni: { ...parsed.desc.config.cni, plugin: cniToggle.type, ...(cniToggle.backend !== undefined && (cniToggle.type === 'flannel' ? { backend: cniToggle.backend } : { mode: cniToggle.backend })) } } } : parsed.desc
    const built = buildCluster(desc as typeof parsed.desc, { seed })
    diagnostics.push(...built.diagnostics)
    world = { ...built.world, cluster: built.cluster }
  }
  const empty: ScenarioRun = { scenario: scn, timeline: { segments: [] }, start: { netns: {}, segments: {}, nodes: [] }, notes: [], checkpoints: [], spans: [], results: [], diagnostics, whatIfs: toggles.map((t) => t.id) }
  if (!world || diagnostics.some((d) => d.severity === 'error')) return empty
  for (const t of toggles) for (const s of t.sysctl) world = setSysctl(world, s.netns, s.key as keyof Sysctls, s.key === 'net.ipv4.conf.all.rp_filter' ? (Number(s.value) as 0 | 1 | 2) : s.value === true || s.value === 1)

  const ctx: RunCtx = { world, segments: [], diagnostics, results: [], seed, ...(io.file !== undefined && { file: io.file }), ...(io.source && { source: io.source }) }
  const notes: FrameNote[] = []
  const checkpoints: FrameCheckpoint[] = []
  const spans: ActionSpan[] = []
  scn.actions.forEach((a, ai) => {
    const firstSeg = ctx.segments.length
    const firstFrame = frameCount({ segments: ctx.segments })
    const override = toggles.map((t) => t.expect[String(ai)]).find((x) => x !== undefined)
    runAction(ctx, a, ai, override ?? a.expect)
    const segs = ctx.segments.slice(firstSeg)
    const lastFrame = frameCount({ segments: ctx.segments }) - 1
    if (segs.length === 0) return
    spans.push({ action: ai, title: a.title, firstFrame, lastFrame })
    // One entry per frame: trace steps, and a placeholder for a change frame.
    const placeholder: TraceStep = { kind: 'note', flow: 'request', netns: '', packet: { headers: [] }, explain: '', t: 0 }
    const traceSteps: TraceStep[] = segs.flatMap((s) => (s.kind === 'trace' && s.steps.length ? [...s.steps] : [placeholder]))
    const place = (at: StepAnchor, path: (string | number)[]): number | undefined => {
      const i = resolveAnchor(traceSteps, at)
      if (i === undefined) {
        problem(ctx, ai, `no step matches ${JSON.stringify(at)} in "${a.title}"`, 'SCN005', path)
        return undefined
      }
      return firstFrame + i
    }
    a.narration.forEach((n, ni) => {
      const f = place(n.at, ['narration', ni, 'at'])
      if (f !== undefined) notes.push({ frame: f, action: ai, text: n.text })
    })
    a.checkpoints.forEach((c, ci) => {
      const f = place(c.at, ['checkpoints', ci, 'at'])
      if (f !== undefined) checkpoints.push({ frame: f, action: ai, question: c.question, choices: c.choices, answer: c.answer, explain: c.explain })
    })
  })
  return { scenario: scn, timeline: { segments: ctx.segments }, start: world, notes, checkpoints, spans, results: ctx.results, diagnostics, whatIfs: toggles.map((t) => t.id) }
}

export type { TraceSegment }
