import { describe, expect, it } from 'vitest'
import { buildBenchScenario } from '../../bench/ui/scenario.ts'
import { focusNetns } from './selectors.ts'

describe('focusNetns', () => {
  // A client pod → a Service backed by 8 pods on each of 3 nodes: the client's ARP request for
  // its gateway floods every pod on its bridge, and each drops the copy (not its address).
  const b = buildBenchScenario('focus', 1, 24)
  const seg = b.scenario.timeline.segments[0]!
  const steps = seg.kind === 'trace' ? seg.steps : []
  const focus = focusNetns(b.scenario.timeline)

  it('keeps the netns the packet is sent, routed and answered in', () => {
    const carrying = new Set(steps.filter((s) => s.flow === 'request' || s.flow === 'reply').map((s) => s.netns))
    expect([...carrying].every((n) => focus.has(n))).toBe(true)
    expect(focus.has('default/client')).toBe(true)
  })

  it('leaves out pods an ARP broadcast only reached (their copy dropped)', () => {
    const reachedOnly = new Set(steps.filter((s) => s.flow === 'arp' && s.kind === 'drop').map((s) => s.netns))
    for (const s of steps) if (s.flow !== 'arp') reachedOnly.delete(s.netns)
    expect(reachedOnly.size).toBeGreaterThan(5)
    expect([...reachedOnly].some((n) => focus.has(n))).toBe(false)
  })
})
