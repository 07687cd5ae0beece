/**
 * Split one line of iptables text into words the way iptables-restore does, keeping each
 * word's column: blanks separate words, double quotes group (with `\"` and `\\` escapes),
 * and, like a shell, single quotes group literally. Never throws; an unterminated quote
 * ends the word at the end of the line and is reported.
 */

export interface Token {
  readonly text: string
  /** 1-based column of the word's first character in the line. */
  readonly col: number
  /** The word was (partly) quoted: it is a value, never an option or `!`. */
  readonly quoted: boolean
}

export interface TokenizeResult {
  readonly tokens: Token[]
  /** Column of an unterminated quote, if any. */
  readonly unterminatedAt?: number
}

/**
 * Tokenize a line.
 * @example tokenizeLine('-A INPUT -m comment --comment "a b" -j ACCEPT').tokens.map((t) => t.text)
 * // ['-A', 'INPUT', '-m', 'comment', '--comment', 'a b', '-j', 'ACCEPT']
 */
export function tokenizeLine(line: string): TokenizeResult {
  if (line.indexOf('"') < 0 && line.indexOf("'") < 0) return { tokens: splitPlain(line) }
  const tokens: Token[] = []
  let unterminatedAt: number | undefined
  const n = line.length
  let i = 0
  while (i < n) {
    const c = line.charCodeAt(i)
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      i++
      continue
    }
    const start = i
    let text = ''
    let quoted = false
    while (i < n) {
      const ch = line[i]!
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') break
      if (ch === '"') {
        quoted = true
        const open = i
        i++
        let closed = false
        while (i < n) {
          const q = line[i]!
          if (q === '\\' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\' || line[i + 1] === "'")) {
            text += line[i + 1]
            i += 2
            continue
          }
          if (q === '"') {
            closed = true
            i++
            break
          }
          text += q
          i++
        }
        if (!closed && unterminatedAt === undefined) unterminatedAt = open + 1
        continue
      }
      if (ch === "'") {
        quoted = true
        const open = i
        const close = line.indexOf("'", i + 1)
        if (close < 0) {
          if (unterminatedAt === undefined) unterminatedAt = open + 1
          text += line.slice(i + 1)
          i = n
        } else {
          text += line.slice(i + 1, close)
          i = close + 1
        }
        continue
      }
      text += ch
      i++
    }
    tokens.push({ text, col: start + 1, quoted })
  }
  return unterminatedAt === undefined ? { tokens } : { tokens, unterminatedAt }
}

/** Tokens for an argv that a shell already split (columns count words, not characters). */
export function tokensFromArgv(argv: readonly string[]): Token[] {
  return argv.map((text, i) => ({ text, col: i + 1, quoted: /\s/.test(text) || text === "" }))
}

/** Fast path for a line without quotes: words are the runs between blanks. */
function splitPlain(line: string): Token[] {
  const tokens: Token[] = []
  const n = line.length
  let i = 0
  while (i < n) {
    let c = line.charCodeAt(i)
    while (i < n && (c === 32 || c === 9 || c === 13 || c === 10)) c = line.charCodeAt(++i)
    if (i >= n) break
    const start = i
    while (i < n && c !== 32 && c !== 9 && c !== 13 && c !== 10) c = line.charCodeAt(++i)
    tokens.push({ text: line.slice(start, i), col: start + 1, quoted: false })
  }
  return tokens
}
