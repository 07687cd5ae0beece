import { describe, expect, it } from 'vitest'
import { frameAt, frameCount, segmentStart, worldAtFrame } from './timeline.ts'
import { traceSegment } from '../trace.ts'
import type { Timeline } from './timeline.ts'
import { bridgeWorld } from '../sim/testWorlds.ts'
import { setSysctl } from '../model/ops.ts'

describe('timeline frames', () => {
  const w = bridgeWorld()
  const a = traceSegment(w, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' })
  const after = setSysctl(a.after, 'host', 'net.ipv4.ip_forward', false)
  const t: Timeline = { segments: [a, { kind: 'change', title: 'ip_forward off', before: a.after, after, events: [] }, traceSegment(after, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' })] }

  it('counts one frame per trace step and one per change', () => {
    const b = t.segments[2]!
    expect(frameCount(t)).toBe(a.steps.length + 1 + (b.kind === 'trace' ? b.steps.length : 0))
  })

  it('maps frame indexes to segments and back', () => {
    expect(frameAt(t, 0)).toEqual({ index: 0, segment: 0, step: 0 })
    expect(frameAt(t, a.steps.length)).toEqual({ index: a.steps.length, segment: 1, step: 0 })
    expect(segmentStart(t, 2)).toBe(a.steps.length + 1)
    expect(frameAt(t, 10_000).segment).toBe(2) // clamped to the last frame
  })

  it('the world at a frame is rebuilt from effects (ARP learned only after its step)', () => {
    const learn = a.steps.findIndex((s) => s.kind === 'neigh-learn')
    expect(worldAtFrame(t, learn - 1).netns['pod-a']!.neigh.some((n) => n.ip === '10.244.1.3' && n.mac)).toBe(false)
    expect(worldAtFrame(t, learn).netns['pod-a']!.neigh.some((n) => n.ip === '10.244.1.3' && n.mac)).toBe(true)
    expect(worldAtFrame(t, a.steps.length).netns.host!.sysctl['net.ipv4.ip_forward']).toBe(false)
  })
})
