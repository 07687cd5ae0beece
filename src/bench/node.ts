/**
 * The engine measurements that run in Node, as one compiled bundle (run.ts builds it with
 * Vite, no keepNames, and starts it once per measurement). Each command prints one JSON line:
 *   parse FILE        one parseIptablesSave of FILE in this fresh process (what a CLI run pays)
 *   warm FILE N       N more parses after that first one, same process
 *   trace FILE N      traceWorld of one packet, client pod → a ClusterIP of the dump, N times
 *   outcomes E N      traceWorldAll, client pod → a Service with E endpoints on 3 nodes, N times
 *   outcomes-dump E N traceWorldAll in the dump world (one node): 50 services × E endpoints, N times
 * Times are milliseconds from performance.now() around the engine call only.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { parseIptablesSave } from '../engine/netfilter/save.ts'
import { traceWorld, traceWorldAll } from '../engine/trace.ts'
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

if (cmd === 'parse' || cmd === 'warm' || cmd === 'trace') {
  const text = readFileSync(arg!, 'utf8')
  let parsed = parseIptablesSave('')
  const first = time(() => (parsed = parseIptablesSave(text)))
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error').length
  if (cmd === 'parse') out({ ms: [first], errors, lines: text.split('\n').length - 1 })
  else if (cmd === 'warm') out({ ms: Array.from({ length: count }, () => time(() => parseIptablesSave(text))) })
  else {
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
} else if (cmd === 'outcomes-dump') {
  const endpoints = Number(arg)
  const parsed = parseIptablesSave(generateKubeProxyDump(50, endpoints))
  const target = 38
  const world = dumpWorld(parsed.ruleset, target, endpoints)
  const send: SendSpec = { from: 'client', to: clusterIp(target), proto: 'tcp', dport: 80 }
  let o = traceWorldAll(world, send, { now: 0 })
  for (let i = 0; i < 3; i++) o = traceWorldAll(world, send, { now: 0 })
  const ms = Array.from({ length: count }, () => time(() => (o = traceWorldAll(world, send, { now: 0 }))))
  out({ ms, outcomes: o.length, probability: o.reduce((s, x) => s + x.probability, 0), steps: o.reduce((s, x) => s + x.steps.length, 0), delivered: o.filter((x) => x.verdict === 'delivered').length })
} else if (cmd === 'outcomes') {
  const c = generateCluster(1, Number(arg))
  const loaded = loadClusterText(c.text, { file: 'bench-cluster.yaml', seed: 1 })
  if (!loaded.world) throw new Error(`bench cluster: ${loaded.diagnostics.map((d) => d.message).join('; ')}`)
  const world = loaded.world
  const target = resolveTarget(world, c.service)
  const send: SendSpec = { from: resolveSource(world, 'default/client'), to: target.ip, proto: 'tcp', dport: target.port ?? 80 }
  let o = traceWorldAll(world, send, { now: 0 })
  for (let i = 0; i < 3; i++) o = traceWorldAll(world, send, { now: 0 })
  const ms = Array.from({ length: count }, () => time(() => (o = traceWorldAll(world, send, { now: 0 }))))
  out({ ms, outcomes: o.length, probability: o.reduce((s, x) => s + x.probability, 0), steps: o.reduce((s, x) => s + x.steps.length, 0), delivered: o.filter((x) => x.verdict === 'delivered').length })
} else {
  process.stderr.write('usage: node bench.mjs parse|warm|trace FILE [N] | outcomes ENDPOINTS [N]\n')
  process.exitCode = 2
}
