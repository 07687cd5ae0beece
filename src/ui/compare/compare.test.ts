import { readFileSync, readdirSync } from 'node:fs'
import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { Link, World } from '../../engine/model/types.ts'
import { parseScenario, runScenario } from '../../engine/scenario/runner.ts'
import type { Timeline, TraceSegment } from '../../engine/scenario/timeline.ts'
import type { StepKind, TraceStep } from '../../engine/sim/trace.ts'
import type { Packet } from '../../engine/wire/packet.ts'
import { alignHops, hopKey, pairSegment, rowOfStep, stepAtOrBefore, summarizeDifferences } from './compare.ts'
import type { CompareRow, SideTrace } from './compare.ts'

// ---------------------------------------------------------------- small builders

const PLAIN: Packet = { headers: [{ kind: 'ipv4', src: '10.244.1.2', dst: '10.244.2.5', ttl: 64, df: false, id: 1, proto: 'icmp', length: 84 }] }
const WRAPPED: Packet = {
  headers: [
    { kind: 'ipv4', src: '192.168.1.10', dst: '192.168.1.20', ttl: 64, df: false, id: 2, proto: 'udp', length: 134 },
    { kind: 'udp', sport: 40000, dport: 8472 },
    { kind: 'vxlan', vni: 1 },
    { kind: 'eth', src: '22:00:00:00:00:01', dst: '22:00:00:00:00:02', type: 'ipv4' },
    ...PLAIN.headers,
  ],
}

function step(kind: StepKind, netns: string, more: Partial<TraceStep> = {}): TraceStep {
  return { kind, flow: 'request', netns, packet: PLAIN, explain: `${kind} in ${netns}`, t: 0, ...more }
}

function link(name: string, mtu: number, more: Record<string, unknown> = {}): Link {
  return { kind: 'veth', ifindex: 1, name, mtu, mac: '02:00:00:00:00:01', up: true, addrs: [], ...more }
}

/** Only what compare.ts reads of a world: each netns's kind and links. */
function world(links: Record<string, readonly Link[]> = {}): World {
  const netns = Object.fromEntries(Object.entries(links).map(([name, ls]) => [name, { name, kind: name.includes('/') ? 'pod' : 'host', links: ls }]))
  return { netns, segments: {}, nodes: [] } as unknown as World
}

const side = (steps: TraceStep[], w = world()): SideTrace => ({ steps, world: w })
const statuses = (rows: readonly CompareRow[]) => rows.map((r) => r.status)

// ---------------------------------------------------------------- alignment

describe('alignHops', () => {
  it('a trace beside itself: every row the same, no difference', () => {
    const steps = [step('send', 'pod-a'), step('route', 'pod-a'), step('tx', 'pod-a', { dev: 'eth0' }), step('deliver', 'pod-c')]
    const rows = alignHops(side(steps), side(steps))
    expect(statuses(rows)).toEqual(['same', 'same', 'same', 'same'])
    expect(summarizeDifferences(rows)).toEqual([])
  })

  it('an encapsulation only the right side has sits on its own row, where it happens', () => {
    const left = [step('send', 'pod-a'), step('segment', 'node1'), step('deliver', 'pod-c')]
    const right = [step('send', 'pod-a'), step('encap', 'node1', { dev: 'flannel.1', packet: WRAPPED }), step('segment', 'node1', { packet: WRAPPED }), step('deliver', 'pod-c')]
    const rows = alignHops(side(left), side(right))
    // send | encap (right only) | segment (wrapped on one side: changed) | deliver
    expect(statuses(rows)).toEqual(['same', 'right-only', 'changed', 'same'])
    expect(rows[1]).toMatchObject({ right: 1, difference: { tag: 'encap', title: 'VXLAN encapsulation' } })
    // What the learner reads: the outer header, the port and the VNI, and the 50 bytes it costs.
    expect(rows[1]!.difference!.explain).toContain('outer 192.168.1.10 → 192.168.1.20, UDP 8472, VXLAN VNI 1')
    expect(rows[1]!.difference!.explain).toContain('adds 50 bytes')
    expect(rows[2]!.difference).toMatchObject({
      tag: 'wire',
      sides: { left: '10.244.1.2 → 10.244.2.5, no outer header', right: 'outer 192.168.1.10 → 192.168.1.20 UDP 8472 VNI 1, inner 10.244.1.2 → 10.244.2.5' },
    })
  })

  it('the same hop on devices of different MTU is a changed row that says why (50 = the VXLAN overhead)', () => {
    const l = side([step('tx', 'default/pod-a', { dev: 'eth0' })], world({ 'default/pod-a': [link('eth0', 1500)] }))
    const r = side([step('tx', 'default/pod-a', { dev: 'eth0' }), step('encap', 'node1', { packet: WRAPPED })], world({ 'default/pod-a': [link('eth0', 1450)] }))
    const [tx] = alignHops(l, r)
    expect(tx).toMatchObject({ status: 'changed', difference: { tag: 'mtu', title: 'MTU 1500 vs 1450' } })
    expect(tx!.difference!.explain).toContain("VXLAN's wrapper takes 50 bytes")
  })

  it('a proto bird route beside a route into the VXLAN device names both', () => {
    const bird = { dst: '10.244.2.0/24', type: 'unicast', table: 'main', via: '192.168.1.20', dev: 'eth0', scope: 'global', proto: 'bird' } as const
    const vx = { dst: '10.244.2.0/24', type: 'unicast', table: 'main', via: '10.244.2.0', dev: 'flannel.1', onlink: true, scope: 'global', proto: 'boot' } as const
    const l = side([step('route', 'node1', { ref: { table: 'route', netns: 'node1', route: bird, reason: '' } })], world({ node1: [link('eth0', 1500, { kind: 'phys' })] }))
    const r = side([step('route', 'node1', { ref: { table: 'route', netns: 'node1', route: vx, reason: '' } })], world({ node1: [link('flannel.1', 1450, { kind: 'vxlan', vni: 1, dstport: 8472 })] }))
    const [row] = alignHops(l, r)
    expect(row!.difference!.title).toBe('Route: proto bird vs dev flannel.1')
    expect(row!.difference!.sides!.left).toMatch(/^10\.244\.2\.0\/24 via 192\.168\.1\.20 dev eth0 proto bird: learned over BGP/)
    expect(row!.difference!.sides!.right).toMatch(/^10\.244\.2\.0\/24 via 10\.244\.2\.0 dev flannel\.1 onlink: into the tunnel device flannel\.1/)
  })

  it('hops on a bridge, proxy ARP and the outer packet’s own lookup are named for what they are', () => {
    const w = world({ node1: [link('cni0', 1450, { kind: 'bridge' }), link('veth1', 1450, { master: 'cni0' }), link('cali1', 1500, { proxyArp: true })] })
    const rows = alignHops(
      side([step('arp-reply', 'node1', { dev: 'cali1', flow: 'arp' })], w),
      side([step('fdb-learn', 'node1', { dev: 'veth1' }), step('route', 'node1', { packet: WRAPPED }), step('netfilter', 'node1', { packet: WRAPPED, netfilter: { hook: 'OUTPUT', path: 'routed', chains: [], verdict: 'ACCEPT' } })], w),
    )
    expect(rows.map((r) => r.difference?.tag)).toEqual(['proxy-arp', 'bridge', 'outer-route', 'outer-netfilter'])
    expect(rows[3]!.difference!.explain).toBe('The wrapped packet is sent by the node itself, so it passes OUTPUT, not FORWARD.')
  })

  it('netfilter hops line up by hook, not by order', () => {
    const nf = (hook: 'PREROUTING' | 'FORWARD' | 'POSTROUTING') => step('netfilter', 'node1', { netfilter: { hook, path: 'routed', chains: [], verdict: 'ACCEPT' } })
    const rows = alignHops(side([nf('PREROUTING'), nf('FORWARD'), nf('POSTROUTING')]), side([nf('PREROUTING'), nf('POSTROUTING')]))
    // FORWARD has no partner; PREROUTING and POSTROUTING pair with their own kind.
    expect(rows.map((r) => [r.left, r.right])).toEqual([[0, 0], [1, undefined], [2, 1]])
  })

  const kinds: StepKind[] = ['send', 'route', 'tx', 'rx', 'veth', 'segment', 'deliver']
  const trace = fc.array(fc.tuple(fc.constantFrom(...kinds), fc.constantFrom('pod-a', 'node1', 'node2')), { maxLength: 25 }).map((xs) => xs.map(([k, n]) => step(k, n)))

  fcTest.prop([trace, trace])('every hop of each side appears once, in order; paired hops are the same kind of hop', (a, b) => {
    const rows = alignHops(side(a), side(b))
    expect(rows.flatMap((r) => (r.left === undefined ? [] : [r.left]))).toEqual(a.map((_, i) => i))
    expect(rows.flatMap((r) => (r.right === undefined ? [] : [r.right]))).toEqual(b.map((_, i) => i))
    for (const r of rows) if (r.left !== undefined && r.right !== undefined) expect(hopKey(a[r.left]!)).toBe(hopKey(b[r.right]!))
    for (const r of rows) expect(r.status === 'same').toBe(r.difference === undefined)
  })
})

// ---------------------------------------------------------------- stepping both sides

describe('where a step is on the other side', () => {
  const rows: CompareRow[] = [
    { left: 0, right: 0, status: 'same' },
    { right: 1, status: 'right-only' },
    { left: 1, right: 2, status: 'same' },
    { left: 2, status: 'left-only' },
  ]
  it.each([
    ['left', 1, 2], // left step 1 sits on row 2
    ['right', 1, 1],
    ['left', 9, -1], // no such step
  ] as const)('rowOfStep(%s, %i) = %i', (s, stepIndex, row) => expect(rowOfStep(rows, s, stepIndex)).toBe(row))

  it.each([
    ['left', 1, 0], // row 1 is right-only: the left side is still at its step 0
    ['right', 3, 2], // row 3 is left-only: the right side rests at its step 2
    ['right', 0, 0],
  ] as const)('stepAtOrBefore(%s, row %i) = %i', (s, row, expected) => expect(stepAtOrBefore(rows, s, row)).toBe(expected))
})

describe('pairSegment', () => {
  const trace = (title: string) => ({ kind: 'trace', title }) as unknown as TraceSegment
  const change = { kind: 'change', title: 'pod-d starts' } as unknown as TraceSegment
  const a: Timeline = { segments: [trace('ping'), change, trace('ping'), trace('curl')] }
  it.each([
    [0, { segments: [trace('ping'), trace('ping'), trace('curl')] }, 0],
    [2, { segments: [trace('ping'), trace('ping'), trace('curl')] }, 1], // the second "ping" pairs with the second "ping"
    [3, { segments: [trace('ping'), trace('ping'), trace('curl')] }, 2],
    [3, { segments: [trace('x'), trace('y'), trace('z')] }, 2], // no title in common: the third trace with the third trace
    [1, { segments: [trace('ping')] }, undefined], // a change frame has no hops to compare
  ] as const)('segment %i → %s', (seg, other, expected) => expect(pairSegment(a, other as Timeline, seg)).toBe(expected))
})

// ---------------------------------------------------------------- the scenario that declares it

const read = (rel: string) => readFileSync(new URL(`../../../scenarios/${rel}`, import.meta.url), 'utf8')
function runFile(name: string, whatIfs: string[] = []) {
  const p = parseScenario(read(`${name}.yaml`), { file: `${name}.yaml` })
  return { scenario: p.scenario!, run: runScenario(p.scenario!, { readFile: read, source: p.source }, { whatIfs }) }
}
const firstTrace = (t: Timeline) => t.segments.find((s) => s.kind === 'trace')!

describe('scenario 07 beside its flannel what-if', () => {
  const calico = runFile('07-pod-to-pod-calico-bgp')
  const flannel = runFile('07-pod-to-pod-calico-bgp', ['flannel'])
  const a = firstTrace(calico.run.timeline)
  const b = firstTrace(flannel.run.timeline)
  const rows = alignHops({ steps: a.steps, world: a.before }, { steps: b.steps, world: b.before })
  const groups = summarizeDifferences(rows)
  const titles = groups.map((g) => g.title)

  it('declares the compare with its own what-if', () => {
    expect(calico.scenario.compare).toMatchObject({ with: 'flannel' })
    expect(calico.scenario.whatIfs.map((w) => w.id)).toContain(calico.scenario.compare!.with)
  })

  it('finds what the lesson is about: VXLAN in and out, UDP 8472, MTU 1500 vs 1450, proto bird vs flannel.1', () => {
    expect(titles).toEqual(expect.arrayContaining(['VXLAN encapsulation', 'VXLAN decapsulation', 'On the wire', 'MTU 1500 vs 1450', 'Route: proto bird vs dev flannel.1', 'The cni0 bridge']))
    // Request and reply are each wrapped once and unwrapped once, only under flannel.
    const encap = rows.filter((r) => r.difference?.tag === 'encap')
    expect(encap.map((r) => r.status)).toEqual(['right-only', 'right-only'])
    expect(rows.filter((r) => r.difference?.tag === 'decap')).toHaveLength(2)
    const wire = rows.find((r) => r.difference?.tag === 'wire')!.difference!
    expect(wire.sides).toEqual({ left: '10.244.1.2 → 10.244.2.5, no outer header', right: 'outer 192.168.1.10 → 192.168.1.20 UDP 8472 VNI 1, inner 10.244.1.2 → 10.244.2.5' })
  })

  it('lists the most telling differences first: what happens to the packet, then the routes and the MTU', () => {
    // encap/decap/wire change the packet itself; the bridge and ARP bookkeeping come after.
    expect(groups.slice(0, 5).map((g) => g.title)).toEqual(['VXLAN encapsulation', 'VXLAN decapsulation', 'On the wire', 'Route: proto bird vs dev flannel.1', 'A different route'])
  })

  it('lines the common path up: the same pods send and receive on both sides', () => {
    const same = rows.filter((r) => r.status === 'same')
    // send, the final delivery, and the ARP exchange on the underlay are shared.
    expect(same[0]).toMatchObject({ left: 0, right: 0 })
    expect(rows.at(-1)).toMatchObject({ left: a.steps.length - 1, right: b.steps.length - 1, status: 'same' })
    expect(a.steps[rows.at(-1)!.left!]!.kind).toBe('deliver')
    // Most of Calico's hops have a partner: its path is the flannel path minus the overlay.
    expect(rows.filter((r) => r.left !== undefined && r.right !== undefined).length / a.steps.length).toBeGreaterThan(0.75)
  })

  it('every scenario that declares a compare names a what-if of its own or another scenario', () => {
    const files = readdirSync(new URL('../../../scenarios/', import.meta.url)).filter((f) => /^\d\d-.*\.yaml$/.test(f))
    const parsed = files.map((f) => parseScenario(read(f), { file: f }).scenario!)
    const ids = new Set(parsed.map((s) => s.metadata.id))
    for (const s of parsed) if (s.compare) expect(s.whatIfs.some((w) => w.id === s.compare!.with) || ids.has(s.compare.with), s.metadata.id).toBe(true)
  })
})

describe('the compare field of a scenario file', () => {
  const file = (compare: string) => read('07-pod-to-pod-calico-bgp.yaml').replace(/^compare:\n(?: {2}.*\n)+/m, compare)
  it('is optional: a file without it parses as before', () => {
    const p = parseScenario(file(''), { file: 'x.yaml' })
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    expect(p.scenario!.compare).toBeUndefined()
  })
  it.each([
    ['compare:\n  with: flannel\n', /title/], // the view needs a heading
    ['compare:\n  with: flannel\n  title: t\n  against: x\n', /against/], // strict: a typo is an error, never ignored
    ['compare:\n  with: Flannel VXLAN\n  title: t\n', /lowercase/], // an id, not a label
  ])('rejects %j with a message that names the problem', (text, message) => {
    const p = parseScenario(file(text), { file: 'x.yaml' })
    const errors = p.diagnostics.filter((d) => d.severity === 'error')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.map((d) => `${d.message} ${d.hint ?? ''}`).join('\n')).toMatch(message)
    expect(errors[0]!.line).toBeGreaterThan(0)
  })
})
