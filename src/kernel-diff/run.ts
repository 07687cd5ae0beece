/**
 * The differential test: build each world on the real kernel with the exported script, run
 * its probes there, trace the same probes with the engine, and compare what the sender saw.
 *
 *   tsx src/kernel-diff/run.ts [--json=PATH] [--only=TEXT] [--seed=N] [--random=N]
 *                              [--concurrency=N] [--keep] [--verbose]
 *
 * Writes `{ "passed": N, "failed": N, … }` to --json, or `{ "skipped": "<reason>" }` when
 * this machine cannot build network namespaces (not root, no iproute2…), and says so loudly.
 * Every namespace carries a prefix unique to this run; `down` runs in a finally.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportScript } from '../engine/export/script.ts'
import { formatProbe } from '../engine/export/probe.ts'
import type { World } from '../engine/model/types.ts'
import { simulate } from '../engine/sim/simulate.ts'
import type { SimResult } from '../engine/sim/simulate.ts'
import { renderOutcome, renderTrace } from '../engine/sim/render.ts'
import { dnsFor, randomCases, testWorldCases, worldFileCases } from './cases.ts'
import type { DiffCase } from './cases.ts'
import { checkKernel, runScript } from './kernel.ts'
import type { Capabilities } from './kernel.ts'
import { compareObservations, formatObservation, observeEngine, parseProbeLines } from './observe.ts'
import type { Observation } from './observe.ts'
import { probeToSend } from './probes.ts'

const root = new URL('../..', import.meta.url).pathname

interface Args {
  json?: string
  only?: string
  seed: number
  random: number
  concurrency: number
  keep: boolean
  verbose: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seed: 20261126, random: 16, concurrency: 3, keep: false, verbose: false }
  for (const arg of argv) {
    const [k, v] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, '']
    if (k === '--json') a.json = v
    else if (k === '--only') a.only = v
    else if (k === '--seed') a.seed = Number(v)
    else if (k === '--random') a.random = Number(v)
    else if (k === '--concurrency') a.concurrency = Math.max(1, Number(v))
    else if (k === '--keep') a.keep = true
    else if (k === '--verbose') a.verbose = true
    else throw new Error(`unknown option ${arg}`)
  }
  return a
}

export interface ProbeReport {
  readonly probe: string
  readonly ok: boolean
  readonly kernel: Observation
  readonly engine: Observation
  readonly diffs: readonly string[]
  /** The engine's rendered trace, kept for mismatches only. */
  readonly trace?: string
}

export interface CaseReport {
  readonly name: string
  readonly origin: string
  readonly error?: string
  readonly skipped?: string
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

async function runCase(c: DiffCase, prefix: string, dir: string, caps: Capabilities, args: Args): Promise<CaseReport> {
  const started = performance.now()
  const seconds = () => Math.round((performance.now() - started) / 100) / 10
  const why = unsupported(c.world, caps)
  if (why) return { name: c.name, origin: c.origin, skipped: why, probes: [], seconds: 0 }
  const path = join(dir, `${prefix}.sh`)
  writeFileSync(path, exportScript(c.world, { prefix, title: c.name, ...(c.dnsRecords && { dnsRecords: c.dnsRecords }) }))
  live.add(path)
  try {
    const up = await runScript(path, ['up'])
    if (up.code !== 0) return { name: c.name, origin: c.origin, error: `up failed (exit ${up.code}): ${up.stderr.trim().split('\n').slice(-4).join(' | ')}`, probes: [], seconds: seconds() }
    // The engine answers first, in order, carrying its state (ARP, FDB, conntrack) along.
    let world = c.world
    const dns = dnsFor(c)
    const engine = c.probes.map((p, i) => {
      const send = probeToSend(p)
      let r: SimResult | undefined
      if (send) {
        r = simulate(world, send, { seed: 1000 + i, now: (i + 1) * 2000, dns })
        world = r.world
      }
      return { obs: observeEngine(p, world, r), r }
    })
    // Route errors (no route, unreachable/prohibit routes) go through ip_error, which allows
    // one ICMP per second per sender: pause before each one the engine expects.
    const specs = c.probes.map(formatProbe)
    const plan: string[] = []
    c.probes.forEach((_, i) => {
      const r = engine[i]!.r
      if (r && routeErrorExpected(r)) plan.push(formatProbe({ kind: 'pause', seconds: 1.1 }))
      plan.push(specs[i]!)
    })
    const out = await runScript(path, ['probe', ...plan], 60_000 + plan.length * 15_000)
    const lines = parseProbeLines(out.stdout)
    const reports: ProbeReport[] = c.probes.map((p, i) => {
      const spec = specs[i]!
      const kernel = lines.find((l) => l.spec === spec)?.obs ?? { status: 'no-answer', detail: out.stderr.trim().slice(-200) }
      const { obs, r } = engine[i]!
      const cmp = compareObservations(p, kernel, obs)
      return { probe: spec, ok: cmp.ok, kernel, engine: obs, diffs: cmp.diffs, ...(!cmp.ok && r && { trace: `${renderTrace(r.steps, { minor: false })}\n== ${renderOutcome({ ...r.outcome, probability: 1 })}` }) }
    })
    return { name: c.name, origin: c.origin, probes: reports, seconds: seconds() }
  } finally {
    if (!args.keep) {
      const down = await runScript(path, ['down'])
      if (down.code !== 0) console.error(`kernel-diff: down failed for ${c.name} (prefix ${prefix}): ${down.stderr.trim()}`)
      live.delete(path)
    }
  }
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
  const check = await checkKernel(`${tag}-`)
  if (!check.ok) {
    console.log(`\n*** kernel differential test SKIPPED: ${check.reason} ***\n`)
    write({ skipped: check.reason })
    return 0
  }
  const files = worldFileCases(join(root, 'scenarios/worlds'))
  for (const p of files.problems) console.error(`kernel-diff: ${p}`)
  let cases = [...files.cases, ...testWorldCases(), ...randomCases(args.seed, args.random)]
  if (args.only) cases = cases.filter((c) => c.name.includes(args.only!))
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
  let failed = 0
  for (const c of reports) {
    const bad = c.probes.filter((p) => !p.ok)
    passed += c.probes.length - bad.length
    failed += bad.length + (c.error ? 1 : 0)
    const mark = c.skipped ? '-' : c.error || bad.length ? '✗' : '✓'
    console.log(`${mark} ${c.name.padEnd(34)} ${c.skipped ? `skipped: ${c.skipped}` : c.error ? c.error : `${c.probes.length - bad.length}/${c.probes.length} probes agree (${c.seconds}s)`}`)
    if (args.verbose) for (const p of c.probes) console.log(`    ${p.ok ? '✓' : '✗'} ${p.probe}  kernel: ${formatObservation(p.kernel)}`)
  }
  for (const c of reports) for (const p of c.probes.filter((x) => !x.ok)) printMismatch(c, p)
  const secs = Math.round((performance.now() - started) / 100) / 10
  console.log(`\nkernel-diff: ${passed} probes agree, ${failed} differ, ${reports.filter((r) => r.skipped).length} worlds skipped, ${secs}s`)
  write({ passed, failed, seconds: secs, cases: reports.map(({ probes, ...rest }) => ({ ...rest, probes: probes.map(({ trace: _t, ...p }) => p) })) })
  return failed > 0 ? 1 : 0
}

process.exitCode = await main()
