/**
 * The shell's grammar: what bash does with a line before any command runs. Words with
 * '…' / "…" quoting and `\` escapes, `\`-newline continuation, `#` comments, `$VAR`,
 * `${VAR}`, `${VAR:off:len}`, `${VAR:-word}`, `${#VAR}`, `$(…)` and backquote substitution,
 * pipelines with `|`, lists with `;`, `&&`, `||`, `&` and newlines, `NAME=value` prefixes,
 * redirections (`<`, `>`, `>>`, `2>`, `2>&1`, `&>`, `<<`, `<<-`, `<<<`) and here-documents.
 * Parsing never throws: problems are diagnostics (SH codes) with line and column, and an
 * input that stops in the middle of a construct is reported as `incomplete` so a terminal can
 * ask for the next line.
 *
 * Simplification: no control flow (`if`, `for`, `case`, functions), no arithmetic, no
 * brace or tilde expansion beyond `~` at the start of a word.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { ShCode } from './codes.ts'
import { SH_CODES } from './codes.ts'

export type WordPart =
  | { readonly kind: 'text'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'param'; readonly name: string; readonly quoted: boolean; readonly op?: ParamOp }
  | { readonly kind: 'subst'; readonly source: string; readonly quoted: boolean }

/** What `${…}` does to the value besides substituting it. */
export type ParamOp =
  | { readonly kind: 'slice'; readonly offset: number; readonly length?: number }
  | { readonly kind: 'default'; readonly colon: boolean; readonly word: Word }
  | { readonly kind: 'length' }

export type Word = readonly WordPart[]

export type RedirOp = '<' | '>' | '>>' | '<<' | '<<-' | '<<<' | '>&' | '<&' | '&>' | '&>>'

export interface Redirect {
  readonly fd: number
  readonly op: RedirOp
  readonly target: Word
  /** For `<<`: the body, and whether `$` expands in it (an unquoted delimiter). */
  readonly heredoc?: { readonly body: string; readonly expand: boolean; readonly delimiter: string }
}

export interface Assignment {
  readonly name: string
  readonly value: Word
}

export interface SimpleCommand {
  readonly assigns: readonly Assignment[]
  readonly words: readonly Word[]
  readonly redirects: readonly Redirect[]
  /** The command's source text (for `jobs` and error messages). */
  readonly text: string
  readonly line: number
}

export interface Pipeline {
  readonly commands: readonly SimpleCommand[]
  readonly negate: boolean
}

/** `a && b || c`, run in the foreground or, with a trailing `&`, in the background. */
export interface AndOrList {
  readonly pipelines: readonly Pipeline[]
  readonly ops: readonly ('&&' | '||')[]
  readonly background: boolean
  readonly text: string
}

export type Incomplete = 'quote' | 'heredoc' | 'continuation' | 'operator' | 'substitution'

export interface ParseResult {
  readonly lists: readonly AndOrList[]
  /** The text stops inside a construct: a terminal should ask for more. */
  readonly incomplete?: Incomplete
  readonly diagnostics: readonly Diagnostic[]
}

type Tok =
  | { readonly kind: 'word'; readonly word: Word; readonly raw: string; readonly start: number; readonly end: number }
  | { readonly kind: 'op'; readonly op: '|' | '||' | '&&' | '&' | ';' | '(' | ')' | ';;'; readonly start: number; readonly end: number }
  | { readonly kind: 'redir'; readonly fd: number; readonly op: RedirOp; readonly start: number; readonly end: number; heredoc?: { body: string; expand: boolean; delimiter: string } }
  | { readonly kind: 'newline'; readonly start: number; readonly end: number }

const META = new Set(['|', '&', ';', '<', '>', '(', ')', ' ', '\t', '\n'])
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

class Lexer {
  pos = 0
  readonly toks: Tok[] = []
  readonly diags: Diagnostic[] = []
  incomplete: Incomplete | undefined
  private pendingHeredocs: { tok: Extract<Tok, { kind: 'redir' }>; delimiter: string; expand: boolean; strip: boolean }[] = []
  private wantDelimiter: { tok: Extract<Tok, { kind: 'redir' }>; strip: boolean } | undefined

  constructor(readonly text: string) {}

  where(offset: number): { line: number; col: number } {
    let line = 1
    let col = 1
    for (let i = 0; i < offset && i < this.text.length; i++) {
      if (this.text[i] === '\n') {
        line++
        col = 1
      } else col++
    }
    return { line, col }
  }

  diag(code: ShCode, offset: number, message: string, hint?: string): void {
    const { line, col } = this.where(offset)
    const lineText = this.text.split('\n')[line - 1] ?? ''
    this.diags.push({ code, severity: 'error', message, line, col, text: lineText, ...(hint !== undefined && { hint }) })
  }

  run(): void {
    const t = this.text
    while (this.pos < t.length) {
      const c = t[this.pos]!
      if (c === ' ' || c === '\t' || c === '\r') {
        this.pos++
        continue
      }
      if (c === '\\' && t[this.pos + 1] === '\n') {
        this.pos += 2
        continue
      }
      if (c === '\\' && this.pos + 1 === t.length) {
        this.incomplete ??= 'continuation'
        this.pos++
        continue
      }
      if (c === '#') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++
        continue
      }
      if (c === '\n') {
        this.toks.push({ kind: 'newline', start: this.pos, end: this.pos + 1 })
        this.pos++
        this.readHeredocBodies()
        continue
      }
      const start = this.pos
      // Operators.
      const two = t.slice(this.pos, this.pos + 2)
      const three = t.slice(this.pos, this.pos + 3)
      if (two === '||' || two === '&&' || two === ';;') {
        this.toks.push({ kind: 'op', op: two, start, end: start + 2 })
        this.pos += 2
        continue
      }
      if (three === '&>>') {
        this.pushRedir(2, '&>>', start, 3)
        continue
      }
      if (two === '&>') {
        this.pushRedir(2, '&>', start, 2)
        continue
      }
      if (c === '|' || c === '&' || c === ';' || c === '(' || c === ')') {
        this.toks.push({ kind: 'op', op: c, start, end: start + 1 })
        this.pos++
        continue
      }
      // Redirections, with an optional fd number in front (`2>`, `2>&1`).
      const m = /^(\d*)(<<<|<<-|<<|>>|>&|<&|<|>)/.exec(t.slice(this.pos, this.pos + 8))
      if (m && (m[1] === '' || /^\d+$/.test(m[1]!))) {
        const op = m[2] as RedirOp
        const fd = m[1] !== '' ? Number(m[1]) : op.startsWith('<') ? 0 : 1
        this.pushRedir(fd, op, start, m[0].length)
        continue
      }
      this.lexWord()
    }
    if (this.wantDelimiter) {
      this.diag('SH003', this.text.length, "syntax error near unexpected token `newline'", 'a here-document needs a delimiter word: cat << EOF')
      this.wantDelimiter = undefined
    }
    if (this.pendingHeredocs.length > 0) this.readHeredocBodies()
  }

  private pushRedir(fd: number, op: RedirOp, start: number, len: number): void {
    const tok: Extract<Tok, { kind: 'redir' }> = { kind: 'redir', fd, op, start, end: start + len }
    this.toks.push(tok)
    this.pos += len
    if (op === '<<' || op === '<<-') this.wantDelimiter = { tok, strip: op === '<<-' }
  }

  /** After a newline: each pending here-document takes the lines up to its delimiter. */
  private readHeredocBodies(): void {
    const t = this.text
    while (this.pendingHeredocs.length > 0) {
      const h = this.pendingHeredocs.shift()!
      const lines: string[] = []
      let found = false
      while (this.pos < t.length) {
        const nl = t.indexOf('\n', this.pos)
        const lineEnd = nl < 0 ? t.length : nl
        let line = t.slice(this.pos, lineEnd)
        this.pos = nl < 0 ? t.length : nl + 1
        if (h.strip) line = line.replace(/^\t+/, '')
        if (line === h.delimiter) {
          found = true
          break
        }
        lines.push(line)
      }
      h.tok.heredoc = { body: lines.length ? `${lines.join('\n')}\n` : '', expand: h.expand, delimiter: h.delimiter }
      if (!found) this.incomplete ??= 'heredoc'
    }
  }

  private lexWord(): void {
    const t = this.text
    const start = this.pos
    const parts: WordPart[] = []
    let lit = ''
    let litQuoted = false
    const flush = () => {
      if (lit !== '') parts.push({ kind: 'text', text: lit, quoted: litQuoted })
      lit = ''
      litQuoted = false
    }
    const addText = (s: string, quoted: boolean) => {
      if (lit !== '' && litQuoted !== quoted) flush()
      litQuoted = quoted
      lit += s
    }
    let anyQuote = false
    while (this.pos < t.length) {
      const c = t[this.pos]!
      if (META.has(c) || c === '\r') break
      if (c === '\\') {
        const n = t[this.pos + 1]
        if (n === undefined) {
          this.incomplete ??= 'continuation'
          this.pos++
          break
        }
        if (n === '\n') {
          this.pos += 2
          continue
        }
        addText(n, true)
        this.pos += 2
        continue
      }
      if (c === "'") {
        anyQuote = true
        const end = t.indexOf("'", this.pos + 1)
        if (end < 0) {
          this.incomplete ??= 'quote'
          this.diag('SH001', this.pos, "unexpected EOF while looking for matching `''", "close the quote with ' (or press Enter to continue the line)")
          addText(t.slice(this.pos + 1), true)
          this.pos = t.length
          break
        }
        addText(t.slice(this.pos + 1, end), true)
        this.pos = end + 1
        continue
      }
      if (c === '"') {
        anyQuote = true
        flush()
        this.pos++
        let closed = false
        while (this.pos < t.length) {
          const d = t[this.pos]!
          if (d === '"') {
            closed = true
            this.pos++
            break
          }
          if (d === '\\') {
            const n = t[this.pos + 1]
            if (n !== undefined && '$`"\\\n'.includes(n)) {
              if (n !== '\n') addText(n, true)
              this.pos += 2
              continue
            }
            addText('\\', true)
            this.pos++
            continue
          }
          if (d === '$' || d === '`') {
            const part = this.lexDollar(true)
            if (part) {
              flush()
              parts.push(part)
              continue
            }
            addText('$', true)
            this.pos++
            continue
          }
          addText(d, true)
          this.pos++
        }
        if (!closed) {
          this.incomplete ??= 'quote'
          this.diag('SH001', start, 'unexpected EOF while looking for matching `"\'', 'close the quote with " (or press Enter to continue the line)')
        }
        // An empty "" still makes a word.
        if (lit === '') litQuoted = true
        flush()
        if (parts.length === 0) parts.push({ kind: 'text', text: '', quoted: true })
        continue
      }
      if (c === '$' || c === '`') {
        const part = this.lexDollar(false)
        if (part) {
          flush()
          parts.push(part)
          continue
        }
        addText('$', false)
        this.pos++
        continue
      }
      addText(c, false)
      this.pos++
    }
    flush()
    if (parts.length === 0 && anyQuote) parts.push({ kind: 'text', text: '', quoted: true })
    const raw = t.slice(start, this.pos)
    this.toks.push({ kind: 'word', word: parts, raw, start, end: this.pos })
    if (this.wantDelimiter) {
      const delimiter = parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'param' ? `$${p.name}` : `$(${p.source})`)).join('')
      this.pendingHeredocs.push({ tok: this.wantDelimiter.tok, delimiter, expand: !anyQuote && !raw.includes('\\'), strip: this.wantDelimiter.strip })
      this.wantDelimiter = undefined
    }
  }

  /** `$NAME`, `${…}`, `$(…)`, `` `…` ``, `$?`; undefined for a lone `$`. Position ends after it. */
  private lexDollar(quoted: boolean): WordPart | undefined {
    const t = this.text
    const start = this.pos
    if (t[this.pos] === '`') {
      const end = t.indexOf('`', this.pos + 1)
      if (end < 0) {
        this.incomplete ??= 'substitution'
        this.diag('SH004', start, 'unexpected EOF while looking for matching ``\'', 'close the command substitution with `')
        this.pos = t.length
        return { kind: 'subst', source: t.slice(start + 1), quoted }
      }
      this.pos = end + 1
      return { kind: 'subst', source: t.slice(start + 1, end), quoted }
    }
    const n = t[this.pos + 1]
    if (n === '(') {
      const end = matchParen(t, this.pos + 2)
      if (end < 0) {
        this.incomplete ??= 'substitution'
        this.diag('SH004', start, "unexpected EOF while looking for matching `)'", 'close the command substitution with )')
        this.pos = t.length
        return { kind: 'subst', source: t.slice(start + 2), quoted }
      }
      this.pos = end + 1
      return { kind: 'subst', source: t.slice(start + 2, end), quoted }
    }
    if (n === '{') {
      const end = t.indexOf('}', this.pos + 2)
      if (end < 0) {
        this.incomplete ??= 'substitution'
        this.diag('SH004', start, "unexpected EOF while looking for matching `}'", 'close the parameter expansion with }')
        this.pos = t.length
        return { kind: 'text', text: t.slice(start), quoted }
      }
      const inner = t.slice(this.pos + 2, end)
      this.pos = end + 1
      return this.parseBraced(inner, quoted, start)
    }
    if (n !== undefined && /[A-Za-z_]/.test(n)) {
      let e = this.pos + 1
      while (e < t.length && /[A-Za-z0-9_]/.test(t[e]!)) e++
      const name = t.slice(this.pos + 1, e)
      this.pos = e
      return { kind: 'param', name, quoted }
    }
    if (n !== undefined && /[?$#0-9!@*]/.test(n)) {
      this.pos += 2
      return { kind: 'param', name: n, quoted }
    }
    return undefined
  }

  private parseBraced(inner: string, quoted: boolean, at: number): WordPart {
    if (inner.startsWith('#') && NAME_RE.test(inner.slice(1))) return { kind: 'param', name: inner.slice(1), quoted, op: { kind: 'length' } }
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[?$#0-9!@*])(.*)$/s.exec(inner)
    if (!m) {
      this.diag('SH006', at, `\${${inner}}: bad substitution`, 'use ${NAME}, ${NAME:offset:length} or ${NAME:-default}')
      return { kind: 'text', text: '', quoted }
    }
    const name = m[1]!
    const rest = m[2]!
    if (rest === '') return { kind: 'param', name, quoted }
    const slice = /^:\s*(-?\d+)\s*(?::\s*(\d+)\s*)?$/.exec(rest)
    if (slice && !rest.startsWith(':-')) return { kind: 'param', name, quoted, op: { kind: 'slice', offset: Number(slice[1]), ...(slice[2] !== undefined && { length: Number(slice[2]) }) } }
    const def = /^(:?)[-=](.*)$/s.exec(rest)
    if (def) {
      const sub = new Lexer(def[2]!)
      sub.lexWordsOnly()
      const word = sub.toks.flatMap((tk) => (tk.kind === 'word' ? tk.word : []))
      return { kind: 'param', name, quoted, op: { kind: 'default', colon: def[1] === ':', word } }
    }
    this.diag('SH006', at, `\${${inner}}: bad substitution`, 'use ${NAME}, ${NAME:offset:length} or ${NAME:-default}')
    return { kind: 'text', text: '', quoted }
  }

  /** Lex a fragment as one run of words (for `${X:-word}` defaults). */
  lexWordsOnly(): void {
    while (this.pos < this.text.length) {
      if (this.text[this.pos] === ' ') {
        this.pos++
        continue
      }
      this.lexWordLoose()
    }
  }

  private lexWordLoose(): void {
    // Inside ${…:-…} metacharacters are ordinary text.
    const t = this.text
    const start = this.pos
    let end = t.length
    this.pos = end
    const sub = t.slice(start, end)
    end = sub.length
    this.toks.push({ kind: 'word', word: [{ kind: 'text', text: sub.replace(/^["']|["']$/g, ''), quoted: /^["']/.test(sub) }], raw: sub, start, end: start + end })
  }
}

/** Index of the `)` closing a `$(` whose body starts at `from`, honouring quotes and nesting; -1 if none. */
function matchParen(t: string, from: number): number {
  let depth = 1
  for (let i = from; i < t.length; i++) {
    const c = t[i]!
    if (c === '\\') {
      i++
      continue
    }
    if (c === "'") {
      const e = t.indexOf("'", i + 1)
      if (e < 0) return -1
      i = e
      continue
    }
    if (c === '"') {
      let j = i + 1
      while (j < t.length && t[j] !== '"') j += t[j] === '\\' ? 2 : 1
      if (j >= t.length) return -1
      i = j
      continue
    }
    if (c === '(') depth++
    if (c === ')') {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

/**
 * Parse shell text (one line, or several pasted lines) into lists of pipelines.
 *
 * @example
 * parseShell('ip netns exec pod-a ping -c 1 10.244.1.3 | tail -n 2').lists[0]?.pipelines[0]?.commands.length // 2
 */
export function parseShell(text: string): ParseResult {
  const lx = new Lexer(text)
  lx.run()
  const toks = lx.toks
  const diags = [...lx.diags]
  let incomplete = lx.incomplete
  const lists: AndOrList[] = []
  let i = 0
  let syntaxError = false

  const error = (tok: Tok | undefined, shown: string) => {
    if (syntaxError) return
    syntaxError = true
    const offset = tok ? tok.start : text.length
    const { line, col } = lx.where(offset)
    diags.push({ code: 'SH003', severity: 'error', message: `syntax error near unexpected token \`${shown}'`, line, col, text: text.split('\n')[line - 1] ?? '', hint: SH_CODES.SH003 })
  }

  const tokText = (tok: Tok): string => (tok.kind === 'op' ? tok.op : tok.kind === 'redir' ? text.slice(tok.start, tok.end) : tok.kind === 'newline' ? 'newline' : tok.raw)

  const parseCommand = (): SimpleCommand | undefined => {
    const assigns: Assignment[] = []
    const words: Word[] = []
    const redirects: Redirect[] = []
    const first = toks[i]
    let lastEnd = first?.start ?? text.length
    while (i < toks.length) {
      const tok = toks[i]!
      if (tok.kind === 'word') {
        const a = words.length === 0 ? assignmentOf(tok.word) : undefined
        if (a) assigns.push(a)
        else words.push(tok.word)
        lastEnd = tok.end
        i++
        continue
      }
      if (tok.kind === 'redir') {
        const target = toks[i + 1]
        if (!target || target.kind !== 'word') {
          if (!target) {
            if (tok.op === '<<' || tok.op === '<<-') error(undefined, 'newline')
            else error(undefined, 'newline')
          } else error(target, tokText(target))
          i = toks.length
          return undefined
        }
        redirects.push({ fd: tok.fd, op: tok.op, target: target.word, ...(tok.heredoc && { heredoc: tok.heredoc }) })
        lastEnd = target.end
        i += 2
        continue
      }
      break
    }
    if (assigns.length === 0 && words.length === 0 && redirects.length === 0) return undefined
    const { line } = lx.where(first?.start ?? 0)
    return { assigns, words, redirects, text: text.slice(first?.start ?? 0, lastEnd), line }
  }

  const parsePipeline = (): Pipeline | undefined => {
    let negate = false
    const t0 = toks[i]
    if (t0?.kind === 'word' && t0.raw === '!') {
      negate = true
      i++
    }
    const commands: SimpleCommand[] = []
    for (;;) {
      const cmd = parseCommand()
      if (!cmd) {
        const tok = toks[i]
        if (commands.length > 0) {
          // `a |` at the end: the command continues on the next line.
          if (!tok || tok.kind === 'newline') incomplete ??= 'operator'
          else error(tok, tokText(tok))
        } else if (tok) error(tok, tokText(tok))
        return undefined
      }
      commands.push(cmd)
      const tok = toks[i]
      if (tok?.kind === 'op' && tok.op === '|') {
        i++
        while (toks[i]?.kind === 'newline') i++
        if (i >= toks.length) {
          incomplete ??= 'operator'
          return { commands, negate }
        }
        continue
      }
      return { commands, negate }
    }
  }

  while (i < toks.length && !syntaxError) {
    const tok = toks[i]!
    if (tok.kind === 'newline' || (tok.kind === 'op' && tok.op === ';' && lists.length > 0)) {
      i++
      continue
    }
    const start = tok.start
    const pipelines: Pipeline[] = []
    const ops: ('&&' | '||')[] = []
    const p = parsePipeline()
    if (!p) break
    pipelines.push(p)
    let background = false
    let end = toks[i - 1]?.end ?? text.length
    while (i < toks.length) {
      const t = toks[i]!
      if (t.kind === 'op' && (t.op === '&&' || t.op === '||')) {
        i++
        while (toks[i]?.kind === 'newline') i++
        if (i >= toks.length) {
          incomplete ??= 'operator'
          break
        }
        const q = parsePipeline()
        if (!q) break
        ops.push(t.op)
        pipelines.push(q)
        end = toks[i - 1]?.end ?? text.length
        continue
      }
      if (t.kind === 'op' && (t.op === ';' || t.op === '&')) {
        background = t.op === '&'
        i++
        break
      }
      if (t.kind === 'newline') {
        i++
        break
      }
      error(t, tokText(t))
      break
    }
    if (syntaxError) break
    lists.push({ pipelines, ops, background, text: text.slice(start, end).trim() })
  }
  if (incomplete === 'operator') diags.push({ code: 'SH005', severity: 'error', message: 'syntax error: unexpected end of file', ...lx.where(text.length), hint: 'the line ends with |, && or ||: type the rest of the command' })
  if (incomplete === 'heredoc') {
    const d = toks.find((t): t is Extract<Tok, { kind: 'redir' }> => t.kind === 'redir' && t.heredoc !== undefined && !text.includes(`\n${t.heredoc.delimiter}`))
    diags.push({ code: 'SH002', severity: 'warning', message: `warning: here-document delimited by end-of-file (wanted \`${d?.heredoc?.delimiter ?? 'EOF'}')`, ...lx.where(text.length), hint: 'end the here-document with a line holding only its delimiter' })
  }
  return { lists: syntaxError ? [] : lists, ...(incomplete !== undefined && { incomplete }), diagnostics: diags }
}

/** `NAME=value` as the first words of a command. */
function assignmentOf(word: Word): Assignment | undefined {
  const first = word[0]
  if (!first || first.kind !== 'text' || first.quoted) return undefined
  const eq = first.text.indexOf('=')
  if (eq <= 0 || !NAME_RE.test(first.text.slice(0, eq))) return undefined
  const rest = first.text.slice(eq + 1)
  const value: WordPart[] = [...(rest !== '' ? [{ kind: 'text' as const, text: rest, quoted: false }] : []), ...word.slice(1)]
  return { name: first.text.slice(0, eq), value }
}

/** Literal text of a word as typed, without expansion (for completion and display). */
export function wordText(word: Word): string {
  return word.map((p) => (p.kind === 'text' ? p.text : p.kind === 'param' ? `$${p.name}` : `$(${p.source})`)).join('')
}
