import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { VIEWS, parseUrlState, serializeUrlState } from './urlState.ts'

describe('URL state', () => {
  it('reads scenario, step and view; the step in the URL is the 1-based number people see', () => {
    expect(parseUrlState('?s=ex2-vxlan&f=12&v=packet')).toEqual({ scenario: 'ex2-vxlan', frame: 11, view: 'packet' })
  })

  it.each([
    ['', {}],
    ['?f=0', {}], // steps start at 1
    ['?f=-3&v=nope', {}],
    ['?f=1e3', {}],
    ['?s=../../etc/passwd', {}], // not an id
    ['?s=a&f=1', { scenario: 'a', frame: 0 }],
  ])('ignores what it cannot read: %s', (search, expected) => {
    expect(parseUrlState(search)).toEqual(expected)
  })

  it('reads the what-if and an instructor’s file URL, and writes the what-if back', () => {
    expect(parseUrlState('?s=scn-05&w=forward-drop&scenario=/course/week3.yaml')).toEqual({ scenario: 'scn-05', whatIf: 'forward-drop', url: '/course/week3.yaml' })
    expect(parseUrlState('?w=Not%20A%20Slug')).toEqual({}) // what-if ids are slugs
    expect(serializeUrlState({ scenario: 'scn-05', frame: 2, whatIf: 'forward-drop' }, '?scenario=/x.yaml')).toBe('?s=scn-05&f=3&w=forward-drop&scenario=%2Fx.yaml')
  })

  it('writes s, f, v first and keeps other parameters', () => {
    expect(serializeUrlState({ scenario: 'ex1-bridge', frame: 0, view: 'tables' }, '?debug=1&f=9')).toBe('?s=ex1-bridge&f=1&v=tables&debug=1')
    expect(serializeUrlState({})).toBe('')
  })

  test.prop([fc.stringMatching(/^[\w.-]{1,20}$/), fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(...VIEWS)])('round-trips', (scenario, frame, view) => {
    expect(parseUrlState(serializeUrlState({ scenario, frame, view }))).toEqual({ scenario, frame, view })
  })

  test.prop([fc.string()])('never throws on arbitrary text', (s) => {
    expect(() => parseUrlState(s)).not.toThrow()
  })
})
