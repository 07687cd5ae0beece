import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseIptablesSave } from '../../engine/netfilter/save.ts'
import { formatChance, serviceChains } from './serviceChains.ts'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/kube-proxy-flows/${name}`, import.meta.url), 'utf8')

/** A nat table with one Service of `n` endpoints, written the way kube-proxy writes it. */
function natWithEndpoints(n: number): string {
  const seps = Array.from({ length: n }, (_, i) => `KUBE-SEP-E${i}`)
  const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-WEB - [0:0]', ...seps.map((s) => `:${s} - [0:0]`)]
  lines.push('-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB')
  seps.forEach((s, i) => {
    const left = n - i
    const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : ''
    lines.push(`-A KUBE-SVC-WEB -m comment --comment "default/web:http -> 10.244.${i}.2:8080"${stat} -j ${s}`)
    lines.push(`-A ${s} -p tcp -m comment --comment default/web:http -m tcp -j DNAT --to-destination 10.244.${i}.2:8080`)
  })
  lines.push('COMMIT', '')
  return lines.join('\n')
}

describe('serviceChains', () => {
  it('reads ClusterIPs, their service chains and DNAT targets from kube-proxy rules', () => {
    const { ruleset, diagnostics } = parseIptablesSave(fixture('M01-TestTracePacket.rules.txt'))
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    const chains = serviceChains(ruleset)
    const svc4 = chains.find((c) => c.clusterIP === '172.30.0.44')!
    expect(svc4).toMatchObject({ name: 'ns4/svc4:p80', port: 80, proto: 'tcp', svcChain: 'KUBE-SVC-4SW47YFZTEDKD3PK' })
    // Two endpoints: the first rule has --probability 0.5, the last takes the remaining half.
    expect(svc4.endpoints.map((e) => [e.dnat, e.probability])).toEqual([
      ['10.180.0.4:80', 0.5],
      ['10.180.0.5:80', 0.5],
    ])
    // External and load-balancer IPs jump to KUBE-EXT-*, not a ClusterIP: not listed.
    expect(chains.some((c) => c.clusterIP === '192.168.99.22')).toBe(false)
    // "has no endpoints" is a REJECT rule, not a jump: not listed either.
    expect(chains.some((c) => c.clusterIP === '172.30.0.46')).toBe(false)
  })

  it.each([1, 3, 4])('splits evenly over %i endpoints (1/n, 1/(n−1), …, rest)', (n) => {
    const chains = serviceChains(parseIptablesSave(natWithEndpoints(n)).ruleset)
    expect(chains).toHaveLength(1)
    const ps = chains[0]!.endpoints.map((e) => e.probability)
    expect(ps).toHaveLength(n)
    for (const p of ps) expect(p).toBeCloseTo(1 / n, 6)
    expect(ps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
  })

  it('returns nothing for a netns without a nat KUBE-SERVICES chain', () => {
    expect(serviceChains({ tables: {} })).toEqual([])
  })

  it('formats chances as percentages with one decimal', () => {
    expect(formatChance(1 / 3)).toBe('33.3%')
    expect(formatChance(0.5)).toBe('50%')
  })
})
