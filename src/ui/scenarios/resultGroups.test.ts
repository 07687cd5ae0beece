import { describe, expect, it } from 'vitest'
import { groupResults, resultText } from './resultGroups.ts'
import type { ResultLine } from './types.ts'

const r = (field: string, expected: unknown, actual: unknown, ok: boolean, action = 0): ResultLine => ({ action, title: `action ${action}`, field, expected, actual, ok })

describe('expectations in words', () => {
  it.each([
    // [result, text] — why
    [r('verdict', 'delivered', 'delivered', true), 'verdict: delivered'], // met, same value: once
    [r('steps include arp-request', true, true, true), 'steps include arp-request'], // a yes/no check is its own statement
    [r('deliveredTo', 'pod-b', '10.244.1.3 (pod-b)', true), 'deliveredTo: 10.244.1.3 (pod-b)'], // what happened says more, and contains what was asked
    [r('dnat', '10.244.*', '10.244.2.3:80', true), 'dnat: 10.244.* (10.244.2.3:80)'], // a pattern, and what matched it
    [r('masquerade', true, true, true), 'masquerade: true'], // a field that is a value, not a statement
    [r('verdict', 'delivered', 'dropped', false), 'verdict: expected delivered, got dropped'],
    [r('queries', ['a.svc'], ['a.svc', 'b'], false), 'queries: expected ["a.svc"], got ["a.svc","b"]'],
  ])('%j → %s', (result, text) => {
    expect(resultText(result)).toBe(text)
  })

  it('groups by action in action order; a group is met only if every line is', () => {
    const g = groupResults([r('reply', 'delivered', 'dropped', false, 1), r('verdict', 'delivered', 'delivered', true, 0), r('verdict', 'delivered', 'delivered', true, 1)])
    expect(g.map((x) => [x.action, x.ok, x.lines.length])).toEqual([
      [0, true, 1],
      [1, false, 2],
    ])
  })
})
