/**
 * Running a command line: parse it (parse.ts), then for each list and pipeline expand the
 * words (parameters, command substitution, word splitting, globs against the machine's
 * files), apply redirections, and call the command with its stdin. Each command is an engine
 * operation on the session's world; a command that sends packets records traces. bash's own
 * messages are reproduced for syntax errors, unknown commands and missing files.
 */
import type { Segment, TraceSegment } from '../scenario/timeline.ts'
import type { World } from '../model/types.ts'
import { findCommand, commandNames } from './commands.ts'
import type { AndOrList, Incomplete, Pipeline, Redirect, SimpleCommand, Word } from './parse.ts'
import { parseShell } from './parse.ts'
import { Session } from './session.ts'
import { stopCaptures } from './builtins.ts'
import type { Io, OutputChunk } from './session.ts'
import { adoptWorld } from './state.ts'
import type { ShellState } from './state.ts'
import { absPath, listFiles, readFile, writeFile } from './vfs.ts'

export interface RunContext {
  /** Seed for the traces this line produces (the same seed replays the same traces). */
  readonly seed: number
  /** Simulated time in ms; the shell's clock never goes backwards. */
  readonly now?: number
}

export interface ShellRun {
  readonly state: ShellState
  readonly stdout: string
  readonly stderr: string
  /** stdout and stderr interleaved as a terminal shows them. */
  readonly output: readonly OutputChunk[]
  readonly exitCode: number
  /** One per packet exchange the line sent (ping probes, curl's handshake, DNS queries). */
  readonly traces: readonly TraceSegment[]
  /** The world changed (an operation, or a trace that updated ARP/FDB/conntrack). */
  readonly changed: boolean
}

/** Does this text need more lines before it can run (open quote, here-document, trailing `|` or `\`)? */
export function needsMoreInput(text: string): Incomplete | undefined {
  const p = parseShell(text)
  return p.incomplete
}

/**
 * Run one command line (or several pasted lines) in the shell.
 *
 * @example
 * const r = runLine(createShell(world), 'ip netns exec pod-a ping -c 1 10.244.1.3', { seed: 1 })
 * r.stdout.startsWith('PING 10.244.1.3 (10.244.1.3) 56(84) bytes of data.') // true
 */
export function runLine(state: ShellState, line: string, ctx: RunContext): ShellRun {
  const usable = state.world.netns[state.netns] ? state : adoptWorld(state, state.world)
  const base = ctx.now !== undefined && ctx.now > usable.clock ? { ...usable, clock: ctx.now } : usable
  const sh = new Session(base, ctx.seed)
  const trimmed = line.trim()
  const history = trimmed !== '' ? [...state.history, line.replace(/\n+$/, '')] : state.history
  const interp = new Interp(sh)
  const status = interp.runText(line, { netns: sh.netns, out: (t) => sh.terminal('stdout', t), err: (t) => sh.terminal('stderr', t), tty: true, stdin: '' })
  sh.lastStatus = status
  const stdout = sh.output.filter((c) => c.stream === 'stdout').map((c) => c.text).join('')
  const stderr = sh.output.filter((c) => c.stream === 'stderr').map((c) => c.text).join('')
  return { state: sh.toState(state.runs + 1, history), stdout, stderr, output: sh.output, exitCode: status, traces: sh.traces, changed: sh.changed }
}

/** Ctrl-C at the prompt: running captures stop and print their counts, as tcpdump does on SIGINT. */
export function interruptShell(state: ShellState): { state: ShellState; text: string } {
  if (state.captures.length === 0) return { state, text: '' }
  const sh = new Session(state, 0)
  const text = stopCaptures(sh, () => true)
  return { state: sh.toState(state.runs, state.history), text }
}

/**
 * A command line as timeline segments a viewer can play: its traces in order, with a change
 * segment wherever the world changed between them (an `ip link add`, a `kubectl scale`).
 *
 * @example
 * shellSegments(before, runLine(sh, 'ip link set eth0 up; ping -c 1 10.0.0.2', { seed: 1 }), 'ip link set eth0 up; ping …')
 * // [{ kind: 'change', … }, { kind: 'trace', … }]
 */
export function shellSegments(before: World, run: ShellRun, command: string): Segment[] {
  const out: Segment[] = []
  let cur = before
  const change = (after: World): Segment => ({ kind: 'change', title: command, before: cur, after, events: [{ kind: 'shell', text: command }] })
  for (const t of run.traces) {
    if (t.before !== cur) out.push(change(t.before))
    out.push(t)
    cur = t.after
  }
  if (run.state.world !== cur) out.push(change(run.state.world))
  return out
}

interface Sinks {
  readonly netns: string
  readonly out: (t: string) => void
  readonly err: (t: string) => void
  readonly tty: boolean
  readonly stdin: string
  readonly env?: Readonly<Record<string, string>>
}

class Interp {
  constructor(readonly sh: Session) {}

  runText(text: string, s: Sinks): number {
    const p = parseShell(text)
    for (const d of p.diagnostics) {
      if (d.code === 'SH002') s.err(`bash: ${d.message}\n`)
    }
    const fatal = p.diagnostics.find((d) => d.severity === 'error')
    if (fatal) {
      if (fatal.code === 'SH001' || fatal.code === 'SH004') s.err(`bash: ${fatal.message}\nbash: syntax error: unexpected end of file\n`)
      else s.err(`bash: ${fatal.message}\n`)
      return 2
    }
    let status = this.sh.lastStatus
    for (const list of p.lists) {
      status = this.runList(list, s)
      this.sh.lastStatus = status
    }
    return status
  }

  private runList(list: AndOrList, s: Sinks): number {
    let status = this.runPipeline(list.pipelines[0]!, s)
    for (let i = 1; i < list.pipelines.length; i++) {
      const op = list.ops[i - 1]
      if ((op === '&&' && status !== 0) || (op === '||' && status === 0)) continue
      this.sh.lastStatus = status
      status = this.runPipeline(list.pipelines[i]!, s)
    }
    if (list.background) {
      const job = this.sh.captures[this.sh.captures.length - 1]
      if (job && job.command === list.text.replace(/&\s*$/, '').trim()) s.err(`[${job.job}] ${4200 + job.job}\n`)
      return 0
    }
    return status
  }

  private runPipeline(p: Pipeline, s: Sinks): number {
    let stdin = s.stdin
    let status = 0
    p.commands.forEach((cmd, i) => {
      const last = i === p.commands.length - 1
      let buf = ''
      status = this.runSimple(cmd, { ...s, stdin, tty: last ? s.tty : false, out: last ? s.out : (t) => (buf += t) })
      stdin = buf
    })
    return p.negate ? (status === 0 ? 1 : 0) : status
  }

  /** Expand a word into fields: parameters, `$(…)`, splitting of unquoted expansions, globs. */
  expand(word: Word, s: Sinks, env: Readonly<Record<string, string>>): string[] {
    const fields: { text: string; glob: boolean }[] = []
    let cur: { text: string; glob: boolean } | undefined
    const append = (t: string, glob = false) => {
      cur ??= { text: '', glob: false }
      cur.text += t
      cur.glob ||= glob
    }
    const split = (value: string) => {
      const pieces = value.split(/[ \t\n]+/)
      pieces.forEach((piece, i) => {
        if (i > 0) {
          if (cur) fields.push(cur)
          cur = undefined
        }
        if (piece !== '') append(piece, /[*?]/.test(piece))
      })
    }
    word.forEach((part, idx) => {
      if (part.kind === 'text') {
        let t = part.text
        if (idx === 0 && !part.quoted && (t === '~' || t.startsWith('~/'))) t = (env.HOME ?? '/root') + t.slice(1)
        append(t, !part.quoted && /[*?[]/.test(t))
        return
      }
      const value = part.kind === 'param' ? this.param(part, s, env) : this.substitute(part.source, s, env)
      if (part.quoted) append(value)
      else split(value)
    })
    if (cur) fields.push(cur)
    return fields.flatMap((f) => (f.glob ? this.glob(f.text, s.netns) : [f.text]))
  }

  private param(part: Extract<Word[number], { kind: 'param' }>, s: Sinks, env: Readonly<Record<string, string>>): string {
    const raw = this.lookupVar(part.name, env)
    const op = part.op
    if (!op) return raw ?? ''
    if (op.kind === 'length') return String((raw ?? '').length)
    if (op.kind === 'slice') {
      const v = raw ?? ''
      const start = op.offset < 0 ? Math.max(0, v.length + op.offset) : op.offset
      return op.length === undefined ? v.slice(start) : v.slice(start, start + op.length)
    }
    const unset = raw === undefined || (op.colon && raw === '')
    return unset ? this.expand(op.word, s, env).join(' ') : raw
  }

  private lookupVar(name: string, env: Readonly<Record<string, string>>): string | undefined {
    switch (name) {
      case '?':
        return String(this.sh.lastStatus)
      case '$':
        return '4242'
      case '#':
        return '0'
      case '0':
        return 'bash'
      case 'PWD':
        return this.sh.cwd
      case 'HOSTNAME':
        return this.sh.label
      default:
        return env[name]
    }
  }

  private substitute(source: string, s: Sinks, env: Readonly<Record<string, string>>): string {
    let out = ''
    this.runText(source, { ...s, env, tty: false, out: (t) => (out += t), stdin: '' })
    return out.replace(/\n+$/, '')
  }

  private glob(pattern: string, netns: string): string[] {
    const abs = absPath(this.sh.cwd, pattern, this.sh.env.HOME)
    const re = new RegExp(`^${abs.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`)
    const hits = listFiles(this.sh, netns).filter((p) => re.test(p))
    if (hits.length === 0) return [pattern]
    return pattern.startsWith('/') ? hits : hits.map((h) => (h.startsWith(`${this.sh.cwd}/`) ? h.slice(this.sh.cwd.length + 1) : h))
  }

  private runSimple(cmd: SimpleCommand, s: Sinks): number {
    const env0 = s.env ?? this.sh.env
    const assigns: Record<string, string> = {}
    for (const a of cmd.assigns) assigns[a.name] = this.expand(a.value, s, { ...env0, ...assigns }).join(' ')
    const argv = cmd.words.flatMap((w) => this.expand(w, s, { ...env0, ...assigns }))
    // Redirections, left to right.
    let stdin = s.stdin
    let out = s.out
    let err = s.err
    let tty = s.tty
    const files: { path: string; text: string; append: boolean }[] = []
    for (const r of cmd.redirects) {
      const target = r.heredoc ? '' : this.expand(r.target, s, { ...env0, ...assigns }).join(' ')
      const res = this.redirect(r, target, s, { ...env0, ...assigns })
      if ('error' in res) {
        s.err(`bash: ${res.error}\n`)
        return 1
      }
      if (res.stdin !== undefined) stdin = res.stdin
      if (res.file) {
        const f = { path: res.file.path, text: '', append: res.file.append }
        files.push(f)
        const write = (t: string) => (f.text += t)
        if (res.file.fds.includes(1)) {
          out = write
          tty = false
        }
        if (res.file.fds.includes(2)) err = write
      }
      if (res.dup === '2>&1') err = out
      if (res.dup === '1>&2') out = err
    }
    if (argv.length === 0) {
      for (const [k, v] of Object.entries(assigns)) this.sh.env = { ...this.sh.env, [k]: v }
      this.flushFiles(files, s)
      return 0
    }
    const env = Object.keys(assigns).length ? { ...env0, ...assigns } : env0
    const status = this.exec(argv, { netns: s.netns, stdin, out, err, tty, env })
    this.flushFiles(files, s)
    return status
  }

  private flushFiles(files: { path: string; text: string; append: boolean }[], s: Sinks): void {
    for (const f of files) {
      const e = writeFile(this.sh, s.netns, f.path, f.text, f.append)
      if (e) s.err(`bash: ${f.path}: ${e}\n`)
    }
  }

  private redirect(r: Redirect, target: string, s: Sinks, env: Readonly<Record<string, string>>): { stdin?: string; file?: { path: string; fds: number[]; append: boolean }; dup?: '2>&1' | '1>&2' } | { error: string } {
    switch (r.op) {
      case '<': {
        const path = absPath(this.sh.cwd, target, this.sh.env.HOME)
        const f = readFile(this.sh, s.netns, path)
        if (!f.ok) return { error: `${target}: ${f.error === 'EISDIR' ? 'Is a directory' : 'No such file or directory'}` }
        return { stdin: f.text }
      }
      case '<<':
      case '<<-': {
        const h = r.heredoc!
        if (!h.expand) return { stdin: h.body }
        return { stdin: this.expandHeredoc(h.body, s, env) }
      }
      case '<<<':
        return { stdin: `${target}\n` }
      case '>&':
      case '<&':
        if (target === '1' && r.fd === 2) return { dup: '2>&1' }
        if (target === '2' && r.fd === 1) return { dup: '1>&2' }
        if (/^\d+$/.test(target)) return {}
        return { file: { path: absPath(this.sh.cwd, target, this.sh.env.HOME), fds: [1, 2], append: false } }
      case '&>':
      case '&>>':
        return { file: { path: absPath(this.sh.cwd, target, this.sh.env.HOME), fds: [1, 2], append: r.op === '&>>' } }
      case '>':
      case '>>':
        return { file: { path: absPath(this.sh.cwd, target, this.sh.env.HOME), fds: [r.fd], append: r.op === '>>' } }
    }
  }

  /** `$VAR` and `$(…)` inside an unquoted-delimiter here-document. */
  private expandHeredoc(body: string, s: Sinks, env: Readonly<Record<string, string>>): string {
    return body.replace(/\\([$`\\])|\$\{([^}]*)\}|\$\(([^)]*)\)|\$([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])/g, (m, esc: string | undefined, braced: string | undefined, sub: string | undefined, name: string | undefined) => {
      if (esc !== undefined) return esc
      if (sub !== undefined) return this.substitute(sub, s, env)
      const words = parseShell(`"${m}"`).lists[0]?.pipelines[0]?.commands[0]?.words[0]
      if (braced !== undefined || name !== undefined) return words ? this.expand(words, s, env).join(' ') : ''
      return m
    })
  }

  /** Run argv as a command (also used by `ip netns exec`, `kubectl exec`, `sudo`, `watch`). */
  exec(argv: readonly string[], s: Sinks): number {
    const name = argv[0]!
    const cmd = findCommand(name)
    if (!cmd) {
      s.err(`bash: ${name}: command not found\n`)
      if (!name.includes('/')) s.err(`packetwalk: this shell knows ${commandNames().join(', ')}\n`)
      return 127
    }
    const io: Io = {
      sh: this.sh,
      netns: s.netns,
      stdin: s.stdin,
      tty: s.tty,
      out: s.out,
      err: s.err,
      env: s.env ?? this.sh.env,
      exec: (next, o = {}) => this.exec(next, { ...s, netns: o.netns ?? s.netns, stdin: o.stdin ?? '', env: { ...(s.env ?? this.sh.env), ...o.env } }),
      run: (text, o = {}) => this.runText(text, { ...s, netns: o.netns ?? s.netns, stdin: o.stdin ?? '' }),
    }
    try {
      return cmd(io, argv)
    } catch (e) {
      // A bug in a command must not take the terminal down: say so, as a crashed program would.
      s.err(`packetwalk: internal error in ${name}: ${e instanceof Error ? e.message : String(e)}\n`)
      return 70
    }
  }
}
