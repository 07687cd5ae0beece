/**
 * The generated rules behave as kube-proxy's own tests expect: every packet flow of
 * src/fixtures/kube-proxy-flows, replayed with the netfilter engine over the rules we
 * generate from the equivalent Services (flowCases.ts) instead of the fixture's rules,
 * reaches exactly the expected DNAT targets (or DROP/REJECT) with the expected masquerade.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateKubeProxyRuleset } from './generate.ts'
import { FLOW_CASES } from './flowCases.ts'
import { enumerateOutcomes } from '../../netfilter/enumerate.ts'
import { runNodeFlow } from '../../sim/nodeFlow.ts'
import type { NodeFlowResult } from '../../sim/nodeFlow.ts'

const DIR = new URL('../../../fixtures/kube-proxy-flows/', import.meta.url).pathname

interface Case { id: string; flows: string; localIPs: string[] }
interface Flow { name: string; sourceIP: string; protocol: string; destIP: string; destPort: number; output: string; masq: boolean }

const cases = JSON.parse(readFileSync(`${DIR}cases.json`, 'utf8')) as Case[]

/** The fixture's vocabulary: DROP/REJECT, else the DNAT target, else ACCEPT by a filter rule, else "". */
function label(r: NodeFlowResult): string {
  if (r.verdict !== 'ACCEPT') return r.verdict
  if (r.dnat) return r.dnat
  return r.acceptedByRule ? 'ACCEPT' : ''
}

describe.each(FLOW_CASES)('%s, generated', (id, inp) => {
  const c = cases.find((k) => k.id === id)
  if (!c) throw new Error(`no case ${id}`)
  const { ruleset, diagnostics } = generateKubeProxyRuleset(inp)
  const flows = (JSON.parse(readFileSync(DIR + c.flows, 'utf8')) as Flow[]).filter((f) => !f.sourceIP.includes(':'))

  it('parses cleanly', () => {
    expect(diagnostics).toEqual([])
    expect(flows.length).toBeGreaterThan(0)
  })

  it.each(flows.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const outcomes = enumerateOutcomes((decide) => runNodeFlow(ruleset, c.localIPs, { src: f.sourceIP, dst: f.destIP, proto: f.protocol.toLowerCase() as 'tcp' | 'udp', dport: f.destPort }, decide))
    const got = [...new Set(outcomes.map((o) => label(o.result)))].sort()
    const want = [...new Set(f.output === '' ? [''] : f.output.split(', '))].sort()
    expect(got).toEqual(want)
    for (const o of outcomes) expect(o.result.masquerade).toBe(f.masq)
    // Several endpoints: an equal share each (the 1/n cascade, after quantisation).
    if (want.length > 1 && outcomes.every((o) => o.result.dnat)) for (const o of outcomes) expect(o.probability).toBeCloseTo(1 / want.length, 8)
  })
})
