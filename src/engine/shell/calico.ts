/**
 * `calicoctl node status` (calicoctl v3, the docopt build): on a node where calico-node runs
 * it prints "Calico process is running." and BIRD's BGP peers as calicoctl renders them
 * (olekukonko/tablewriter: upper-cased centred headings, cells padded by one space, columns
 * as wide as their widest cell), then the IPv6 section and a blank line. Elsewhere (a flannel
 * cluster, a pod, a plain netns) it fails as calicoctl does when no felix process runs:
 * "Calico process is not running." on stderr, exit 1.
 *
 * The peers come from the cluster's BGP state (kube/calico.ts connectCalicoPeers): a full
 * node-to-node mesh, every session Established since the cluster came up. BIRD's SINCE is
 * the time of day it came up (%T) within 20 hours, else the date (%F), as BIRD 1.6 prints a
 * protocol's state change. Simplified: no IPv6 peers, no route reflectors or global peers.
 *
 * `birdc show protocols` (also `birdcl`, calico-node's client, with `-s /var/run/calico/bird.ctl`)
 * prints the protocols calico-node's bird.cfg defines (static1 for the node's block, kernel1,
 * device1, direct1, one Mesh_<ip> BGP session per peer) in BIRD 1.6's columns, checked
 * against BIRD 1.6.8 on this machine with a Calico-like config. Simplified: the banner is
 * BIRD 1.6.8's (calico-node's fork names its own version), every protocol came up when the
 * cluster did, and `show route` is not simulated (BIRD lists routes in its hash order).
 */
import type { Command, Io } from './session.ts'
import { civil } from './text.ts'

const USAGE = `Usage:
  calicoctl node status [--allow-version-mismatch]

Options:
  -h --help                    Show this screen.
     --allow-version-mismatch  Allow client and cluster versions mismatch.

Description:
  Check the status of the Calico node instance.  This includes the status and
  uptime of the node instance, and BGP peering states.
`

/** tablewriter's centring: the smaller half of the gap goes left. */
function centre(s: string, width: number): string {
  const gap = width - s.length
  const left = Math.floor(gap / 2)
  return `${' '.repeat(left)}${s}${' '.repeat(gap - left)}`
}

/**
 * A table as calicoctl's tablewriter renders it.
 *
 * @example
 * printTablewriter(['Peer address'], [['10.0.0.1']]) // '+--------------+\n| PEER ADDRESS |\n+--------------+\n| 10.0.0.1     |\n+--------------+\n'
 */
export function printTablewriter(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const heads = header.map((h) => h.toUpperCase())
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`
  const row = (cells: readonly string[]) => `|${cells.join('|')}|\n`
  let out = line + row(heads.map((h, i) => ` ${centre(h, widths[i]!)} `)) + line
  for (const r of rows) out += row(widths.map((w, i) => ` ${(r[i] ?? '').padEnd(w)} `))
  return out + line
}

const two = (n: number) => String(n).padStart(2, '0')

/** BIRD's protocol time: `%T` when it changed within 20 hours of now, else `%F`. */
function birdSince(at: number, now: number): string {
  const c = civil(at)
  return now - at < 20 * 3_600_000 ? `${two(c.hh)}:${two(c.mm)}:${two(c.ss)}` : `${c.year}-${two(c.month)}-${two(c.day)}`
}

function notRunning(io: Io): number {
  io.err('Calico process is not running.\n')
  return 1
}

export const calicoctl: Command = (io, argv) => {
  const args = argv.slice(1).filter((a) => a !== '--allow-version-mismatch')
  if (args[0] !== 'node') {
    if (args.length === 0 || args[0] === '-h' || args[0] === '--help') {
      io.out('Usage:\n  calicoctl [options] <command> [<args>...]\n\n    node         Calico node management.\n\npacketwalk simulates `calicoctl node status` only.\n')
      return 0
    }
    io.err(`packetwalk: \`calicoctl ${args[0] ?? ''}\` is not simulated (only \`calicoctl node status\` is)\n`)
    return 1
  }
  if (args[1] === '-h' || args[1] === '--help' || (args[1] === 'status' && (args[2] === '-h' || args[2] === '--help'))) {
    io.out(USAGE)
    return 0
  }
  if (args[1] !== 'status' || args.length > 2) {
    if (args[1] === 'status') {
      io.err(`Invalid option: 'calicoctl ${args.join(' ')}'. Use flag '--help' to read about a specific subcommand.\n`)
      return 1
    }
    io.err(`packetwalk: \`calicoctl node ${args[1] ?? ''}\` is not simulated (only \`calicoctl node status\` is)\n`)
    return 1
  }
  const w = io.sh.world
  const ns = w.netns[io.netns]
  const cluster = w.cluster
  // calico-node runs on a node's root netns (its processes are the host's), never in a pod.
  const node = ns && !ns.pod ? cluster?.nodes.find((n) => n.name === ns.name) : undefined
  if (!node?.calico || !cluster) return notRunning(io)
  const now = io.sh.epoch + io.sh.clock
  const since = birdSince(io.sh.epoch, now)
  const peers = (cluster.bgp?.sessions ?? []).filter((s) => s.node === node.name)
  let out = 'Calico process is running.\n\nIPv4 BGP status\n'
  out += peers.length === 0 ? 'No IPv4 peers found.\n' : printTablewriter(['Peer address', 'Peer type', 'State', 'Since', 'Info'], peers.map((p) => [p.peerIp, p.info, 'up', since, p.state]))
  out += '\nIPv6 BGP status\nNo IPv6 peers found.\n\n'
  io.out(out)
  return 0
}

/** One `show protocols` row: BIRD 1.6 proto_show_basic's columns (name, proto, table 8 wide, state 6, since 11). */
function birdRow(name: string, proto: string, state: string, since: string, info: string): string {
  return `${name.padEnd(8)} ${proto.padEnd(8)} ${'master'.padEnd(8)} ${state.padEnd(6)} ${since.padEnd(11)} ${info}\n`
}

export const birdc: Command = (io, argv) => {
  let socket = '/var/run/calico/bird.ctl'
  const words: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-s') socket = argv[++i] ?? ''
    else if (a === '-r' || a === '-v' || a === '-l') continue
    else words.push(a)
  }
  const ns = io.sh.world.netns[io.netns]
  const node = ns && !ns.pod ? io.sh.world.cluster?.nodes.find((n) => n.name === ns.name) : undefined
  if (!node?.calico || (socket !== '/var/run/calico/bird.ctl' && socket !== '/run/calico/bird.ctl')) {
    io.err(`Unable to connect to server control socket (${socket}): No such file or directory\n`)
    return 1
  }
  const cmd = words.join(' ')
  let out = 'BIRD 1.6.8 ready.\n'
  if (/^(show|sh|s) (protocols|proto|p)$/.test(cmd)) {
    const since = birdSince(io.sh.epoch, io.sh.epoch + io.sh.clock)
    out += 'name     proto    table    state  since       info\n'
    for (const [name, proto] of [['static1', 'Static'], ['kernel1', 'Kernel'], ['device1', 'Device'], ['direct1', 'Direct']] as const) out += birdRow(name, proto, 'up', since, '')
    for (const p of (io.sh.world.cluster?.bgp?.sessions ?? []).filter((x) => x.node === node.name)) out += birdRow(`Mesh_${p.peerIp.replace(/\./g, '_')}`, 'BGP', 'up', since, p.state.padEnd(14))
    io.out(out)
    return 0
  }
  if (cmd === '') {
    io.err('packetwalk: birdc is not interactive here; give the command: birdc show protocols\n')
    return 1
  }
  if (/^(show|sh|s) (status|memory|protocols|interfaces|route|symbols|static|ospf|rip|bfd|babel|roa)\b/.test(cmd) || /^(configure|enable|disable|restart|reload|down|dump|debug|flush|eval|echo)\b/.test(cmd)) {
    io.out(out)
    io.err(`packetwalk: \`birdc ${cmd}\` is not simulated (\`birdc show protocols\` is)\n`)
    return 1
  }
  // BIRD answers a line it cannot parse and stays at exit 0.
  io.out(`${out}No such command. Press \`?' for help.\n`)
  return 0
}
