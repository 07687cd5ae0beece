/**
 * Properties of enumerateOutcomes over real rulesets: random `-m statistic` cascades with
 * nested jumps, written as iptables-save text, parsed, and walked by processHook at
 * PREROUTING, the walk forked at each choice (enumerateFork.test.ts: the same as replaying
 * it). The kernel's statistic match fires when `(get_random_u32() & 0x7FFFFFFF) < p·2^31`
 * (inverted with `!`), so a rule matches with the parsed (u32-quantized) probability, or
 * 1 − it when negated.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { enumerateOutcomes } from './enumerate.ts'
import { processHook } from './hooks.ts'
import type { NfEnv, NfPacket } from './hooks.ts'
import type { WalkSnapshot } from './eval.ts'
import { parseIptablesSave } from './save.ts'
import type { Ruleset } from './types.ts'
import { newNetns } from '../model/ops.ts'

/** A cascade: rules tried in order; a rule is a statistic match (or none) and a target. */
interface Cascade {
  readonly rules: readonly { readonly p: number | null; readonly neg: boolean; readonly target: Cascade | 'endpoint' }[]
}

const probability = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 0.5, 1e-12, 1 - 1e-12))
const cascade: fc.Arbitrary<Cascade> = fc.letrec<{ cascade: Cascade; target: Cascade | 'endpoint' }>((tie) => ({
  cascade: fc.record({ rules: fc.array(fc.record({ p: fc.option(probability, { nil: null }), neg: fc.boolean(), target: tie('target') }), { minLength: 1, maxLength: 4 }) }),
  target: fc.oneof({ depthSize: 'small', maxDepth: 3 }, fc.constant('endpoint' as const), tie('cascade')),
})).cascade

/** kube-proxy's cascade for n endpoints: rule i matches with 1/(n−i) (printed %0.10f), the last one always. */
function kubeProxyCascade(n: number): Cascade {
  return { rules: Array.from({ length: n }, (_, i) => ({ p: i < n - 1 ? Number((1 / (n - i)).toFixed(10)) : null, neg: false, target: 'endpoint' as const })) }
}

/** iptables-save text for a cascade: PREROUTING jumps to CH-0; every endpoint is its own DNAT address. */
function printCascade(root: Cascade): { text: string; endpoints: string[] } {
  const chains: string[] = []
  const rules: string[] = ['-A PREROUTING -j CH-0']
  const endpoints: string[] = []
  const emit = (c: Cascade): string => {
    const name = `CH-${chains.length}`
    chains.push(name)
    for (const r of c.rules) {
      let target: string
      if (r.target === 'endpoint') {
        const ep = `10.${1 + (endpoints.length >> 8)}.${endpoints.length & 255}.1:80`
        endpoints.push(ep)
        target = `DNAT --to-destination ${ep}`
      } else target = emit(r.target)
      const stat = r.p === null ? '' : `-m statistic --mode random ${r.neg ? '! ' : ''}--probability ${r.p.toFixed(11)} `
      rules.push(`-A ${name} -p tcp ${stat}-j ${target}`)
    }
    return name
  }
  emit(root)
  const text = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n')
  return { text, endpoints }
}

/**
 * The distribution the kernel would give, computed straight from the parsed ruleset (not
 * through the evaluator): per chain, the chance each rule is reached times its match chance;
 * a chain that falls off its end returns to the rule after the jump.
 */
function expectedDistribution(rs: Ruleset): Map<string, number> {
  const nat = rs.tables.nat!
  const out = new Map<string, number>()
  const walk = (chain: string, reach: number): number => {
    let remaining = reach
    for (const r of nat.chains[chain]!.rules) {
      const st = r.matches.find((m) => m.kind === 'statistic')
      const m = st?.kind === 'statistic' && st.mode === 'random' ? (st.neg ? 1 - st.probability : st.probability) : 1
      const taken = remaining * m
      remaining -= taken
      if (r.target.kind === 'DNAT') {
        const to = `${r.target.to.fromIp ?? ''}:${r.target.to.fromPort ?? ''}`
        out.set(to, (out.get(to) ?? 0) + taken)
      } else if (r.target.kind === 'jump') remaining += walk(r.target.chain, taken)
    }
    return remaining
  }
  const through = walk('CH-0', 1)
  if (through > 0) out.set('no DNAT', through)
  return out
}

const SYN: NfPacket = { src: '10.244.1.2', dst: '10.96.0.1', proto: 'tcp', sport: 40000, dport: 80, len: 60, mark: 0, tcpFlags: ['SYN'], inIface: 'cni0' }

/** Every outcome of PREROUTING for one SYN, as the enumerator lists them (the walk forked at each choice). */
function outcomesOf(rs: Ruleset) {
  const ns = newNetns('node', 'host', { ruleset: rs })
  return enumerateOutcomes<string, WalkSnapshot>((decide, fork) => {
    const env: NfEnv = { now: 0, decide, random: () => 0.5, addrType: () => 'UNICAST', masqueradeSource: () => undefined, ...(fork && { fork }) }
    const r = processHook(ns, 'PREROUTING', SYN, env)
    return r.packet.dst === SYN.dst ? 'no DNAT' : `${r.packet.dst}:${r.packet.dport ?? ''}`
  })
}

function parse(text: string): Ruleset {
  const parsed = parseIptablesSave(text)
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return parsed.ruleset
}

describe('enumerateOutcomes over statistic cascades', () => {
  it('outcome probabilities are each in (0, 1] and sum to 1, and match the distribution of the ruleset', () => {
    fc.assert(
      fc.property(cascade, (c) => {
        const rs = parse(printCascade(c).text)
        const outs = outcomesOf(rs)
        for (const o of outs) {
          // A branch of probability 0 is never listed; none can exceed certainty.
          expect(o.probability).toBeGreaterThan(0)
          expect(o.probability).toBeLessThanOrEqual(1)
        }
        // Every run is one path of a tree whose branches split q / 1−q: the leaves sum to 1.
        expect(Math.abs(outs.reduce((s, o) => s + o.probability, 0) - 1)).toBeLessThan(1e-9)
        // Grouped by result, the enumerated probabilities are the ruleset's own distribution.
        const got = new Map<string, number>()
        for (const o of outs) got.set(o.result, (got.get(o.result) ?? 0) + o.probability)
        const want = expectedDistribution(rs)
        for (const [k, p] of want) if (p > 0) expect(Math.abs((got.get(k) ?? 0) - p), k).toBeLessThan(1e-9)
        expect([...got.keys()].every((k) => (want.get(k) ?? 0) > 0)).toBe(true)
      }),
      { numRuns: 150 },
    )
  })

  it('kube-proxy cascades give each of n endpoints 1/n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (n) => {
        const { text, endpoints } = printCascade(kubeProxyCascade(n))
        const outs = outcomesOf(parse(text))
        // One outcome per endpoint, in rule order; every SYN is DNATed (the last rule always matches).
        expect(outs.map((o) => o.result)).toEqual(endpoints)
        // 1/(n−i) after i misses is 1/n overall; printing %0.10f and the kernel's 2^-31 steps
        // leave an error of a few 1e-10 per rule.
        for (const o of outs) expect(Math.abs(o.probability - 1 / n)).toBeLessThan(1e-8)
      }),
    )
  })

  it('a kube-proxy cascade reached through nested jumps still splits 1/n below its share', () => {
    // PREROUTING → CH-0: half the SYNs jump to a 3-endpoint cascade, the rest to a 2-endpoint one.
    const c: Cascade = { rules: [{ p: 0.5, neg: false, target: kubeProxyCascade(3) }, { p: null, neg: false, target: kubeProxyCascade(2) }] }
    const outs = outcomesOf(parse(printCascade(c).text))
    // 1/2 · 1/3 each for the first three, 1/2 · 1/2 for the last two.
    expect(outs.map((o) => Number(o.probability.toFixed(8)))).toEqual([0.16666667, 0.16666667, 0.16666667, 0.25, 0.25])
  })
})
