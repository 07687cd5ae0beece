/**
 * Turning pasted text into numbered lines. Line numbers are 1-based and count every line
 * ending the user's editor would (CRLF, LF or a lone CR), so `file:line` in a report points
 * at what the user sees. Each line keeps its raw text; `text` is the same line with what a
 * terminal adds removed: colour escape codes (`ip -c`), trailing spaces, a BOM,
 * non-breaking spaces from web pages.
 */

export interface Line {
  /** 1-based line number in the input. */
  readonly n: number
  /** The line as given (without its line ending). */
  readonly raw: string
  /** The line cleaned for parsing. */
  readonly text: string
}

// CSI sequences (colours, cursor moves), OSC sequences (window titles), and the
// escape-less remnants some copy paths leave behind (`[36m`, `^[[36m`).
// eslint-disable-next-line no-control-regex -- terminal escape codes are control characters
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][AB0-2]|\^\[\[\d+(?:;\d+)*m|\[\d{1,3}(?:;\d{1,3})*m|\x1b/g

/** Remove terminal decoration from one line; keeps leading whitespace (it carries structure). */
export function cleanLine(raw: string): string {
  let t = raw
  if (t.includes('\x1b') || t.includes('[')) t = t.replace(ANSI, '')
  if (t.charCodeAt(0) === 0xfeff) t = t.slice(1)
  if (t.includes('\u00a0')) t = t.replace(/\u00a0/g, ' ')
  // eslint-disable-next-line no-control-regex -- NULs at the end of a line come from terminal captures
  return t.replace(/[\s\u0000]+$/, '')
}

/** Split text into lines. A final line ending does not make an extra empty line. */
export function splitLines(text: string): Line[] {
  const parts = text.split(/\r\n|\n|\r/)
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  if (parts.length === 1 && parts[0] === '') return []
  return parts.map((raw, i) => ({ n: i + 1, raw, text: cleanLine(raw) }))
}

/** Split on runs of spaces/tabs, ignoring leading ones. */
export function words(text: string): string[] {
  const t = text.trim()
  return t === '' ? [] : t.split(/\s+/)
}
