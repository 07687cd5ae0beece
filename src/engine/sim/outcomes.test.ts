/**
 * The fast enumeration (one trace, then only the deciding hook's choices) against tracing
 * every choice sequence in full: same outcomes, same probabilities, same order, and a
 * replay of an outcome's choices is exactly the full trace of that outcome.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseIptablesSave } from '../netfilter/save.ts'
import { ensureKubeProxyJumps } from '../netfilter/kubeJumps.ts'
import type { Ruleset } from '../netfilter/types.ts'
import { generateKubeProxyRuleset } from '../kube/kubeProxy/generate.ts'
import { FLOW_CASES } from '../kube/kubeProxy/flowCases.ts'
import type { World } from '../model/types.ts'
import { rulesOnlyWorld } from './nodeFlow.ts'
import { decideFrom, enumerateAtDecisionHook, traceAllOutcomes } from './outcomes.ts'
import type { ChoiceOutcomes } from './outcomes.ts'
import type { SendSpec } from './trace.ts'

const DIR = new URL('../../fixtures/kube-proxy-flows/', import.meta.url).pathname

interface Case { id: string; rules: string; flows: string; localIPs: string[] }
interface Flow { name: string; sourceIP: string; protocol: string; destIP: string; destPort: number }

const cases = JSON.parse(readFileSync(`${DIR}cases.json`, 'utf8')) as Case[]

/** Probability per DNAT target (null: not DNATed), summed: the outcome set both ways must give. */
function byDnat(list: readonly { dnat: string | null; probability: number }[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const o of list) out[o.dnat ?? '-'] = (out[o.dnat ?? '-'] ?? 0) + o.probability
  return out
}

/** Assert the fast list equals the full enumeration, and that replays are the full traces. */
function expectSame(world: World, send: SendSpec): ChoiceOutcomes {
  const full = traceAllOutcomes(world, send, { seed: 1, now: 0 })
  const fast = enumerateAtDecisionHook(world, send, { seed: 1, now: 0 })
  const want = byDnat(full)
  const got = byDnat(fast.outcomes)
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort())
  for (const [k, p] of Object.entries(want)) expect(got[k]).toBeCloseTo(p, 12)
  expect(fast.outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12)
  // Same order as the full enumeration: the DNAT targets in the order they first appear.
  const order = (xs: readonly { dnat: string | null }[]) => [...new Set(xs.map((o) => o.dnat))]
  expect(order(fast.outcomes)).toEqual(order(full))
  for (const o of fast.outcomes) {
    const r = fast.replay(o.choices)
    const twin = full.find((f) => f.dnat === r.outcome.dnat && f.verdict === r.outcome.verdict && f.snat === r.outcome.snat)
    expect(twin, `replay of ${o.dnat}`).toBeDefined()
    const { probability: _p, steps, ...rest } = twin!
    expect(r.outcome).toEqual(rest)
    expect(r.steps).toEqual(steps)
  }
  return fast
}

const flowSend = (f: Flow): SendSpec => ({ from: f.sourceIP, to: f.destIP, proto: f.protocol.toLowerCase() as 'tcp' | 'udp', dport: f.destPort, roundTrip: false })

describe('kube-proxy flow fixtures: fast enumeration = every choice traced', () => {
  for (const c of cases) {
    const { ruleset } = ensureKubeProxyJumps(parseIptablesSave(readFileSync(DIR + c.rules, 'utf8'), { file: c.rules }).ruleset)
    const flows = JSON.parse(readFileSync(DIR + c.flows, 'utf8')) as Flow[]
    it.each(flows.filter((f) => !f.sourceIP.includes(':')).map((f) => [f.name, f] as const))(`${c.id}: %s`, (_n, f) => {
      expectSame(rulesOnlyWorld(ruleset, c.localIPs), flowSend(f))
    })
  }
})

describe('generated kube-proxy rules for the same cases', () => {
  describe.each(FLOW_CASES)('%s', (id, inp) => {
    const c = cases.find((k) => k.id === id)!
    const { ruleset } = generateKubeProxyRuleset(inp)
    const flows = (JSON.parse(readFileSync(DIR + c.flows, 'utf8')) as Flow[]).filter((f) => !f.sourceIP.includes(':'))
    it.each(flows.map((f) => [f.name, f] as const))('%s', (_n, f) => {
      expectSame(rulesOnlyWorld(ruleset, c.localIPs), flowSend(f))
    })
  })
})

/** A rules-only node from iptables-save text. */
function node(text: string): Ruleset {
  const p = parseIptablesSave(text)
  expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return p.ruleset
}

// 10.0.0.1:80 is load-balanced over three backends by a kube-proxy-style 1/3, 1/2, rest cascade.
const THREE = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.1.0.1:80
-A PREROUTING -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.1.0.2:80
-A PREROUTING -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.3:80
COMMIT
`
const from = (to: string): SendSpec => ({ from: '203.0.113.5', to, proto: 'tcp', dport: 80, roundTrip: false })

describe('where the choices are made', () => {
  it('one hook chooses: enumerated there, with the hook, its verdict and the rules each outcome matched', () => {
    const fast = expectSame(rulesOnlyWorld(node(THREE), ['192.168.0.2']), from('10.0.0.1'))
    expect(fast.method).toBe('hook')
    // 1/3; 2/3 × 1/2; the rest: a third each.
    expect(fast.outcomes.map((o) => [o.dnat, o.probability.toFixed(6), o.at?.hook, o.verdictAtHook])).toEqual([
      ['10.1.0.1:80', '0.333333', 'PREROUTING', 'ACCEPT'],
      ['10.1.0.2:80', '0.333333', 'PREROUTING', 'ACCEPT'],
      ['10.1.0.3:80', '0.333333', 'PREROUTING', 'ACCEPT'],
    ])
    // The third outcome declined both statistic rules, then took the plain DNAT (rule 3), the one rule that matched.
    expect(fast.outcomes[2]!.choices.map((c) => c.taken)).toEqual([false, false])
    expect(fast.outcomes[2]!.matched.map((m) => [m.chain, m.rule.index, m.rule.action])).toEqual([['PREROUTING', 3, 'DNAT → 10.1.0.3:80']])
    // The first took rule 1's statistic match: 0.33333333349, as the kernel stores it (a 2^31 fraction).
    expect(fast.outcomes[0]!.matched.map((m) => m.rule.index)).toEqual([1])
    expect(fast.outcomes[0]!.matched[0]!.rule.probability).toBeCloseTo(1 / 3, 9)
  })

  it('no random choice on the way: one outcome, method none', () => {
    const fast = expectSame(rulesOnlyWorld(node(THREE), ['192.168.0.2']), from('10.0.0.9'))
    expect(fast.method).toBe('none')
    expect(fast.outcomes).toEqual([expect.objectContaining({ probability: 1, dnat: null, at: null, choices: [] })])
  })

  it('choices in two hooks (DNAT in PREROUTING, SNAT in POSTROUTING): every sequence traced in full', () => {
    const rs = node(THREE.replace('COMMIT', '-A POSTROUTING -m statistic --mode random --probability 0.5 -j SNAT --to-source 192.168.0.9\nCOMMIT'))
    const world = rulesOnlyWorld(rs, ['192.168.0.2'])
    const fast = expectSame(world, from('10.0.0.1'))
    expect(fast.method).toBe('full')
    // 3 backends × (SNAT or not).
    expect(fast.outcomes).toHaveLength(6)
    expect(fast.outcomes.filter((o) => o.snat !== null)).toHaveLength(3)
  })

  it('a replay takes the listed answers in order, then what a first run takes', () => {
    const d = decideFrom([{ taken: false }])
    // Given answer, then the first-run default (taken), then forced by the probability.
    expect([d(0.5, 'a'), d(0.5, 'b'), d(0, 'c'), d(1, 'd')]).toEqual([false, true, false, true])
  })

  it('the full trace of the first outcome is the one the enumeration started from (not traced twice)', () => {
    const fast = enumerateAtDecisionHook(rulesOnlyWorld(node(THREE), ['192.168.0.2']), from('10.0.0.1'))
    const a = fast.replay(fast.outcomes[0]!.choices)
    expect(fast.replay(fast.outcomes[0]!.choices)).toBe(a)
    expect(a.outcome.dnat).toBe('10.1.0.1:80')
  })
})
