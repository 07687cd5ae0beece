/**
 * Where the packet's header card goes: beside the token, on the side where it covers the
 * least of the graph (other nodes' boxes, group titles) and stays inside the pane. Pure, in
 * screen pixels; the token component measures and applies the answer.
 */

export interface Rect {
  readonly x: number
  readonly y: number
  readonly w: number
  readonly h: number
}

export type CardSide = 'above' | 'below' | 'right' | 'left'

/** Area of the overlap of two rectangles. */
export function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y)
  return w > 0 && h > 0 ? w * h : 0
}

/** The card's rectangle on each side of the token (`t`, its centre) and of the node it is on. */
export function candidates(t: { x: number; y: number }, node: Rect | null, card: { w: number; h: number }, gap: number): Record<CardSide, Rect> {
  const n = node ?? { x: t.x, y: t.y, w: 0, h: 0 }
  return {
    above: { x: t.x - gap, y: t.y - gap - card.h, w: card.w, h: card.h },
    below: { x: t.x - gap, y: Math.max(t.y + gap, n.y + n.h + 4), w: card.w, h: card.h },
    right: { x: n.x + n.w + 8, y: t.y - gap / 2, w: card.w, h: card.h },
    left: { x: n.x - 8 - card.w, y: t.y - gap / 2, w: card.w, h: card.h },
  }
}

/**
 * The side whose card covers the least: overlap with the obstacles, plus what falls outside
 * the pane (counted three times: a clipped card is worse than one over a box). Ties go to the
 * order given (above first: it reads as the packet's label).
 *
 * @example
 * chooseSide(candidates({ x: 50, y: 10 }, null, { w: 200, h: 60 }, 16), [], { x: 0, y: 0, w: 800, h: 600 }) // 'below': above would leave the pane
 */
export function chooseSide(cands: Readonly<Record<CardSide, Rect>>, obstacles: readonly Rect[], pane: Rect, order: readonly CardSide[] = ['above', 'below', 'right', 'left']): CardSide {
  let best: CardSide = order[0] ?? 'above'
  let bestScore = Infinity
  for (const side of order) {
    const r = cands[side]
    const inside = overlap(r, pane)
    let score = 3 * (r.w * r.h - inside)
    for (const o of obstacles) score += overlap(r, o)
    if (score < bestScore - 0.5) {
      best = side
      bestScore = score
    }
  }
  return best
}

/** Slide a rectangle back inside the pane where it can (a card wider than the pane keeps its left edge in). */
export function clampInto(r: Rect, pane: Rect, margin = 6): Rect {
  const x = Math.max(pane.x + margin, Math.min(r.x, pane.x + pane.w - margin - r.w))
  const y = Math.max(pane.y + margin, Math.min(r.y, pane.y + pane.h - margin - r.h))
  return { ...r, x, y }
}
