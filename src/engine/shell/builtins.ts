/**
 * bash builtins and the small text tools learners pipe into: echo, printf, export, cd, exit,
 * history, jobs/kill (tcpdump captures), sleep (advances the clock), cat, ls, grep, head,
 * tail, wc, sort, uniq, cut, awk '{print $N}', tee, basename, watch (runs once), sudo,
 * ssh NODE and nsenter (enter another machine or a process's netns), bash/sh (a nested shell).
 * Messages follow GNU coreutils and bash.
 */
import type { World } from '../model/types.ts'
import type { Command, Io, Session } from './session.ts'
import { labelOf, machineOf, netnsDisplayName, resolveNetnsName } from './state.ts'
import { formatDate } from './text.ts'
import { absPath, listFiles, readFile, writeFile } from './vfs.ts'

/** Push a nested shell in another netns (`ip netns exec NS bash`, `kubectl exec -it POD -- sh`). */
export function enterShell(sh: Session, netns: string, opts: { label?: string; cwd?: string; machine?: string } = {}): void {
  sh.frames = [...sh.frames, { netns: sh.netns, machine: sh.machine, label: sh.label, cwd: sh.cwd }]
  const ns = sh.world.netns[netns]!
  sh.netns = netns
  sh.machine = opts.machine ?? (ns.kind === 'host' ? ns.name : sh.machine)
  sh.label = opts.label ?? (ns.pod ? ns.pod.name : sh.label)
  sh.cwd = opts.cwd ?? (ns.pod ? '/' : sh.cwd)
}

export const SHELLS = new Set(['bash', 'sh', '/bin/bash', '/bin/sh', 'ash', '/bin/ash', 'zsh'])

const echo: Command = (io, argv) => {
  let args = argv.slice(1)
  let newline = true
  let escapes = false
  while (args[0] && /^-[neE]+$/.test(args[0])) {
    if (args[0].includes('n')) newline = false
    if (args[0].includes('e')) escapes = true
    args = args.slice(1)
  }
  let text = args.join(' ')
  if (escapes) text = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\')
  io.out(newline ? `${text}\n` : text)
  return 0
}

const printf: Command = (io, argv) => {
  const fmt = argv[1]
  if (fmt === undefined) {
    io.err('printf: usage: printf [-v var] format [arguments]\n')
    return 2
  }
  let args = argv.slice(2)
  let out = ''
  do {
    let used = 0
    out += fmt.replace(/%([sd%])|\\n|\\t/g, (m, c: string | undefined) => {
      if (m === '\\n') return '\n'
      if (m === '\\t') return '\t'
      if (c === '%') return '%'
      const v = args[used++] ?? ''
      return c === 'd' ? String(Number(v) || 0) : v
    })
    args = args.slice(Math.max(used, 1))
  } while (args.length > 0 && /%[sd]/.test(fmt))
  io.out(out)
  return 0
}

const exportCmd: Command = (io, argv) => {
  if (argv.length === 1 || argv[1] === '-p') {
    io.out(Object.entries(io.sh.env).map(([k, v]) => `declare -x ${k}="${v}"\n`).join(''))
    return 0
  }
  for (const a of argv.slice(1)) {
    const eq = a.indexOf('=')
    const name = eq < 0 ? a : a.slice(0, eq)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      io.err(`bash: export: \`${a}': not a valid identifier\n`)
      return 1
    }
    if (eq >= 0) io.sh.env = { ...io.sh.env, [name]: a.slice(eq + 1) }
    else if (io.env[name] !== undefined) io.sh.env = { ...io.sh.env, [name]: io.env[name] }
  }
  return 0
}

const unset: Command = (io, argv) => {
  const env = { ...io.sh.env }
  for (const a of argv.slice(1)) delete env[a]
  io.sh.env = env
  return 0
}

const envCmd: Command = (io, argv) => {
  // `env A=B cmd …` runs cmd with more variables.
  const extra: Record<string, string> = {}
  let i = 1
  for (; i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]!); i++) {
    const a = argv[i]!
    extra[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1)
  }
  if (i < argv.length) return io.exec(argv.slice(i), { env: extra, stdin: io.stdin })
  io.out(Object.entries({ ...io.env, ...extra }).map(([k, v]) => `${k}=${v}\n`).join(''))
  return 0
}

const printenv: Command = (io, argv) => {
  if (argv[1] !== undefined) {
    const v = io.env[argv[1]]
    if (v === undefined) return 1
    io.out(`${v}\n`)
    return 0
  }
  return envCmd(io, ['env'])
}

const cd: Command = (io, argv) => {
  const target = absPath(io.sh.cwd, argv[1] ?? io.env.HOME ?? '/root', io.env.HOME)
  io.sh.cwd = target
  return 0
}

const pwd: Command = (io) => {
  io.out(`${io.sh.cwd}\n`)
  return 0
}

const exit: Command = (io, argv) => {
  const code = argv[1] !== undefined ? Number(argv[1]) & 255 : io.sh.lastStatus
  const frame = io.sh.frames[io.sh.frames.length - 1]
  if (!frame) {
    io.err('logout\npacketwalk: this is the outermost shell, so it stays open.\n')
    return code
  }
  io.sh.frames = io.sh.frames.slice(0, -1)
  io.sh.netns = frame.netns
  io.sh.machine = frame.machine
  io.sh.label = frame.label
  io.sh.cwd = frame.cwd
  io.err('exit\n')
  return code
}

const history: Command = (io) => {
  const h = io.sh.history
  io.out(h.map((l, i) => `${String(i + 1).padStart(5)}  ${l}\n`).join(''))
  return 0
}

const clear: Command = (io) => {
  io.out('\x1b[H\x1b[2J\x1b[3J')
  return 0
}

const jobs: Command = (io) => {
  const caps = io.sh.captures
  io.out(caps.map((c, i) => `[${c.job}]${i === caps.length - 1 ? '+' : i === caps.length - 2 ? '-' : ' '}  Running                 ${c.command} &\n`).join(''))
  return 0
}

/** Stop tcpdump captures: they print their summary as tcpdump does on SIGINT. */
export function stopCaptures(sh: Session, which: (job: number) => boolean): string {
  let text = ''
  const keep = []
  for (const c of sh.captures) {
    if (!which(c.job)) {
      keep.push(c)
      continue
    }
    text += `\n${c.count} packets captured\n${c.count} packets received by filter\n0 packets dropped by kernel\n[${c.job}]+  Interrupt               ${c.command}\n`
  }
  sh.captures = keep
  return text
}

const kill: Command = (io, argv) => {
  const targets = argv.slice(1).filter((a) => !a.startsWith('-'))
  if (targets.length === 0) {
    io.err('kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n')
    return 2
  }
  let status = 0
  for (const t of targets) {
    const m = /^%(\d+)$/.exec(t) ?? /^(\d+)$/.exec(t)
    const job = m ? (t.startsWith('%') ? Number(m[1]) : Number(m[1]) - 4200) : NaN
    if (!io.sh.captures.some((c) => c.job === job)) {
      io.err(t.startsWith('%') ? `bash: kill: ${t}: no such job\n` : `bash: kill: (${t}) - No such process\n`)
      status = 1
      continue
    }
    io.sh.terminal('stderr', stopCaptures(io.sh, (j) => j === job))
  }
  return status
}

const fg: Command = (io, argv) => {
  const last = io.sh.captures[io.sh.captures.length - 1]
  const want = argv[1] ? Number(argv[1].replace('%', '')) : last?.job
  const c = io.sh.captures.find((x) => x.job === want)
  if (!c) {
    io.err(`bash: fg: ${argv[1] ?? 'current'}: no such job\n`)
    return 1
  }
  io.out(`${c.command}\n`)
  io.sh.terminal('stderr', `^C${stopCaptures(io.sh, (j) => j === c.job)}`)
  return 130
}

const sleep: Command = (io, argv) => {
  const s = Number((argv[1] ?? '').replace(/s$/, ''))
  if (!Number.isFinite(s)) {
    io.err(`sleep: invalid time interval '${argv[1] ?? ''}'\nTry 'sleep --help' for more information.\n`)
    return 1
  }
  io.sh.advance(s * 1000)
  return 0
}

function readArgs(io: Io, files: readonly string[], prog: string): { text: string; status: number } {
  if (files.length === 0 || (files.length === 1 && files[0] === '-')) return { text: io.stdin, status: 0 }
  let text = ''
  let status = 0
  for (const f of files) {
    if (f === '-') {
      text += io.stdin
      continue
    }
    const r = readFile(io.sh, io.netns, absPath(io.sh.cwd, f, io.env.HOME))
    if (r.ok) text += r.text
    else {
      io.err(`${prog}: ${f}: ${r.error === 'EISDIR' ? 'Is a directory' : 'No such file or directory'}\n`)
      status = 1
    }
  }
  return { text, status }
}

const cat: Command = (io, argv) => {
  const r = readArgs(io, argv.slice(1).filter((a) => !/^-[A-Za-z]+$/.test(a)), 'cat')
  io.out(r.text)
  return r.status
}

const ls: Command = (io, argv) => {
  const flags = argv.slice(1).filter((a) => a.startsWith('-')).join('')
  const targets = argv.slice(1).filter((a) => !a.startsWith('-'))
  const all = listFiles(io.sh, io.netns)
  let status = 0
  const blocks: string[] = []
  for (const t of targets.length ? targets : ['.']) {
    const p = absPath(io.sh.cwd, t, io.env.HOME)
    if (all.includes(p)) {
      blocks.push(flags.includes('l') ? `-rw-r--r-- 1 root root ${(readFile(io.sh, io.netns, p) as { text: string }).text.length} ${t}` : t)
      continue
    }
    const prefix = p === '/' ? '/' : `${p}/`
    const names = [...new Set(all.filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length).split('/')[0]!))].sort()
    if (names.length === 0 && !all.some((x) => x.startsWith(prefix))) {
      io.err(`ls: cannot access '${t}': No such file or directory\n`)
      status = 2
      continue
    }
    const body = flags.includes('l') ? names.map((n) => `-rw-r--r-- 1 root root ${(readFile(io.sh, io.netns, `${prefix}${n}`) as { ok: boolean; text?: string }).text?.length ?? 4096} ${n}`).join('\n') : names.join(flags.includes('1') || !io.tty ? '\n' : '  ')
    blocks.push(targets.length > 1 ? `${t}:\n${body}` : body)
  }
  if (blocks.length) io.out(`${blocks.filter((b) => b !== '').join('\n\n')}${blocks.some((b) => b !== '') ? '\n' : ''}`)
  return status
}

function lines(text: string): string[] {
  const l = text.split('\n')
  if (l[l.length - 1] === '') l.pop()
  return l
}

const grep: Command = (io, argv) => {
  let invert = false
  let icase = false
  let count = false
  let extended = false
  let word = false
  let only = false
  let after = 0
  let before = 0
  let pattern: string | undefined
  const files: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-e') pattern = argv[++i]
    else if (a === '-A') after = Number(argv[++i])
    else if (a === '-B') before = Number(argv[++i])
    else if (a === '-C') after = before = Number(argv[++i])
    else if (/^-[A-Z]\d+$/.test(a)) {
      const n = Number(a.slice(2))
      if (a[1] === 'A') after = n
      else if (a[1] === 'B') before = n
      else after = before = n
    } else if (/^-[vicEwoFnq]+$/.test(a)) {
      invert ||= a.includes('v')
      icase ||= a.includes('i')
      count ||= a.includes('c')
      extended ||= a.includes('E')
      word ||= a.includes('w')
      only ||= a.includes('o')
    } else if (pattern === undefined) pattern = a
    else files.push(a)
  }
  if (pattern === undefined) {
    io.err("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n")
    return 2
  }
  const src = readArgs(io, files, 'grep')
  let re: RegExp
  try {
    const body = extended ? pattern : pattern.replace(/\\\|/g, '|').replace(/([+?(){}|])/g, (m, c: string, off: number, str: string) => (str[off - 1] === '\\' ? c : `\\${c}`)).replace(/\\\\([+?(){}|])/g, '$1')
    re = new RegExp(word ? `\\b(?:${body})\\b` : body, icase ? 'gi' : 'g')
  } catch {
    io.err('grep: Unmatched ( or \\(\n')
    return 2
  }
  const ls = lines(src.text)
  const hit = ls.map((l) => {
    re.lastIndex = 0
    return re.test(l) !== invert
  })
  if (count) {
    io.out(`${hit.filter(Boolean).length}\n`)
    return hit.some(Boolean) ? 0 : 1
  }
  const out: string[] = []
  let lastPrinted = -1
  ls.forEach((l, i) => {
    if (!hit[i]) return
    const from = Math.max(0, i - before, lastPrinted + 1)
    if ((before || after) && lastPrinted >= 0 && from > lastPrinted + 1) out.push('--')
    for (let j = from; j < i; j++) out.push(ls[j]!)
    if (only && !invert) {
      re.lastIndex = 0
      for (const m of l.matchAll(re)) out.push(m[0])
    } else out.push(l)
    lastPrinted = i
    for (let j = i + 1; j <= Math.min(ls.length - 1, i + after); j++) {
      if (hit[j]) break
      out.push(ls[j]!)
      lastPrinted = j
    }
  })
  if (out.length) io.out(`${out.join('\n')}\n`)
  return hit.some(Boolean) ? (src.status ? 2 : 0) : src.status ? 2 : 1
}

function countArg(argv: readonly string[], def: number): { n: number; files: string[]; fromStart?: boolean } {
  let n = def
  let fromStart = false
  const files: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-n') {
      const v = argv[++i] ?? ''
      fromStart = v.startsWith('+')
      n = Math.abs(Number(v))
    } else if (/^-n?\d+$/.test(a)) n = Number(a.replace(/^-n?/, ''))
    else if (/^-n\+?\d+$/.test(a)) n = Number(a.slice(2))
    else files.push(a)
  }
  return { n, files, fromStart }
}

const head: Command = (io, argv) => {
  const { n, files } = countArg(argv, 10)
  const r = readArgs(io, files, 'head')
  const l = lines(r.text).slice(0, n)
  if (l.length) io.out(`${l.join('\n')}\n`)
  return r.status
}

const tail: Command = (io, argv) => {
  const { n, files, fromStart } = countArg(argv, 10)
  const r = readArgs(io, files, 'tail')
  const all = lines(r.text)
  const l = fromStart ? all.slice(Math.max(0, n - 1)) : n === 0 ? [] : all.slice(-n)
  if (l.length) io.out(`${l.join('\n')}\n`)
  return r.status
}

function utf8Length(s: string): number {
  let n = 0
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4
  }
  return n
}

const wc: Command = (io, argv) => {
  const flags = argv.slice(1).filter((a) => a.startsWith('-')).join('')
  const r = readArgs(io, argv.slice(1).filter((a) => !a.startsWith('-')), 'wc')
  const nl = (r.text.match(/\n/g) ?? []).length
  const words = r.text.split(/\s+/).filter(Boolean).length
  const bytes = utf8Length(r.text)
  const files = argv.slice(1).filter((a) => !a.startsWith('-'))
  const counts = flags.length > 1 ? [...(flags.includes('l') ? [nl] : []), ...(flags.includes('w') ? [words] : []), ...(flags.includes('c') ? [bytes] : [])] : [nl, words, bytes]
  // GNU wc: stdin gets 7-wide columns; files get the width of the byte count, and a single count of a single file none.
  const width = counts.length === 1 && files.length <= 1 ? 1 : files.length === 0 ? 7 : String(bytes).length
  io.out(`${counts.map((c) => String(c).padStart(width)).join(' ')}${files.length ? ` ${files.join(' ')}` : ''}\n`)
  return r.status
}

const sort: Command = (io, argv) => {
  const flags = argv.slice(1).filter((a) => a.startsWith('-')).join('')
  const r = readArgs(io, argv.slice(1).filter((a) => !a.startsWith('-')), 'sort')
  let l = lines(r.text)
  l = flags.includes('n') ? l.sort((a, b) => parseFloat(a) - parseFloat(b)) : l.sort()
  if (flags.includes('r')) l.reverse()
  if (flags.includes('u')) l = [...new Set(l)]
  if (l.length) io.out(`${l.join('\n')}\n`)
  return r.status
}

const uniq: Command = (io, argv) => {
  const countFlag = argv.includes('-c')
  const r = readArgs(io, argv.slice(1).filter((a) => !a.startsWith('-')), 'uniq')
  const out: [string, number][] = []
  for (const l of lines(r.text)) {
    const last = out[out.length - 1]
    if (last && last[0] === l) last[1]++
    else out.push([l, 1])
  }
  if (out.length) io.out(`${out.map(([l, c]) => (countFlag ? `${String(c).padStart(7)} ${l}` : l)).join('\n')}\n`)
  return r.status
}

const cut: Command = (io, argv) => {
  let delim = '\t'
  let fields: number[] = []
  let chars: { from: number; to: number } | undefined
  const files: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-c' || (a.startsWith('-c') && a.length > 2)) {
      const m = /^(\d*)(-?)(\d*)$/.exec(a === '-c' ? (argv[++i] ?? '') : a.slice(2))
      if (m) chars = { from: Number(m[1] || 1), to: m[2] ? (m[3] ? Number(m[3]) : Infinity) : Number(m[1] || 1) }
    } else if (a === '-d') delim = argv[++i] ?? '\t'
    else if (a.startsWith('-d')) delim = a.slice(2)
    else if (a === '-f') fields = (argv[++i] ?? '').split(',').map(Number)
    else if (a.startsWith('-f')) fields = a.slice(2).split(',').map(Number)
    else files.push(a)
  }
  const r = readArgs(io, files, 'cut')
  const l = lines(r.text).map((x) => (chars ? x.slice(chars.from - 1, chars.to === Infinity ? undefined : chars.to) : x.includes(delim) ? fields.map((f) => x.split(delim)[f - 1] ?? '').join(delim) : x))
  if (l.length) io.out(`${l.join('\n')}\n`)
  return r.status
}

/** awk, reduced to `awk [-F sep] '{print $1, $3}'` (and `$NF`). */
const awk: Command = (io, argv) => {
  let sep: string | undefined
  let prog: string | undefined
  const files: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-F') sep = argv[++i]
    else if (a.startsWith('-F')) sep = a.slice(2)
    else if (prog === undefined) prog = a
    else files.push(a)
  }
  const m = prog !== undefined ? /^\s*(?:\/(.*)\/\s*)?\{\s*print\s*(.*?)\s*;?\s*\}\s*$/.exec(prog) : null
  if (!m) {
    io.err('packetwalk: this awk only runs programs like \'{print $1}\' or \'/pattern/ {print $2, $NF}\'\n')
    return 2
  }
  const filter = m[1] !== undefined ? new RegExp(m[1]) : undefined
  const exprs = (m[2] ?? '').split(/\s*,\s*/).filter(Boolean)
  const r = readArgs(io, files, 'awk')
  const out: string[] = []
  for (const l of lines(r.text)) {
    if (filter && !filter.test(l)) continue
    const f = sep === undefined ? l.trim().split(/\s+/) : l.split(sep)
    out.push(exprs.length === 0 ? l : exprs.map((e) => (e === '$0' ? l : e === '$NF' ? (f[f.length - 1] ?? '') : /^\$\d+$/.test(e) ? (f[Number(e.slice(1)) - 1] ?? '') : e.replace(/^"|"$/g, ''))).join(' '))
  }
  if (out.length) io.out(`${out.join('\n')}\n`)
  return r.status
}

/** sed, reduced to `s/regex/replacement/[g]` on stdin or files, `-i` to edit in place. */
const sed: Command = (io, argv) => {
  let inPlace = false
  const scripts: string[] = []
  const files: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-i' || a.startsWith('-i')) inPlace = true
    else if (a === '-e') scripts.push(argv[++i] ?? '')
    else if (scripts.length === 0 && !a.startsWith('-')) scripts.push(a)
    else if (!a.startsWith('-')) files.push(a)
  }
  const subs = scripts.map((sc) => {
    const d = sc[1]
    if (sc[0] !== 's' || d === undefined) return undefined
    const parts = sc.slice(2).split(d)
    if (parts.length < 3) return undefined
    try {
      return { re: new RegExp(parts[0]!, parts[2]!.includes('g') ? 'g' : ''), to: parts[1]!.replace(/\\(\d)/g, '$$$1').replace(/&/g, '$$&') }
    } catch {
      return undefined
    }
  })
  if (subs.length === 0 || subs.some((x) => x === undefined)) {
    io.err(`sed: -e expression #1, char ${scripts[0]?.length ?? 0}: unknown command: \`${scripts[0]?.[0] ?? ''}'\npacketwalk: this sed only runs s/regex/replacement/[g]\n`)
    return 1
  }
  const apply = (text: string) => text.split('\n').map((l) => subs.reduce((acc, x) => acc.replace(x!.re, x!.to), l)).join('\n')
  if (files.length === 0) {
    io.out(apply(io.stdin))
    return 0
  }
  for (const f of files) {
    const path = absPath(io.sh.cwd, f, io.env.HOME)
    const r = readFile(io.sh, io.netns, path)
    if (!r.ok) {
      io.err(`sed: can't read ${f}: No such file or directory\n`)
      return 2
    }
    if (!inPlace) {
      io.out(apply(r.text))
      continue
    }
    const e = writeFile(io.sh, io.netns, path, apply(r.text), false)
    if (e) {
      io.err(`sed: couldn't edit ${f}: ${e}\n`)
      return 4
    }
  }
  return 0
}

/** tr SET1 SET2 (one-for-one) and tr -d SET, with the escapes \0 \n \t \\. */
const tr: Command = (io, argv) => {
  const unesc = (x: string) => x.replace(/\\(0|n|t|\\)/g, (_m, c: string) => (c === '0' ? '\0' : c === 'n' ? '\n' : c === 't' ? '\t' : '\\'))
  if (argv[1] === '-d' && argv[2] !== undefined) {
    const del = new Set(unesc(argv[2]))
    io.out([...io.stdin].filter((ch) => !del.has(ch)).join(''))
    return 0
  }
  if (argv[1] === undefined || argv[2] === undefined) {
    io.err("tr: missing operand\nTry 'tr --help' for more information.\n")
    return 1
  }
  const from = unesc(argv[1])
  const to = unesc(argv[2])
  io.out([...io.stdin].map((ch) => (from.includes(ch) ? (to[Math.min(from.indexOf(ch), to.length - 1)] ?? ch) : ch)).join(''))
  return 0
}

const tee: Command = (io, argv) => {
  io.out(io.stdin)
  for (const f of argv.slice(1).filter((a) => !a.startsWith('-'))) {
    const path = absPath(io.sh.cwd, f, io.env.HOME)
    io.sh.files = { ...io.sh.files, [path]: argv.includes('-a') ? (io.sh.files[path] ?? '') + io.stdin : io.stdin }
  }
  return 0
}

const basename: Command = (io, argv) => {
  const p = (argv[1] ?? '').replace(/\/+$/, '')
  let b = p.slice(p.lastIndexOf('/') + 1)
  if (argv[2] && b.endsWith(argv[2])) b = b.slice(0, -argv[2].length)
  io.out(`${b}\n`)
  return argv[1] === undefined ? 1 : 0
}

const dirname: Command = (io, argv) => {
  const p = (argv[1] ?? '.').replace(/\/+$/, '')
  const i = p.lastIndexOf('/')
  io.out(`${i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i)}\n`)
  return 0
}

const hostname: Command = (io) => {
  const ns = io.sh.world.netns[io.netns]
  io.out(`${ns?.pod?.name ?? io.sh.label}\n`)
  return 0
}

const whoami: Command = (io) => {
  io.out('root\n')
  return 0
}

const date: Command = (io) => {
  io.out(`${formatDate(io.sh.now)}\n`)
  return 0
}

const uname: Command = (io, argv) => {
  io.out(argv.includes('-a') ? `Linux ${io.sh.label} 6.18.0-packetwalk #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n` : argv.includes('-r') ? '6.18.0-packetwalk\n' : 'Linux\n')
  return 0
}

const trueCmd: Command = () => 0
const falseCmd: Command = () => 1

const watch: Command = (io, argv) => {
  let i = 1
  let interval = '2.0'
  while (i < argv.length && argv[i]!.startsWith('-')) {
    if (argv[i] === '-n') interval = Number(argv[++i]).toFixed(1)
    i++
  }
  const text = argv.slice(i).join(' ')
  io.out(`Every ${interval}s: ${text}${' '.repeat(4)}${io.sh.label}: ${formatDate(io.sh.now)}\n\n`)
  const status = io.run(text, { stdin: '' })
  io.err('packetwalk: watch ran the command once; run it again to refresh.\n')
  return status
}

const sudo: Command = (io, argv) => {
  let i = 1
  while (argv[i]?.startsWith('-')) i++
  if (i >= argv.length) {
    io.err('usage: sudo command\n')
    return 1
  }
  return io.exec(argv.slice(i), { stdin: io.stdin })
}

/** `bash`, `bash -c 'cmd'`, `sh script.sh`: a nested shell. */
const bash: Command = (io, argv) => {
  if (argv[1] === '-c') return io.run(argv[2] ?? '', { stdin: io.stdin })
  if (argv[1] !== undefined) {
    const r = readFile(io.sh, io.netns, absPath(io.sh.cwd, argv[1], io.env.HOME))
    if (!r.ok) {
      io.err(`${argv[0]}: ${argv[1]}: No such file or directory\n`)
      return 127
    }
    return io.run(r.text, { stdin: io.stdin })
  }
  if (io.netns !== io.sh.netns) enterShell(io.sh, io.netns)
  return 0
}

/** `ssh node2`: log into another node of the cluster (its root netns). */
const ssh: Command = (io, argv) => {
  const target = argv.slice(1).find((a) => !a.startsWith('-'))?.replace(/^.*@/, '')
  const w: World = io.sh.world
  const host = target !== undefined ? (Object.values(w.netns).find((n) => n.kind === 'host' && (n.name === target || n.node === target)) ?? Object.values(w.netns).find((n) => n.kind === 'host' && n.links.some((l) => l.addrs.some((a) => a.ip === target)))) : undefined
  if (!host) {
    io.err(`ssh: Could not resolve hostname ${target ?? ''}: Name or service not known\n`)
    return 255
  }
  const rest = argv.slice(argv.indexOf(argv.find((a) => a.replace(/^.*@/, '') === target)!) + 1)
  if (rest.length > 0) return io.run(rest.join(' '), { netns: host.name, stdin: io.stdin })
  enterShell(io.sh, host.name, { machine: host.name, label: labelOf(w, host), cwd: '/root' })
  return 0
}

/** `nsenter -t PID -n [CMD]` / `nsenter --net=/var/run/netns/X [CMD]`: a process's (the pause container's) netns. */
const nsenter: Command = (io, argv) => {
  let pid: number | undefined
  let path: string | undefined
  let i = 1
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-t' || a === '--target') pid = Number(argv[++i])
    else if (a.startsWith('--net=')) path = a.slice(6)
    else if (a === '-n' || a === '--net' || a === '-m' || a === '-u' || a === '-i' || a === '-p') continue
    else if (a === '--') {
      i++
      break
    } else break
  }
  const w = io.sh.world
  let netns: string | undefined
  if (path !== undefined) netns = resolveNetnsName(w, path)
  else if (pid !== undefined) {
    const ns = Object.values(w.netns).find((n) => n.pod?.pausePid === pid)
    netns = ns?.name ?? (pid === 1 ? io.sh.machine : undefined)
  }
  if (netns === undefined) {
    io.err(pid !== undefined ? `nsenter: cannot open /proc/${pid}/ns/net: No such file or directory\n` : `nsenter: neither filename nor target pid supplied for ns/net\n`)
    return 1
  }
  const rest = argv.slice(i)
  if (rest.length === 0 || (rest.length === 1 && SHELLS.has(rest[0]!))) {
    enterShell(io.sh, netns)
    return 0
  }
  return io.exec(rest, { netns, stdin: io.stdin })
}

const which: Command = (io, argv) => {
  let status = 0
  for (const a of argv.slice(1)) {
    if (KNOWN_PATHS[a]) io.out(`${KNOWN_PATHS[a]}\n`)
    else status = 1
  }
  return status
}

/** Where `which` says the tools live (Debian paths). */
export const KNOWN_PATHS: Readonly<Record<string, string>> = {
  ip: '/usr/sbin/ip',
  bridge: '/usr/sbin/bridge',
  iptables: '/usr/sbin/iptables',
  'iptables-save': '/usr/sbin/iptables-save',
  'iptables-restore': '/usr/sbin/iptables-restore',
  sysctl: '/usr/sbin/sysctl',
  ping: '/usr/bin/ping',
  curl: '/usr/bin/curl',
  nc: '/usr/bin/nc',
  nslookup: '/usr/bin/nslookup',
  dig: '/usr/bin/dig',
  tcpdump: '/usr/bin/tcpdump',
  conntrack: '/usr/sbin/conntrack',
  kubectl: '/usr/local/bin/kubectl',
  crictl: '/usr/local/bin/crictl',
  cat: '/usr/bin/cat',
  grep: '/usr/bin/grep',
}

/** Where the prompt is, said plainly (packetwalk's own helper). */
const whereami: Command = (io) => {
  const ns = io.sh.world.netns[io.netns]
  const kind = ns?.pod ? `pod ${ns.pod.namespace}/${ns.pod.name} on node ${ns.pod.node}` : ns?.kind === 'host' ? `the root network namespace of ${io.sh.label}` : `network namespace ${netnsDisplayName(io.sh.world, io.netns)} on ${machineOf(io.sh.world, ns!)}`
  io.out(`${kind}\n`)
  return 0
}

export const BUILTINS: Readonly<Record<string, Command>> = {
  echo,
  printf,
  export: exportCmd,
  unset,
  env: envCmd,
  printenv,
  cd,
  pwd,
  exit,
  logout: exit,
  history,
  clear,
  jobs,
  kill,
  fg,
  sleep,
  cat,
  ls,
  grep,
  egrep: (io, argv) => grep(io, ['grep', '-E', ...argv.slice(1)]),
  head,
  tail,
  wc,
  sort,
  uniq,
  cut,
  awk,
  tee,
  sed,
  tr,
  basename,
  dirname,
  hostname,
  whoami,
  date,
  uname,
  true: trueCmd,
  false: falseCmd,
  watch,
  sudo,
  bash,
  sh: bash,
  ssh,
  nsenter,
  which,
  whereami,
}
