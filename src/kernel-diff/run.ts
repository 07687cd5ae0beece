/**
 * The differential test: build each world on the real kernel with the exported script, run
 * its probes there, trace the same probes with the engine, and compare what the sender saw.
 *
 *   tsx src/kernel-diff/run.ts [--json=PATH] [--only=TEXT] [--seed=N] [--random=N]
 *                              [--concurrency=N] [--keep] [--verbose] [--strict] [--list]
 *
 * --only=TEXT keeps the worlds whose name contains TEXT (a merged world's name lists every
 * case in it); --list prints the worlds and their probes and builds nothing.
 *
 * Writes `{ "passed": N, "failed": N, "known": N, "skippedWorlds": N, "skippedProbes": N,
 * "skipReasons": {reason: count}, "problems": […], … }` to --json (known: differences listed in
 * KNOWN, engine gaps already understood; --strict counts them as failures; problems: a world,
 * cluster or scenario that cannot be loaded or probed, each one a failure), or
 * `{ "skipped": "<reason>" }` when this machine cannot build network namespaces (not root, no
 * iproute2…), and says so loudly. Nothing is left out silently: a world or probe this machine
 * cannot run, or a scenario action the kernel cannot be asked about, is counted as skipped
 * with its reason.
 * Every namespace carries a prefix unique to this run; `down` runs in a finally.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportScript, netnsNames } from '../engine/export/script.ts'
import { formatProbe } from '../engine/export/probe.ts'
import type { World } from '../engine/model/types.ts'
import { simulate } from '../engine/sim/simulate.ts'
import { lookup } from '../engine/session.ts'
import type { SimResult } from '../engine/sim/simulate.ts'
import { renderOutcome, renderTrace } from '../engine/sim/render.ts'
import { clusterCases, dnsFor, mergeSameWorlds, randomCases, scenarioCases, testClusterCases, testWorldCases, worldFileCases } from './cases.ts'
import { enumerateOutcomes } from '../engine/netfilter/enumerate.ts'
import type { DiffCase } from './cases.ts'
import { checkKernel, runScript } from './kernel.ts'
import type { Capabilities } from './kernel.ts'
import { compareObservations, engineConntrackEntries, formatObservation, observationKey, observeEngine, parseConntrackEntries, parseProbeLines } from './observe.ts'
import type { Observation } from './observe.ts'
import { onHost, probeToSend } from './probes.ts'
import type { CaseProbe } from './probes.ts'

const root = new URL('../..', import.meta.url).pathname

interface Args {
  json?: string
  only?: string
  seed: number
  random: number
  concurrency: number
  keep: boolean
  verbose: boolean
  strict: boolean
  list: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seed: 20261126, random: 12, concurrency: 4, keep: false, verbose: false, strict: false, list: false }
  for (const arg of argv) {
    const [k, v] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, '']
    if (k === '--json') a.json = v
    else if (k === '--only') a.only = v
    else if (k === '--seed') a.seed = Number(v)
    else if (k === '--random') a.random = Number(v)
    else if (k === '--concurrency') a.concurrency = Math.max(1, Number(v))
    else if (k === '--keep') a.keep = true
    else if (k === '--verbose') a.verbose = true
    else if (k === '--strict') a.strict = true
    else if (k === '--list') a.list = true
    else throw new Error(`unknown option ${arg}`)
  }
  return a
}

interface EngineAnswer {
  readonly obs: Observation
  readonly r?: SimResult
  /** For multi probes: each distinct outcome (observationKey) and its probability. */
  readonly keys?: ReadonlyMap<string, number>
  /** How many times the kernel side runs the probe. */
  readonly tries: number
}

export interface ProbeReport {
  readonly probe: string
  readonly ok: boolean
  readonly kernel: Observation
  readonly engine: Observation
  readonly diffs: readonly string[]
  /** The engine's rendered trace, kept for mismatches only. */
  readonly trace?: string
  /** A difference already understood (an engine gap with an owner), and why. */
  readonly known?: string
  /** Not asked: why (a tool this machine lacks). Counted apart, neither passed nor failed. */
  readonly skipped?: string
}

/**
 * Differences already understood: each names the engine gap and where it lives. They are
 * printed loudly and counted apart (`known`), and `--strict` counts them as failures. Remove
 * an entry once the engine is fixed (the run says when an entry no longer matches anything).
 */
const KNOWN: readonly { readonly id: string; readonly why: string; readonly matches: (p: CaseProbe, kernel: Observation, engine: Observation, r: SimResult) => boolean }[] = [
  // None at the moment. An entry looks like:
  // { id: 'icmp-error-after-masquerade', why: 'what Linux does, what the engine does, which file',
  //   matches: (p, kernel, engine, r) => p.kind === 'ping' && kernel.status === 'icmp-error' && engine.status === 'timeout' },
]

export interface CaseReport {
  readonly name: string
  readonly origin: string
  readonly error?: string
  readonly skipped?: string
  /** For a skipped world: how many probes it had. */
  readonly skippedProbes?: number
  readonly probes: readonly ProbeReport[]
  readonly seconds: number
}

/** What a case needs from the kernel that this machine lacks, if anything. */
function unsupported(w: World, caps: Capabilities): string | undefined {
  const kinds = new Set(Object.values(w.netns).flatMap((n) => n.links.map((l) => l.kind)))
  if (kinds.has('vxlan') && !caps.vxlan) return 'this kernel cannot create VXLAN devices'
  if (kinds.has('ipip') && !caps.ipip) return 'this kernel has no ipip module (IP-in-IP tunnels)'
  const rules = Object.values(w.netns).some((n) => Object.keys(n.netfilter.tables).length > 0)
  if (rules && !caps.iptables) return 'iptables-restore is not installed'
  if (Object.values(w.netns).some((n) => n.listeners.some((l) => l.dns)) && !caps.dnsmasq) return 'dnsmasq is not installed (the DNS stand-in)'
  if (Object.values(w.netns).some((n) => n.listeners.some((l) => l.proto === 'udp' && !l.dns)) && !caps.perl) return 'perl is not installed (the UDP echo stand-in)'
  return undefined
}

/** Scripts whose `up` ran and whose `down` has not: torn down on SIGINT/SIGTERM too. */
const live = new Set<string>()

function downOnSignal(signal: NodeJS.Signals): void {
  process.on(signal, () => {
    console.error(`\nkernel-diff: ${signal}: removing ${live.size} world(s) before exiting`)
    for (const path of live) spawnSync('bash', [path, 'down'], { stdio: 'ignore', timeout: 30_000 })
    process.exit(130)
  })
}

/** Probes this machine cannot ask, each with the reason. */
function unaskable(c: DiffCase, caps: Capabilities): ProbeReport[] {
  const none: Observation = { status: 'not asked' }
  return c.probes.filter((p) => p.kind === 'conntrack' && !caps.conntrack).map((p) => ({ probe: formatProbe(p), ok: false, kernel: none, engine: none, diffs: [], skipped: 'the conntrack tool is not installed (Debian: apt-get install conntrack)' }))
}

async function runCase(c0: DiffCase, prefix: string, dir: string, caps: Capabilities, args: Args): Promise<CaseReport> {
  // Without the conntrack tool there is no `conntrack -L` to compare with: those probes are skipped, and said so.
  const notAsked = unaskable(c0, caps)
  const c = caps.conntrack ? c0 : { ...c0, probes: c0.probes.filter((p) => p.kind !== 'conntrack') }
  const started = performance.now()
  const seconds = () => Math.round((performance.now() - started) / 100) / 10
  const why = unsupported(c.world, caps)
  if (why) return { name: c.name, origin: c.origin, skipped: why, probes: [], seconds: 0, skippedProbes: c0.probes.length }
  const path = join(dir, `${prefix}.sh`)
  writeFileSync(path, exportScript(c.world, { prefix, title: c.name, ...(c.dnsRecords && { dnsRecords: c.dnsRecords }) }))
  live.add(path)
  try {
    const up = await runScript(path, ['up'])
    if (up.code !== 0) return { name: c.name, origin: c.origin, error: `up failed (exit ${up.code}): ${up.stderr.trim().split('\n').slice(-4).join(' | ')}`, probes: [], seconds: seconds() }
    // The engine answers first, in order, carrying its state (ARP, FDB, conntrack) along.
    let world = c.world
    const dns = dnsFor(c)
    // Simulated time follows the kernel's roughly: a probe that waits for nothing takes ~1 s.
    let now = 0
    const maybeMissing = new Set<string>()
    const engine: EngineAnswer[] = c.probes.map((p, i) => {
      const answer = answerProbe(p, i)
      now += answer.tries * (/timeout/.test(answer.obs.status) || [...(answer.keys?.keys() ?? [])].some((k) => k.startsWith('timeout')) ? 1050 : 60) + (answer.r && routeErrorExpected(answer.r) ? 1100 : 0)
      return answer
    })
    function answerProbe(p: CaseProbe, i: number): EngineAnswer {
      if (p.kind === 'conntrack') {
        const entries = (world.netns[p.netns]?.conntrack ?? []).filter((e) => e.expires > now)
        return { obs: { status: 'ok', entries: engineConntrackEntries(entries).join(';') }, tries: 1 }
      }
      if (p.kind === 'resolve') {
        // The resolver's queries in order (search list, ndots), as the engine's lookup asks them.
        const r = lookup(world, p.from, p.name, { seed: 1000 + i, now })
        world = r.world
        return { obs: r.answer ? { status: 'answer', answers: r.answer } : { status: 'no-answer', detail: `${r.rcode}: ${r.explain}` }, tries: 1 }
      }
      const send = probeToSend(p)
      if (!send) return { obs: observeEngine(p, world, undefined), tries: 1 }
      const opts = { seed: 1000 + i, now, dns }
      if (!p.multi) {
        const r = simulate(world, send, opts)
        world = r.world
        return { obs: observeEngine(p, world, r), r, tries: 1 }
      }
      // Every outcome the random choices allow, with its probability.
      const runs = enumerateOutcomes((decide) => simulate(world, send, { ...opts, decide }), { maxRuns: 64 })
      const keys = new Map<string, number>()
      for (const run of runs) {
        const k = observationKey(p.kind, observeEngine(p, run.result.world, run.result))
        keys.set(k, (keys.get(k) ?? 0) + run.probability)
      }
      const first = runs[0]!.result
      // Carry the first outcome's state, with the conntrack entries of every outcome (the kernel
      // side tries until it has seen them all).
      world = withConntrackOf(first.world, runs.map((x) => x.result.world))
      // Outcomes the probe cannot tell apart get no extra tries, yet may leave different entries
      // (a SYN to a local backend dropped before confirm leaves none, one sent to a remote
      // backend leaves SYN_SENT): an entry only some outcomes make may be missing on the kernel.
      if (keys.size === 1 && runs.length > 1) {
        const made = runs.map((x) => new Set(Object.values(x.result.world.netns).flatMap((n) => engineConntrackEntries(n.conntrack))))
        for (const e of new Set(made.flatMap((m) => [...m]))) if (!made.every((m) => m.has(e))) maybeMissing.add(e)
      }
      // Enough tries that missing an outcome by chance is below one in a million (at most 48):
      // at 1 in 1000 per probe, a run with dozens of load-balanced probes failed now and then.
      const pmin = Math.min(...keys.values())
      const tries = keys.size > 1 ? Math.min(48, Math.ceil(Math.log(1e-6 / keys.size) / Math.log(1 - pmin))) : 3
      return { obs: observeEngine(p, first.world, first), r: first, keys, tries }
    }
    // Route errors (no route, unreachable/prohibit routes) go through ip_error, which allows
    // one ICMP per second per sender: pause before each one the engine expects.
    const names = netnsNames(c.world)
    const model = new Map([...names].map(([m, k]) => [k, m]))
    const specs = c.probes.map((p) => formatProbe(onHost(p, names)))
    const plan: string[] = []
    c.probes.forEach((_, i) => {
      const { r, tries } = engine[i]!
      if (r && routeErrorExpected(r)) plan.push(formatProbe({ kind: 'pause', seconds: 1.1 }))
      for (let t = 0; t < tries; t++) plan.push(specs[i]!)
    })
    const out = await runScript(path, ['probe', ...plan], 60_000 + plan.length * 15_000)
    const lines = parseProbeLines(out.stdout)
    const reports: ProbeReport[] = c.probes.map((p, i) => {
      const spec = specs[i]!
      // The stand-ins name their netns as it is called on the host; compare with the model's name.
      const seen = lines.filter((l) => l.spec === spec).map((l) => (l.obs['served-by'] !== undefined ? { ...l.obs, 'served-by': model.get(l.obs['served-by']) ?? l.obs['served-by'] } : l.obs))
      const kernel = seen[0] ?? { status: 'no-answer', detail: out.stderr.trim().slice(-200) }
      const { obs, r, keys } = engine[i]!
      const trace = r && `${renderTrace(r.steps, { minor: false })}\n== ${renderOutcome({ ...r.outcome, probability: 1 })}`
      if (p.kind === 'conntrack') {
        const k = parseConntrackEntries(kernel.entries ?? '')
        const e = (obs.entries ?? '').split(';').filter(Boolean)
        const diffs = [...k.filter((x) => !e.includes(x)).map((x) => `only the kernel has: ${x}`), ...e.filter((x) => !k.includes(x) && !maybeMissing.has(x)).map((x) => `only the engine has: ${x}`)]
        return { probe: spec, ok: diffs.length === 0, kernel: { status: 'ok', entries: k.join('; ') }, engine: { status: 'ok', entries: e.join('; ') }, diffs }
      }
      if (keys) {
        // Compare the sets of outcomes: every one the engine allows was seen, and nothing else.
        const got = [...new Set(seen.map((o) => observationKey(p.kind, o)))].sort()
        const want = [...keys.keys()].sort()
        const diffs = [...got.filter((x) => !keys.has(x)).map((x) => `only the kernel: ${x}`), ...want.filter((x) => !got.includes(x)).map((x) => `only the engine (p=${keys.get(x)!.toFixed(3)}): ${x}`)]
        const show = (xs: readonly string[]): Observation => ({ status: `${xs.length} outcome(s)`, seen: xs.join(' | ') })
        return { probe: `${spec} ×${seen.length}`, ok: diffs.length === 0, kernel: show(got), engine: show(want), diffs, ...(diffs.length > 0 && trace && { trace }) }
      }
      const cmp = compareObservations(p, kernel, obs)
      const known = cmp.ok || !r ? undefined : KNOWN.find((k) => k.matches(p, kernel, obs, r))?.why
      return { probe: spec, ok: cmp.ok, kernel, engine: obs, diffs: cmp.diffs, ...(!cmp.ok && trace && { trace }), ...(known && { known }) }
    })
    return { name: c.name, origin: c.origin, probes: [...reports, ...notAsked], seconds: seconds() }
  } finally {
    if (!args.keep) {
      const down = await runScript(path, ['down'])
      if (down.code !== 0) console.error(`kernel-diff: down failed for ${c.name} (prefix ${prefix}): ${down.stderr.trim()}`)
      live.delete(path)
    }
  }
}

function withConntrackOf(w: World, all: readonly World[]): World {
  const netns = { ...w.netns }
  for (const [name, n] of Object.entries(netns)) {
    const seen = new Set<string>()
    const conntrack = all.flatMap((x) => x.netns[name]?.conntrack ?? []).filter((e) => {
      const k = JSON.stringify([e.orig, e.reply])
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
    netns[name] = { ...n, conntrack }
  }
  return { ...w, netns }
}

/** Does the trace have a router answer with an ICMP error from its routing decision (ip_error)? */
function routeErrorExpected(r: SimResult): boolean {
  return r.steps.some((s) => s.kind === 'drop' && /ICMP net unreachable to the sender|discarded with an ICMP error to the sender/.test(s.explain))
}

/** Two columns: what the kernel saw on the left, the engine on the right. */
export function sideBySide(left: readonly string[], right: readonly string[], width = 58): string {
  const rows = Math.max(left.length, right.length)
  const out: string[] = []
  for (let i = 0; i < rows; i++) {
    const l = left[i] ?? ''
    out.push(`    ${l.length > width ? `${l.slice(0, width - 1)}…` : l.padEnd(width)} │ ${right[i] ?? ''}`)
  }
  return out.join('\n')
}

function printMismatch(c: CaseReport, p: ProbeReport): void {
  console.log(`\n  ✗ ${c.name}: ${p.probe}`)
  console.log(`    (${c.origin})`)
  for (const d of p.diffs) console.log(`    differs: ${d}`)
  const left = ['KERNEL', formatObservation(p.kernel), ...(p.kernel.detail ? [p.kernel.detail] : [])]
  const right = ['ENGINE', formatObservation(p.engine), ...(p.trace ? p.trace.split('\n') : [])]
  console.log(sideBySide(left, right))
}

async function pool<T, R>(items: readonly T[], n: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await f(items[i]!, i)
      }
    }),
  )
  return out
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  downOnSignal('SIGINT')
  downOnSignal('SIGTERM')
  const tag = `pwk${(process.pid % 46656).toString(36)}`
  const write = (o: object) => args.json && writeFileSync(args.json, `${JSON.stringify(o, null, 2)}\n`)
  const files = worldFileCases(join(root, 'scenarios/worlds'))
  const clusters = clusterCases(join(root, 'scenarios/clusters'))
  const scenarios = scenarioCases(join(root, 'scenarios'))
  const problems = [...files.problems, ...clusters.problems, ...scenarios.problems]
  for (const p of problems) console.error(`kernel-diff: PROBLEM (counted as a failure): ${p}`)
  // Scenario actions the kernel cannot be asked about: skipped, by reason.
  const skipReasons = new Map<string, number>()
  const skip = (reason: string, n: number) => n > 0 && skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + n)
  for (const s of scenarios.skipped) {
    console.log(`kernel-diff: skipped: ${s.where}: ${s.reason}`)
    skip(`scenario: ${s.reason}`, 1)
  }
  let cases = mergeSameWorlds([...files.cases, ...clusters.cases, ...scenarios.cases, ...testWorldCases(), ...testClusterCases(), ...randomCases(args.seed, args.random)])
  if (args.only) cases = cases.filter((c) => c.name.includes(args.only!))
  if (args.list) {
    for (const c of cases) {
      console.log(`${c.name}  (${c.origin})`)
      for (const p of c.probes) console.log(`    ${formatProbe(p)}${p.multi ? ' (multi)' : ''}`)
    }
    console.log(`kernel-diff: ${cases.length} worlds, ${cases.reduce((n, c) => n + c.probes.length, 0)} probes`)
    return problems.length > 0 ? 1 : 0
  }
  const check = await checkKernel(`${tag}-`)
  if (!check.ok) {
    console.log(`\n*** kernel differential test SKIPPED: ${check.reason} ***\n`)
    // Problems loading the worlds and scenarios are failures even when nothing can be built.
    write({ skipped: check.reason, problems })
    return problems.length > 0 ? 1 : 0
  }
  const dir = mkdtempSync(join(tmpdir(), 'packetwalk-kernel-'))
  const started = performance.now()
  console.log(`kernel-diff: ${cases.length} worlds, ${cases.reduce((n, c) => n + c.probes.length, 0)} probes, prefix ${tag}-*, ${args.concurrency} at a time`)
  let reports: CaseReport[]
  try {
    reports = await pool(cases, args.concurrency, (c, i) => runCase(c, `${tag}${i.toString(36)}-`, dir, check.caps, args))
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true })
  }
  let passed = 0
  let failed = problems.length
  let known = 0
  let skippedWorlds = 0
  let skippedProbes = 0
  for (const c of reports) {
    const asked = c.probes.filter((p) => !p.skipped)
    const notAsked = c.probes.filter((p) => p.skipped)
    const bad = asked.filter((p) => !p.ok && (args.strict || !p.known))
    const understood = asked.filter((p) => !p.ok && !args.strict && p.known).length
    passed += asked.length - bad.length - understood
    failed += bad.length + (c.error ? 1 : 0)
    known += understood
    for (const p of notAsked) skip(p.skipped!, 1)
    skippedProbes += notAsked.length + (c.skippedProbes ?? 0)
    if (c.skipped) {
      skippedWorlds++
      skip(`worlds: ${c.skipped}`, 1)
    }
    const mark = c.skipped ? '-' : c.error || bad.length ? '✗' : understood ? '~' : '✓'
    const note = `${understood ? `, ${understood} known difference(s)` : ''}${notAsked.length ? `, ${notAsked.length} skipped` : ''}`
    console.log(`${mark} ${c.name.padEnd(40)} ${c.skipped ? `skipped: ${c.skipped} (${c.skippedProbes ?? 0} probes)` : c.error ? c.error : `${asked.length - bad.length - understood}/${asked.length} probes agree${note} (${c.seconds}s)`}`)
    if (args.verbose) for (const p of c.probes) console.log(`    ${p.skipped ? '-' : p.ok ? '✓' : p.known ? '~' : '✗'} ${p.probe}  ${p.skipped ? `skipped: ${p.skipped}` : `kernel: ${formatObservation(p.kernel)}`}`)
  }
  for (const c of reports) for (const p of c.probes.filter((x) => !x.ok && !x.skipped && (args.strict || !x.known))) printMismatch(c, p)
  const knownSeen = new Map<string, number>()
  for (const c of reports) for (const p of c.probes) if (!p.ok && p.known) knownSeen.set(p.known, (knownSeen.get(p.known) ?? 0) + 1)
  if (knownSeen.size > 0) {
    console.log(`\n*** known differences (engine gaps, counted apart${args.strict ? '; --strict counts them as failures' : '; --strict fails on them'}) ***`)
    for (const [why, n] of knownSeen) console.log(`  ${n} probe(s): ${why}`)
    for (const c of reports) for (const p of c.probes.filter((x) => !x.ok && x.known)) console.log(`    ~ ${c.name}: ${p.probe}  kernel: ${formatObservation(p.kernel)}  engine: ${formatObservation(p.engine)}`)
  }
  for (const k of KNOWN) if (!knownSeen.has(k.why) && !args.only) console.log(`kernel-diff: known difference "${k.id}" no longer shows up: remove it from KNOWN in src/kernel-diff/run.ts`)
  const secs = Math.round((performance.now() - started) / 100) / 10
  if (problems.length > 0) {
    console.log(`\n*** ${problems.length} problem(s) loading or probing worlds, clusters or scenarios (each counted as a failure) ***`)
    for (const p of problems) console.log(`  ✗ ${p}`)
  }
  if (skipReasons.size > 0) {
    console.log(`\n*** skipped: ${skippedWorlds} world(s), ${skippedProbes} probe(s), ${scenarios.skipped.length} scenario action(s) ***`)
    for (const [why, n] of skipReasons) console.log(`  skipped: ${n} (${why})`)
  }
  console.log(`\nkernel-diff: ${passed} probes agree, ${failed} differ (${problems.length} of them problems loading or probing), ${known} known differences, skipped: ${skippedWorlds} worlds, ${skippedProbes} probes, ${scenarios.skipped.length} scenario actions, ${secs}s`)
  write({ passed, failed, known, problems, skippedWorlds, skippedProbes, skippedActions: scenarios.skipped.length, skipReasons: Object.fromEntries(skipReasons), seconds: secs, cases: reports.map(({ probes, ...rest }) => ({ ...rest, probes: probes.map(({ trace: _t, ...p }) => p) })) })
  return failed > 0 ? 1 : 0
}

process.exitCode = await main()
