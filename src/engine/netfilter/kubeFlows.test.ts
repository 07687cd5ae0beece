/**
 * kube-proxy's own packet-flow expectations (src/fixtures/kube-proxy-flows) replayed with
 * the kernel's hook order: for every flow, every outcome the random choices allow, with
 * probabilities summing to 1, must give exactly the DNAT targets (or DROP/REJECT/ACCEPT/"")
 * and the masquerade flag the fixture expects.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseIptablesSave } from './save.ts'
import { ensureKubeProxyJumps } from './kubeJumps.ts'
import { enumerateOutcomes } from './enumerate.ts'
import { runNodeFlow } from '../sim/nodeFlow.ts'
import type { NodeFlowResult } from '../sim/nodeFlow.ts'

const DIR = new URL('../../fixtures/kube-proxy-flows/', import.meta.url).pathname

interface Case { id: string; rules: string; flows: string; localIPs: string[] }
interface Flow { name: string; sourceIP: string; protocol: string; destIP: string; destPort: number; output: string; masq: boolean }

const cases = JSON.parse(readFileSync(`${DIR}cases.json`, 'utf8')) as Case[]

/** The fixture's vocabulary: a DROP/REJECT verdict wins, then the DNAT target, then an explicit filter ACCEPT, else "". */
function label(r: NodeFlowResult): string {
  if (r.verdict !== 'ACCEPT') return r.verdict
  if (r.dnat) return r.dnat
  return r.acceptedByRule ? 'ACCEPT' : ''
}

function render(r: NodeFlowResult): string {
  return r.hooks.map((h) => `${h.hook} ${h.verdict}\n${h.chains.map((c) => `  ${c.table}/${c.chain}: ${c.rules.map((e) => `#${e.index} ${e.result}${e.failed ? ` (${e.failed})` : ''}${e.action ? ` → ${e.action}` : ''}`).join('; ')} ⇒ ${c.exit}`).join('\n')}`).join('\n')
}

describe('kube-proxy flow fixtures', () => {
  it('has the five cases', () => {
    expect(cases.map((c) => c.id)).toHaveLength(5)
  })
  for (const c of cases) {
    const parsed = parseIptablesSave(readFileSync(DIR + c.rules, 'utf8'), { file: c.rules })
    const { ruleset } = ensureKubeProxyJumps(parsed.ruleset)
    const flows = JSON.parse(readFileSync(DIR + c.flows, 'utf8')) as Flow[]
    describe(c.id, () => {
      it('parses with no errors (warnings only for the unquoted comments)', () => {
        expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
      })
      for (const f of flows) {
        it(f.name, () => {
          const outcomes = enumerateOutcomes((decide) => runNodeFlow(ruleset, c.localIPs, { src: f.sourceIP, dst: f.destIP, proto: f.protocol.toLowerCase() as 'tcp', dport: f.destPort }, decide))
          const total = outcomes.reduce((s, o) => s + o.probability, 0)
          expect(total).toBeCloseTo(1, 12)
          const got = [...new Set(outcomes.map((o) => label(o.result)))].sort()
          const want = [...new Set(f.output === '' ? [''] : f.output.split(', '))].sort()
          const why = outcomes.map((o) => `p=${o.probability}\n${render(o.result)}`).join('\n---\n')
          expect(got, why).toEqual(want)
          // masq: MASQUERADE fired at POSTROUTING exactly when the packet went through KUBE-MARK-MASQ.
          for (const o of outcomes) {
            expect(o.result.masquerade, why).toBe(f.masq)
            if (o.result.verdict === 'ACCEPT') expect(o.result.markedMasq, why).toBe(f.masq)
          }
          // Several endpoints: each reachable target has an equal share (kube-proxy's 1/n cascade).
          const targets = outcomes.filter((o) => o.result.dnat)
          if (want.length > 1 && targets.length === outcomes.length) for (const o of outcomes) expect(o.probability).toBeCloseTo(1 / want.length, 9)
        })
      }
    })
  }
})
