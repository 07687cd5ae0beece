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
 * protocol's state change. Simplified: no IPv6 peers, no route reflectors or global peers;
 * `birdc` is not simulated (its column layout was not checked against a real BIRD).
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
