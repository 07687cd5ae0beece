/**
 * Tab completion: the words that can follow what has been typed, from the world as it is —
 * commands, `ip` objects and subcommands, interface names of the netns the command would
 * run in (after `ip netns exec NS` or `-n NS`, in NS), netns names, iptables tables, chains
 * and targets, kubectl verbs, resources and pod names, crictl sandbox ids, sysctl keys,
 * file paths, node names for ssh, addresses for ping/curl/nc.
 */
import { allCommandNames } from './commands.ts'
import { allSysctlKeys } from './sysctlTable.ts'
import { Session } from './session.ts'
import type { ShellState } from './state.ts'
import { namedNetns, netnsDisplayName, resolveNetnsName } from './state.ts'
import { listFiles } from './vfs.ts'

const IP_OBJECTS = ['address', 'link', 'neighbour', 'netns', 'route', 'rule']
const IP_SUB: Readonly<Record<string, readonly string[]>> = {
  address: ['add', 'del', 'flush', 'show'],
  link: ['add', 'del', 'set', 'show'],
  route: ['add', 'append', 'del', 'flush', 'get', 'replace', 'show'],
  neighbour: ['add', 'del', 'flush', 'replace', 'show'],
  netns: ['add', 'del', 'exec', 'list', 'pids'],
  rule: ['show'],
}
const LINK_TYPES = ['bridge', 'dummy', 'ipip', 'veth', 'vxlan']
const LINK_SET = ['address', 'down', 'master', 'mtu', 'name', 'netns', 'nomaster', 'up']
const TABLES = ['filter', 'mangle', 'nat', 'raw']
const TARGETS = ['ACCEPT', 'DNAT', 'DROP', 'LOG', 'MARK', 'MASQUERADE', 'REJECT', 'RETURN', 'SNAT']
const KUBE_VERBS = ['apply', 'create', 'delete', 'exec', 'expose', 'get', 'logs', 'run', 'scale', 'version']
const KUBE_RESOURCES = ['configmaps', 'deployments', 'endpoints', 'endpointslices', 'namespaces', 'networkpolicies', 'nodes', 'pods', 'services']
const CRICTL = ['inspect', 'inspectp', 'pods', 'ps', 'version']
const FILTER_WORDS = ['and', 'arp', 'dst', 'host', 'icmp', 'net', 'not', 'or', 'port', 'src', 'tcp', 'udp']
const FILE_COMMANDS = new Set(['cat', 'ls', 'head', 'tail', 'grep', 'wc', 'less', 'more', 'bash', 'sh', 'source', 'iptables-restore'])
const CNI_PLUGINS = ['bridge', 'flannel', 'host-local', 'loopback', 'portmap']

/**
 * Completions for the last word of a partial command line.
 *
 * @example
 * complete(shell, 'ip netns exec pod-a ip link set e') // ['eth0']
 */
export function complete(state: ShellState, partial: string): string[] {
  const segment = partial.split(/\|\||&&|[|;&]/).pop() ?? ''
  const words = segment.replace(/^\s+/, '').split(/\s+/)
  const cur = words.pop() ?? ''
  const cands = candidates(state, words.map((w) => w.replace(/^['"]|['"]$/g, '')), cur, state.netns)
  return [...new Set(cands.filter((c) => c.startsWith(cur)))].sort()
}

function ifnames(s: ShellState, netns: string): string[] {
  return s.world.netns[netns]?.links.map((l) => l.name) ?? []
}

function netnsNames(s: ShellState): string[] {
  return namedNetns(s.world, s.machine).map((n) => netnsDisplayName(s.world, n))
}

function addresses(s: ShellState): string[] {
  return Object.values(s.world.netns).flatMap((n) => n.links.flatMap((l) => (l.kind === 'loopback' ? [] : l.addrs.map((a) => a.ip))))
}

function option(words: readonly string[], name: string): string | undefined {
  const i = words.lastIndexOf(name)
  return i >= 0 ? words[i + 1] : undefined
}

function candidates(s: ShellState, words: string[], cur: string, netns: string): string[] {
  // Leading assignments (CNI_COMMAND=ADD …) and sudo do not count.
  while (words[0] !== undefined && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) || words[0] === 'sudo')) words = words.slice(1)
  const cmd = words[0]
  if (cmd === undefined) {
    if (cur.startsWith('/opt/cni/bin/')) return CNI_PLUGINS.map((p) => `/opt/cni/bin/${p}`)
    if (cur.startsWith('/')) return ['/opt/cni/bin/']
    return allCommandNames()
  }
  const prev = words[words.length - 1]
  const args = words.slice(1)
  switch (cmd) {
    case 'ip':
      return ipCandidates(s, args, prev, netns, cur)
    case 'bridge':
      if (prev === 'dev' || prev === 'br') return ifnames(s, netns)
      if (args.length === 0) return ['fdb', 'link']
      if (args.length === 1) return args[0] === 'fdb' ? ['add', 'append', 'del', 'replace', 'show'] : ['set', 'show']
      return ['dev', 'dst', 'master', 'permanent', 'self']
    case 'iptables':
    case 'iptables-legacy':
    case 'iptables-nft':
      return iptablesCandidates(s, args, prev, netns)
    case 'iptables-save':
      return prev === '-t' ? TABLES : ['-c', '-t']
    case 'kubectl':
      return kubectlCandidates(s, args, prev)
    case 'crictl':
      if (args.length === 0) return CRICTL
      if (args[0] === 'inspectp') return (s.world.cluster?.pods ?? []).filter((p) => p.node === (s.world.netns[netns]?.node ?? netns)).map((p) => p.sandboxId.slice(0, 13))
      return []
    case 'sysctl':
      return allSysctlKeys(s.world, netns).map((k) => (args.includes('-w') ? `${k}=` : k))
    case 'tcpdump':
      if (prev === '-i') return ifnames(s, netns)
      return cur.startsWith('-') ? ['-e', '-i', '-n', '-c', '-v'] : FILTER_WORDS
    case 'ping':
    case 'curl':
    case 'nc':
    case 'nslookup':
    case 'dig':
      return cur.startsWith('-') ? [] : addresses(s)
    case 'ssh':
      return Object.values(s.world.netns).filter((n) => n.kind === 'host').map((n) => n.name)
    case 'kill':
    case 'fg':
      return s.captures.map((c) => `%${c.job}`)
    case 'nsenter':
      return ['-n', '-t', '--net=']
    default:
      if (FILE_COMMANDS.has(cmd) || cur.startsWith('/') || cur.startsWith('.')) return files(s, netns, cur)
      return []
  }
}

function files(s: ShellState, netns: string, cur: string): string[] {
  const sh = new Session(s, 0)
  const abs = cur.startsWith('/') ? cur : `${s.cwd.replace(/\/$/, '')}/${cur}`
  const base = cur.startsWith('/') ? '' : `${s.cwd.replace(/\/$/, '')}/`
  return listFiles(sh, netns)
    .filter((p) => p.startsWith(abs))
    .map((p) => {
      const rest = p.slice(abs.length)
      const slash = rest.indexOf('/')
      const full = slash < 0 ? p : p.slice(0, abs.length + slash + 1)
      return base && full.startsWith(base) ? full.slice(base.length) : full
    })
}

function ipCandidates(s: ShellState, args: string[], prev: string | undefined, netns: string, cur: string): string[] {
  let ns = netns
  let i = 0
  while (args[i]?.startsWith('-')) {
    if (args[i] === '-n' || args[i] === '-netns') {
      ns = resolveNetnsName(s.world, args[i + 1] ?? '') ?? ns
      i++
    }
    i++
  }
  if (prev === '-n' || prev === '-netns') return netnsNames(s)
  const rest = args.slice(i)
  if (rest.length === 0) return cur.startsWith('-') ? ['-br', '-d', '-j', '-n', '-p'] : IP_OBJECTS
  const obj = IP_OBJECTS.find((o) => o.startsWith(rest[0]!)) ?? (rest[0]!.startsWith('neigh') ? 'neighbour' : undefined)
  if (!obj) return []
  if (rest.length === 1) return [...(IP_SUB[obj] ?? [])]
  const sub = rest[1]!
  if (obj === 'netns') {
    if (sub === 'exec' && rest.length >= 3) {
      // After `ip netns exec NS`, a whole new command runs in NS.
      const target = resolveNetnsName(s.world, rest[2]!) ?? ns
      return candidates(s, rest.slice(3), cur, target)
    }
    return sub === 'exec' || sub.startsWith('del') || sub === 'pids' ? netnsNames(s) : []
  }
  if (prev === 'dev' || prev === 'master' || prev === 'link') return ifnames(s, ns)
  if (prev === 'netns') return netnsNames(s)
  if (prev === 'type') return LINK_TYPES
  if (obj === 'link') {
    if (rest.length === 2 && (sub === 'set' || sub.startsWith('del') || sub === 'show')) return ifnames(s, ns)
    if (sub === 'set') return LINK_SET
    if (sub === 'add') return ['address', 'mtu', 'name', 'netns', 'peer', 'type']
  }
  if (obj === 'address' || obj === 'route' || obj === 'neighbour') return ['dev', ...(obj === 'route' ? ['via', 'src', 'onlink', 'proto', 'scope', 'metric'] : obj === 'neighbour' ? ['lladdr', 'nud'] : [])]
  return []
}

function iptablesCandidates(s: ShellState, args: string[], prev: string | undefined, netns: string): string[] {
  const table = option(args, '-t') ?? 'filter'
  const t = s.world.netns[netns]?.netfilter.tables[table as 'filter']
  const chains = t ? t.order : table === 'nat' ? ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT']
  if (prev === '-t' || prev === '--table') return TABLES
  if (prev !== undefined && /^-(A|I|D|L|F|N|X|P|S|R|Z)$|^--(append|insert|delete|list|flush|new-chain|delete-chain|policy|list-rules|replace|zero)$/.test(prev)) return [...chains]
  if (prev === '-j' || prev === '-g') return [...TARGETS, ...chains.filter((c) => !['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].includes(c))]
  if (prev === '-p') return ['icmp', 'tcp', 'udp']
  if (prev === '-i' || prev === '-o') return ifnames(s, netns)
  return ['-A', '-D', '-F', '-I', '-L', '-N', '-P', '-S', '-X', '-d', '-i', '-j', '-n', '-o', '-p', '-s', '-t', '-v', '--dport', '--line-numbers', '--to-destination']
}

function kubectlCandidates(s: ShellState, args: string[], prev: string | undefined): string[] {
  const c = s.world.cluster
  if (!c) return KUBE_VERBS
  const ns = option(args, '-n') ?? option(args, '--namespace') ?? 'default'
  if (prev === '-n' || prev === '--namespace') return c.namespaces.map((n) => n.name)
  if (prev === '-o') return ['name', 'wide', 'yaml']
  const pos = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '-n' && args[i - 1] !== '-o' && args[i - 1] !== '--namespace')
  const verb = pos[0]
  if (verb === undefined) return KUBE_VERBS
  const pods = c.pods.filter((p) => p.namespace === ns).map((p) => p.name)
  switch (verb) {
    case 'get':
      if (pos.length === 1) return KUBE_RESOURCES
      return pos[1] === 'pods' || pos[1] === 'po' ? pods : pos[1] === 'svc' || pos[1] === 'services' ? c.services.filter((x) => (x.metadata.namespace ?? 'default') === ns).map((x) => x.metadata.name) : []
    case 'exec':
    case 'logs':
      return pos.length === 1 ? pods : []
    case 'delete':
      if (pos.length === 1) return ['deployment', 'networkpolicy', 'pod', 'service']
      if (pos[1] === 'pod') return pods
      if (pos[1] === 'deployment') return c.deployments.map((d) => d.deployment.metadata.name)
      if (pos[1] === 'networkpolicy') return c.networkPolicies.map((p) => p.metadata.name)
      if (pos[1] === 'service') return c.services.map((x) => x.metadata.name)
      return []
    case 'scale':
    case 'expose':
      if (pos.length === 1) return ['deployment']
      return pos.length === 2 ? c.deployments.filter((d) => (d.deployment.metadata.namespace ?? 'default') === ns).map((d) => d.deployment.metadata.name) : ['--port=', '--replicas=', '--type=NodePort']
    case 'apply':
      return ['-f']
    default:
      return []
  }
}
