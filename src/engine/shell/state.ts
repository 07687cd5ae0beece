/**
 * The shell's state between command lines: the world every command acts on, where the prompt
 * is (a netns on some machine), the environment, history, files the user wrote, running
 * tcpdump captures and the simulated clock. Plain data; `runLine` returns a new state.
 *
 * A "machine" is a host netns (a cluster node, or the world's host): `ip netns list` names
 * the other namespaces on that machine, `crictl` lists the pods of that node. Entering a
 * netns (`ip netns exec NS bash`, `kubectl exec -it POD -- sh`, `ssh NODE`) pushes a frame;
 * `exit` pops it.
 */
import type { Netns, World } from '../model/types.ts'
import { addNetns, newNetns } from '../model/ops.ts'
import { runNetnsName } from '../print/iproute2.ts'
import type { FilterExpr } from './tcpdumpFilter.ts'

export interface ShellFrame {
  readonly netns: string
  readonly machine: string
  readonly label: string
  readonly cwd: string
}

/** A tcpdump armed with `tcpdump -i IF …`: later traces print the packets crossing IF. */
export interface Capture {
  /** Job number, as `jobs` and `kill %N` use it. */
  readonly job: number
  readonly netns: string
  readonly iface: string
  readonly numeric: boolean
  readonly link: boolean
  readonly verbose: boolean
  readonly filter?: FilterExpr
  readonly filterText: string
  /** `-c N`: stop after N packets. */
  readonly limit?: number
  readonly count: number
  readonly command: string
}

export interface ShellState {
  readonly world: World
  /** The netns commands run in (the prompt's). */
  readonly netns: string
  /** The machine's root netns: named namespaces and pods are listed relative to it. */
  readonly machine: string
  /** The host name shown in the prompt. */
  readonly label: string
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  readonly history: readonly string[]
  readonly frames: readonly ShellFrame[]
  readonly captures: readonly Capture[]
  /** Files written with `>` or here-documents, by absolute path. */
  readonly files: Readonly<Record<string, string>>
  /** Simulated time in ms. Each command advances it by the time it would take. */
  readonly clock: number
  /** Wall-clock time (ms since the epoch) at simulated time 0: dates and timestamps print epoch + clock. */
  readonly epoch: number
  readonly lastStatus: number
  /** Path MTUs learned from ICMP "fragmentation needed", keyed `netns dst`. */
  readonly pmtu: Readonly<Record<string, number>>
  /** When each pod (ns/name) appeared, for AGE and CREATED columns. */
  readonly podBirth: Readonly<Record<string, number>>
  /** Commands run so far: the seed of each trace derives from it. */
  readonly runs: number
  readonly nextJob: number
}

/** Default environment of a root login shell. */
export const DEFAULT_ENV: Readonly<Record<string, string>> = {
  HOME: '/root',
  USER: 'root',
  SHELL: '/bin/bash',
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  TERM: 'xterm-256color',
}

/** Pods older than the shell look ten minutes old. */
const INITIAL_POD_AGE = 10 * 60 * 1000

/**
 * A shell logged into a machine of the world. Without `netns`, the first host netns (a cluster
 * node's root namespace); a world without any netns gets an empty host called `host`.
 *
 * @example
 * const sh = createShell(world, { netns: 'node1' })
 * prompt(sh) // 'root@node1:~# '
 */
export function createShell(world: World, opts: { netns?: string; clock?: number; epoch?: number; env?: Readonly<Record<string, string>> } = {}): ShellState {
  let w = world
  let target = opts.netns !== undefined && w.netns[opts.netns] ? opts.netns : undefined
  if (target === undefined) {
    const host = Object.values(w.netns).find((n) => n.kind === 'host')
    target = host?.name ?? Object.keys(w.netns)[0]
  }
  if (target === undefined) {
    w = addNetns(w, newNetns('host', 'host'))
    target = 'host'
  }
  const clock = opts.clock ?? 0
  const ns = w.netns[target]!
  const machine = machineOf(w, ns)
  const inPod = ns.kind === 'pod'
  const podBirth: Record<string, number> = {}
  for (const p of w.cluster?.pods ?? []) podBirth[`${p.namespace}/${p.name}`] = clock - INITIAL_POD_AGE
  return {
    world: w,
    netns: target,
    machine,
    label: labelOf(w, ns),
    cwd: inPod ? '/' : '/root',
    env: { ...DEFAULT_ENV, ...opts.env },
    history: [],
    frames: [],
    captures: [],
    files: {},
    clock,
    epoch: opts.epoch ?? 0,
    lastStatus: 0,
    pmtu: {},
    podBirth,
    runs: 0,
    nextJob: 1,
  }
}

/**
 * Give the shell another world (the app moved to another frame or scenario). The prompt stays
 * where it is when that netns still exists, else it goes back to the machine, else to the
 * world's first host (an empty world gets an empty host).
 */
export function adoptWorld(s: ShellState, world: World): ShellState {
  if (world.netns[s.netns]) return { ...s, world }
  if (world.netns[s.machine]) return { ...s, world, netns: s.machine, frames: [], label: labelOf(world, world.netns[s.machine]!), cwd: '/root' }
  const fresh = createShell(world, { clock: s.clock, epoch: s.epoch, env: s.env })
  return { ...fresh, history: s.history, files: s.files, runs: s.runs, nextJob: s.nextJob, lastStatus: s.lastStatus }
}

/**
 * Open the prompt in another netns (the terminal's netns picker): as if logged into its
 * machine and, for a pod or a named netns, entered with `kubectl exec` / `ip netns exec`.
 */
export function moveShell(s: ShellState, netns: string): ShellState {
  const ns = s.world.netns[netns]
  if (!ns) return s
  const machine = machineOf(s.world, ns)
  const host = s.world.netns[machine]!
  const frames: ShellFrame[] = netns === machine ? [] : [{ netns: machine, machine, label: labelOf(s.world, host), cwd: '/root' }]
  return { ...s, netns, machine, label: labelOf(s.world, ns.pod ? ns : host), cwd: ns.pod ? '/' : '/root', frames }
}

/** The host netns a netns lives on: itself for a host, its node's for a pod, else the first host. */
export function machineOf(w: World, ns: Netns): string {
  if (ns.kind === 'host') return ns.name
  if (ns.node !== undefined && w.netns[ns.node]?.kind === 'host') return ns.node
  const host = Object.values(w.netns).find((n) => n.kind === 'host')
  return host?.name ?? ns.name
}

/** What the prompt calls a netns: the pod name inside a pod, the node (or netns) name otherwise. */
export function labelOf(w: World, ns: Netns): string {
  if (ns.pod) return ns.pod.name
  return ns.name
}

/** `root@node1:~# ` — and `root@node1 [netns pod-a]:~# ` inside `ip netns exec pod-a bash`. */
export function prompt(s: ShellState): string {
  const ns = s.world.netns[s.netns]
  const home = s.env.HOME ?? '/root'
  const dir = s.cwd === home ? '~' : s.cwd.startsWith(`${home}/`) ? `~${s.cwd.slice(home.length)}` : s.cwd
  const inside = ns && !ns.pod && s.netns !== s.machine ? ` [netns ${netnsDisplayName(s.world, s.netns)}]` : ''
  return `root@${s.label}${inside}:${dir}# `
}

/**
 * The name the shell shows for a netns: its /run/netns name (a pod's sandbox is `cni-<uuid>`,
 * from CNI_NETNS), or its world name for a machine's root netns, which has none.
 */
export function netnsDisplayName(w: World, name: string): string {
  return runNetnsName(w, name) ?? name
}

/**
 * Which netns a name typed by the user means: a world netns name, its /run/netns name
 * (`cni-…`), a path `/var/run/netns/X`, or a pod (`ns/name` or a pod name).
 */
export function resolveNetnsName(w: World, text: string): string | undefined {
  const name = text.replace(/^\/(var\/)?run\/netns\//, '')
  if (w.netns[name]) return name
  for (const n of Object.keys(w.netns)) if (netnsDisplayName(w, n) === name) return n
  for (const p of w.cluster?.pods ?? []) {
    if (p.netns && (p.netnsPath === text || `${p.namespace}/${p.name}` === name || p.name === name)) return p.netns
  }
  return undefined
}

/**
 * The namespaces `ip netns list` shows on a machine, newest first (the order /run/netns
 * lists them): every non-host netns of that node, or of no node.
 */
export function namedNetns(w: World, machine: string): string[] {
  const m = w.netns[machine]
  const out = Object.values(w.netns).filter((n) => n.name !== machine && n.kind !== 'host' && n.kind !== 'client' && (n.node === undefined || m?.node === undefined || n.node === m.node || n.node === machine))
  return out.map((n) => n.name).reverse()
}
