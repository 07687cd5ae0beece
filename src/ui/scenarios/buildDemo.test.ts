import { describe, expect, it } from 'vitest'
import { frameCount } from '../../engine/scenario/timeline.ts'
import { buildDemo, loadWorld } from './buildDemo.ts'
import { DEMOS } from './demos.ts'
import { narrationAt } from './types.ts'

describe('built-in demos', () => {
  it('loads both world files without diagnostics', async () => {
    const w = await loadWorld('vxlan-two-nodes')
    expect(Object.keys(w.netns).sort()).toEqual(['node1', 'node1-pod', 'node2', 'node2-pod'])
    await expect(loadWorld('nope')).rejects.toThrow(/no world file/)
  })

  // Each demo's last trace ends the way the curriculum says it does.
  it.each([
    ['ex1-bridge', 'delivered', null],
    ['ex2-vxlan', 'delivered', null],
    ['ip-forward-off', 'dropped', /ip_forward is off in node1/],
    ['mtu-vxlan', 'dropped', /fragmentation needed: 1500 > MTU 1450 of flannel.1/],
    ['ex1-twice', 'delivered', null],
    ['clusterip-by-hand', 'delivered', null],
    ['cluster-service', 'delivered', null],
  ] as const)('%s ends %s', async (id, verdict, reason) => {
    const s = await buildDemo(id)
    const last = s.timeline.segments.at(-1)!
    expect(last.kind).toBe('trace')
    if (last.kind !== 'trace') return
    expect(last.outcome.verdict).toBe(verdict)
    if (reason) expect(last.outcome.dropReason).toMatch(reason)
  })

  it('every demo in the catalog builds, and every frame has narration', async () => {
    for (const d of DEMOS) {
      const s = await buildDemo(d.id)
      expect(s.title).toBe(d.title)
      for (let f = 0; f < frameCount(s.timeline); f++) expect(narrationAt(s, f), `${d.id} frame ${f}`).toBeTruthy()
    }
  })

  it('cluster-service: the DNS lookup comes first, then the connection is DNATed to an nginx pod', async () => {
    const s = await buildDemo('cluster-service')
    expect(s.timeline.segments[0]?.title).toMatch(/^DNS A\? nginx-svc/)
    const last = s.timeline.segments.at(-1)!
    expect(last.kind === 'trace' && last.outcome.deliveredNetns).toMatch(/^default\/nginx-/)
  })

  it('the second ping of ex1-twice needs no ARP (state carried between segments)', async () => {
    const s = await buildDemo('ex1-twice')
    const [a, b] = s.timeline.segments
    expect(a?.kind === 'trace' && a.steps.some((x) => x.kind === 'arp-request')).toBe(true)
    expect(b?.kind === 'trace' && b.steps.some((x) => x.kind === 'arp-request')).toBe(false)
  })
})
