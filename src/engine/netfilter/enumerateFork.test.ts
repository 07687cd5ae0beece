/**
 * Forking the walk at each random statistic match (EvalEnv.fork) against replaying the hook
 * from its start once per outcome (enumerateOutcomes with `replay: true`, the way outcomes were
 * listed before): for random rulesets over mangle, nat and filter, with jumps, gotos, RETURN,
 * MARK and mark matches, nth counters, recent lists, `-m limit` and several statistic matches
 * in one rule, walked through PREROUTING → FORWARD → POSTROUTING in one run, both must give
 * exactly the same outcomes: probability, choices and everything processHook returns.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { enumerateOutcomes } from './enumerate.ts'
import type { Decide, EnumeratedOutcome, Fork } from './enumerate.ts'
import { processHook } from './hooks.ts'
import type { HookOutcome, NfEnv, NfPacket } from './hooks.ts'
import type { WalkSnapshot } from './eval.ts'
import { parseIptablesSave } from './save.ts'
import type { Hook, Ruleset } from './types.ts'
import { newNetns } from '../model/ops.ts'
import type { Netns } from '../model/types.ts'
import { generateKubeProxyDump } from '../../bench/genKubeProxyDump.ts'

// ---------------------------------------------------------------------------------------
// Random rulesets, as iptables-save text.

type Table = 'mangle' | 'nat' | 'filter'
const USER = ['U0', 'U1', 'U2', 'U3'] as const
const BUILTIN: Record<Table, readonly Hook[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
}

const probability = fc.oneof(fc.constantFrom(0, 1, 0.5, 0.25, 1 / 3), fc.double({ min: 0, max: 1, noNaN: true }))
const statistic = fc.tuple(fc.boolean(), probability).map(([neg, p]) => `-m statistic --mode random ${neg ? '! ' : ''}--probability ${p.toFixed(11)}`)
const match = fc.oneof(
  { weight: 4, arbitrary: statistic },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 0, max: 1 })).map(([every, packet]) => `-m statistic --mode nth --every ${every} --packet ${packet}`) },
  { weight: 1, arbitrary: fc.constantFrom('--set', '--rcheck', '--update --seconds 60', '--remove').map((mode) => `-m recent ${mode} --name L --rsource`) },
  { weight: 1, arbitrary: fc.constantFrom('-m mark --mark 0x1/0x1', '-m mark ! --mark 0x2/0x2') },
  { weight: 1, arbitrary: fc.constantFrom('-s 10.244.0.0/16', '! -s 10.244.0.0/16', '-d 10.96.0.1/32', '-p tcp -m tcp --dport 80', '-m limit --limit 5/sec', '-m comment --comment "x"') },
)

/** A rule's target in `table`, jumping only to later user chains (no loops). */
function target(table: Table, after: number): fc.Arbitrary<string> {
  const jumps = USER.slice(after).flatMap((c) => [`-j ${c}`, `-g ${c}`])
  const own: Record<Table, string[]> = {
    mangle: ['-j MARK --set-xmark 0x1/0x1', '-j MARK --set-xmark 0x2/0x3'],
    nat: ['-p tcp -j DNAT --to-destination 10.1.0.1:8080', '-j DNAT --to-destination 10.1.0.2', '-j SNAT --to-source 192.168.0.9', '-j MASQUERADE'],
    filter: ['-j REJECT --reject-with icmp-port-unreachable', '-j DROP'],
  }
  return fc.constantFrom('', '-j ACCEPT', '-j RETURN', '-j LOG', ...own[table], ...jumps, ...jumps)
}

function rules(table: Table, chain: string, after: number): fc.Arbitrary<string[]> {
  return fc.array(fc.tuple(fc.array(match, { maxLength: 3 }), target(table, after)), { maxLength: 5 }).map((rs) => rs.map(([ms, t]) => `-A ${chain} ${[...ms, t].join(' ')}`.replace(/ +$/, '')))
}

function tableText(table: Table): fc.Arbitrary<string> {
  return fc.tuple(fc.tuple(...BUILTIN[table].map((h) => rules(table, h, 0))), fc.tuple(...USER.map((c, i) => rules(table, c, i + 1)))).map(([base, user]) =>
    [`*${table}`, ...BUILTIN[table].map((h) => `:${h} ACCEPT [0:0]`), ...USER.map((c) => `:${c} - [0:0]`), ...base.flat(), ...user.flat(), 'COMMIT'].join('\n'),
  )
}

const rulesetText = fc.tuple(tableText('mangle'), tableText('nat'), tableText('filter')).map((ts) => `${ts.join('\n')}\n`)

function parse(text: string): Ruleset {
  const parsed = parseIptablesSave(text)
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return parsed.ruleset
}

// ---------------------------------------------------------------------------------------
// Runs.

const SYN: NfPacket = { src: '10.244.1.2', dst: '10.96.0.1', proto: 'tcp', sport: 40000, dport: 80, len: 60, mark: 0, tcpFlags: ['SYN'], inIface: 'cni0' }

/** A node that has seen 10.244.1.2 in list L (so --rcheck can hit) and counted some nth packets. */
function nodeWith(rs: Ruleset): Netns {
  const ns = newNetns('node', 'host', { ruleset: rs })
  return { ...ns, recent: { L: [{ addr: '10.244.1.2', last: -5000, hits: 2 }] } }
}

/** A deterministic stand-in for the trace's RNG, fresh per run (MASQUERADE/SNAT port picks). */
function counterRandom(): () => number {
  let x = 0
  return () => (x = (x * 7 + 3) % 11) / 11
}

/** One forwarded SYN: PREROUTING, then FORWARD and POSTROUTING while accepted, each hook seeing the last one's netns and packet. */
function forward(ns: Netns, matchedOnly: boolean, hooks: readonly Hook[] = ['PREROUTING', 'FORWARD', 'POSTROUTING']) {
  return (decide: Decide, fork?: Fork<WalkSnapshot>): HookOutcome[] => {
    const env: NfEnv = { now: 1000, decide, random: counterRandom(), addrType: () => 'UNICAST', masqueradeSource: () => '192.168.0.2', matchedOnly, ...(fork && { fork }) }
    const out: HookOutcome[] = []
    let n = ns
    let p: NfPacket = SYN
    for (const hook of hooks) {
      const r = processHook(n, hook, hook === 'PREROUTING' ? p : { ...p, outIface: 'eth0' }, env)
      out.push(r)
      if (r.verdict !== 'ACCEPT') break
      n = r.netns
      p = r.packet
    }
    return out
  }
}

/** Both ways, with the number of outcomes. */
function bothWays<T>(run: (decide: Decide, fork?: Fork<WalkSnapshot>) => T): { fork: EnumeratedOutcome<T>[]; replay: EnumeratedOutcome<T>[] } {
  // A ruleset with many statistic matches over three hooks has up to 2^k outcomes: the first 256 say enough.
  return { fork: enumerateOutcomes(run, { maxRuns: 256 }), replay: enumerateOutcomes(run, { maxRuns: 256, replay: true }) }
}

describe('forking the walk gives exactly the outcomes of replaying it', () => {
  it('random rulesets over mangle, nat and filter, three hooks in one run', () => {
    fc.assert(
      fc.property(rulesetText, fc.boolean(), (text, matchedOnly) => {
        const ns = nodeWith(parse(text))
        const { fork, replay } = bothWays(forward(ns, matchedOnly))
        // Everything: probability (same float), choices, verdicts, packets, netns, steps, effects.
        expect(fork).toStrictEqual(replay)
      }),
      { numRuns: 200 },
    )
  })

  it('the forks happen: a kube-proxy cascade re-walks no rule before its fork', () => {
    // 100 endpoints: a replay walks 1 + 2 + … + 100 statistic rules; a fork walks each once,
    // so decide() is asked 99 times plus once more per run that resumes (the flipped answer).
    const rs = parse(generateKubeProxyDump(2, 100))
    const ns = nodeWith(rs)
    const asked = { fork: 0, replay: 0 }
    const counting = (way: 'fork' | 'replay') => (decide: Decide, fork?: Fork<WalkSnapshot>) => forward(ns, true, ['PREROUTING'])((p, l) => (asked[way]++, decide(p, l)), fork)
    const f = enumerateOutcomes(counting('fork'))
    const r = enumerateOutcomes(counting('replay'), { replay: true })
    expect(f).toStrictEqual(r)
    expect(f).toHaveLength(100)
    // Replay: run k (1-based) asks k times, the last one 99 (its rule has no statistic match).
    expect(asked.replay).toBe((100 * 101) / 2 - 1)
    // Fork: the first run asks once; each of the other 99 asks for its flipped answer, and all but the last once more.
    expect(asked.fork).toBe(1 + 99 + 98)
  })

  it('kube-proxy dumps: every Service, both ways, at PREROUTING and OUTPUT', () => {
    // Services 0–5 of a 6-service dump with 1–7 endpoints each (10.96.0.s:80), from a pod and from the node.
    for (const endpoints of [1, 2, 3, 7]) {
      const ns = nodeWith(parse(generateKubeProxyDump(6, endpoints)))
      for (let s = 0; s < 6; s++) {
        for (const hook of ['PREROUTING', 'OUTPUT'] as const) {
          const run = (decide: Decide, fork?: Fork<WalkSnapshot>) =>
            processHook(ns, hook, { ...SYN, dst: `10.96.0.${s}`, ...(hook === 'OUTPUT' && { src: '192.168.0.2', inIface: undefined }) }, { now: 0, decide, random: counterRandom(), addrType: () => 'UNICAST', masqueradeSource: () => '192.168.0.2', matchedOnly: s % 2 === 0, ...(fork && { fork }) }, 'routed')
          const { fork, replay } = bothWays(run)
          expect(fork).toStrictEqual(replay)
          // One outcome per endpoint: the cascade gives each its share.
          expect(fork).toHaveLength(endpoints)
        }
      }
    }
  })

  it('a toy walk over a cascade of probabilities: same outcomes as replaying, each step walked once', () => {
    // The walk's whole state is the index of the rule it is at: it saves it before each
    // decision and resumes from it. Forking visits each rule once per outcome that reaches it
    // through a fork, never from the start again.
    fc.assert(
      fc.property(fc.array(probability, { maxLength: 12 }), (ps) => {
        let steps = 0
        const run = (d: Decide, fork?: Fork<number>) => {
          for (let i = fork?.resume('toy') ?? 0; i < ps.length; i++) {
            steps++
            const p = ps[i]!
            if (p > 0 && p < 1) fork?.save(i)
            if (d(p, `r${i}`)) return i
          }
          return -1
        }
        const replayed = enumerateOutcomes(run, { replay: true })
        const replaySteps = steps
        steps = 0
        expect(enumerateOutcomes(run)).toStrictEqual(replayed)
        // Each outcome's run walks from its fork to its end: at most the rules, once each, per outcome.
        expect(steps).toBeLessThanOrEqual(replaySteps)
        expect(steps).toBeLessThanOrEqual(replayed.length + ps.length)
      }),
    )
  })

  it('a run whose walk never asks to resume is replayed, with the same outcomes', () => {
    // The run saves states but passes no fork to the walk that decides second: enumerateOutcomes falls back to replaying.
    const run = (d: Decide, fork?: Fork<string>) => {
      fork?.save('a')
      const a = d(0.5, 'a')
      const b = d(0.5, 'b')
      return `${a ? 'A' : '-'}${b ? 'B' : '-'}`
    }
    expect(enumerateOutcomes(run).map((o) => [o.result, o.probability])).toEqual([
      ['AB', 0.25],
      ['A-', 0.25],
      ['-B', 0.25],
      ['--', 0.25],
    ])
  })
})
