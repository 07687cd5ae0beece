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
