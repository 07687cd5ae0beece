/**
 * The terminal's line editor as a pure function of its state and the bytes xterm.js hands
 * over (keys and pastes): printable text, Backspace/Delete, ←/→, Home/End, Ctrl-A/E/U/W,
 * ↑/↓ through history, Tab completion (one candidate completes; several complete their common
 * prefix, and a second Tab lists them), Enter (or a continuation prompt when the text needs
 * more lines: an open quote, a here-document, a trailing `|` or `\`), Ctrl-C and Ctrl-L.
 * It returns what to write to the screen and what to run; it never touches the DOM.
 */

export interface EditorState {
  readonly buffer: string
  readonly cursor: number
  /** Lines already entered for a command that needs more (continuation). */
  readonly pending: string
  readonly history: readonly string[]
  /** Position while browsing history (null: editing a fresh line). */
  readonly historyIndex: number | null
  /** The fresh line, kept while browsing history. */
  readonly draft: string
  /** The previous key was Tab (a second Tab lists the candidates). */
  readonly lastTab: boolean
}

export type EditorAction =
  | { readonly kind: 'write'; readonly text: string }
  | { readonly kind: 'submit'; readonly text: string }
  | { readonly kind: 'interrupt' }
  | { readonly kind: 'clear' }

export interface EditorDeps {
  readonly prompt: string
  readonly complete: (textBeforeCursor: string) => readonly string[]
  readonly needsMore: (text: string) => boolean
  /** Terminal width, for listing candidates in columns. */
  readonly cols?: number
}

export const CONTINUATION_PROMPT = '> '

/** Output text as a terminal expects it: every newline a carriage return too. */
export function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, '\r\n')
}

export function newEditor(history: readonly string[] = []): EditorState {
  return { buffer: '', cursor: 0, pending: '', history, historyIndex: null, draft: '', lastTab: false }
}

/** Redraw the current line: carriage return, clear, prompt, text, cursor back into place. */
function redraw(s: EditorState, deps: EditorDeps): string {
  const prompt = s.pending ? CONTINUATION_PROMPT : deps.prompt
  const back = s.buffer.length - s.cursor
  return `\r\x1b[K${prompt}${s.buffer}${back > 0 ? `\x1b[${back}D` : ''}`
}

function insert(s: EditorState, text: string): EditorState {
  return { ...s, buffer: s.buffer.slice(0, s.cursor) + text + s.buffer.slice(s.cursor), cursor: s.cursor + text.length, historyIndex: null, lastTab: false }
}

function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return ''
  let p = words[0]!
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1)
  return p
}

function columns(words: readonly string[], cols: number): string {
  const width = Math.max(...words.map((w) => w.length)) + 2
  const per = Math.max(1, Math.floor(cols / width))
  const rows: string[] = []
  for (let i = 0; i < words.length; i += per) rows.push(words.slice(i, i + per).map((w) => w.padEnd(width)).join('').trimEnd())
  return rows.join('\r\n')
}

const KEYS: readonly [string, string][] = [
  ['\x1b[A', 'up'],
  ['\x1b[B', 'down'],
  ['\x1b[C', 'right'],
  ['\x1b[D', 'left'],
  ['\x1b[H', 'home'],
  ['\x1bOH', 'home'],
  ['\x1b[1~', 'home'],
  ['\x1b[F', 'end'],
  ['\x1bOF', 'end'],
  ['\x1b[4~', 'end'],
  ['\x1b[3~', 'delete'],
]

/**
 * Feed input (one key, or a paste) to the editor.
 *
 * @example
 * editorInput(newEditor(), 'ip a\r', deps).actions // [..., { kind: 'submit', text: 'ip a' }]
 */
export function editorInput(state: EditorState, data: string, deps: EditorDeps): { state: EditorState; actions: EditorAction[] } {
  let s = state
  const actions: EditorAction[] = []
  const write = (text: string) => {
    const last = actions[actions.length - 1]
    if (last?.kind === 'write') actions[actions.length - 1] = { kind: 'write', text: last.text + text }
    else actions.push({ kind: 'write', text })
  }
  let i = 0
  while (i < data.length) {
    const esc = KEYS.find(([seq]) => data.startsWith(seq, i))
    if (esc) {
      i += esc[0].length
      s = key(s, esc[1], deps, write)
      continue
    }
    const c = data[i]!
    i++
    if (c === '\x1b') {
      // An escape sequence we do not handle: skip it whole.
      const m = /^\[[0-9;]*[A-Za-z~]|^O[A-Za-z]/.exec(data.slice(i))
      if (m) i += m[0].length
      continue
    }
    if (c === '\r' || c === '\n') {
      if (c === '\n' && data[i - 2] === '\r') continue
      write('\r\n')
      const full = s.pending ? `${s.pending}\n${s.buffer}` : s.buffer
      if (deps.needsMore(full)) {
        s = { ...s, pending: full, buffer: '', cursor: 0, lastTab: false }
        write(CONTINUATION_PROMPT)
        continue
      }
      const history = full.trim() !== '' && s.history[s.history.length - 1] !== full ? [...s.history, full] : s.history
      s = { ...newEditor(history) }
      actions.push({ kind: 'submit', text: full })
      continue
    }
    switch (c) {
      case '\x7f':
      case '\b':
        if (s.cursor > 0) {
          s = { ...s, buffer: s.buffer.slice(0, s.cursor - 1) + s.buffer.slice(s.cursor), cursor: s.cursor - 1, lastTab: false }
          write(redraw(s, deps))
        }
        continue
      case '\t': {
        const before = s.buffer.slice(0, s.cursor)
        const cands = deps.complete(s.pending ? `${s.pending}\n${before}` : before)
        const word = /\S*$/.exec(before)?.[0] ?? ''
        if (cands.length === 1) {
          const rest = cands[0]!.slice(word.length)
          const tail = /[/=]$/.test(cands[0]!) ? '' : ' '
          s = insert(s, rest + tail)
          write(redraw(s, deps))
        } else if (cands.length > 1) {
          const prefix = commonPrefix(cands)
          if (prefix.length > word.length) {
            s = insert(s, prefix.slice(word.length))
            write(redraw(s, deps))
          } else if (s.lastTab) {
            write(`\r\n${columns(cands, deps.cols ?? 80)}\r\n`)
            write(redraw(s, deps))
          }
          s = { ...s, lastTab: true }
          continue
        }
        s = { ...s, lastTab: true }
        continue
      }
      case '\x03':
        write('^C\r\n')
        s = newEditor(s.history)
        actions.push({ kind: 'interrupt' })
        continue
      case '\x0c':
        actions.push({ kind: 'clear' })
        continue
      case '\x01':
        s = key(s, 'home', deps, write)
        continue
      case '\x05':
        s = key(s, 'end', deps, write)
        continue
      case '\x15':
        s = { ...s, buffer: s.buffer.slice(s.cursor), cursor: 0, lastTab: false }
        write(redraw(s, deps))
        continue
      case '\x17': {
        const before = s.buffer.slice(0, s.cursor).replace(/\S+\s*$/, '')
        s = { ...s, buffer: before + s.buffer.slice(s.cursor), cursor: before.length, lastTab: false }
        write(redraw(s, deps))
        continue
      }
      default:
        if (c < ' ') continue
        s = insert(s, c)
        write(s.cursor === s.buffer.length ? c : redraw(s, deps))
    }
  }
  return { state: s, actions }
}

function key(s: EditorState, k: string, deps: EditorDeps, write: (t: string) => void): EditorState {
  switch (k) {
    case 'left':
      if (s.cursor === 0) return s
      write('\x1b[D')
      return { ...s, cursor: s.cursor - 1, lastTab: false }
    case 'right':
      if (s.cursor >= s.buffer.length) return s
      write('\x1b[C')
      return { ...s, cursor: s.cursor + 1, lastTab: false }
    case 'home': {
      const next = { ...s, cursor: 0, lastTab: false }
      write(redraw(next, deps))
      return next
    }
    case 'end': {
      const next = { ...s, cursor: s.buffer.length, lastTab: false }
      write(redraw(next, deps))
      return next
    }
    case 'delete': {
      if (s.cursor >= s.buffer.length) return s
      const next = { ...s, buffer: s.buffer.slice(0, s.cursor) + s.buffer.slice(s.cursor + 1), lastTab: false }
      write(redraw(next, deps))
      return next
    }
    case 'up': {
      if (s.history.length === 0) return s
      const idx = s.historyIndex === null ? s.history.length - 1 : Math.max(0, s.historyIndex - 1)
      const line = s.history[idx]!
      const next = { ...s, historyIndex: idx, draft: s.historyIndex === null ? s.buffer : s.draft, buffer: line, cursor: line.length, lastTab: false }
      write(redraw(next, deps))
      return next
    }
    case 'down': {
      if (s.historyIndex === null) return s
      const idx = s.historyIndex + 1
      const line = idx >= s.history.length ? s.draft : s.history[idx]!
      const next = { ...s, historyIndex: idx >= s.history.length ? null : idx, buffer: line, cursor: line.length, lastTab: false }
      write(redraw(next, deps))
      return next
    }
    default:
      return s
  }
}
