import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importDumps } from '../../engine/import/importDump.ts'
import { importToWorld } from '../../engine/import/toWorld.ts'
import type { DumpInput } from '../../engine/import/types.ts'
import { frameCount, worldAtFrame } from '../../engine/scenario/timeline.ts'
import { describeChoice, destinationOptions, importedWorldScenario, listOutcomes, matchedAtHook, matchedRules, outcomeScenario, sendFromForm, sourceOptions, TRACE_ALL_LIMIT, traceImported } from './traceImport.ts'
import type { TraceForm } from './traceImport.ts'

const CAPTURED = new URL('../../engine/import/fixtures/captured/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')

/** Node 1 from its collector bundle (kube-proxy + flannel rules, pods 10.244.1.2/.3/.200). */
const bundle: DumpInput[] = [{ name: 'n1.bundle.txt', text: captured('n1.bundle.txt') }]
const one = importDumps(bundle)
const world1 = importToWorld(one)

const form = (f: Partial<TraceForm>): TraceForm => ({ from: '10.244.1.2', to: '10.96.45.10', proto: 'tcp', port: '80', allOutcomes: true, ...f })

describe('pickers', () => {
  it('offers the pods, the node and an outside client as sources', () => {
    const values = sourceOptions(one, world1).map((o) => `${o.group}:${o.value}`)
    // 10.244.1.2 has a host veth on cni0; 10.244.1.200 a cali route; 192.168.50.11 is eth0's address.
    expect(values).toEqual(expect.arrayContaining(['Pods:10.244.1.2', 'Pods:10.244.1.200', 'Nodes:192.168.50.11', 'Outside:203.0.113.10']))
  })

  it('offers the Services with their ports, NodePorts on the node address, and pods', () => {
    const opts = destinationOptions(one)
    // default/web is 10.96.45.10:80/tcp with NodePort 30080 (capture.sh); kube-dns is 10.96.0.10:53/udp.
    expect(opts.find((o) => o.label.startsWith('default/web:http') && o.group === 'Services (ClusterIP)')).toMatchObject({ value: '10.96.45.10', port: 80, proto: 'tcp' })
    expect(opts.find((o) => o.group === 'Services (NodePort)')).toMatchObject({ value: '192.168.50.11', port: 30080, proto: 'tcp' })
    expect(opts.find((o) => o.label.startsWith('kube-system/kube-dns:dns'))).toMatchObject({ value: '10.96.0.10', port: 53, proto: 'udp' })
  })
})

describe('sendFromForm', () => {
  it.each([
    // [form, expected packet or error]
    [form({}), { send: { from: '10.244.1.2', to: '10.96.45.10', proto: 'tcp', dport: 80, roundTrip: true } }],
    // A Service by name: resolveTarget finds its ClusterIP and port in the imported rules.
    [form({ to: 'default/web', port: '' }), { send: { from: '10.244.1.2', to: '10.96.45.10', proto: 'tcp', dport: 80, roundTrip: true } }],
    // ICMP carries no port, even when the field has one.
    [form({ proto: 'icmp', to: '10.244.1.3' }), { send: { from: '10.244.1.2', to: '10.244.1.3', proto: 'icmp', roundTrip: true } }],
    [form({ from: '' }), { error: 'Choose where the packet starts (a pod, a node, or any IPv4 address).' }],
    [form({ port: 'http' }), { error: 'Port “http” is not a number.' }],
    [form({ port: '70000' }), { error: 'The port must be between 1 and 65535.' }],
    [form({ port: '', to: '10.244.1.3' }), { error: 'A tcp packet needs a port (e.g. 10.244.1.3:80).' }],
  ])('%j', (f, expected) => {
    const r = sendFromForm(world1, f)
    if ('error' in expected) expect(r).toEqual(expected)
    else expect(r).toMatchObject(expected)
  })

  it('says what exists when a name does not resolve', () => {
    const r = sendFromForm(world1, form({ from: 'no-such-pod' }))
    expect('error' in r && r.error).toMatch(/no netns, pod, node or client called "no-such-pod" \(known: pwB-node1, /)
  })
})

describe('tracing through the imported rules', () => {
  const send = (f: Partial<TraceForm>) => {
    const r = sendFromForm(world1, form(f))
    if ('error' in r) throw new Error(r.error)
    return r.send
  }

  it('enumerates both backends of default/web, 50% each, DNATed by the dump’s own KUBE-SEP lines', () => {
    const outcomes = traceImported(world1, send({}), true)
    // KUBE-SVC-XGLOHA7QRQ3V22RZ picks one of two KUBE-SEP chains with probability 0.5.
    expect(outcomes.map((o) => [o.verdict, o.dnat, o.probability.toFixed(2)]).sort()).toEqual([
      ['delivered', '10.244.1.200:8080', '0.50'],
      ['delivered', '10.244.1.2:8080', '0.50'],
    ])
    const path = matchedRules(world1, outcomes[0]!.steps).filter((r) => r.table === 'nat' && r.hook === 'PREROUTING' && r.chain.startsWith('KUBE-'))
    // KUBE-SERVICES → KUBE-SVC-… (50%) → KUBE-SEP-… DNAT, each at its own line of the bundle.
    const dnat = path.find((r) => r.action.startsWith('DNAT'))!
    expect(path.map((r) => r.chain).slice(0, 2)).toEqual(['KUBE-SERVICES', 'KUBE-SVC-XGLOHA7QRQ3V22RZ'])
    expect(path[1]!.probability).toBe(0.5)
    expect(dnat.chain).toMatch(/^KUBE-SEP-WEB/)
    expect(path.every((r) => r.file === 'n1.bundle.txt' && (r.line ?? 0) > 100)).toBe(true)
    const raw = captured('n1.bundle.txt').split('\n')[dnat.line! - 1]
    expect(raw).toContain('-j DNAT --to-destination')
  })

  it('a list lists each outcome from the choosing hook, with the DNAT and the rules it matched there, before any full trace', () => {
    const list = listOutcomes(world1, send({}), true)
    // Two endpoints: a short list (≤ TRACE_ALL_LIMIT) is traced at once as well.
    expect(list.outcomes.length).toBeLessThanOrEqual(TRACE_ALL_LIMIT)
    expect(list.outcomes.every((o) => o.traced !== undefined)).toBe(true)
    for (const o of list.outcomes) {
      // What the enumeration says at the hook agrees with the full trace of the same choice.
      expect(o.choice.dnat).toBe(o.traced!.dnat)
      expect(o.choice.at?.hook).toBe('PREROUTING')
      expect(describeChoice(o.choice)).toContain(`DNAT → ${o.traced!.dnat}`)
      const atHook = matchedAtHook(world1, o.choice)
      // The same KUBE-SEP DNAT line of the bundle as the traced path shows.
      const dnat = atHook.find((r) => r.action.startsWith('DNAT'))!
      const traced = matchedRules(world1, o.traced!.steps).find((r) => r.action.startsWith('DNAT'))!
      expect([dnat.chain, dnat.line, dnat.file]).toEqual([traced.chain, traced.line, traced.file])
    }
    // trace() hands back the kept trace, not a new one.
    expect(list.trace(list.outcomes[0]!)).toBe(list.outcomes[0]!.traced)
  })

  it('one run without all outcomes', () => {
    const outcomes = traceImported(world1, send({}), false)
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]!.probability).toBe(1)
  })

  it('makes a scenario the explainer can play: one trace segment, its steps as frames', () => {
    const [o] = traceImported(world1, send({}), true)
    const s = outcomeScenario(world1, one, send({}), o!, 2, 'Service default/web')
    expect(s.id).toBe('imported-trace')
    expect(frameCount(s.timeline)).toBe(o!.steps.length)
    // The last frame's world holds the connection the trace made.
    expect(worldAtFrame(s.timeline, o!.steps.length - 1).netns['pwB-node1']!.conntrack.length).toBeGreaterThan(world1.netns['pwB-node1']!.conntrack.length)
    expect(s.narration.some((n) => n.text.startsWith('Your rule n1.bundle.txt:'))).toBe(true)
    expect(importedWorldScenario(world1, one).timeline.segments).toHaveLength(1)
  })

  it('crosses nodes when several were imported: n1 pod → kube-dns endpoint on n2 over VXLAN', () => {
    const both: DumpInput[] = [
      ...['n1.ip-d-addr.txt', 'n1.ip-route.txt', 'n1.ip-neigh.txt', 'n1.bridge-fdb.txt', 'n1.iptables-save.txt'].map((f) => ({ name: f, text: captured(f), node: 'n1' })),
      ...['n2.ip-addr.txt', 'n2.ip-d-link.txt', 'n2.ip-route.txt', 'n2.ip-neigh.txt', 'n2.bridge-fdb.txt'].map((f) => ({ name: f, text: captured(f), node: 'n2' })),
    ]
    const r = importDumps(both)
    const w = importToWorld(r)
    const s = sendFromForm(w, form({ to: '10.96.0.10', port: '53', proto: 'udp' }))
    if ('error' in s) throw new Error(s.error)
    const outcomes = traceImported(w, s.send, true)
    // kube-dns has endpoints 10.244.1.3 (n1) and 10.244.2.2 (n2): the second goes through flannel.1.
    const remote = outcomes.find((o) => o.dnat === '10.244.2.2:53')
    expect(remote).toMatchObject({ verdict: 'delivered', encapsulated: true })
    expect(remote!.steps.some((st) => st.netns === 'n2')).toBe(true)
  })
})
