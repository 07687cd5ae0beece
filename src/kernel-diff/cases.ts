/**
 * The worlds the differential test builds: every world file in scenarios/worlds/, the
 * engine's test worlds (src/engine/sim/testWorlds.ts, with their variants), and a seeded
 * random set of small topologies. Each case carries its probes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DnsRecordSpec } from '../engine/export/script.ts'
import type { World } from '../engine/model/types.ts'
import { setLinkMtu } from '../engine/model/ops.ts'
import type { DnsResponder } from '../engine/sim/simulate.ts'
import { createRng } from '../engine/sim/rng.ts'
import { bridgeWorld, vxlanWorld } from '../engine/sim/testWorlds.ts'
import { loadWorldFile } from '../engine/world/worldFile.ts'
import { clusterDnsResponder } from '../engine/kube/dns.ts'
import { generateProbes, serviceProbes } from './probes.ts'
import type { CaseProbe } from './probes.ts'
import { loadClusterText } from '../engine/kube/load.ts'
import { parseScenario, runScenario } from '../engine/scenario/runner.ts'
import { COMMON_ACTION_KEYS } from '../engine/scenario/schema.ts'
import { resolveSource, resolveTarget } from '../engine/session.ts'
import { randomWorlds } from './randomWorlds.ts'

export interface DiffCase {
  readonly name: string
  /** Where it came from: a file, a test world, or the random parameters. */
  readonly origin: string
  readonly world: World
  readonly probes: readonly CaseProbe[]
  readonly dnsRecords?: readonly DnsRecordSpec[]
}

/** What dnsmasq in the exported script answers, as a DnsResponder for the engine. */
export function staticDns(records: readonly DnsRecordSpec[]): DnsResponder {
  return (_server, q) => {
    const name = q.name.toLowerCase().replace(/\.$/, '')
    const hits = records.filter((r) => r.name.toLowerCase() === name)
    if (q.type === 'A' && hits.length > 0) return { rcode: 'NOERROR', answers: hits.map((r) => ({ name, type: 'A', ttl: 30, data: r.ip })), explain: `${name} is a configured record` }
    return { rcode: 'NXDOMAIN', answers: [], explain: `${name}: no such record (the stand-in has no upstream)` }
  }
}

/** The DNS the engine uses for a case: the cluster's CoreDNS, else the case's static records. */
export function dnsFor(c: DiffCase): DnsResponder {
  return c.world.cluster ? clusterDnsResponder(c.world.cluster) : staticDns(c.dnsRecords ?? [])
}

/** The netns whose conntrack table is compared at the end: those with nat rules. */
function conntrackProbes(world: World): CaseProbe[] {
  return Object.values(world.netns).filter((n) => n.netfilter.tables.nat).map((n) => ({ kind: 'conntrack', netns: n.name }))
}

function withProbes(name: string, origin: string, world: World, seed: number, extra: readonly CaseProbe[] = [], opts: { sources?: readonly string[] } = {}): DiffCase {
  const rng = createRng(seed)
  const probes = [...extra, ...generateProbes(world, rng, opts.sources ? { sources: opts.sources, pingsPerSource: 2 } : {}), ...serviceProbes(world, rng)]
  return { name, origin, world, probes: [...probes, ...conntrackProbes(world)] }
}

export function worldFileCases(dir: string): { cases: DiffCase[]; problems: string[] } {
  const cases: DiffCase[] = []
  const problems: string[] = []
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()
  } catch {
    return { cases, problems: [`${dir}: cannot read the folder`] }
  }
  files.forEach((f, i) => {
    const r = loadWorldFile(readFileSync(join(dir, f), 'utf8'), { file: f })
    const errors = r.diagnostics.filter((d) => d.severity === 'error')
    if (errors.length > 0) problems.push(`${f}: ${errors.length} error(s) loading it, first: ${errors[0]!.message}`)
    else cases.push(withProbes(`file:${f.replace(/\.\w+$/, '')}`, join(dir, f), r.world, 100 + i))
  })
  return { cases, problems }
}

/** Every cluster file: built as the CLI builds it (seed 1), probed from a few pods plus through its Services. */
export function clusterCases(dir: string): { cases: DiffCase[]; problems: string[] } {
  const cases: DiffCase[] = []
  const problems: string[] = []
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
  } catch {
    return { cases, problems: [`${dir}: cannot read the folder`] }
  }
  files.forEach((f, i) => {
    const r = loadClusterText(readFileSync(join(dir, f), 'utf8'), { file: f, seed: 1 })
    const errors = r.diagnostics.filter((d) => d.severity === 'error')
    if (errors.length > 0 || !r.world) {
      problems.push(`${f}: ${errors.length} error(s) building it, first: ${errors[0]?.message ?? 'no world'}`)
      return
    }
    const world = r.world
    // A handful of senders keeps the run short: one pod per node, the clients, the nodes.
    const rng = createRng(500 + i)
    const byNode = new Map<string, string>()
    for (const n of Object.values(world.netns)) if (n.kind === 'pod' && n.node && !byNode.has(n.node) && rng.next() < 0.9) byNode.set(n.node, n.name)
    const sources = [...byNode.values(), ...Object.values(world.netns).filter((n) => n.kind === 'client' || n.kind === 'host').map((n) => n.name)].slice(0, 5)
    cases.push(withProbes(`cluster:${f.replace(/\.\w+$/, '')}`, join(dir, f), world, 500 + i, [], { sources }))
  })
  return { cases, problems }
}

export function testWorldCases(): DiffCase[] {
  let cut = vxlanWorld()
  for (const n of ['node1', 'node2']) cut = setLinkMtu(cut, n, 'eth0', 1400)
  return [
    withProbes('test:bridge', 'bridgeWorld()', bridgeWorld(), 1),
    withProbes('test:vxlan', 'vxlanWorld()', vxlanWorld(), 2),
    withProbes('test:vxlan-no-forward', 'vxlanWorld({ ipForward: false })', vxlanWorld({ ipForward: false }), 3),
    withProbes('test:vxlan-pod-mtu-1500', 'vxlanWorld({ podMtu: 1500 })', vxlanWorld({ podMtu: 1500 }), 4, [
      { kind: 'ping', from: 'node1-pod', to: '10.244.2.5', size: 1500, df: true },
      { kind: 'ping', from: 'node1-pod', to: '10.244.2.5', size: 1500, df: false },
    ]),
    withProbes('test:vxlan-underlay-1400', 'vxlanWorld() with eth0 cut to 1400', cut, 5, [
      { kind: 'ping', from: 'node1-pod', to: '10.244.2.5', size: 1450, df: true },
      { kind: 'ping', from: 'node1', to: '10.244.2.5', size: 1450, df: true },
    ]),
  ]
}

export function randomCases(seed: number, count: number): DiffCase[] {
  return randomWorlds(seed, count).map((r, i) => ({
    name: `random:${r.name}`,
    origin: `seed ${seed}: ${r.params}`,
    world: r.world,
    probes: [...r.probes, ...generateProbes(r.world, createRng(seed * 1000 + i), { pingsPerSource: 2 })],
  }))
}

/** Actions that leave the world as it is; the first other one ends what the start world can answer. */
const READ_ONLY = new Set(['send', 'note', 'lookup', 'connect'])

/**
 * Every scenario, once as written and once per what-if: the world it starts from, probed with
 * its own `send` actions (those before its first change to the world), plus conntrack.
 */
export function scenarioCases(dir: string): { cases: DiffCase[]; problems: string[]; skippedSends: number } {
  const cases: DiffCase[] = []
  const problems: string[] = []
  let skippedSends = 0
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
  } catch {
    return { cases, problems: [`${dir}: cannot read the folder`], skippedSends }
  }
  for (const f of files) {
    const parsed = parseScenario(readFileSync(join(dir, f), 'utf8'), { file: f })
    const scn = parsed.scenario
    if (!scn) {
      problems.push(`${f}: not a valid scenario (${parsed.diagnostics[0]?.message ?? 'unknown problem'})`)
      continue
    }
    const readFile = (rel: string): string | undefined => {
      try {
        return readFileSync(join(dir, rel), 'utf8')
      } catch {
        return undefined
      }
    }
    for (const whatIf of [undefined, ...scn.whatIfs.map((w) => w.id)]) {
      const run = runScenario(scn, { readFile, file: f }, whatIf ? { whatIfs: [whatIf] } : {})
      if (run.diagnostics.some((d) => d.severity === 'error')) {
        problems.push(`${f}${whatIf ? ` [${whatIf}]` : ''}: ${run.diagnostics.find((d) => d.severity === 'error')!.message}`)
        continue
      }
      const world = run.start
      const probes: CaseProbe[] = []
      let open = true
      for (const a of scn.actions) {
        const kind = Object.keys(a).find((k) => !COMMON_ACTION_KEYS.includes(k))
        if (kind && !READ_ONLY.has(kind)) open = false
        if (!('send' in a) || !a.send) continue
        if (!open) {
          skippedSends++
          continue
        }
        try {
          const from = resolveSource(world, a.send.from)
          const to = resolveTarget(world, a.send.to, a.send.port)
          if (!world.netns[from]) continue
          // A bare datagram to a DNS port: dnsmasq ignores what is not a DNS message (DNS is probed with queries).
          if (a.send.proto === 'udp' && to.port === 53) continue
          if (a.send.proto === 'icmp') probes.push({ kind: 'ping', from, to: to.ip, ...(a.send.size !== undefined && { size: a.send.size }), ...(a.send.df !== undefined && { df: a.send.df }), ...(a.send.ttl !== undefined && { ttl: a.send.ttl }) })
          else if (to.port !== undefined) probes.push({ kind: a.send.proto, from, to: to.ip, port: to.port, multi: true })
        } catch (e) {
          problems.push(`${f}: action "${a.title}": ${e instanceof Error ? e.message : String(e)}`)
        }
      }
      if (probes.length === 0) continue
      cases.push({ name: `scenario:${f.replace(/\.\w+$/, '')}${whatIf ? `[${whatIf}]` : ''}`, origin: join(dir, f), world, probes: [...probes, ...conntrackProbes(world)] })
    }
  }
  return { cases, problems, skippedSends }
}

/**
 * Fold cases that build the very same world into one (a scenario's own world is often a
 * cluster or world file already on the list): one build, every probe.
 */
export function mergeSameWorlds(cases: readonly DiffCase[]): DiffCase[] {
  const out: DiffCase[] = []
  const byWorld = new Map<string, number>()
  for (const c of cases) {
    const key = JSON.stringify(c.world)
    const at = byWorld.get(key)
    if (at === undefined) {
      byWorld.set(key, out.length)
      out.push(c)
      continue
    }
    const into = out[at]!
    const probes = [...into.probes.filter((p) => p.kind !== 'conntrack'), ...c.probes.filter((p) => p.kind !== 'conntrack'), ...into.probes.filter((p) => p.kind === 'conntrack')]
    out[at] = { ...into, name: `${into.name} + ${c.name}`, probes }
  }
  return out
}
