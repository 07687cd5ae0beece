/**
 * Scenario files → a playable timeline with narration and checkpoints on frames, and the
 * checked expectations. Pure: files the scenario refers to are read through `readFile`,
 * which the caller provides (Node fs in the CLI, bundled text in the browser).
 * Every problem in a file is a diagnostic with its line and field path; nothing throws on
 * bad input.
 */
import { parseAllDocuments } from 'yaml'
import type { Diagnostic } from '../diagnostics.ts'
import type { Netns, World } from '../model/types.ts'
import { setSysctl, NetError } from '../model/ops.ts'
import type { Sysctls } from '../model/types.ts'
import { loadWorldFile } from '../world/worldFile.ts'
import { parseCluster } from '../kube/parseCluster.ts'
import { addService, buildCluster, syncCluster } from '../kube/build.ts'
import { cniAdd, cniCheck, cniDel, cniVersionQuery } from '../kube/cni.ts'
import { finish, newCtx, putPod } from '../kube/ctx.ts'
import { printResolvConf } from '../kube/dns.ts'
import { applyPolicy, createDeployment, deletePod, deletePolicy, diffSnapshots, multisetDiff, runPod, scaleDeployment } from '../kube/operations.ts'
import type { OperationResult } from '../kube/operations.ts'
import { printSections, printSysctls } from '../kube/printers.ts'
import { Deployment as DeploymentSchema, NetworkPolicy as NetworkPolicySchema, Pod as PodSchema, Service as ServiceSchema } from '../kube/schema.ts'
import { readyEndpoints, svcKey } from '../kube/services.ts'
import type { ClusterState, CniInvocation, PodState } from '../kube/state.ts'
import { printConntrackL } from '../netfilter/conntrack.ts'
import { printIptablesSave } from '../netfilter/save.ts'
import { printBridgeFdb, printBridgeLink, printIpAddr, printIpLink, printIpNeigh, printIpRoute } from '../print/iproute2.ts'
import { NameError, lookup, resolveSource, resolveTarget } from '../session.ts'
import { createShell, runLine, shellSegments } from '../shell/index.ts'
import { traceWorldAll } from '../trace.ts'
import type { Outcome, SendSpec, TraceStep } from '../sim/trace.ts'
import { diagnosticAt, formatYamlPath, readYaml } from '../yamlSource.ts'
import type { YamlPath, YamlSource } from '../yamlSource.ts'
import { ACTION_KINDS, ACTION_SCHEMAS, COMMON_ACTION_KEYS, ScenarioFile, StepAnchorObject } from './schema.ts'
import type { Action, ActionKind, Expect, StateCheck, StepAnchor, WhatIf } from './schema.ts'
import { frameCount } from './timeline.ts'
import { traceSegment } from '../trace.ts'
import type { ChangeSegment, Segment, Timeline, TraceSegment, WorldEvent } from './timeline.ts'

export const SCN_CODES = {
  SCN001: 'YAML syntax error',
  SCN002: 'schema violation',
  SCN003: 'a referenced file is missing or broken',
  SCN004: 'an action cannot run (unknown name, refused operation)',
  SCN005: 'a narration or checkpoint anchor matches no step',
  SCN006: 'a {{placeholder}} in a text names nothing',
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
  /** The world the timeline starts from (what-if changes and setup already applied). */
  readonly start: World
  readonly notes: readonly FrameNote[]
  readonly checkpoints: readonly FrameCheckpoint[]
  readonly spans: readonly ActionSpan[]
  readonly results: readonly ExpectationResult[]
  readonly diagnostics: readonly Diagnostic[]
  readonly whatIfs: readonly string[]
  /** What the active what-ifs' `setup` actions did to the starting world, in order. */
  readonly setup: readonly WorldEvent[]
}

export interface ParsedScenario {
  readonly scenario?: ScenarioFile
  readonly diagnostics: Diagnostic[]
  readonly source: YamlSource
}

// ---------------------------------------------------------------------------------------
// Parsing: zod issues made specific (which action kind, which field, what would work).

interface Issue {
  readonly path: (string | number)[]
  readonly message: string
  readonly hint?: string
}

interface ZodIssueLike {
  readonly code?: string
  readonly path: readonly PropertyKey[]
  readonly message: string
  readonly input?: unknown
  readonly keys?: readonly string[]
  readonly expected?: string
  readonly values?: readonly unknown[]
}

/** Every field name the format knows, for "did you mean" hints. */
const FIELD_NAMES: readonly string[] = [
  ...new Set([
    'apiVersion', 'kind', 'metadata', 'world', 'cluster', 'seed', 'actions', 'whatIfs', 'id', 'title', 'section', 'order', 'summary', 'notSimulated',
    ...COMMON_ACTION_KEYS, ...ACTION_KINDS, 'at', 'text', 'when', 'question', 'choices', 'answer', 'explain', 'nth', 'netns', 'flow',
    'from', 'to', 'proto', 'port', 'size', 'df', 'ttl', 'roundTrip', 'name', 'type', 'key', 'value', 'deployment', 'replicas', 'pod', 'node', 'labels',
    'containers', 'image', 'ports', 'ip', 'command', 'commands', 'lines', 'label', 'description', 'sysctl', 'cni', 'backend', 'setup', 'expect',
    'verdict', 'deliveredTo', 'deliveredToAny', 'dnat', 'masquerade', 'encapsulated', 'dropReason', 'reply', 'replyMatches', 'steps', 'include',
    'exclude', 'matched', 'queries', 'events', 'state', 'exists', 'contains', 'absent', 'exitCode', 'output',
  ]),
]

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[x.length]![y.length]!
}

/**
 * The closest known word, if it is close enough to be a typo (for "did you mean" hints).
 *
 * @example
 * closestWord('sned', ['send', 'note']) // 'send'
 */
export function closestWord(word: string, words: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const w of words) {
    const d = editDistance(word, w)
    if (d < bestD) {
      best = w
      bestD = d
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[p]
  }
  return v
}

function cleanPath(path: readonly PropertyKey[]): (string | number)[] {
  return path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number')
}

/** Why an action item is broken, in terms of the action kind it names. */
function actionIssues(raw: unknown, base: (string | number)[]): Issue[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [{ path: base, message: `${formatYamlPath(base)}: an action is a mapping such as {title: …, send: {from: …, to: …}}` }]
  const keys = Object.keys(raw)
  const kinds = keys.filter((k) => !COMMON_ACTION_KEYS.includes(k))
  const known = kinds.filter((k): k is ActionKind => (ACTION_KINDS as readonly string[]).includes(k))
  if (known.length > 1) return [{ path: base, message: `${formatYamlPath(base)}: one action per list item, found ${known.map((k) => `\`${k}\``).join(' and ')}`, hint: 'split them into separate items, each with its own title' }]
  if (known.length === 1) {
    const k = known[0]!
    const r = ACTION_SCHEMAS[k].safeParse(raw)
    return r.success ? [] : refineIssues(raw, r.error.issues, base)
  }
  const unknown = kinds[0]
  if (unknown === undefined) return [{ path: base, message: `${formatYamlPath(base)}: this action does nothing`, hint: `add one of: ${ACTION_KINDS.join(', ')}` }]
  const near = closestWord(unknown, ACTION_KINDS)
  return [{ path: [...base, unknown], message: `${formatYamlPath(base)}: unknown action \`${unknown}\``, hint: near ? `did you mean \`${near}\`?` : `actions: ${ACTION_KINDS.join(', ')}` }]
}

/** zod issues → issues a course author can act on. `root` is the value the issues' paths start from. */
function refineIssues(root: unknown, issues: readonly ZodIssueLike[], base: (string | number)[] = []): Issue[] {
  const out: Issue[] = []
  for (const i of issues) {
    const rel = cleanPath(i.path)
    const path = [...base, ...rel]
    const at = formatYamlPath(path) || '(document)'
    const parent = rel.at(-2)
    if (i.code === 'invalid_union') {
      const v = valueAt(root, rel)
      if ((parent === 'actions' || parent === 'setup') && typeof rel.at(-1) === 'number') {
        out.push(...actionIssues(v, path))
        continue
      }
      if (rel.at(-1) === 'at') {
        if (v !== null && typeof v === 'object') {
          const r = StepAnchorObject.safeParse(v)
          if (!r.success) out.push(...refineIssues(v, r.error.issues, path))
          continue
        }
        out.push({ path, message: `${at}: ${JSON.stringify(v)} is not an anchor`, hint: 'use start, end, a step index (0, 1, …) or {kind: <step kind>, nth: N}' })
        continue
      }
      out.push({ path, message: `${at}: ${i.message}` })
      continue
    }
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys ?? []) {
        const near = closestWord(k, FIELD_NAMES)
        out.push({ path: [...path, k], message: `${at}: unknown field \`${k}\``, ...(near && near !== k ? { hint: `did you mean \`${near}\`?` } : { hint: 'see scenarios/README.md for the fields each part takes' }) })
      }
      continue
    }
    if (i.code === 'invalid_type' && i.input === undefined) {
      out.push({ path, message: `${at}: missing (expected ${i.expected ?? 'a value'})` })
      continue
    }
    if (i.code === 'invalid_value' && i.values) {
      const given = valueAt(root, rel)
      const near = typeof given === 'string' ? closestWord(given, i.values.map(String)) : undefined
      out.push({ path, message: `${at}: ${JSON.stringify(given)} is not one of ${i.values.map((x) => JSON.stringify(x)).join(', ')}`, ...(near && { hint: `did you mean ${JSON.stringify(near)}?` }) })
      continue
    }
    out.push({ path, message: `${at}: ${i.message}` })
  }
  return out
}

/** Checks that need the whole file: answers within choices, what-if ids, action indexes. */
function crossChecks(s: ScenarioFile): Issue[] {
  const out: Issue[] = []
  const ids = new Set(s.whatIfs.map((w) => w.id))
  const checkWhen = (when: readonly string[] | undefined, path: (string | number)[]): void => {
    for (const [k, id] of (when ?? []).entries()) if (id !== 'default' && !ids.has(id)) out.push({ path: [...path, k], message: `${formatYamlPath([...path, k])}: no what-if called "${id}"`, hint: `what-ifs: ${[...ids].join(', ') || 'none'}; \`default\` means no what-if on` })
  }
  const checkAction = (a: Action, base: (string | number)[]): void => {
    a.checkpoints.forEach((c, ci) => {
      if (c.answer >= c.choices.length) out.push({ path: [...base, 'checkpoints', ci, 'answer'], message: `${formatYamlPath([...base, 'checkpoints', ci, 'answer'])}: answer ${c.answer} but only ${c.choices.length} choices`, hint: 'answers count from 0' })
      checkWhen(c.when, [...base, 'checkpoints', ci, 'when'])
    })
    a.narration.forEach((n, ni) => checkWhen(n.when, [...base, 'narration', ni, 'when']))
  }
  s.actions.forEach((a, ai) => checkAction(a, ['actions', ai]))
  const seen = new Set<string>()
  s.whatIfs.forEach((w, wi) => {
    const base = ['whatIfs', wi]
    if (seen.has(w.id)) out.push({ path: [...base, 'id'], message: `${formatYamlPath([...base, 'id'])}: what-if "${w.id}" is defined twice` })
    seen.add(w.id)
    if (w.id === 'default') out.push({ path: [...base, 'id'], message: `${formatYamlPath([...base, 'id'])}: "default" is reserved (it means no what-if on)` })
    for (const k of Object.keys(w.expect)) {
      const n = Number(k)
      if (!/^\d+$/.test(k) || n >= s.actions.length) out.push({ path: [...base, 'expect', k], message: `${formatYamlPath([...base, 'expect'])}: "${k}" is not an action index`, hint: `use 0…${s.actions.length - 1} (actions count from 0)` })
    }
    if (w.world !== undefined && s.world === undefined) out.push({ path: [...base, 'world'], message: `${formatYamlPath([...base, 'world'])}: this scenario starts from a cluster`, hint: 'use `cluster:` to swap the cluster file' })
    if (w.cluster !== undefined && s.cluster === undefined) out.push({ path: [...base, 'cluster'], message: `${formatYamlPath([...base, 'cluster'])}: this scenario starts from a world file`, hint: 'use `world:` to swap the world file' })
    if (w.cni !== undefined && s.cluster === undefined) out.push({ path: [...base, 'cni'], message: `${formatYamlPath([...base, 'cni'])}: only a cluster scenario has a CNI to switch` })
    w.setup.forEach((a, si) => checkAction(a, [...base, 'setup', si]))
  })
  return out
}

/** Parse and validate a scenario file; every problem is a diagnostic with its line. */
export function parseScenario(text: string, opts: { file?: string } = {}): ParsedScenario {
  const file = opts.file !== undefined ? { file: opts.file } : {}
  const source: YamlSource = readYaml(text, { code: 'SCN001', ...file })
  const diagnostics = [...source.diagnostics]
  const doc = source.docs[0]
  if (!doc) {
    if (diagnostics.length === 0) diagnostics.push({ code: 'SCN002', severity: 'error', message: 'the file is empty', hint: 'a scenario starts with `apiVersion: packetwalk.dev/v1` and `kind: Scenario`', ...file })
    return { diagnostics, source }
  }
  if (source.docs.length > 1) diagnostics.push({ ...diagnosticAt(source, 1, [], { code: 'SCN002', severity: 'error', message: 'a scenario file holds one document', hint: 'put the cluster objects in their own file and point `cluster:` at it', ...file }) })
  const toDiag = (i: Issue): Diagnostic => diagnosticAt(source, doc.index, i.path, { code: 'SCN002', severity: 'error', message: i.message, ...(i.hint !== undefined && { hint: i.hint }), ...file })
  const r = ScenarioFile.safeParse(doc.value)
  if (!r.success) {
    diagnostics.push(...refineIssues(doc.value, r.error.issues as readonly ZodIssueLike[]).map(toDiag))
    return { diagnostics, source }
  }
  diagnostics.push(...crossChecks(r.data).map(toDiag))
  return { scenario: r.data, diagnostics, source }
}

// ---------------------------------------------------------------------------------------
// Running.

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

/** What an action produced, for `{{placeholders}}`. */
interface ActionFacts {
  outcome?: Omit<Outcome, 'steps'>
  lookup?: { answer?: string; rcode: string; queries: readonly string[] }
  exitCode?: number
  stdout?: string
}

interface RunCtx {
  world: World
  segments: Segment[]
  readonly diagnostics: Diagnostic[]
  readonly results: ExpectationResult[]
  readonly file?: string
  readonly source?: YamlSource
  readonly seed: number
  /** The file path of action `ai` (`actions[3]`, or `whatIfs[0].setup[1]`). */
  readonly pathOf: (ai: number) => (string | number)[]
  facts: ActionFacts
}

function change(ctx: RunCtx, title: string, after: World, events: WorldEvent[], diff?: ChangeSegment['diff']): void {
  const seg: ChangeSegment = { kind: 'change', title, before: ctx.world, after, events, ...(diff && { diff }) }
  ctx.segments.push(seg)
  ctx.world = after
}

/** CNI plugin execs an operation made, as events an inspector can open (env, stdin, stdout). */
function cniExecEvents(before: ClusterState | undefined, after: ClusterState): WorldEvent[] {
  const from = before?.cniInvocations.length ?? 0
  return after.cniInvocations.slice(from).map((c: CniInvocation) => ({
    kind: 'cni-exec',
    text: `${c.parent !== undefined ? '  ' : ''}${c.plugin} ${c.command}${c.pod ? ` for ${c.pod}` : ''} on ${c.node}: exit ${c.exitCode}`,
    node: c.node,
    ...(c.pod !== undefined && { pod: c.pod }),
    detail: c,
  }))
}

function opResult(ctx: RunCtx, title: string, r: OperationResult, ai: number): void {
  for (const d of r.diagnostics) if (d.severity === 'error' || d.code === 'K8S011' || d.code === 'K8S005' || d.code === 'K8S009') problem(ctx, ai, `${title}: ${d.message}`)
  const world: World = { ...r.world, cluster: r.cluster }
  const events: WorldEvent[] = [
    ...r.events.map((e) => ({ kind: e.kind, text: e.text, ...(e.node !== undefined && { node: e.node }), ...(e.pod !== undefined && { pod: e.pod }), ...(e.detail !== undefined && { detail: e.detail }) })),
    ...cniExecEvents(ctx.world.cluster, r.cluster),
  ]
  const diff = r.diff.map((d) => ({ netns: d.netns, added: Object.values(d.sections).flatMap((s) => s.added), removed: Object.values(d.sections).flatMap((s) => s.removed) }))
  change(ctx, title, world, events, diff)
}

function problem(ctx: RunCtx, ai: number, message: string, code: keyof typeof SCN_CODES = 'SCN004', sub: (string | number)[] = [], hint?: string): void {
  const base = { code, severity: 'error' as const, message, ...(hint !== undefined && { hint }), ...(ctx.file !== undefined && { file: ctx.file }) }
  ctx.diagnostics.push(ctx.source ? diagnosticAt(ctx.source, 0, [...ctx.pathOf(ai), ...sub], base) : base)
}

function snapshot(ctx: RunCtx, ai: number): { world: World; cluster: ClusterState } | undefined {
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
  if (want.endsWith('*')) {
    const prefix = want.slice(0, -1)
    return (o.deliveredNetns?.startsWith(prefix) ?? false) || (o.deliveredTo?.startsWith(prefix) ?? false)
  }
  return false
}

/** `-A CHAIN rule` for every rule that matched on the way (netfilter walks and rule refs). */
function matchedRules(steps: readonly TraceStep[]): string[] {
  const out: string[] = []
  for (const s of steps) {
    for (const c of s.netfilter?.chains ?? []) for (const r of c.rules) if (r.result === 'matched') out.push(`-t ${c.table} -A ${c.chain} ${r.raw}${r.action ? ` → ${r.action}` : ''}`)
    if (s.ref?.table === 'rule') out.push(`-t ${s.ref.tableName} -A ${s.ref.chain} ${s.ref.raw}`)
  }
  return out
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
    const kinds = new Set<string>(steps.map((s) => s.kind))
    for (const k of e.steps.include) check(ctx, ai, title, `steps include ${k}`, true, kinds.has(k))
    for (const k of e.steps.exclude) check(ctx, ai, title, `steps exclude ${k}`, false, kinds.has(k))
  }
  if (e.matched) {
    const rules = matchedRules(steps)
    for (const m of e.matched) check(ctx, ai, title, `matched ${m}`, true, rules.some((r) => r.includes(m)))
  }
  if (e.deliveredToAny && all) {
    const outcomes = all()
    const total = outcomes.reduce((p, x) => p + x.probability, 0)
    check(ctx, ai, title, 'probabilities sum to 1', 1, Math.round(total * 1e9) / 1e9)
    for (const want of e.deliveredToAny) check(ctx, ai, title, `reachable: ${want}`, true, outcomes.some((x) => matchesDelivery(want, x)))
  }
}

/**
 * A netns as the tools print it, one line each: `ip -d link`, `ip addr`, `ip route`,
 * `ip neigh`, `bridge fdb`, `bridge link`, sysctls, `iptables-save`, `conntrack -L`,
 * listening sockets, resolv.conf and (flannel nodes) host-local's files. `expect.state`
 * matches against these lines.
 *
 * @example
 * printNetnsState(world, world.netns.node1!).some((l) => l.includes('dev flannel.1 onlink'))
 */
export function printNetnsState(w: World, ns: Netns, now = 0): string[] {
  const lines = (t: string): string[] => t.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')
  const out = [
    ...lines(printIpLink(ns, { w, details: true })),
    ...lines(printIpAddr(ns, { w })),
    ...lines(printIpRoute(ns, { w })),
    ...lines(printIpNeigh(ns)),
    ...lines(printBridgeFdb(ns)),
    ...lines(printBridgeLink(ns, { w })),
    ...lines(printSysctls(ns)),
    ...lines(printIptablesSave(ns.netfilter)),
    ...lines(printConntrackL(ns.conntrack, now)),
    ...ns.listeners.map((l) => `LISTEN ${l.proto} ${l.addr ?? '0.0.0.0'}:${l.port} ${l.app}`),
    ...(ns.resolvConf ? lines(printResolvConf(ns.resolvConf)) : []),
  ]
  const node = w.cluster?.nodes.find((n) => n.name === ns.name)
  const ipam = node?.flannel?.ipam
  if (ipam) {
    for (const [ip, r] of Object.entries(ipam.reserved)) out.push(`${ipam.dataDir}/${ip}: ${r.containerId} ${r.ifname}`)
    if (ipam.lastReserved) out.push(`${ipam.dataDir}/last_reserved_ip.0: ${ipam.lastReserved}`)
  }
  return out
}

function netnsNamed(w: World, name: string): Netns | undefined {
  if (w.netns[name]) return w.netns[name]
  const pod = w.cluster?.pods.find((p) => `${p.namespace}/${p.name}` === name || (!name.includes('/') && p.namespace === 'default' && p.name === name))
  return pod?.netns ? w.netns[pod.netns] : pod?.hostNetwork ? w.netns[pod.node] : undefined
}

function checkState(ctx: RunCtx, ai: number, title: string, checks: readonly StateCheck[]): void {
  for (const s of checks) {
    const ns = netnsNamed(ctx.world, s.netns)
    if (s.exists !== undefined) check(ctx, ai, title, `${s.netns} exists`, s.exists, ns !== undefined)
    if (!ns) {
      if (s.contains.length > 0 || s.exists === undefined) check(ctx, ai, title, `${s.netns} exists`, true, false)
      continue
    }
    const lines = printNetnsState(ctx.world, ns, ai * 1000 + 999)
    for (const c of s.contains) check(ctx, ai, title, `${s.netns} shows "${c}"`, true, lines.some((l) => l.includes(c)))
    for (const c of s.absent) check(ctx, ai, title, `${s.netns} does not show "${c}"`, true, !lines.some((l) => l.includes(c)))
  }
}

function checkChange(ctx: RunCtx, ai: number, title: string, e: Expect | undefined, events: readonly WorldEvent[]): void {
  if (!e) return
  for (const want of e.events ?? []) check(ctx, ai, title, `event "${want}"`, true, events.some((ev) => `${ev.kind}: ${ev.text}`.includes(want)))
  if (e.exitCode !== undefined) check(ctx, ai, title, 'exitCode', e.exitCode, ctx.facts.exitCode ?? 0)
  for (const want of e.output ?? []) check(ctx, ai, title, `output "${want}"`, true, (ctx.facts.stdout ?? '').includes(want))
}

/**
 * Split a command line the way a shell would for simple quoting ('…', "…", \x).
 *
 * @example
 * splitCommandLine('iptables -m comment --comment "a b"') // ['iptables', '-m', 'comment', '--comment', 'a b']
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: '"' | "'" | undefined
  let any = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i]
      else cur += c
      continue
    }
    if (c === "'" || c === '"') {
      quote = c
      any = true
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]
      any = true
    } else if (/\s/.test(c)) {
      if (cur !== '' || any) out.push(cur)
      cur = ''
      any = false
    } else cur += c
  }
  if (cur !== '' || any) out.push(cur)
  return out
}

/** Per netns, the lines a change added and removed (links, addresses, routes, neigh, fdb, iptables rules and chains). */
function diffWorlds(before: World, after: World): NonNullable<ChangeSegment['diff']> {
  const sections = (ns: Netns | undefined): Record<string, string[]> => {
    if (!ns) return {}
    const save = printIptablesSave(ns.netfilter)
    return { ...printSections(ns, save), chains: save.split('\n').filter((l) => l.startsWith(':')) }
  }
  const out: { netns: string; added: string[]; removed: string[] }[] = []
  for (const name of new Set([...Object.keys(before.netns), ...Object.keys(after.netns)])) {
    const a = before.netns[name]
    const b = after.netns[name]
    if (a === b) continue
    const sa = sections(a)
    const sb = sections(b)
    const added: string[] = []
    const removed: string[] = []
    for (const key of new Set([...Object.keys(sa), ...Object.keys(sb)])) {
      const d = multisetDiff(sa[key] ?? [], sb[key] ?? [])
      added.push(...d.added)
      removed.push(...d.removed)
    }
    if (added.length || removed.length) out.push({ netns: name, added, removed })
  }
  return out
}

/**
 * Command lines run by the simulated shell in one netns, as a learner would type them there.
 * Each line is a change frame (the command, what it printed, its exit status, the lines it
 * changed), followed by the packets it sent as trace segments. The first failing line stops
 * the action; it is an error unless the action expects a non-zero `exitCode`. `programs`
 * restricts the lines to those tools (the `iptables` action). Returns the traces.
 */
function runCommands(ctx: RunCtx, ai: number, title: string, a: { netns: string; lines: readonly string[] }, opts: { key: 'commands' | 'iptables'; field: 'lines' | 'commands'; expectsFailure: boolean; programs?: readonly string[] }): TraceSegment[] {
  const ns = netnsNamed(ctx.world, a.netns)
  if (!ns) {
    problem(ctx, ai, `no netns called "${a.netns}"`, 'SCN004', [opts.key, 'netns'], `netns: ${Object.keys(ctx.world.netns).slice(0, 12).join(', ')}`)
    return []
  }
  for (const [ci, line] of a.lines.entries()) {
    const program = splitCommandLine(line)[0] ?? ''
    if (opts.programs && !opts.programs.includes(program)) {
      problem(ctx, ai, `only ${opts.programs[0]!} commands run here, not "${program}"`, 'SCN002', [opts.key, opts.field, ci], `start each line with \`${opts.programs[0]!}\`, or use a \`commands\` action`)
      return []
    }
  }
  let shell = createShell(ctx.world, { netns: ns.name, clock: ai * 1000 })
  const traces: TraceSegment[] = []
  let output = ''
  let exitCode = 0
  for (const [ci, line] of a.lines.entries()) {
    const before = shell.world
    const r = runLine(shell, line, { seed: (ctx.seed + ai) * 100 + ci })
    shell = r.state
    output += r.output.map((c) => c.text).join('')
    const event: WorldEvent = { kind: 'command', text: `${ns.name}# ${line}${r.exitCode ? ` → exit ${r.exitCode}` : ''}`, node: ns.node ?? ns.name, detail: { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode } }
    const segs = shellSegments(before, r, line).map((x): Segment => (x.kind === 'change' ? { ...x, title, diff: diffWorlds(x.before, x.after) } : x))
    // The command itself is one frame, also when it only printed something.
    const first = segs[0]
    if (first?.kind === 'change') segs[0] = { ...first, events: [event] }
    else segs.unshift({ kind: 'change', title, before, after: before, events: [event], diff: [] })
    ctx.segments.push(...segs)
    traces.push(...r.traces)
    if (r.exitCode !== 0) {
      exitCode = r.exitCode
      if (!opts.expectsFailure) problem(ctx, ai, `${line}: ${r.stderr.trim() || `exit ${r.exitCode}`}`, 'SCN004', [opts.key, opts.field, ci])
      break
    }
  }
  ctx.world = shell.world
  const last = traces.at(-1)
  ctx.facts = { ...ctx.facts, exitCode, stdout: output, ...(last && { outcome: last.outcome }) }
  return traces
}

function runCni(ctx: RunCtx, ai: number, title: string, a: { command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION'; pod: string; ip?: string | undefined }): void {
  const s = snapshot(ctx, ai)
  if (!s) return
  const ref = splitRef(a.pod)
  const pod = s.cluster.pods.find((p) => p.namespace === ref.namespace && p.name === ref.name)
  if (!pod) return problem(ctx, ai, `no pod ${ref.namespace}/${ref.name}`, 'SCN004', ['cni', 'pod'], `pods: ${s.cluster.pods.map((p) => `${p.namespace}/${p.name}`).slice(0, 12).join(', ')}`)
  if (pod.hostNetwork || !pod.netns) return problem(ctx, ai, `${a.pod} uses the host network: the runtime never calls CNI for it`, 'SCN004', ['cni', 'pod'])
  if (a.ip !== undefined && a.command !== 'ADD') return problem(ctx, ai, '`ip` only means something for ADD', 'SCN002', ['cni', 'ip'])
  const kctx = newCtx(s.world, s.cluster)
  let exitCode = 0
  if (a.command === 'ADD') {
    const sandbox = kctx.world.netns[pod.netns]
    if (!sandbox) return problem(ctx, ai, `the sandbox netns of ${a.pod} is gone`, 'SCN004', ['cni'])
    if (sandbox.links.some((l) => l.name === 'eth0')) return problem(ctx, ai, `${a.pod} already has eth0: the bridge plugin would fail with "container veth name provided (eth0) already exists"`, 'SCN004', ['cni'], 'run `cni: {command: DEL}` first')
    const r = cniAdd(kctx, pod, a.ip)
    if (r.ok) putPod(kctx, { ...pod, ip: r.ip, hostVeth: r.hostVeth, cniResult: r.result })
    else exitCode = 1
  } else if (a.command === 'DEL') {
    cniDel(kctx, pod)
    // The sandbox stays; its network is gone (the apiserver still lists the old podIP).
    putPod(kctx, Object.fromEntries(Object.entries(pod).filter(([k]) => k !== 'hostVeth' && k !== 'cniResult')) as unknown as PodState)
  } else if (a.command === 'CHECK') {
    exitCode = cniCheck(kctx, pod).ok ? 0 : 1
  } else {
    const node = kctx.state.nodes.find((n) => n.name === pod.node)
    const main = node ? String((JSON.parse(node.cniConf) as { plugins: { type: string }[] }).plugins[0]?.type ?? 'bridge') : 'bridge'
    cniVersionQuery(kctx, pod.node, main)
  }
  const out = finish(kctx)
  const execs = out.cluster.cniInvocations.slice(s.cluster.cniInvocations.length)
  const top = execs.filter((x) => x.parent === undefined)
  exitCode = Math.max(exitCode, ...top.map((x) => x.exitCode))
  const last = top.at(-1)
  ctx.facts = { ...ctx.facts, exitCode, stdout: last?.stdout ?? '' }
  const events: WorldEvent[] = [
    ...out.events.map((e) => ({ kind: e.kind, text: e.text, ...(e.node !== undefined && { node: e.node }), ...(e.pod !== undefined && { pod: e.pod }), ...(e.detail !== undefined && { detail: e.detail }) })),
    ...cniExecEvents(s.cluster, out.cluster),
  ]
  const diff = diffSnapshots(s, out).map((d) => ({ netns: d.netns, added: Object.values(d.sections).flatMap((x) => x.added), removed: Object.values(d.sections).flatMap((x) => x.removed) }))
  change(ctx, title, { ...out.world, cluster: out.cluster }, events, diff)
}

/** The objects of an embedded YAML text (a policy, a manifest), or the first syntax error. */
function yamlObjects(text: string): { docs: unknown[]; error?: string } {
  const docs: unknown[] = []
  for (const d of parseAllDocuments(text)) {
    const err = d.errors[0]
    if (err) return { docs, error: err.message.split('\n')[0] ?? err.message }
    const v = d.toJS() as unknown
    if (v !== null && v !== undefined) docs.push(v)
  }
  return { docs }
}

/** `kubectl apply -f -` for the kinds the cluster layer models. */
function runApply(ctx: RunCtx, ai: number, title: string, text: string): void {
  const { docs, error } = yamlObjects(text)
  if (error !== undefined) return problem(ctx, ai, `apply: cannot read the YAML: ${error}`, 'SCN002', ['apply'])
  if (docs.length === 0) return problem(ctx, ai, 'apply: no object in the YAML', 'SCN002', ['apply'])
  for (const doc of docs) {
    const s = snapshot(ctx, ai)
    if (!s) return
    const kind = (doc as { kind?: unknown }).kind
    const issues = (r: { error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): string => r.error.issues.map((i) => `${cleanPath(i.path).join('.')}: ${i.message}`).join('; ')
    if (kind === 'NetworkPolicy') {
      const r = NetworkPolicySchema.safeParse(doc)
      if (!r.success) return problem(ctx, ai, `apply: not a valid NetworkPolicy: ${issues(r)}`, 'SCN002', ['apply'])
      opResult(ctx, title, applyPolicy(s, r.data), ai)
    } else if (kind === 'Deployment') {
      const r = DeploymentSchema.safeParse(doc)
      if (!r.success) return problem(ctx, ai, `apply: not a valid Deployment: ${issues(r)}`, 'SCN002', ['apply'])
      opResult(ctx, title, createDeployment(s, r.data), ai)
    } else if (kind === 'Pod') {
      const r = PodSchema.safeParse(doc)
      if (!r.success) return problem(ctx, ai, `apply: not a valid Pod: ${issues(r)}`, 'SCN002', ['apply'])
      const p = r.data
      opResult(ctx, title, runPod(s, { namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, labels: p.metadata.labels ?? {}, hostNetwork: p.spec.hostNetwork, containers: p.spec.containers, ...(p.spec.nodeName !== undefined && { nodeName: p.spec.nodeName }) }), ai)
    } else if (kind === 'Service') {
      const r = ServiceSchema.safeParse(doc)
      if (!r.success) return problem(ctx, ai, `apply: not a valid Service: ${issues(r)}`, 'SCN002', ['apply'])
      const svc = { ...r.data, metadata: { ...r.data.metadata, namespace: r.data.metadata.namespace ?? 'default' } }
      const key = svcKey(svc)
      const old = s.cluster.services.find((x) => svcKey(x) === key)
      // apply keeps what the apiserver allocated when the new manifest leaves it out.
      const merged = old
        ? { ...svc, spec: { ...svc.spec, clusterIP: svc.spec.clusterIP ?? old.spec.clusterIP, ports: svc.spec.ports.map((p) => ({ ...p, ...(p.nodePort === undefined && old.spec.ports.find((o) => o.port === p.port)?.nodePort !== undefined && { nodePort: old.spec.ports.find((o) => o.port === p.port)!.nodePort }) })) } }
        : svc
      const kctx = newCtx(s.world, s.cluster)
      // Replacing, not adding: the old object must not hold its own ClusterIP and NodePorts.
      kctx.state.services = kctx.state.services.filter((x) => svcKey(x) !== key)
      const done = addService(kctx, merged)
      kctx.events.push({ kind: 'Service', text: `kubectl apply: Service ${key} ${old ? 'configured' : 'created'} (${done.spec.type}, ClusterIP ${done.spec.clusterIP ?? ''}${done.spec.externalTrafficPolicy ? `, externalTrafficPolicy ${done.spec.externalTrafficPolicy}` : ''})` })
      syncCluster(kctx)
      const out = finish(kctx)
      opResult(ctx, title, { ...out, diff: diffSnapshots(s, out) }, ai)
    } else return problem(ctx, ai, `apply: kind ${JSON.stringify(kind)} is not simulated`, 'SCN002', ['apply'], 'apply takes Service, Deployment, Pod and NetworkPolicy objects')
  }
}

function containerPorts(ports: readonly (number | string | { name?: string | undefined; containerPort: number; protocol: 'TCP' | 'UDP' })[]): { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' }[] {
  return ports.map((p) => {
    if (typeof p === 'number') return { containerPort: p, protocol: 'TCP' as const }
    if (typeof p === 'string') {
      const [n, proto] = p.split('/') as [string, string]
      return { containerPort: Number(n), protocol: proto.toUpperCase() === 'UDP' ? ('UDP' as const) : ('TCP' as const) }
    }
    return { ...(p.name !== undefined && { name: p.name }), containerPort: p.containerPort, protocol: p.protocol }
  })
}

function runAction(ctx: RunCtx, a: Action, ai: number, expect: Expect | undefined): void {
  const title = a.title
  ctx.facts = {}
  const segs0 = ctx.segments.length
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
      ctx.facts = { outcome: seg.outcome }
      if (expect) {
        checkOutcome(ctx, ai, title, expect, seg.outcome, seg.steps, () => traceWorldAll(seg.before, send, { seed, now: ai * 1000 }))
        if (expect.state) checkState(ctx, ai, title, expect.state)
      }
      return
    }
    if ('lookup' in a || 'connect' in a) {
      const spec = 'lookup' in a ? { from: a.lookup.from, name: a.lookup.name, type: a.lookup.type } : { from: a.connect.from, name: a.connect.name, type: 'A' as const }
      const r = lookup(ctx.world, spec.from, spec.name, { type: spec.type, seed: ctx.seed + ai, now: ai * 1000 })
      r.segments.forEach((s) => ctx.segments.push(s))
      ctx.world = r.world
      ctx.facts = { lookup: { ...(r.answer !== undefined && { answer: r.answer }), rcode: r.rcode, queries: r.queries }, ...(r.segments.at(-1) && { outcome: r.segments.at(-1)!.outcome }) }
      if (expect?.queries) check(ctx, ai, title, 'queries', expect.queries, r.queries)
      if (expect?.answer !== undefined) check(ctx, ai, title, 'answer', expect.answer, r.answer ?? r.rcode)
      if ('connect' in a) {
        if (!r.answer) return problem(ctx, ai, `${a.connect.name} did not resolve (${r.rcode}); nothing to connect to`)
        const send: SendSpec = { from: resolveSource(ctx.world, a.connect.from), to: r.answer, proto: a.connect.proto, dport: a.connect.port, roundTrip: true }
        const seg = traceSegment(ctx.world, send, { title: `${title}: connect to ${r.answer}:${a.connect.port}`, seed: ctx.seed + ai + 100, now: ai * 1000 + 500 })
        ctx.segments.push(seg)
        ctx.world = seg.after
        ctx.facts = { ...ctx.facts, outcome: seg.outcome }
        if (expect) checkOutcome(ctx, ai, title, { ...expect, queries: undefined, answer: undefined }, seg.outcome, seg.steps)
      } else {
        // The last query's packet: its verdict, drop reason and rules (why a lookup failed).
        const last = r.segments.at(-1)
        if (expect && last) checkOutcome(ctx, ai, title, { ...expect, queries: undefined, answer: undefined, deliveredToAny: undefined }, last.outcome, last.steps)
      }
      if (expect?.state) checkState(ctx, ai, title, expect.state)
      return
    }
    if ('sysctl' in a) {
      const key = a.sysctl.key as keyof Sysctls
      const value = key === 'net.ipv4.conf.all.rp_filter' ? (Number(a.sysctl.value) as 0 | 1 | 2) : a.sysctl.value === true || a.sysctl.value === 1
      const netns = netnsNamed(ctx.world, a.sysctl.netns)?.name ?? a.sysctl.netns
      const after = setSysctl(ctx.world, netns, key, value)
      const events = [{ kind: 'sysctl', text: `${netns}# sysctl -w ${a.sysctl.key}=${Number(value)}` }]
      change(ctx, title, after, events)
      checkChange(ctx, ai, title, expect, events)
      if (expect?.state) checkState(ctx, ai, title, expect.state)
      return
    }
    if ('note' in a) {
      change(ctx, title, ctx.world, [{ kind: 'note', text: a.note }])
      if (expect?.state) checkState(ctx, ai, title, expect.state)
      return
    }
    const expectsFailure = expect?.exitCode !== undefined && expect.exitCode !== 0
    if ('iptables' in a) runCommands(ctx, ai, title, { netns: a.iptables.netns, lines: a.iptables.commands }, { key: 'iptables', field: 'commands', expectsFailure, programs: ['iptables', 'iptables-legacy'] })
    else if ('commands' in a) {
      const last = runCommands(ctx, ai, title, a.commands, { key: 'commands', field: 'lines', expectsFailure }).at(-1)
      // Packet expectations (verdict, dnat, steps…) are about the last packet the commands sent.
      if (expect && last) checkOutcome(ctx, ai, title, expect, last.outcome, last.steps)
      else if (expect?.verdict !== undefined) check(ctx, ai, title, 'verdict', expect.verdict, 'no packet sent', false)
    } else if ('cni' in a) runCni(ctx, ai, title, a.cni)
    else if ('apply' in a) runApply(ctx, ai, title, a.apply)
    else {
      const s = snapshot(ctx, ai)
      if (!s) return
      if ('scale' in a) opResult(ctx, title, scaleDeployment(s, splitRef(a.scale.deployment), a.scale.replicas), ai)
      else if ('startPod' in a) {
        const ref = splitRef(a.startPod.pod)
        const containers = a.startPod.containers?.map((c) => ({ name: c.name, image: c.image, ports: containerPorts(c.ports) })) ?? [{ name: ref.name, image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' as const }] }]
        opResult(ctx, title, runPod(s, { namespace: ref.namespace, name: ref.name, labels: a.startPod.labels ?? { run: ref.name }, hostNetwork: false, containers, ...(a.startPod.node !== undefined && { nodeName: a.startPod.node }), ...(a.startPod.ip !== undefined && { requestedIp: a.startPod.ip }) }), ai)
      } else if ('deletePod' in a) opResult(ctx, title, deletePod(s, splitRef(a.deletePod.pod)), ai)
      else if ('applyPolicy' in a) {
        const { docs, error } = yamlObjects(a.applyPolicy)
        if (error !== undefined) return problem(ctx, ai, `applyPolicy: cannot read the YAML: ${error}`, 'SCN002', ['applyPolicy'])
        const parsed = NetworkPolicySchema.safeParse(docs[0])
        if (!parsed.success) return problem(ctx, ai, `applyPolicy: not a NetworkPolicy: ${parsed.error.issues.map((i) => `${cleanPath(i.path).join('.')}: ${i.message}`).join('; ')}`, 'SCN002', ['applyPolicy'])
        opResult(ctx, title, applyPolicy(s, parsed.data), ai)
      } else if ('deletePolicy' in a) opResult(ctx, title, deletePolicy(s, splitRef(a.deletePolicy.name)), ai)
    }
    const made = ctx.segments.slice(segs0)
    if (made.length === 0) return
    checkChange(ctx, ai, title, expect, made.flatMap((x) => (x.kind === 'change' ? x.events : [])))
    if (expect?.state) checkState(ctx, ai, title, expect.state)
  } catch (e) {
    if (e instanceof NameError || e instanceof NetError) return problem(ctx, ai, e.message)
    throw e
  }
}

// ---------------------------------------------------------------------------------------
// {{placeholders}} in narration, checkpoints and notes.

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g

/** The value of one placeholder, or undefined when it names nothing. */
function placeholderValue(expr: string, before: World, after: World, facts: ActionFacts): string | undefined {
  const cluster = after.cluster ?? before.cluster
  const m = /^(pod|svc|node|netns):([^.]+)\.(.+)$/.exec(expr)
  if (m) {
    const [, what, ref, field] = m as unknown as [string, string, string, string]
    if (what === 'pod') {
      const { namespace, name } = splitRef(ref)
      const p = after.cluster?.pods.find((x) => x.namespace === namespace && x.name === name) ?? before.cluster?.pods.find((x) => x.namespace === namespace && x.name === name)
      if (!p || !cluster) return undefined
      if (field.startsWith('container.')) return p.containers.find((c) => c.name === field.slice('container.'.length))?.id.slice(0, 13)
      const values: Record<string, string | number | undefined> = { ip: p.ip, node: p.node, sandboxId: p.sandboxId, sandbox: p.sandboxId.slice(0, 13), pausePid: p.pausePid, pauseImage: cluster.config.pauseImage, netnsPath: p.netnsPath, hostVeth: p.hostVeth, uid: p.uid, netns: p.netns, containers: p.containers.map((c) => c.name).join(', ') }
      const v = values[field]
      return v === undefined ? undefined : String(v)
    }
    if (what === 'svc') {
      const { namespace, name } = splitRef(ref)
      const s = cluster?.services.find((x) => (x.metadata.namespace ?? 'default') === namespace && x.metadata.name === name)
      if (!s || !cluster) return undefined
      const eps = readyEndpoints(cluster, s).map((e) => e.ip)
      const values: Record<string, string | number | undefined> = { clusterIP: s.spec.clusterIP, port: s.spec.ports[0]?.port, nodePort: s.spec.ports[0]?.nodePort, type: s.spec.type, endpoints: eps.join(', '), endpointCount: eps.length }
      const v = values[field]
      return v === undefined ? undefined : String(v)
    }
    if (what === 'node') {
      const n = cluster?.nodes.find((x) => x.name === ref)
      if (!n) return undefined
      const values: Record<string, string | undefined> = { ip: n.ip, podCIDR: n.podCIDR, vtepMac: n.flannel?.vtepMac, cniConfFile: n.cniConfFile }
      return values[field]
    }
    const ns = netnsNamed(after, ref) ?? netnsNamed(before, ref)
    const link = ns?.links.find((l) => l.kind !== 'loopback' && (l.addrs.length > 0 || l.kind === 'veth'))
    if (field === 'ip') return link?.addrs[0]?.ip
    if (field === 'mac') return link?.mac
    return undefined
  }
  if (expr.startsWith('outcome.')) {
    const o = facts.outcome
    if (!o) return undefined
    const values: Record<string, string | null | undefined> = { verdict: o.verdict, deliveredTo: o.deliveredTo, deliveredNetns: o.deliveredNetns, dnat: o.dnat, snat: o.snat, dropReason: o.dropReason }
    const v = values[expr.slice('outcome.'.length)]
    return v === null || v === undefined ? undefined : v
  }
  if (expr === 'answer') return facts.lookup?.answer
  if (expr === 'rcode') return facts.lookup?.rcode
  if (expr === 'queries') return facts.lookup?.queries.join(', ')
  if (expr === 'exitCode') return facts.exitCode !== undefined ? String(facts.exitCode) : undefined
  return undefined
}

function interpolate(text: string, before: World, after: World, facts: ActionFacts, missing: string[]): string {
  return text.replace(PLACEHOLDER, (whole, expr: string) => {
    const v = placeholderValue(expr, before, after, facts)
    if (v === undefined) {
      missing.push(whole)
      return whole
    }
    return v
  })
}

const PLACEHOLDER_HINT = 'placeholders: {{pod:NS/NAME.ip|node|sandbox|sandboxId|pausePid|pauseImage|netnsPath|hostVeth|uid|containers|container.NAME}}, {{svc:NS/NAME.clusterIP|port|nodePort|endpoints|endpointCount}}, {{node:NAME.ip|podCIDR|vtepMac}}, {{netns:NAME.ip|mac}}, {{outcome.verdict|deliveredTo|dnat|snat|dropReason}}, {{answer}}, {{rcode}}, {{queries}}, {{exitCode}}'

/** Is a narration/checkpoint shown under the active what-ifs? */
function shown(when: readonly string[] | undefined, active: readonly string[]): boolean {
  if (!when) return true
  return when.some((id) => (id === 'default' ? active.length === 0 : active.includes(id)))
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
  const toggles: WhatIf[] = scn.whatIfs.filter((w) => opts.whatIfs?.includes(w.id))
  const active = toggles.map((t) => t.id)
  for (const id of opts.whatIfs ?? []) if (!scn.whatIfs.some((w) => w.id === id)) diagnostics.push({ code: 'SCN004', severity: 'error', message: `no what-if called "${id}" (have: ${scn.whatIfs.map((w) => w.id).join(', ') || 'none'})` })
  const where = { ...(io.file !== undefined && { file: io.file }) }
  const at = (path: YamlPath): { line?: number; col?: number; text?: string } => {
    if (!io.source) return {}
    const pos = io.source.locate(0, path)
    return pos ? { line: pos.line, col: pos.col, text: io.source.lineText(pos.line) } : {}
  }

  let world: World | undefined
  const worldToggle = toggles.findIndex((t) => (scn.world !== undefined ? t.world : t.cluster) !== undefined)
  const ref = worldToggle >= 0 ? (scn.world !== undefined ? toggles[worldToggle]!.world! : toggles[worldToggle]!.cluster!) : (scn.world ?? scn.cluster!)
  const refPath: YamlPath = worldToggle >= 0 ? ['whatIfs', scn.whatIfs.indexOf(toggles[worldToggle]!), scn.world !== undefined ? 'world' : 'cluster'] : [scn.world !== undefined ? 'world' : 'cluster']
  const text = io.readFile(ref)
  if (text === undefined) diagnostics.push({ code: 'SCN003', severity: 'error', message: `cannot read ${scn.world !== undefined ? 'world' : 'cluster'} file ${ref}`, hint: 'paths are relative to the scenario file', ...where, ...at(refPath) })
  else if (scn.world !== undefined) {
    const r = loadWorldFile(text, { file: ref })
    diagnostics.push(...r.diagnostics)
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
  const empty: ScenarioRun = { scenario: scn, timeline: { segments: [] }, start: { netns: {}, segments: {}, nodes: [] }, notes: [], checkpoints: [], spans: [], results: [], diagnostics, whatIfs: active, setup: [] }
  if (!world || diagnostics.some((d) => d.severity === 'error')) return empty
  for (const t of toggles) {
    for (const [si, s] of t.sysctl.entries()) {
      const ns = netnsNamed(world, s.netns)
      if (!ns) {
        diagnostics.push({ code: 'SCN004', severity: 'error', message: `what-if ${t.id}: no netns called "${s.netns}"`, ...where, ...at(['whatIfs', scn.whatIfs.indexOf(t), 'sysctl', si, 'netns']) })
        continue
      }
      world = setSysctl(world, ns.name, s.key as keyof Sysctls, s.key === 'net.ipv4.conf.all.rp_filter' ? (Number(s.value) as 0 | 1 | 2) : s.value === true || s.value === 1)
    }
  }

  // Setup actions of the active what-ifs: they change the starting world; their frames are dropped.
  const setupEvents: WorldEvent[] = []
  for (const t of toggles) {
    const wi = scn.whatIfs.indexOf(t)
    const sctx: RunCtx = { world, segments: [], diagnostics, results: [], seed, facts: {}, pathOf: (si) => ['whatIfs', wi, 'setup', si], ...(io.file !== undefined && { file: io.file }), ...(io.source && { source: io.source }) }
    t.setup.forEach((a, si) => runAction(sctx, a, si, undefined))
    for (const s of sctx.segments) if (s.kind === 'change') setupEvents.push(...s.events)
    world = sctx.world
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ...empty, setup: setupEvents }

  const ctx: RunCtx = { world, segments: [], diagnostics, results: [], seed, facts: {}, pathOf: (ai) => ['actions', ai], ...(io.file !== undefined && { file: io.file }), ...(io.source && { source: io.source }) }
  const notes: FrameNote[] = []
  const checkpoints: FrameCheckpoint[] = []
  const spans: ActionSpan[] = []
  scn.actions.forEach((a, ai) => {
    const firstSeg = ctx.segments.length
    const firstFrame = frameCount({ segments: ctx.segments })
    const before = ctx.world
    const override = toggles.map((t) => t.expect[String(ai)]).find((x) => x !== undefined)
    runAction(ctx, a, ai, override ?? a.expect)
    const segs = ctx.segments.slice(firstSeg)
    const lastFrame = frameCount({ segments: ctx.segments }) - 1
    if (segs.length === 0) return
    spans.push({ action: ai, title: a.title, firstFrame, lastFrame })
    // One entry per frame: trace steps, and a placeholder for a change frame.
    const placeholder: TraceStep = { kind: 'note', flow: 'request', netns: '', packet: { headers: [] }, explain: '', t: 0 }
    const traceSteps: TraceStep[] = segs.flatMap((s) => (s.kind === 'trace' && s.steps.length ? [...s.steps] : [placeholder]))
    const place = (anchor: StepAnchor, path: (string | number)[]): number | undefined => {
      const i = resolveAnchor(traceSteps, anchor)
      if (i === undefined) {
        problem(ctx, ai, `no step matches ${JSON.stringify(anchor)} in "${a.title}"${active.length ? ` (what-if: ${active.join(', ')})` : ''}`, 'SCN005', path, active.length ? 'if the step only exists without this what-if, add `when: [default]` to the entry' : undefined)
        return undefined
      }
      return firstFrame + i
    }
    const text = (t: string, path: (string | number)[]): string => {
      const missing: string[] = []
      const out = interpolate(t, before, ctx.world, ctx.facts, missing)
      for (const m of missing) problem(ctx, ai, `${m} names nothing here`, 'SCN006', path, PLACEHOLDER_HINT)
      return out
    }
    if ('note' in a) {
      const seg = segs[0]
      if (seg?.kind === 'change') {
        const missing: string[] = []
        const note = interpolate(a.note, before, ctx.world, ctx.facts, missing)
        for (const m of missing) problem(ctx, ai, `${m} names nothing here`, 'SCN006', ['note'], PLACEHOLDER_HINT)
        ctx.segments[firstSeg] = { ...seg, events: [{ kind: 'note', text: note }] }
      }
    }
    a.narration.forEach((n, ni) => {
      if (!shown(n.when, active)) return
      const f = place(n.at, ['narration', ni, 'at'])
      if (f !== undefined) notes.push({ frame: f, action: ai, text: text(n.text, ['narration', ni, 'text']) })
    })
    a.checkpoints.forEach((c, ci) => {
      if (!shown(c.when, active)) return
      const f = place(c.at, ['checkpoints', ci, 'at'])
      if (f !== undefined) checkpoints.push({ frame: f, action: ai, question: text(c.question, ['checkpoints', ci, 'question']), choices: c.choices.map((x, k) => text(x, ['checkpoints', ci, 'choices', k])), answer: c.answer, explain: text(c.explain, ['checkpoints', ci, 'explain']) })
    })
  })
  return { scenario: scn, timeline: { segments: ctx.segments }, start: world, notes, checkpoints, spans, results: ctx.results, diagnostics, whatIfs: active, setup: setupEvents }
}

export type { TraceSegment }
