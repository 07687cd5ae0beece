/**
 * The engine measurements that run in Node, as one compiled bundle (run.ts builds it with
 * Vite, no keepNames, and starts it once per measurement). Each command prints one JSON line:
 *   parse FILE        one parseIptablesSave of FILE in this fresh process (what a CLI run pays)
 *   warm FILE N       N more parses after that first one, same process (each drops the ruleset
 *                     before, so a sample may pay for collecting it)
 *   trace FILE N      traceWorld of one packet, client pod → a ClusterIP of the dump, N times
 *   outcomes E N      traceWorldAll (every outcome with its full trace), client pod → a Service
 *                     with E endpoints on 3 nodes, N times
 *   outcomes-dump E N traceWorldAll in the dump world (one node): 50 services × E endpoints, N times
 *   enumerate E N     enumerateTraceOutcomes (the outcome list: probability, DNAT, verdict at the
 *                     deciding hook; no trace each), same packet and cluster as `outcomes`, N times;
 *                     then replay of one outcome (its full trace, what opening it costs), N times
 *   enumerate-dump E N  the same in the dump world
 *   import FILE       importDumps + importToWorld of FILE (what the import worker does), once, in
 *                     this fresh process: its time, the process's peak RSS and its RSS before
 * Times are milliseconds from performance.now() around the engine call only.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { parseIptablesSave } from '../engine/netfilter/save.ts'
import { importDumps } from '../engine/import/importDump.ts'
import { importToWorld } from '../engine/import/toWorld.ts'
import { enumerateTraceOutcomes, traceWorld, traceWorldAll } from '../engine/trace.ts'
import type { World } from '../engine/model/types.ts'
import { loadClusterText } from '../engine/kube/load.ts'
import { resolveSource, resolveTarget } from '../engine/session.ts'
import type { SendSpec } from '../engine/sim/trace.ts'
import { clusterIp, dumpWorld } from './dumpWorld.ts'
import { generateCluster } from './genCluster.ts'
import { generateKubeProxyDump } from './genKubeProxyDump.ts'

function time(f: () => unknown): number {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}

function out(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

const [cmd, arg, countText] = process.argv.slice(2)
const count = Number(countText ?? 1)

if (cmd === 'import') {
  const text = readFileSync(arg!, 'utf8')
  // The heap held before (this bundle loaded, the text read), then the import's peak: maxRSS
  // is the process's high-water mark (KiB), so the figure is that peak, beside the start.
  const startKiB = Math.round(process.memoryUsage().rss / 1024)
  let world: World | undefined
  let rules = 0
  const ms = time(() => {
    const r = importDumps([{ name: 'dump.rules', text }])
    world = importToWorld(r)
    rules = Object.values(world.netns).reduce((n, ns) => n + Object.values(ns.netfilter.tables).reduce((m, t) => m + Object.values(t.chains).reduce((k, c) => k + c.rules.length, 0), 0), 0)
  })
  out({ ms: [ms], peakKiB: process.resourceUsage().maxRSS, startKiB, heldKiB: Math.round(process.memoryUsage().heapUsed / 1024), rules, netns: Object.keys(world?.netns ?? {}).length })
} else if (cmd === 'parse' || cmd === 'warm' || cmd === 'trace') {
  const text = readFileSync(arg!, 'utf8')
  // The first parse, its result kept only for `trace` (so the warm samples do not hold it).
  const firstParse = () => {
    let parsed = parseIptablesSave('')
    const ms = time(() => (parsed = parseIptablesSave(text)))
    return { ms, parsed }
  }
  if (cmd === 'parse') {
    const { ms, parsed } = firstParse()
    out({ ms: [ms], errors: parsed.diagnostics.filter((d) => d.severity === 'error').length, lines: text.split('\n').length - 1 })
  } else if (cmd === 'warm') {
    firstParse()
    out({ ms: Array.from({ length: count }, () => time(() => parseIptablesSave(text))) })
  } else {
    const { parsed } = firstParse()
    // The generated dump's services are 10.96.x.y in order; trace to the one ~77% of the way down KUBE-SERVICES.
    const services = (text.match(/^-A KUBE-SERVICES -d /gm) ?? []).length
    const target = Math.floor(services * 0.77)
    const world = dumpWorld(parsed.ruleset, target)
    const send: SendSpec = { from: 'client', to: clusterIp(target), proto: 'tcp', dport: 80 }
    let r = traceWorld(world, send, { seed: 1, now: 0 })
    for (let i = 0; i < 20; i++) r = traceWorld(world, send, { seed: i, now: 0 })
    const ms = Array.from({ length: count }, (_, i) => time(() => (r = traceWorld(world, send, { seed: i, now: 0 }))))
    out({ ms, verdict: r.outcome.verdict, dnat: r.outcome.dnat ?? null, steps: r.steps.length })
  }
} else if (cmd === 'outcomes' || cmd === 'outcomes-dump' || cmd === 'enumerate' || cmd === 'enumerate-dump') {
  const endpoints = Number(arg)
  const { world, send } = cmd.endsWith('-dump') ? dumpOutcomesWorld(endpoints) : clusterOutcomesWorld(endpoints)
  if (cmd.startsWith('outcomes')) {
    let o = traceWorldAll(world, send, { now: 0 })
    for (let i = 0; i < 3; i++) o = traceWorldAll(world, send, { now: 0 })
    const ms = Array.from({ length: count }, () => time(() => (o = traceWorldAll(world, send, { now: 0 }))))
    out({ ms, outcomes: o.length, probability: o.reduce((s, x) => s + x.probability, 0), steps: o.reduce((s, x) => s + x.steps.length, 0), delivered: o.filter((x) => x.verdict === 'delivered').length })
  } else {
    let list = enumerateTraceOutcomes(world, send, { now: 0 })
    for (let i = 0; i < 20; i++) list = enumerateTraceOutcomes(world, send, { now: 0 })
    const ms = Array.from({ length: count }, () => time(() => (list = enumerateTraceOutcomes(world, send, { now: 0 }))))
    // Opening one outcome: the middle one, traced in full on a fresh list (no trace cached).
    const mid = list.outcomes[list.outcomes.length >> 1]!
    let steps = 0
    const replayMs = Array.from({ length: count }, () => {
      const fresh = enumerateTraceOutcomes(world, send, { now: 0 })
      return time(() => (steps = fresh.replay(mid.choices).outcome.steps.length))
    })
    out({ ms, replayMs, replaySteps: steps, method: list.method, outcomes: list.outcomes.length, probability: list.outcomes.reduce((s, x) => s + x.probability, 0), dnat: list.outcomes.filter((x) => x.dnat !== null).length })
  }
} else {
  process.stderr.write('usage: node bench.mjs parse|warm|trace FILE [N] | outcomes|outcomes-dump|enumerate|enumerate-dump ENDPOINTS [N]\n')
  process.exitCode = 2
}

/** The 3-node flannel cluster of genCluster.ts: client pod → a Service with `endpoints` pods. */
function clusterOutcomesWorld(endpoints: number): { world: World; send: SendSpec } {
  const c = generateCluster(1, endpoints)
  const loaded = loadClusterText(c.text, { file: 'bench-cluster.yaml', seed: 1 })
  if (!loaded.world) throw new Error(`bench cluster: ${loaded.diagnostics.map((d) => d.message).join('; ')}`)
  const world = loaded.world
  const target = resolveTarget(world, c.service)
  return { world, send: { from: resolveSource(world, 'default/client'), to: target.ip, proto: 'tcp', dport: target.port ?? 80 } }
}

/** The dump world (one node, 50 services × `endpoints`, all endpoints on its cni0): client → service 38. */
function dumpOutcomesWorld(endpoints: number): { world: World; send: SendSpec } {
  const parsed = parseIptablesSave(generateKubeProxyDump(50, endpoints))
  const target = 38
  return { world: dumpWorld(parsed.ruleset, target, endpoints), send: { from: 'client', to: clusterIp(target), proto: 'tcp', dport: 80 } }
}
