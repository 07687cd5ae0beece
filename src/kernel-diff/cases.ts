/**
 * The worlds the differential test builds: every world file in scenarios/worlds/, the
 * engine's test worlds (src/engine/sim/testWorlds.ts, with their variants), and a seeded
 * random set of small topologies. Each case carries its probes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DnsRecordSpec } from '../engine/export/script.ts'
import { exportScript } from '../engine/export/script.ts'
import type { Netns, World } from '../engine/model/types.ts'
import { setLinkMtu } from '../engine/model/ops.ts'
import type { DnsResponder } from '../engine/sim/simulate.ts'
import { createRng } from '../engine/sim/rng.ts'
import { bridgeWorld, policyRoutingWorld, vxlanWorld } from '../engine/sim/testWorlds.ts'
import { loadWorldFile } from '../engine/world/worldFile.ts'
import { clusterDnsResponder } from '../engine/kube/dns.ts'
import { buildCluster } from '../engine/kube/build.ts'
import { config, desc, kindNodes, pod, WEB, WEB_ALLOW_CLIENT } from '../engine/kube/testClusters.ts'
import { generateProbes, serviceProbes } from './probes.ts'
import type { CaseProbe } from './probes.ts'
import { loadClusterText } from '../engine/kube/load.ts'
import { parseScenario, runScenario } from '../engine/scenario/runner.ts'
import type { ScenarioRun } from '../engine/scenario/runner.ts'
import type { Segment } from '../engine/scenario/timeline.ts'
import { COMMON_ACTION_KEYS } from '../engine/scenario/schema.ts'
import type { Action } from '../engine/scenario/schema.ts'
import { lookup, resolveSource, resolveTarget } from '../engine/session.ts'
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
    // Which server answers shows which rule and table routed each packet (see policyRoutingWorld).
    withProbes('test:policy-routing', 'policyRoutingWorld()', policyRoutingWorld(), 6, [
      { kind: 'tcp', from: 'a', to: '9.9.9.9', port: 80 },
      { kind: 'tcp', from: 'd', to: '9.9.9.9', port: 80 },
      { kind: 'udp', from: 'a', to: '9.9.9.9', port: 5353 },
      { kind: 'udp', from: 'd', to: '9.9.9.9', port: 5353 },
      { kind: 'tcp', from: 'r', to: '9.9.9.9', port: 80 },
      { kind: 'tcp', from: 'r', to: '9.9.9.9', port: 81 },
      { kind: 'tcp', from: 'r', to: '7.7.7.7', port: 80 },
      { kind: 'tcp', from: 'a', to: '7.7.7.7', port: 80 },
      { kind: 'ping', from: 'a', to: '8.8.4.4' },
      { kind: 'ping', from: 'd', to: '8.8.8.8' },
      { kind: 'ping', from: 'a', to: '8.8.8.8' },
      { kind: 'ping', from: 'r', to: '8.8.4.5' },
      { kind: 'ping', from: 'r', to: '8.8.4.4' },
      { kind: 'route', from: 'r', to: '9.9.9.9' },
      { kind: 'route', from: 'r', to: '7.7.7.7' },
      { kind: 'route', from: 'r', to: '8.8.8.8' },
      { kind: 'route', from: 'r', to: '8.8.4.4' },
    ]),
  ]
}

/** The NetworkPolicy of kube/flows.test.ts: web pods take port http from the client pod and the underlay, not from the laptop. */
const FLOWS_HEADLESS = `apiVersion: v1
kind: Service
metadata: {name: web-pods}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
`

const FLOWS_POLICY = WEB_ALLOW_CLIENT

/** The CNIs kube/flows.test.ts runs its flow tables over. */
export const FLOWS_CNIS = ['{plugin: flannel, backend: vxlan}', '{plugin: flannel, backend: host-gw}', '{plugin: calico, mode: bgp}', '{plugin: calico, mode: ipip}'] as const

/**
 * The 3-node clusters of kube/flows.test.ts (src/engine/kube/testClusters.ts), one per CNI, so
 * every backend it tests (host-gw and ipip too, which no cluster file uses) meets the kernel:
 * probed from the client pod, a web pod on another node, the buddy, the nodes and the laptop.
 * A headless Service over the web pods is added (no rules, DNS records only: SRV, PTR, A).
 */
export function testClusterCases(): DiffCase[] {
  return FLOWS_CNIS.map((cni, i) => {
    const body = WEB + FLOWS_HEADLESS + FLOWS_POLICY + pod('client', 'k8s-guide-worker2', { app: 'client' }, []) + pod('intruder', 'k8s-guide-worker2', { app: 'intruder' }, []) + pod('buddy', 'k8s-guide-worker2', { app: 'buddy' }, [8080])
    const built = buildCluster(desc(config(cni, 'dns: {records: [{name: example.com, data: 93.184.216.34}]}\n') + kindNodes() + body), { seed: 11 })
    const world: World = { ...built.world, cluster: built.cluster }
    const podNs = (name: string) => built.cluster.pods.find((p) => p.name === name || p.name.startsWith(`${name}-`))?.netns
    const webElsewhere = built.cluster.pods.find((p) => p.name.startsWith('web-') && p.node !== 'k8s-guide-worker2')?.netns
    const nodes = built.cluster.nodes.map((n) => n.name).filter((n) => world.netns[n])
    const sources = [podNs('client'), webElsewhere, podNs('buddy'), ...nodes.slice(0, 2), 'laptop'].filter((x): x is string => x !== undefined && world.netns[x] !== undefined)
    const mode = /(?:backend|mode): ([\w-]+)/.exec(cni)![1]!
    const plugin = cni.includes('flannel') ? 'flannel' : 'calico'
    return withProbes(`kube:flows-${plugin}-${mode}`, `src/engine/kube/flows.test.ts cluster, CNI ${cni}`, world, 700 + i, [], { sources })
  })
}

export function randomCases(seed: number, count: number): DiffCase[] {
  return randomWorlds(seed, count).map((r, i) => ({
    name: `random:${r.name}`,
    origin: `seed ${seed}: ${r.params}`,
    world: r.world,
    probes: [...r.probes, ...generateProbes(r.world, createRng(seed * 1000 + i), { pingsPerSource: 2 })],
  }))
}

/** Actions that leave the world as it is (they only ask). */
const READ_ONLY = new Set(['send', 'note', 'lookup', 'connect'])

/**
 * A later world of a scenario as a fresh build starts it: without the conntrack entries,
 * learned neighbours and FDB entries, CoreDNS cache entries and `recent` lists its sends left (those not already in `base`,
 * the scenario's start), so the engine and the kernel start from the same state.
 */
export function withoutLearnedState(w: World, base: World): World {
  const netns: Record<string, Netns> = {}
  for (const [name, n] of Object.entries(w.netns)) {
    const b = base.netns[name]
    const neigh = n.neigh.filter((e) => e.state === 'PERMANENT' || e.state === 'NOARP' || b?.neigh.some((x) => x.ip === e.ip && x.dev === e.dev && x.state === e.state && x.mac === e.mac))
    const fdb = n.fdb.filter((e) => e.permanent || b?.fdb.some((x) => x.mac === e.mac && x.dev === e.dev && x.dst === e.dst))
    // CoreDNS caches and `-m recent` lists are learned too (the DNS stand-in has no cache).
    const { dnsCache: _cache, ...rest } = n
    netns[name] = { ...rest, neigh, fdb, conntrack: b?.conntrack ?? [], recent: b?.recent ?? {}, ...(b?.dnsCache && { dnsCache: b.dnsCache }) }
  }
  return { ...w, netns }
}

/** The segments each action made (by action index), from the run's frame spans. */
function segmentsByAction(run: ScenarioRun): Map<number, Segment[]> {
  const out = new Map<number, Segment[]>()
  let frame = 0
  for (const s of run.timeline.segments) {
    const span = run.spans.find((x) => frame >= x.firstFrame && frame <= x.lastFrame)
    if (span) out.set(span.action, [...(out.get(span.action) ?? []), s])
    frame += s.kind === 'trace' ? Math.max(1, s.steps.length) : 1
  }
  return out
}

/** A scenario action (or a whole scenario) the kernel is not asked about, and why. */
export interface ScenarioSkip {
  readonly where: string
  readonly reason: string
}

interface ScenarioState {
  /** 1-based number of the action that made this state; 0 for the start. */
  readonly after: number
  readonly world: World
  readonly script: string
  readonly probes: CaseProbe[]
}

/** The kernel-side probes for one read-only action in a state's world (none for a note), or why it cannot be probed. */
function actionProbes(world: World, a: Action, ai: number): { probes: CaseProbe[]; skipped: string[] } {
  const skipped: string[] = []
  const multi = world.cluster !== undefined
  if ('send' in a) {
    const from = resolveSource(world, a.send.from)
    const to = resolveTarget(world, a.send.to, a.send.port)
    if (!world.netns[from]) return { probes: [], skipped: [`a send from ${a.send.from}, not a netns of the world`] }
    // A bare datagram to a DNS port: dnsmasq ignores what is not a DNS message, so it is asked
    // as a DNS query on the same path (same sender, address and port) in a cluster.
    if (a.send.proto === 'udp' && to.port === 53) {
      const zone = world.cluster?.dns.clusterDomain.replace(/\.$/, '')
      if (!zone) return { probes: [], skipped: ['a bare UDP datagram to port 53 outside a cluster (the DNS stand-in ignores what is not a DNS query)'] }
      return { probes: [{ kind: 'dns', from, server: to.ip, name: `kubernetes.default.svc.${zone}`, multi }], skipped }
    }
    if (a.send.proto === 'icmp') return { probes: [{ kind: 'ping', from, to: to.ip, ...(a.send.size !== undefined && { size: a.send.size }), ...(a.send.df !== undefined && { df: a.send.df }), ...(a.send.ttl !== undefined && { ttl: a.send.ttl }) }], skipped }
    if (to.port === undefined) return { probes: [], skipped: [`a ${a.send.proto} send without a port`] }
    return { probes: [{ kind: a.send.proto, from, to: to.ip, port: to.port, multi: true }], skipped }
  }
  if ('lookup' in a || 'connect' in a) {
    const spec = 'lookup' in a ? { from: a.lookup.from, name: a.lookup.name, type: a.lookup.type } : { from: a.connect.from, name: a.connect.name, type: 'A' as const }
    const from = resolveSource(world, spec.from)
    const server = world.netns[from]?.resolvConf?.nameservers[0]
    if (!server) return { probes: [], skipped: [`a lookup from ${spec.from}, which has no nameserver`] }
    // Each name the resolver asks (search list, ndots), as the engine's lookup asks them.
    const r = lookup(world, from, spec.name, { type: spec.type, seed: 1 + ai })
    const probes: CaseProbe[] = r.queries.map((name) => ({ kind: 'dns', from, server, name, ...(spec.type !== 'A' && { type: spec.type }), ...(multi && { multi }) }))
    // And the name as programs look it up, through resolv.conf (getent asks A only).
    if (spec.type === 'A') probes.push({ kind: 'resolve', from, name: spec.name })
    if ('connect' in a) {
      if (r.answer) probes.push({ kind: a.connect.proto, from, to: r.answer, port: a.connect.port, multi: true })
      else skipped.push(`a connect to ${a.connect.name}, which the engine does not resolve (${r.rcode})`)
    }
    return { probes, skipped }
  }
  return { probes: [], skipped }
}

/**
 * Every scenario, once as written and once per what-if. The world is advanced through the
 * actions (the runner's own intermediate worlds): the start and each later world that builds
 * differently on the kernel is a case, probed with the read-only actions that follow it
 * (`send` as ping/tcp/udp, `lookup` as DNS queries for each name the resolver asks,
 * `connect` as those plus a TCP connect), plus conntrack. What cannot be probed is counted
 * in `skipped` with its reason.
 */
export function scenarioCases(dir: string): { cases: DiffCase[]; problems: string[]; skipped: ScenarioSkip[] } {
  const cases: DiffCase[] = []
  const problems: string[] = []
  const skipped: ScenarioSkip[] = []
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
  } catch {
    return { cases, problems: [`${dir}: cannot read the folder`], skipped }
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
      const label = `${f}${whatIf ? ` [${whatIf}]` : ''}`
      const run = runScenario(scn, { readFile, file: f }, whatIf ? { whatIfs: [whatIf] } : {})
      if (run.diagnostics.some((d) => d.severity === 'error')) {
        problems.push(`${label}: ${run.diagnostics.find((d) => d.severity === 'error')!.message}`)
        continue
      }
      const byAction = segmentsByAction(run)
      const script = (w: World) => exportScript(w, { prefix: 'x-' })
      const states: ScenarioState[] = [{ after: 0, world: run.start, script: script(run.start), probes: [] }]
      scn.actions.forEach((a, ai) => {
        const state = states.at(-1)!
        const kind = Object.keys(a).find((k) => !COMMON_ACTION_KEYS.includes(k))
        if (kind && !READ_ONLY.has(kind)) {
          const after = byAction.get(ai)?.at(-1)?.after
          if (!after) return
          const world = withoutLearnedState(after, run.start)
          const text = script(world)
          if (text !== state.script) states.push({ after: ai + 1, world, script: text, probes: [] })
          return
        }
        try {
          const r = actionProbes(state.world, a, ai)
          state.probes.push(...r.probes)
          skipped.push(...r.skipped.map((reason) => ({ where: `${label} action ${ai + 1}`, reason })))
        } catch (e) {
          problems.push(`${label}: action "${a.title}": ${e instanceof Error ? e.message : String(e)}`)
        }
      })
      const probed = states.filter((s) => s.probes.length > 0)
      if (probed.length === 0) skipped.push({ where: label, reason: 'a scenario with no action the kernel can be asked about (no send, lookup or connect)' })
      for (const s of probed) {
        const name = `scenario:${f.replace(/\.\w+$/, '')}${whatIf ? `[${whatIf}]` : ''}${s.after > 0 ? `@${s.after}` : ''}`
        cases.push({ name, origin: `${join(dir, f)}${s.after > 0 ? `, the world after action ${s.after}` : ''}`, world: s.world, probes: [...s.probes, ...conntrackProbes(s.world)] })
      }
    }
  }
  return { cases, problems, skipped }
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
