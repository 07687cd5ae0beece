/** The line editor, fed the bytes xterm.js would send for each key or paste. */
import { describe, expect, it } from 'vitest'
import { editorInput, newEditor } from './lineEditor.ts'
import type { EditorAction, EditorDeps, EditorState } from './lineEditor.ts'

const deps: EditorDeps = {
  prompt: '$ ',
  complete: (t) => ['link', 'linkx', 'netns', 'neigh'].filter((w) => w.startsWith(/\S*$/.exec(t)?.[0] ?? '')),
  // an open single quote needs another line
  needsMore: (t) => (t.match(/'/g) ?? []).length % 2 === 1,
}

function feed(keys: readonly string[], start: EditorState = newEditor()): { state: EditorState; actions: EditorAction[] } {
  let state = start
  const actions: EditorAction[] = []
  for (const k of keys) {
    const r = editorInput(state, k, deps)
    state = r.state
    actions.push(...r.actions)
  }
  return { state, actions }
}

const submits = (a: readonly EditorAction[]) => a.filter((x) => x.kind === 'submit').map((x) => (x as { text: string }).text)

describe('line editor', () => {
  it.each([
    // plain typing, then Enter
    [['i', 'p', ' ', 'a', '\r'], ['ip a']],
    // Backspace removes the character before the cursor
    [['i', 'p', 'x', '\x7f', '\r'], ['ip']],
    // ← twice then typing inserts in the middle
    [['a', 'c', '\x1b[D', 'b', '\r'], ['abc']],
    // Home goes to the start
    [['b', 'c', '\x1b[H', 'a', '\r'], ['abc']],
    // Ctrl-U clears what is before the cursor, Ctrl-W the last word
    [['a', 'b', '\x15', 'x', '\r'], ['x']],
    [['i', 'p', ' ', 'l', 'i', '\x17', 'x', '\r'], ['ip x']],
    // a paste of two lines runs both
    [['echo 1\recho 2\r'], ['echo 1', 'echo 2']],
    // CRLF in a paste is one line end
    [['echo 1\r\necho 2\r\n'], ['echo 1', 'echo 2']],
    // an open quote continues on the next line
    [["echo 'a", '\r', "b'", '\r'], ["echo 'a\nb'"]],
  ] as const)('%j', (keys, want) => {
    expect(submits(feed(keys).actions)).toEqual(want)
  })

  it('↑ and ↓ walk the history and come back to the draft', () => {
    const s0 = feed(['one\r', 'two\r']).state
    const up = feed(['d', 'r', '\x1b[A'], s0).state
    expect(up.buffer).toBe('two')
    expect(feed(['\x1b[A'], up).state.buffer).toBe('one')
    const back = feed(['\x1b[A', '\x1b[B', '\x1b[B'], up).state
    expect(back.buffer).toBe('dr')
  })

  it('Tab completes a single candidate with a space, or the common prefix', () => {
    expect(feed(['n', 'e', 't', '\t']).state.buffer).toBe('netns ')
    expect(feed(['l', '\t']).state.buffer).toBe('link')
  })

  it('a second Tab lists the candidates', () => {
    const r = feed(['n', 'e', '\t', '\t'])
    const text = r.actions.filter((a) => a.kind === 'write').map((a) => (a as { text: string }).text).join('')
    expect(text).toContain('netns  neigh')
  })

  it('Ctrl-C abandons the line and interrupts', () => {
    const r = feed(['a', 'b', '\x03'])
    expect(r.actions.map((a) => a.kind)).toContain('interrupt')
    expect(r.state.buffer).toBe('')
  })

  it('Ctrl-L asks for a clear screen', () => {
    expect(feed(['\x0c']).actions).toEqual([{ kind: 'clear' }])
  })
})
