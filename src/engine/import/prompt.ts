/**
 * Shell prompts and the commands in them, as hints for the lines that follow: which format
 * to expect, the table of an `iptables -t nat -S`, the device of a `bridge fdb show dev X`,
 * and the node's name from `user@host`. A hint never decides alone: the block splitter still
 * checks that the output looks like the format the command prints.
 */
import type { DumpFormat } from './formats.ts'

export interface CommandHint {
  /** The command as typed, without the prompt. */
  readonly command: string
  /** What the command prints, when we know. */
  readonly format?: DumpFormat
  /** `iptables -t nat -S` → 'nat'. */
  readonly table?: string
  /** `bridge fdb show dev flannel.1`, `ip neigh show dev cni0`. */
  readonly dev?: string
  /** `cat /proc/sys/net/ipv4/ip_forward` → 'net.ipv4.ip_forward'. */
  readonly sysctlKey?: string
  /** Output was filtered (`| grep`, `| head`): only part of it is here. */
  readonly excerpt?: boolean
  /** `ip -n NS …` / `ip netns exec NS …`: the output is of another netns. */
  readonly netns?: string
}

export interface Prompt {
  readonly host?: string
  readonly user?: string
  readonly hint: CommandHint
}

/** Programs whose output we read; a `$ word` or `# word` line is a prompt only for these. */
const KNOWN = new Set([
  'ip', 'bridge', 'iptables', 'iptables-save', 'iptables-legacy', 'iptables-legacy-save', 'iptables-nft', 'iptables-nft-save',
  'ip6tables', 'ip6tables-save', 'ip6tables-legacy-save', 'ip6tables-nft-save', 'nft', 'ipvsadm', 'conntrack', 'sysctl', 'cat', 'hostname',
  'uname', 'sudo', 'kubectl', 'crictl', 'docker', 'ss', 'netstat', 'route', 'arp', 'brctl', 'grep', 'calicoctl', 'ls', 'echo', 'less', 'more',
  'head', 'tail', 'tcpdump', 'ping', 'curl', 'nsenter', 'watch', 'ethtool', 'lsmod', 'modprobe', 'sh', 'bash', 'ipset', 'cilium', 'ebtables',
])

// root@k8s-worker1:~# cmd   vagrant@node:/tmp$ cmd   user@host ~ % cmd
const USER_HOST = /^([a-z_][\w.-]*)@([A-Za-z0-9][\w.-]*)(?::[^\s#$%]*|\s+\S+)?\s?[#$%]\s?(.*)$/
// [root@node ~]# cmd
const BRACKETED = /^\[([a-z_][\w.-]*)@([A-Za-z0-9][\w.-]*)(?:\s[^\]]*)?\][#$]\s?(.*)$/
// controlplane:~$ cmd   node01 $ cmd
const HOST_ONLY = /^([A-Za-z][\w.-]*)(?::~?[^\s#$]*)?\s?[$#]\s(.*)$/
/** `sh-5.1#`, `bash-5.2$`: a shell's own prompt, not a host name. */
const SHELL = /^(?:sh|bash|zsh|ash|dash|ksh)(?:-[\d.]+)?$/
// $ cmd   # cmd   sh-5.1# cmd   / # cmd
const BARE = /^(?:(?:sh|bash|zsh|ash)-[\d.]+|~|\/\S*)?\s*[$#%>]\s+(.*)$/

/** Recognise a prompt line; undefined when the line is not one. */
export function parsePrompt(text: string): Prompt | undefined {
  const t = text.trim()
  if (t.length > 4000) return undefined
  let m = USER_HOST.exec(t) ?? BRACKETED.exec(t)
  if (m) {
    const cmd = m[3]!.trim()
    if (cmd === '' || isKnownCommand(cmd) || !/^[A-Z:*-]/.test(cmd)) return { user: m[1]!, host: m[2]!, hint: parseCommand(cmd) }
  }
  m = HOST_ONLY.exec(t)
  if (m && isKnownCommand(m[2]!.trim()) && !/^(table|chain)$/.test(m[1]!) && !SHELL.test(m[1]!)) return { host: m[1]!, hint: parseCommand(m[2]!.trim()) }
  m = BARE.exec(t)
  if (m && isKnownCommand(m[1]!.trim())) return { hint: parseCommand(m[1]!.trim()) }
  return undefined
}

function isKnownCommand(cmd: string): boolean {
  const first = cmd.split(/\s+/)[0] ?? ''
  return KNOWN.has(first.replace(/^.*\//, ''))
}

/** Split off `sudo`, `env A=B`, `time`, `watch -n 1`, `ip netns exec NS`. */
function unwrap(argv: string[]): { argv: string[]; netns?: string } {
  let a = argv
  let netns: string | undefined
  for (let guard = 0; guard < 8; guard++) {
    const w = a[0]
    if (w === 'sudo' || w === 'time' || w === 'command' || w === 'exec') {
      a = a.slice(1)
      while (a[0]?.startsWith('-')) a = a.slice(a[0] === '-u' ? 2 : 1)
    } else if (w === 'env') {
      a = a.slice(1)
      while (a[0] !== undefined && /^\w+=/.test(a[0])) a = a.slice(1)
    } else if (w === 'watch') {
      a = a.slice(1)
      while (a[0]?.startsWith('-')) a = a.slice(/^-[nd]$/.test(a[0]) ? 2 : 1)
    } else if (w === 'ip' && a[1] === 'netns' && a[2] === 'exec' && a[3] !== undefined) {
      netns = a[3]
      a = a.slice(4)
    } else if (w === 'nsenter') {
      a = a.slice(1)
      while (a[0]?.startsWith('-')) a = a.slice(a[0] === '-t' ? 2 : 1)
    } else break
  }
  return { argv: a, ...(netns !== undefined && { netns }) }
}

/** What a command line prints. Unknown commands give a hint without a format. */
export function parseCommand(command: string): CommandHint {
  const pipeline = command.split(/\s*\|\s*/)
  const excerpt = pipeline.slice(1).some((p) => /^(e|f)?grep\b|^head\b|^tail\b|^awk\b|^sed\b|^cut\b|^sort\b|^column\b|^less\b/.test(p))
  const first = (pipeline[0] ?? '').split(/\s*(?:&&|;)\s*/)[0] ?? ''
  const tokens = first.split(/\s+/).filter((w) => w !== '').map((w) => w.replace(/^['"]|['"]$/g, ''))
  const { argv, netns } = unwrap(tokens)
  const base: { command: string; excerpt?: boolean; netns?: string } = { command, ...(excerpt && { excerpt }), ...(netns !== undefined && { netns }) }
  const prog = (argv[0] ?? '').replace(/^.*\//, '')
  const rest = argv.slice(1)
  const hint = commandFormat(prog, rest)
  return { ...base, ...hint }
}

function valueAfter(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    for (const n of names) {
      if (a === n) return args[i + 1]
      if (n.startsWith('--') && a.startsWith(`${n}=`)) return a.slice(n.length + 1)
    }
  }
  return undefined
}

function commandFormat(prog: string, args: string[]): Omit<CommandHint, 'command' | 'excerpt' | 'netns'> {
  switch (prog) {
    case 'iptables-save':
    case 'iptables-legacy-save':
    case 'iptables-nft-save':
      return { format: 'iptables-save', ...table(args) }
    case 'ip6tables-save':
    case 'ip6tables-legacy-save':
    case 'ip6tables-nft-save':
    case 'ip6tables':
    case 'ip6tables-legacy':
    case 'ip6tables-nft':
      return { format: 'ip6tables' }
    case 'iptables':
    case 'iptables-legacy':
    case 'iptables-nft': {
      const flags = args.filter((a) => a.startsWith('-'))
      if (flags.some((f) => f === '-V' || f === '--version')) return { format: 'iptables-version' }
      if (flags.some((f) => f === '-S' || f === '--list-rules' || /^-[a-zA-Z]*S[a-zA-Z]*$/.test(f))) return { format: 'iptables-S', ...table(args) }
      if (flags.some((f) => f === '--list' || /^-[a-zA-Z]*L[a-zA-Z]*$/.test(f))) return { format: 'iptables-L', ...table(args) }
      return {}
    }
    case 'nft':
      return args.includes('list') ? { format: 'nft' } : {}
    case 'ipvsadm':
      return { format: 'ipvsadm' }
    case 'conntrack':
      return args.some((a) => a === '-L' || a === '--dump' || a === '-G' || a === '--get') ? { format: 'conntrack' } : {}
    case 'ipset':
      return args.some((a) => a === 'save' || a === 'list' || a === '-S' || a === '-L' || a === '-s' || a === '-l') ? { format: 'ipset' } : {}
    case 'sysctl':
      return { format: 'sysctl' }
    case 'hostname':
    case 'uname':
      return { format: 'hostname' }
    case 'cat':
    case 'less':
    case 'more':
    case 'head':
    case 'tail':
      return fileFormat(args.filter((a) => !a.startsWith('-')))
    case 'ip':
      return ipFormat(args)
    case 'bridge':
      return bridgeFormat(args)
    default:
      return {}
  }
}

function table(args: string[]): { table?: string } {
  const t = valueAfter(args, ['-t', '--table'])
  return t !== undefined ? { table: t } : {}
}

function fileFormat(files: string[]): Omit<CommandHint, 'command'> {
  const f = files[0] ?? ''
  if (/resolv\.conf$/.test(f)) return { format: 'resolv-conf' }
  if (/subnet\.env$/.test(f)) return { format: 'flannel-env' }
  if (/\/cni\/net\.d\//.test(f) || /\.conflist$/.test(f)) return { format: 'cni-conf' }
  if (/nf_conntrack$|ip_conntrack$/.test(f)) return { format: 'conntrack' }
  if (/\/etc\/hostname$/.test(f)) return { format: 'hostname' }
  const m = /^\/proc\/sys\/(.+)$/.exec(f)
  if (m) return { format: 'sysctl', sysctlKey: m[1]!.replace(/\//g, '.') }
  return {}
}

const IP_OBJECTS: [RegExp, DumpFormat | 'route' | 'neigh'][] = [
  [/^a(d(d(r(e(s(s)?)?)?)?)?)?$/, 'ip-link'],
  [/^l(i(n(k)?)?)?$/, 'ip-link'],
  [/^r(o(u(t(e)?)?)?)?$/, 'route'],
  [/^n(e(i(g(h(b(o(u?r)?)?)?)?)?)?)?$/, 'neigh'],
  [/^ru(le?)?$/, 'ip-rule'],
]

function ipFormat(args: string[]): Omit<CommandHint, 'command'> {
  let json = false
  let brief = false
  let netns: string | undefined
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith('-')) break
    if (/^--?j(s(on?)?)?$/.test(a)) json = true
    else if (/^--?br(ief)?$/.test(a)) brief = true
    else if (/^--?(n|netns)$/.test(a)) netns = args[++i]
    else if (/^--?(f|family|rc|batch)$/.test(a)) i++
  }
  const obj = args[i] ?? ''
  const sub = args[i + 1] ?? ''
  const dev = valueAfter(args.slice(i + 1), ['dev'])
  const extra = { ...(netns !== undefined && { netns }), ...(dev !== undefined && { dev }) }
  if (obj === 'netns' || obj === '') return extra
  for (const [re, what] of IP_OBJECTS) {
    if (!re.test(obj)) continue
    if (json) return { format: 'ip-json', ...extra }
    if (what === 'route') return { format: /^g(et?)?$/.test(sub) ? 'ip-route-get' : 'ip-route', ...extra }
    if (what === 'neigh') return { format: 'ip-neigh', ...extra }
    if (what === 'ip-link' && brief) return { format: 'ip-brief', ...extra }
    return { format: what, ...extra }
  }
  return extra
}

function bridgeFormat(args: string[]): Omit<CommandHint, 'command'> {
  const json = args.some((a) => /^--?j(s(on?)?)?$/.test(a))
  const words = args.filter((a) => !a.startsWith('-'))
  const obj = words[0] ?? ''
  const dev = valueAfter(args, ['dev'])
  const extra = dev !== undefined ? { dev } : {}
  if (/^f(db?)?$/.test(obj)) return { format: json ? 'ip-json' : 'bridge-fdb', ...extra }
  if (/^l(i(nk?)?)?$/.test(obj)) return { format: json ? 'ip-json' : 'bridge-link', ...extra }
  return extra
}
