import { describe, expect, it } from 'vitest'
import { EMPTY_HIGHLIGHT, edgeEmphasis, getHighlight, nodeEmphasis, setHighlight, touchedIds } from './highlight.ts'
import type { Highlight } from './highlight.ts'

const h = (x: Partial<Highlight>): Highlight => ({ ...EMPTY_HIGHLIGHT, ...x })

describe('touchedIds', () => {
  it('names the boxes a step moves between and the edges it lights or darkens, nothing else', () => {
    const a = h({ current: 'if:n1/eth0', from: 'if:n1/cni0', edges: new Set(['e1', 'e2']), flow: 'request' })
    const b = h({ current: 'if:n1/flannel.1', from: 'if:n1/eth0', edges: new Set(['e2', 'e3']), flow: 'request' })
    // e2 stays active with the same flow: its class does not change, so it is not told.
    expect([...touchedIds(a, b)].sort()).toEqual(['e1', 'e3', 'if:n1/cni0', 'if:n1/eth0', 'if:n1/flannel.1'])
  })

  it('tells every active edge when the flow changes (its class names the flow)', () => {
    const a = h({ edges: new Set(['e1']), flow: 'request' })
    const b = h({ edges: new Set(['e1']), flow: 'reply' })
    expect([...touchedIds(a, b)]).toEqual(['e1'])
  })

  it('every id whose emphasis differs is touched (property over small random highlights)', () => {
    const ids = ['a', 'b', 'c', 'd']
    const pick = (i: number) => ids[i % ids.length]!
    for (let seed = 0; seed < 200; seed++) {
      const mk = (s: number): Highlight => h({ current: s % 3 ? pick(s) : null, from: s % 5 ? pick(s + 1) : null, selected: s % 7 ? pick(s + 2) : null, tunnel: s % 2 ? pick(s + 3) : null, related: new Set(s % 4 ? [pick(s * 3)] : []), edges: new Set(s % 3 ? [pick(s * 5), pick(s * 7)] : []), flow: s % 2 ? 'request' : 'reply' })
      const a = mk(seed)
      const b = mk(seed * 13 + 1)
      const touched = touchedIds(a, b)
      for (const id of ids) {
        const changed = nodeEmphasis(a, id) !== nodeEmphasis(b, id) || edgeEmphasis(a, id) !== edgeEmphasis(b, id) || (edgeEmphasis(a, id) === 'active' && a.flow !== b.flow)
        if (changed) expect(touched.has(id)).toBe(true)
      }
    }
  })
})

describe('setHighlight', () => {
  it('replaces the state', () => {
    const next = h({ current: 'x' })
    setHighlight(next)
    expect(getHighlight()).toBe(next)
    setHighlight(EMPTY_HIGHLIGHT)
    expect(getHighlight().current).toBeNull()
  })
})
