/**
 * The `iptables` command (1.8.9, legacy) applied to a Ruleset: -t -A -I -D -R -N -X -F -P
 * -Z -S -L with -n -v -x --line-numbers, -j and -g, printing what the real tool prints and
 * failing with its messages and exit codes (checked against the real binary in a throwaway
 * netns; goldens in golden/iptables-commands.txt). Also `iptables-restore` and
 * `iptables-save` for the shell. Pure: a new ruleset comes back, the old one is untouched.
 *
 * Simplifications: `-L` never resolves addresses or services through DNS//etc/services
 * (addresses print numerically, a few well-known ports by name); tables exist as soon as a
 * command names them (the kernel loads the module on first use).
 */
import type { Match, Rule, Ruleset, TableName, Target } from './types.ts'
import { BUILTIN_CHAINS } from './types.ts'
import { ICMP_TYPES, cidrLen, hex, parseRuleSpec, printNatRange, printTcpFlags, protoNumber, serviceName, tcpFlagBits, targetName } from './grammar.ts'
import type { SpecProblem } from './grammar.ts'
import { tokensFromArgv } from './tokenize.ts'
import { findJumpLoop, fromDraft, isBuiltinChain, isTableName, newDraftTable, parseIptablesSave, printIptablesS, printIptablesSave, toDraft } from './save.ts'
import type { Draft, DraftRule, DraftTable } from './save.ts'

export interface CommandResult {
  readonly ruleset: Ruleset
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

const PROG = 'iptables v1.8.9 (legacy)'
const TRY = "Try `iptables -h' or 'iptables --help' for more information.\n"

class IptError extends Error {
  constructor(readonly text: string, readonly code: number) {
    super(text)
  }
}

/** `iptables: <message>` with exit 1 (errors the kernel reports). */
const kernel = (msg: string) => new IptError(`iptables: ${msg}\n`, 1)
/** `iptables v1.8.9 (legacy): <message>` + the help hint, exit 2 (errors the parser reports). */
const usage = (msg: string, blank = false) => new IptError(`${PROG}: ${msg}\n${blank ? '\n' : ''}${TRY}`, 2)

const COMMANDS: Readonly<Record<string, string>> = {
  '-A': 'A', '--append': 'A', '-I': 'I', '--insert': 'I', '-D': 'D', '--delete': 'D', '-R': 'R', '--replace': 'R',
  '-N': 'N', '--new-chain': 'N', '-X': 'X', '--delete-chain': 'X', '-F': 'F', '--flush': 'F', '-P': 'P', '--policy': 'P',
  '-S': 'S', '--list-rules': 'S', '-L': 'L', '--list': 'L', '-Z': 'Z', '--zero': 'Z',
}

function ensureTable(d: Draft, name: TableName): DraftTable {
  let t = d.get(name)
  if (!t) {
    t = newDraftTable(name)
    d.set(name, t)
  }
  return t
}

function problemToError(p: SpecProblem): IptError {
  const tool = p.tool ?? p.message
  if (tool.startsWith('Bad argument')) return new IptError(`${tool}\n${TRY}`, 2)
  return usage(tool, /^Couldn't load|^Can't use/.test(tool))
}

function sameRule(a: DraftRule, b: DraftRule): boolean {
  return JSON.stringify([a.matches, a.target]) === JSON.stringify([b.matches, b.target])
}

/**
 * Run one `iptables` command line against a ruleset.
 * @example runIptables(EMPTY_RULESET, ['-t', 'nat', '-N', 'KUBE-SERVICES']).exitCode // 0
 */
export function runIptables(rs: Ruleset, argvIn: readonly string[], opts: { counters?: Readonly<Record<string, readonly [number, number]>> } = {}): CommandResult {
  const argv = argvIn[0] === 'iptables' || argvIn[0] === 'iptables-legacy' ? argvIn.slice(1) : argvIn
  try {
    return run(rs, argv, opts)
  } catch (e) {
    if (e instanceof IptError) return { ruleset: rs, stdout: '', stderr: e.text, exitCode: e.code }
    throw e
  }
}

function run(rs: Ruleset, argv: readonly string[], opts: { counters?: Readonly<Record<string, readonly [number, number]>> }): CommandResult {
  let table: TableName = 'filter'
  let cmd: string | undefined
  const args: string[] = []
  const spec: string[] = []
  let numeric = false
  let verbose = false
  let exact = false
  let lineNumbers = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-t' || a === '--table') {
      const v = argv[++i]
      if (v === undefined) throw usage(`option "${a}" requires an argument`)
      if (!isTableName(v)) throw new IptError(`${PROG}: can't initialize iptables table \`${v}': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.\n`, 3)
      table = v
      continue
    }
    const c = COMMANDS[a]
    if (c) {
      if (cmd) throw usage('Cannot use -' + c + ' with -' + cmd)
      cmd = c
      // The command's own words: chain name, then a rule number (-I -D -R -S) or a policy (-P).
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith('-') && next !== '!') {
        args.push(next)
        i++
        const after = argv[i + 1]
        if (after !== undefined && (/^\d+$/.test(after) || (c === 'P' && !after.startsWith('-')))) {
          args.push(after)
          i++
        }
      }
      continue
    }
    if (/^-[nvx]+$/.test(a) && !a.startsWith('--')) {
      for (const f of a.slice(1)) {
        if (f === 'n') numeric = true
        if (f === 'v') verbose = true
        if (f === 'x') exact = true
      }
      continue
    }
    if (a === '--numeric') numeric = true
    else if (a === '--verbose') verbose = true
    else if (a === '--exact') exact = true
    else if (a === '--line-numbers') lineNumbers = true
    else if (a === '-w' || a === '--wait') {
      if (argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!)) i++
    } else spec.push(a)
  }
  if (!cmd) throw usage('no command specified')
  const d = toDraft(rs)
  const t = ensureTable(d, table)
  const chainArg = args[0]
  const needName = (name: string | undefined): string => {
    if (name === undefined) throw usage(`option "-${cmd}" requires an argument`)
    return name
  }
  const needChain = (name: string | undefined) => {
    if (name === undefined) throw usage(`option "-${cmd}" requires an argument`)
    const c = t.chains.get(name)
    if (!c) throw kernel('No chain/target/match by that name.')
    return c
  }
  const parseSpec = (chain: string): DraftRule => {
    const r = parseRuleSpec(tokensFromArgv(spec))
    const err = r.problems.find((p) => p.severity === 'error') ?? r.problems.find((p) => p.code === 'NF011' || p.code === 'NF017')
    if (err) throw problemToError(err)
    if (isBuiltinChain(table, chain)) {
      if ((chain === 'INPUT' || chain === 'PREROUTING') && r.matches.some((m) => m.kind === 'out')) throw usage(`Can't use -o with ${chain}`, true)
      if ((chain === 'OUTPUT' || chain === 'POSTROUTING') && r.matches.some((m) => m.kind === 'in')) throw usage(`Can't use -i with ${chain}`, true)
    }
    const tg = r.target
    if ((tg.kind === 'jump' || tg.kind === 'goto') && !t.chains.has(tg.chain)) throw usage(`Couldn't load target \`${tg.chain}':No such file or directory`, true)
    return { matches: r.matches, target: tg, raw: spec.join(' '), ...(r.counters && { counters: r.counters }) }
  }
  const commit = (): Ruleset => {
    const loop = findJumpLoop(t)
    if (loop) throw kernel('Too many levels of symbolic links.')
    return fromDraft(d)
  }
  const ok = (ruleset: Ruleset, stdout = ''): CommandResult => ({ ruleset, stdout, stderr: '', exitCode: 0 })
  const num = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined
    if (!/^\d+$/.test(s) || Number(s) < 1) throw usage(`Invalid rule number \`${s}'`)
    void what
    return Number(s)
  }
  switch (cmd) {
    // iptables parses the whole rule (loading each match and target extension) before it asks
    // the kernel for the chain: `-A NOPE -j BOGUS` is "Couldn't load target" (exit 2), not "No chain" (exit 1).
    case 'A': {
      const r = parseSpec(needName(chainArg))
      needChain(chainArg).rules.push(r)
      return ok(commit())
    }
    case 'I': {
      const n = num(args[1], 'insert') ?? 1
      const r = parseSpec(needName(chainArg))
      const c = needChain(chainArg)
      if (n > c.rules.length + 1) throw kernel('Index of insertion too big.')
      c.rules.splice(n - 1, 0, r)
      return ok(commit())
    }
    case 'D': {
      const n = num(args[1], 'delete')
      if (n !== undefined) {
        const c = needChain(chainArg)
        if (n > c.rules.length) throw kernel('Index of deletion too big.')
        c.rules.splice(n - 1, 1)
        return ok(commit())
      }
      const r = parseSpec(needName(chainArg))
      const c = needChain(chainArg)
      const i = c.rules.findIndex((x) => sameRule(x, r))
      if (i < 0) throw kernel('Bad rule (does a matching rule exist in that chain?).')
      c.rules.splice(i, 1)
      return ok(commit())
    }
    case 'R': {
      const n = num(args[1], 'replace')
      if (n === undefined) throw usage('-R requires a rule number')
      const r = parseSpec(needName(chainArg))
      const c = needChain(chainArg)
      if (n > c.rules.length) throw kernel('Index of replacement too big.')
      c.rules[n - 1] = r
      return ok(commit())
    }
    case 'N': {
      if (chainArg === undefined) throw usage('option "-N" requires an argument')
      if (t.chains.has(chainArg)) throw kernel('Chain already exists.')
      if (chainArg.length > 28) throw usage(`chain name \`${chainArg}' too long (must be under 29 chars)`)
      if (isTargetName(chainArg)) throw usage(`chain name may not clash with target name`)
      t.chains.set(chainArg, { name: chainArg, counters: [0, 0], rules: [] })
      return ok(fromDraft(d))
    }
    case 'X': {
      const names = chainArg === undefined ? [...t.chains.keys()].filter((n) => !isBuiltinChain(table, n)) : [chainArg]
      for (const n of names) {
        const c = t.chains.get(n)
        if (!c) throw kernel('No chain/target/match by that name.')
        if (isBuiltinChain(table, n)) throw kernel("Invalid argument. Run `dmesg' for more information.")
        if (references(t, n) > 0 && chainArg !== undefined) throw kernel('Too many links.')
        if (c.rules.length > 0) throw kernel('Directory not empty.')
      }
      for (const n of names) t.chains.delete(n)
      return ok(fromDraft(d))
    }
    case 'F': {
      if (chainArg === undefined) for (const c of t.chains.values()) c.rules = []
      else needChain(chainArg).rules = []
      return ok(fromDraft(d))
    }
    case 'Z': {
      const cs = chainArg === undefined ? [...t.chains.values()] : [needChain(chainArg)]
      for (const c of cs) {
        if (c.counters) c.counters = [0, 0]
        c.rules = c.rules.map(({ counters: _c, ...r }) => r)
      }
      return ok(fromDraft(d))
    }
    case 'P': {
      const pol = args[1] ?? spec[0]
      if (chainArg === undefined || pol === undefined) throw usage('-P requires a chain and a policy')
      if (!t.chains.has(chainArg) || !isBuiltinChain(table, chainArg)) throw kernel('Bad built-in chain name.')
      if (pol !== 'ACCEPT' && pol !== 'DROP') throw kernel("Bad policy name. Run `dmesg' for more information.")
      t.chains.get(chainArg)!.policy = pol
      return ok(fromDraft(d))
    }
    case 'S': {
      if (chainArg !== undefined) needChain(chainArg)
      const out = fromDraft(d)
      const n = num(args[1], 'list')
      if (n !== undefined && chainArg !== undefined) {
        const r = out.tables[table]!.chains[chainArg]!.rules[n - 1]
        if (!r) throw kernel('Index of deletion too big.')
        const all = printIptablesS(out, table, chainArg).split('\n').filter((l) => l.startsWith('-A '))
        return ok(rs, `${all[n - 1]}\n`)
      }
      return ok(rs, printIptablesS(out, table, chainArg))
    }
    case 'L': {
      if (chainArg !== undefined) needChain(chainArg)
      const out = fromDraft(d)
      return ok(rs, printIptablesL(out, table, { numeric, verbose, exact, lineNumbers, ...(chainArg !== undefined && { chain: chainArg }), ...(opts.counters && { counters: opts.counters }) }))
    }
  }
  throw usage('unknown command')
}

function isTargetName(n: string): boolean {
  return ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(n)
}

function references(t: DraftTable, name: string): number {
  let n = 0
  for (const c of t.chains.values()) for (const r of c.rules) if ((r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain === name) n++
  return n
}

// ---------------------------------------------------------------------------------------
// iptables -L

export interface ListOptions {
  readonly numeric?: boolean
  readonly verbose?: boolean
  readonly exact?: boolean
  readonly lineNumbers?: boolean
  readonly chain?: string
  /** Live counters by rule id (and `table:CHAIN:policy`), e.g. Netns.counters. */
  readonly counters?: Readonly<Record<string, readonly [number, number]>>
}

/** xtables_print_num: `%8llu ` exact, else `%5llu ` with K/M/G/T above 99999. */
function printNum(n: number, exact: boolean, table: boolean): string {
  if (exact) return table ? `${String(n).padStart(8)} ` : `${n} `
  let v = n
  if (v <= 99999) return table ? `${String(v).padStart(5)} ` : `${v} `
  for (const unit of ['K', 'M', 'G', 'T']) {
    v = Math.floor((v + 500) / 1000)
    if (v <= 9999 || unit === 'T') return table ? `${String(v).padStart(4)}${unit} ` : `${v}${unit} `
  }
  return `${v} `
}

const ICMP_NAMES: readonly [string, number, number, number][] = Object.entries(ICMP_TYPES)
  .filter(([n]) => !['pong', 'ping', 'ttl-exceeded'].includes(n))
  .map(([name, [type, code]]) => [name, type, code ?? 0, code ?? 255])

function port(p: number, numeric: boolean): string {
  return numeric ? String(p) : (serviceName(p) ?? String(p))
}

function portsL(name: string, m: { neg: boolean; ports: readonly { from: number; to: number }[] }, numeric: boolean): string {
  const r = m.ports[0]!
  const inv = m.neg ? '!' : ''
  return r.from === r.to ? ` ${name}:${inv}${port(r.from, numeric)}` : ` ${name}s:${inv}${port(r.from, numeric)}:${port(r.to, numeric)}`
}

function limitL(text: string): string {
  const rate = /--limit (\S+)/.exec(text)?.[1] ?? '3/hour'
  const burst = /--limit-burst (\d+)/.exec(text)?.[1] ?? '5'
  const [n, unit = 'sec'] = rate.split('/')
  const u = unit.startsWith('s') ? 'sec' : unit.startsWith('m') ? 'min' : unit.startsWith('h') ? 'hour' : 'day'
  return ` limit: avg ${n}/${u} burst ${burst}`
}

/** Matches of one module instance in -L form. */
function matchesL(ms: readonly Match[], numeric: boolean): string {
  const first = ms[0]!
  let s = ''
  switch (first.kind) {
    case 'sport':
    case 'dport':
    case 'tcp-flags':
    case 'syn':
    case 'module': {
      const mod = first.kind === 'module' ? first.module : first.kind === 'tcp-flags' || first.kind === 'syn' ? 'tcp' : first.module
      if (mod === 'multiport') {
        for (const m of ms) {
          if (m.kind !== 'sport' && m.kind !== 'dport') continue
          s += ` multiport ${m.kind}s ${m.neg ? ' !' : ''}${m.ports.map((r) => (r.from === r.to ? port(r.from, numeric) : `${port(r.from, numeric)}:${port(r.to, numeric)}`)).join(',')}`
        }
        return s
      }
      if (first.kind === 'module' && !['tcp', 'udp', 'sctp'].includes(mod)) return ` ${mod}`
      s = ` ${mod}`
      for (const m of ms) {
        if (m.kind === 'sport') s += portsL('spt', m, numeric)
        else if (m.kind === 'dport') s += portsL('dpt', m, numeric)
        else if (m.kind === 'tcp-flags' || m.kind === 'syn') {
          const mask = m.kind === 'syn' ? 0x17 : tcpFlagBits(m.mask)
          const comp = m.kind === 'syn' ? 0x02 : tcpFlagBits(m.comp)
          s += ` flags:${m.neg ? '!' : ''}${numeric ? `0x${mask.toString(16).padStart(2, '0').toUpperCase()}/0x${comp.toString(16).padStart(2, '0').toUpperCase()}` : `${printTcpFlags(mask)}/${printTcpFlags(comp)}`}`
        }
      }
      return s
    }
    default:
      break
  }
  for (const m of ms) {
    switch (m.kind) {
      case 'icmp-type': {
        s += ' icmp'
        const lo = m.code ?? (m.type === 255 ? 0 : 0)
        const hi = m.code ?? 255
        const name = numeric ? undefined : ICMP_NAMES.find(([, t, a, b]) => t === m.type && a === lo && b === hi)?.[0] ?? (m.type === 255 ? 'any' : undefined)
        if (name) s += ` ${m.neg ? '!' : ''}${name}`
        else s += `${m.neg ? ' !' : ''}type ${m.type}${m.code !== undefined ? ` code ${m.code}` : ''}`
        break
      }
      case 'comment':
        s += ` /* ${m.text} */`
        break
      case 'statistic':
        s += m.mode === 'random' ? ` statistic mode random${m.neg ? ' !' : ''} probability ${m.probability.toFixed(11)}` : ` statistic mode nth${m.neg ? ' !' : ''} every ${m.every}${m.packet ? ` packet ${m.packet}` : ''}`
        break
      case 'mark':
        s += ` mark match${m.neg ? ' !' : ''} ${hex(m.value)}${m.mask !== 0xffffffff ? `/${hex(m.mask)}` : ''}`
        break
      case 'ctstate':
        s += `${m.neg ? ' !' : ''} ${m.module === 'state' ? 'state' : 'ctstate'} ${m.states.join(',')}`
        break
      case 'ctstatus':
        s += `${m.neg ? ' !' : ''} ctstatus ${m.statuses.join(',')}`
        break
      case 'addrtype':
        s += ' ADDRTYPE match'
        if (m.src) s += ` src-type ${m.src.neg ? '!' : ''}${m.src.value.join(',')}`
        if (m.dst) s += ` dst-type ${m.dst.neg ? '!' : ''}${m.dst.value.join(',')}`
        if (m.limitIfaceIn) s += ' limit-in'
        if (m.limitIfaceOut) s += ' limit-out'
        break
      case 'recent':
        s += `${m.neg ? ' !' : ''} recent: ${{ set: 'SET', rcheck: 'CHECK', update: 'UPDATE', remove: 'REMOVE' }[m.mode]}`
        if (m.seconds !== undefined) s += ` seconds: ${m.seconds}`
        if (m.reap) s += ' reap'
        if (m.hitcount !== undefined) s += ` hit_count: ${m.hitcount}`
        s += ` name: ${m.name} side: ${m.rsource ? 'source' : 'dest'} mask: ${m.mask ?? '255.255.255.255'}`
        break
      case 'set':
        s += `${m.neg ? ' !' : ''} match-set ${m.name} ${m.flags.join(',')}`
        break
      case 'physdev': {
        s += ' PHYSDEV match'
        if (m.isIn) s += ' --physdev-is-in'
        if (m.physIn) s += `${m.physIn.neg ? ' !' : ''} --physdev-in ${m.physIn.value}`
        if (m.isOut) s += ' --physdev-is-out'
        if (m.physOut) s += `${m.physOut.neg ? ' !' : ''} --physdev-out ${m.physOut.value}`
        if (m.isBridged) s += ' --physdev-is-bridged'
        break
      }
      case 'limit':
        s += limitL(m.text)
        break
      case 'unknown':
        s += ` ${m.module}${m.text ? ` ${m.text}` : ''}`
        break
      default:
        break
    }
  }
  return s
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug']

function logL(text: string | undefined, numeric: boolean): string {
  const t = text ?? ''
  const level = /--log-level (\S+)/.exec(t)?.[1] ?? '4'
  const prefix = /--log-prefix ("(?:[^"\\]|\\.)*"|\S+)/.exec(t)?.[1]
  let flags = 0
  if (t.includes('--log-tcp-sequence')) flags |= 1
  if (t.includes('--log-tcp-options')) flags |= 2
  if (t.includes('--log-ip-options')) flags |= 4
  if (t.includes('--log-uid')) flags |= 8
  if (t.includes('--log-macdecode')) flags |= 0x20
  const pfx = prefix === undefined ? '' : ` prefix ${prefix.startsWith('"') ? prefix : `"${prefix}"`}`
  const lv = /^\d$/.test(level) ? Number(level) : LOG_LEVELS.indexOf(level)
  if (numeric) return ` LOG flags ${flags} level ${lv}${pfx}`
  const opts = [flags & 1 && ' tcp-sequence', flags & 2 && ' tcp-options', flags & 4 && ' ip-options', flags & 8 && ' uid', flags & 0x20 && ' macdecode'].filter(Boolean).join('')
  return ` LOG level ${LOG_LEVELS[lv] ?? `UNKNOWN level ${lv}`}${opts}${pfx}`
}

function targetL(t: Target, numeric: boolean): string {
  switch (t.kind) {
    case 'REJECT':
      return ` reject-with ${t.rejectWith ?? 'icmp-port-unreachable'}`
    case 'DNAT':
      return ` to:${printNatRange(t.to)}${t.random ? ' random' : ''}${t.persistent ? ' persistent' : ''}`
    case 'SNAT':
      return ` to:${printNatRange(t.to)}${t.random ? ' random' : ''}${t.randomFully ? ' random-fully' : ''}${/--persistent/.test(t.text) ? ' persistent' : ''}`
    case 'MASQUERADE':
      return `${t.toPorts ? ` masq ports: ${t.toPorts.from}${t.toPorts.to !== t.toPorts.from ? `-${t.toPorts.to}` : ''}` : ''}${t.random ? ' random' : ''}${t.randomFully ? ' random-fully' : ''}`
    case 'MARK': {
      const { value: v, mask: m } = t
      if (v === 0) return ` MARK and ${hex(~m >>> 0)}`
      if (v === m) return ` MARK or ${hex(v)}`
      if (m === 0) return ` MARK xor ${hex(v)}`
      if (m === 0xffffffff) return ` MARK set ${hex(v)}`
      return ` MARK xset ${hex(v)}/${hex(m)}`
    }
    case 'LOG':
      return logL(t.text, numeric)
    case 'NOTRACK':
      return ' NOTRACK'
    case 'CT':
      return t.notrack ? ' CT notrack' : ` CT ${t.text.replace(/--/g, '')}`
    default:
      return ''
  }
}

function addrL(m: Match | undefined, numeric: boolean): string {
  if (!m || (m.kind !== 'src' && m.kind !== 'dst')) return ` ${(numeric ? '0.0.0.0/0' : 'anywhere').padEnd(19)} `
  const len = cidrLen(m.cidr)
  const ip = m.cidr.text.split('/')[0]!
  const text = len === 0 && !numeric ? 'anywhere' : len === 32 ? ip : `${ip}/${len}`
  return `${m.neg ? '!' : ' '}${text.padEnd(19)} `
}

function ifaceL(m: Match | undefined, numeric: boolean): string {
  if (!m || (m.kind !== 'in' && m.kind !== 'out')) return numeric ? '*' : 'any'
  return `${m.neg ? '!' : ''}${m.iface}`
}

/** Split the module matches of a rule into instances (same grouping as the save printer). */
function moduleGroups(matches: readonly Match[]): Match[][] {
  const groups: Match[][] = []
  let cur: Match[] | undefined
  let mod: string | undefined
  let seen = new Set<string>()
  for (const m of matches) {
    if (['src', 'dst', 'proto', 'in', 'out', 'fragment'].includes(m.kind)) continue
    const mm = m.kind === 'sport' || m.kind === 'dport' ? m.module : m.kind === 'tcp-flags' || m.kind === 'syn' ? 'tcp' : m.kind === 'icmp-type' ? 'icmp' : m.kind === 'ctstatus' ? 'conntrack' : m.kind === 'ctstate' ? (m.module ?? 'conntrack') : m.kind === 'unknown' || m.kind === 'module' ? m.module : m.kind
    if (!cur || mm !== mod || seen.has(m.kind) || m.kind === 'module') {
      cur = []
      groups.push(cur)
      mod = mm
      seen = new Set()
    }
    seen.add(m.kind)
    cur.push(m)
  }
  return groups
}

function ruleL(r: Rule, n: number, o: ListOptions): string {
  const numeric = o.numeric === true
  let s = ''
  if (o.lineNumbers) s += `${String(n).padEnd(4)} `
  if (o.verbose) {
    const [p, b] = o.counters?.[r.id] ?? r.counters ?? [0, 0]
    s += printNum(p, o.exact === true, true) + printNum(b, o.exact === true, true)
  }
  s += `${targetName(r.target).padEnd(9)} `
  const proto = r.matches.find((m) => m.kind === 'proto')
  const pname = proto && proto.kind === 'proto' ? (numeric ? String(protoNumber(proto.proto) ?? proto.proto) : proto.proto) : numeric ? '0' : 'all'
  s += `${proto && proto.kind === 'proto' && proto.neg ? '!' : ' '}${pname.padEnd(5)}`
  const frag = r.matches.find((m) => m.kind === 'fragment')
  s += `${frag && frag.kind === 'fragment' && frag.neg ? '!' : '-'}${frag ? 'f' : '-'} `
  if (o.verbose) s += ` ${ifaceL(r.matches.find((m) => m.kind === 'in'), numeric).padEnd(6)} ${ifaceL(r.matches.find((m) => m.kind === 'out'), numeric).padEnd(6)} `
  s += addrL(r.matches.find((m) => m.kind === 'src'), numeric)
  s += addrL(r.matches.find((m) => m.kind === 'dst'), numeric)
  if (r.target.kind === 'goto') s += '[goto] '
  for (const g of moduleGroups(r.matches)) s += matchesL(g, numeric)
  s += targetL(r.target, numeric)
  return s
}

/**
 * `iptables [-t TABLE] -L [CHAIN] [-n] [-v] [-x] [--line-numbers]` as iptables 1.8.9 prints it.
 * @example printIptablesL(rs, 'nat', { numeric: true }).split('\n')[0] // 'Chain PREROUTING (policy ACCEPT)'
 */
export function printIptablesL(rs: Ruleset, table: TableName, o: ListOptions = {}): string {
  const t = rs.tables[table]
  const order = t ? t.order : BUILTIN_CHAINS[table]
  const blocks: string[] = []
  for (const cn of order) {
    if (o.chain !== undefined && cn !== o.chain) continue
    const c = t?.chains[cn]
    const lines: string[] = []
    if (isBuiltinChain(table, cn)) {
      let head = `Chain ${cn} (policy ${c?.policy ?? 'ACCEPT'}`
      if (o.verbose) {
        const [p, b] = o.counters?.[`${table}:${cn}:policy`] ?? c?.counters ?? [0, 0]
        head += ` ${printNum(p, o.exact === true, false)}packets, ${printNum(b, o.exact === true, false)}bytes`
      }
      lines.push(`${head})`)
    } else {
      let refs = 0
      for (const x of Object.values(t?.chains ?? {})) for (const r of x.rules) if ((r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain === cn) refs++
      lines.push(`Chain ${cn} (${refs} references)`)
    }
    let h = ''
    if (o.lineNumbers) h += 'num  '
    if (o.verbose) h += o.exact ? `${'pkts'.padStart(8)} ${'bytes'.padStart(10)} ` : `${'pkts'.padStart(5)} ${'bytes'.padStart(5)} `
    h += `${'target'.padEnd(9)}  prot opt`
    if (o.verbose) h += ` ${'in'.padEnd(6)} ${'out'.padEnd(6)} `
    h += ` ${'source'.padEnd(19)}  ${'destination'.padEnd(19)} `
    lines.push(h)
    ;(c?.rules ?? []).forEach((r, i) => lines.push(ruleL(r, i + 1, o)))
    blocks.push(lines.join('\n'))
  }
  return blocks.length ? `${blocks.join('\n\n')}\n` : ''
}

// ---------------------------------------------------------------------------------------
// iptables-restore / iptables-save

/**
 * `iptables-restore [--noflush] [--test]` with `text` on stdin: all or nothing, like the
 * real tool. Tables in the text replace the current ones (or, with noflush, add to them).
 * @example runIptablesRestore(EMPTY_RULESET, '*filter\n:INPUT DROP [0:0]\nCOMMIT\n').ruleset.tables.filter?.chains.INPUT?.policy // 'DROP'
 */
export function runIptablesRestore(rs: Ruleset, text: string, opts: { noflush?: boolean; test?: boolean } = {}): CommandResult {
  const parsed = parseIptablesSave(text)
  const err = parsed.diagnostics.find((d) => d.severity === 'error')
  if (err) {
    const line = err.line ?? 0
    const tool = /\(iptables-restore: ([^)]*)\)|\((iptables: [^)]*)\)/.exec(err.message)
    const msg = err.code === 'NF003' && /COMMIT expected/.test(err.message) ? `iptables-restore: COMMIT expected at line ${line}\n` : err.code === 'NF004' || err.code === 'NF002' ? `iptables-restore: line ${line} failed\n` : `iptables-restore v1.8.9 (legacy): ${tool?.[1] ?? tool?.[2] ?? err.message}\nError occurred at line: ${line}\nTry \`iptables-restore -h' or 'iptables-restore --help' for more information.\n`
    return { ruleset: rs, stdout: '', stderr: msg, exitCode: err.code === 'NF004' || err.code === 'NF003' || err.code === 'NF009' ? 1 : 2 }
  }
  if (opts.test) return { ruleset: rs, stdout: '', stderr: '', exitCode: 0 }
  const d = toDraft(rs)
  const incoming = toDraft(parsed.ruleset)
  for (const [name, t] of incoming) {
    if (!opts.noflush || !d.has(name)) {
      d.set(name, t)
      continue
    }
    const cur = d.get(name)!
    for (const [cn, c] of t.chains) {
      const have = cur.chains.get(cn)
      if (!have) cur.chains.set(cn, c)
      else {
        if (c.policy) have.policy = c.policy
        have.rules.push(...c.rules)
      }
    }
  }
  return { ruleset: fromDraft(d), stdout: '', stderr: '', exitCode: 0 }
}

/** `iptables-save [-c] [-t TABLE]` (without the `# Generated`/`# Completed` comment lines: there is no clock here). */
export function runIptablesSave(rs: Ruleset, opts: { counters?: boolean; table?: TableName } = {}): CommandResult {
  const only: Ruleset = opts.table ? { tables: rs.tables[opts.table] ? { [opts.table]: rs.tables[opts.table] } : {} } : rs
  return { ruleset: rs, stdout: printIptablesSave(only, opts.counters ? { counters: true } : {}), stderr: '', exitCode: 0 }
}
