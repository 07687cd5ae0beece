/**
 * The outcome list with the deciding hook's walk forked at each random choice (the default)
 * against the same list with the hook replayed from its start per outcome (`enumerate:
 * 'replay'`, how it was listed before): identical for kube-proxy's own flow fixtures, the rules
 * packetwalk generates for them, the benchmark's dump world and its 3-node cluster — method,
 * order, probabilities, choices, where, verdict, translations and the matched rules.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseIptablesSave } from '../netfilter/save.ts'
import { ensureKubeProxyJumps } from '../netfilter/kubeJumps.ts'
import { generateKubeProxyRuleset } from '../kube/kubeProxy/generate.ts'
import { FLOW_CASES } from '../kube/kubeProxy/flowCases.ts'
import { clusterDnsResponder } from '../kube/dns.ts'
import { loadClusterText } from '../kube/load.ts'
import { resolveSource, resolveTarget } from '../session.ts'
import type { World } from '../model/types.ts'
import { rulesOnlyWorld } from './nodeFlow.ts'
import { enumerateAtDecisionHook } from './outcomes.ts'
import type { OutcomeOptions } from './outcomes.ts'
import type { SendSpec } from './trace.ts'
import { clusterIp, dumpWorld } from '../../bench/dumpWorld.ts'
import { generateCluster } from '../../bench/genCluster.ts'
import { generateKubeProxyDump } from '../../bench/genKubeProxyDump.ts'

const DIR = new URL('../../fixtures/kube-proxy-flows/', import.meta.url).pathname

interface Case { id: string; rules: string; flows: string; localIPs: string[] }
interface Flow { name: string; sourceIP: string; protocol: string; destIP: string; destPort: number }

const cases = JSON.parse(readFileSync(`${DIR}cases.json`, 'utf8')) as Case[]
const flowSend = (f: Flow): SendSpec => ({ from: f.sourceIP, to: f.destIP, proto: f.protocol.toLowerCase() as 'tcp' | 'udp', dport: f.destPort, roundTrip: false })

/** Both ways; the lists must be equal to the last field (and the first replay is the same trace). */
function expectSameBothWays(world: World, send: SendSpec, opts: OutcomeOptions = { seed: 1, now: 0 }): number {
  const fork = enumerateAtDecisionHook(world, send, opts)
  const replay = enumerateAtDecisionHook(world, send, { ...opts, enumerate: 'replay' })
  expect(fork.method).toBe(replay.method)
  expect(fork.outcomes).toStrictEqual(replay.outcomes)
  const first = fork.outcomes[0]!
  expect(fork.replay(first.choices)).toStrictEqual(replay.replay(first.choices))
  return fork.outcomes.length
}

describe('kube-proxy flow fixtures: forked = replayed', () => {
  for (const c of cases) {
    const { ruleset } = ensureKubeProxyJumps(parseIptablesSave(readFileSync(DIR + c.rules, 'utf8'), { file: c.rules }).ruleset)
    const flows = (JSON.parse(readFileSync(DIR + c.flows, 'utf8')) as Flow[]).filter((f) => !f.sourceIP.includes(':'))
    it(`${c.id}: ${flows.length} flows`, () => {
      for (const f of flows) expectSameBothWays(rulesOnlyWorld(ruleset, c.localIPs), flowSend(f))
    })
  }
})

describe('generated kube-proxy rules for the same cases: forked = replayed', () => {
  it.each(FLOW_CASES)('%s', (id, inp) => {
    const c = cases.find((k) => k.id === id)!
    const { ruleset } = generateKubeProxyRuleset(inp)
    const flows = (JSON.parse(readFileSync(DIR + c.flows, 'utf8')) as Flow[]).filter((f) => !f.sourceIP.includes(':'))
    for (const f of flows) expectSameBothWays(rulesOnlyWorld(ruleset, c.localIPs), flowSend(f))
  })
})

describe('the benchmark worlds: forked = replayed', () => {
  it.each([1, 2, 3, 17, 100])('dump world, one node, 50 Services × %i endpoints', (endpoints) => {
    const world = dumpWorld(parseIptablesSave(generateKubeProxyDump(50, endpoints)).ruleset, 38, endpoints)
    // Service 38's cascade: one outcome per endpoint.
    expect(expectSameBothWays(world, { from: 'client', to: clusterIp(38), proto: 'tcp', dport: 80 }, { now: 0 })).toBe(endpoints)
  })

  it.each([1, 5, 40])('3-node cluster, a Service with %i endpoints, with CoreDNS', (endpoints) => {
    const c = generateCluster(1, endpoints)
    const loaded = loadClusterText(c.text, { file: 'bench-cluster.yaml', seed: 1 })
    const world = loaded.world!
    const target = resolveTarget(world, c.service)
    const send: SendSpec = { from: resolveSource(world, 'default/client'), to: target.ip, proto: 'tcp', dport: target.port ?? 80 }
    expect(expectSameBothWays(world, send, { now: 0, dns: clusterDnsResponder(world.cluster!) })).toBe(endpoints)
  })
})
