// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { ownsKey, typesText } from './useKeyboard.ts'

const el = (html: string) => {
  const d = document.createElement('div')
  d.innerHTML = html
  return d.firstElementChild!
}

describe('which keys a focused control keeps for itself', () => {
  it.each([
    // [element, key, owned] — why
    ['<input type="text">', 'ArrowRight', true], // typing moves the caret
    ['<input type="text">', ' ', true], // typing a space
    ['<input type="range">', 'ArrowRight', true], // the scrubber steps itself (same effect)
    ['<input type="range">', ' ', false], // space still plays/pauses
    ['<input type="range">', '+', false], // speed keys still work
    ['<button>x</button>', ' ', true], // space presses the button
    ['<button>x</button>', 'ArrowRight', false], // arrows still step
    ['<select><option>a</option></select>', 'ArrowDown', true],
    ['<div role="tab">t</div>', 'Enter', true],
    ['<div>plain</div>', ' ', false],
  ])('%s + %j → %s', (html, key, owned) => {
    expect(ownsKey(el(html), key)).toBe(owned)
  })

  it('nothing focused: every key is ours', () => {
    expect(ownsKey(null, ' ')).toBe(false)
  })
})

describe('where letters are typed (P and L are left to it)', () => {
  it.each([
    ['<input type="text">', true],
    ['<input>', true], // no type: text
    ['<input type="search">', true],
    ['<textarea></textarea>', true], // the terminal's input is a textarea
    ['<select><option>a</option></select>', true], // type-ahead picks an option
    ['<input type="range">', false], // the scrubber: P still enters presenter mode
    ['<input type="checkbox">', false],
    ['<button>x</button>', false],
  ])('%s → %s', (html, typed) => {
    expect(typesText(el(html))).toBe(typed)
  })
})
