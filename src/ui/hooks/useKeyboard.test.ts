// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { ownsKey } from './useKeyboard.ts'

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
