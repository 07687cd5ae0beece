import { describe, expect, it } from 'vitest'
import { candidates, chooseSide, clampInto, overlap } from './cardPlacement.ts'

const PANE = { x: 0, y: 0, w: 900, h: 500 }
const CARD = { w: 240, h: 70 }

describe('the header card beside the token', () => {
  it('overlap is the shared area, 0 when apart or only touching', () => {
    expect(overlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 5, w: 10, h: 10 })).toBe(25)
    expect(overlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 })).toBe(0)
  })

  it.each([
    // [token, node it is on, obstacles, side] — why
    [{ x: 400, y: 300 }, { x: 372, y: 300, w: 186, h: 62 }, [], 'above'], // room everywhere: above, as a label
    [{ x: 400, y: 30 }, { x: 372, y: 30, w: 186, h: 62 }, [], 'below'], // near the top edge: above would be clipped
    // A box right above the node (the previous hop): the card goes where nothing is drawn.
    [{ x: 400, y: 300 }, { x: 372, y: 300, w: 186, h: 62 }, [{ x: 372, y: 200, w: 186, h: 90 }, { x: 300, y: 370, w: 400, h: 100 }], 'right'],
    // Boxes above, below and to the right: left is free.
    [{ x: 400, y: 300 }, { x: 372, y: 300, w: 186, h: 62 }, [{ x: 300, y: 200, w: 400, h: 95 }, { x: 300, y: 365, w: 400, h: 100 }, { x: 565, y: 280, w: 300, h: 100 }], 'left'],
  ] as const)('token at %j → %s', (t, node, obstacles, side) => {
    // In this table the side is the last column.
    expect(chooseSide(candidates(t, node, CARD, 16), obstacles, PANE)).toBe(side)
  })

  it('everything covered the same: the first side in the order wins', () => {
    expect(chooseSide(candidates({ x: 400, y: 300 }, null, CARD, 16), [PANE], PANE)).toBe('above')
  })

  it('a card past the right edge slides back inside', () => {
    expect(clampInto({ x: 800, y: 10, w: 240, h: 70 }, PANE)).toEqual({ x: 654, y: 10, w: 240, h: 70 })
    expect(clampInto({ x: -50, y: -9, w: 240, h: 70 }, PANE)).toEqual({ x: 6, y: 6, w: 240, h: 70 })
  })
})
