/**
 * kube-proxy's own packet-flow expectations, reproduced through the command line: each ruleset
 * is a bare iptables-save (the jumps kube-proxy adds to the built-in chains are completed by the
 * importer), LOCAL addresses come from --local-ip, and --all-outcomes must reach exactly the DNAT
 * targets the kube-proxy test lists (or its ACCEPT / DROP / REJECT / "" verdict) with its masq flag.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isIpv4 } from '../engine/wire/addr.ts'
import { runCaptured } from './runCaptured.ts'

const DIR = new URL('../fixtures/kube-proxy-flows/', import.meta.url).pathname

interface Flow {
  name: string
  sourceIP: string
  protocol: string
  destIP: string
  destPort: number
  output: string
  masq: boolean
}
interface Case {
  id: string
  rules: string
  flows: string
  localIPs: string[]
}

const run = runCaptured

interface JsonOutcome {
  probability: number
  verdict: string
  dnat: string | null
  masquerade: boolean
}

const cases = JSON.parse(readFileSync(`${DIR}cases.json`, 'utf8')) as Case[]

describe.each(cases)('kube-proxy flows $id through `packetwalk trace`', (c) => {
  const flows = JSON.parse(readFileSync(`${DIR}${c.flows}`, 'utf8')) as Flow[]
  const locals = c.localIPs.filter(isIpv4).flatMap((ip) => ['--local-ip', ip])
  it.each(flows.filter((f) => isIpv4(f.sourceIP) && isIpv4(f.destIP)))('$name', async (f) => {
    const r = await run(['trace', `${DIR}${c.rules}`, ...locals, '--from', f.sourceIP, '--to', `${f.destIP}:${f.destPort}`, '--proto', f.protocol.toLowerCase(), '--all-outcomes', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const outcomes = (JSON.parse(r.stdout) as { outcomes: JsonOutcome[] }).outcomes
    const total = outcomes.reduce((p, o) => p + o.probability, 0)
    expect(total).toBeCloseTo(1, 9)
    if (f.output === 'DROP') expect(outcomes.map((o) => o.verdict)).toEqual(['dropped'])
    else if (f.output === 'REJECT') expect(outcomes.map((o) => o.verdict)).toEqual(['rejected'])
    else if (f.output === 'ACCEPT' || f.output === '') expect(outcomes.map((o) => [o.verdict, o.dnat])).toEqual([['delivered', null]])
    else {
      // "10.180.0.4:80, 10.180.0.5:80": every target reachable, nothing else.
      expect(outcomes.map((o) => o.dnat).sort()).toEqual(f.output.split(', ').sort())
      expect(outcomes.every((o) => o.verdict === 'delivered')).toBe(true)
    }
    expect(outcomes.some((o) => o.masquerade)).toBe(f.masq)
  })
})
