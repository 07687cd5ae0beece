/**
 * calicoctl node status: the BGP mesh of a Calico cluster as calicoctl prints it, and
 * calicoctl's own error where no calico-node runs.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadClusterText } from '../kube/load.ts'
import type { World } from '../model/types.ts'
import { printTablewriter } from './calico.ts'
import { runLine } from './run.ts'
import { createShell } from './state.ts'

function cluster(cni: string): World {
  const r = loadClusterText(`apiVersion: packetwalk.dev/v1\nkind: ClusterConfig\ncni: ${cni}\nnodeCount: 3\n`, { file: 'c.yaml', seed: 1 })
  if (!r.world || !r.cluster) throw new Error(r.diagnostics.map((d) => d.message).join('; '))
  return { ...r.world, cluster: r.cluster }
}

function run(w: World, netns: string, line: string) {
  return runLine(createShell(w, { netns, epoch: Date.UTC(2026, 10, 26, 9, 30, 4) }), line, { seed: 1 })
}

describe('calicoctl node status', () => {
  const calico = cluster('{plugin: calico, mode: bgp}')
  const nodes = calico.cluster!.nodes
  it('on a Calico node: running, one mesh peer per other node, IPv6 section, trailing blank line', () => {
    const r = run(calico, nodes[0]!.name, 'calicoctl node status')
    const peers = nodes.slice(1).map((n) => n.ip)
    expect(r.exitCode).toBe(0)
    // calicoctl's layout (docs.tigera.io "calicoctl node status"): the table's columns fit the widest cell;
    // SINCE is BIRD's %T of when the session came up (the shell's epoch: 09:30:04).
    const w = Math.max(12, ...peers.map((p) => p.length))
    const line = `+${'-'.repeat(w + 2)}+-------------------+-------+----------+-------------+`
    expect(r.stdout).toBe([
      'Calico process is running.',
      '',
      'IPv4 BGP status',
      line,
      `| ${' '.repeat(Math.floor((w - 12) / 2))}PEER ADDRESS${' '.repeat(w - 12 - Math.floor((w - 12) / 2))} |     PEER TYPE     | STATE |  SINCE   |    INFO     |`,
      line,
      ...peers.map((p) => `| ${p.padEnd(w)} | node-to-node mesh | up    | 09:30:04 | Established |`),
      line,
      '',
      'IPv6 BGP status',
      'No IPv6 peers found.',
      '',
      '',
    ].join('\n'))
  })
  it.each([
    // flannel runs no felix: calicoctl's check for the calico-felix process fails
    ['a flannel node', cluster('{plugin: flannel, backend: vxlan}'), 'node1'],
    // a pod's netns is not where calico-node runs
    ['a pod', calico, Object.values(calico.netns).find((n) => n.pod)?.name ?? 'none'],
  ])('on %s: "Calico process is not running.", exit 1', (_what, w, netns) => {
    const r = run(w, netns, 'calicoctl node status')
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([1, '', 'Calico process is not running.\n'])
  })
  it('a bad option is calicoctl\'s docopt message', () => {
    const r = run(calico, nodes[0]!.name, 'calicoctl node status --bogus')
    expect([r.exitCode, r.stderr]).toEqual([1, "Invalid option: 'calicoctl node status --bogus'. Use flag '--help' to read about a specific subcommand.\n"])
  })
})

describe('printTablewriter', () => {
  it('centres headings with the smaller half of the gap on the left, pads cells by one space', () => {
    // "SINCE" (5) in an 8-wide column: gap 3 → 1 left, 2 right, as in calicoctl's documented output
    expect(printTablewriter(['Since'], [['23:30:04']])).toBe('+----------+\n|  SINCE   |\n+----------+\n| 23:30:04 |\n+----------+\n')
  })
})

describe('birdc show protocols', () => {
  const calico = cluster('{plugin: calico, mode: bgp}')
  const nodes = calico.cluster!.nodes
  /** golden/captured-bird.txt (capture-bird.sh): BIRD 1.6.8 with a Calico-like bird.cfg, one mesh peer. */
  const real = readFileSync(new URL('./golden/captured-bird.txt', import.meta.url), 'utf8').split('### ')
  it('matches the real BIRD\'s rows, times and the peer\'s address aside', () => {
    const lines = real[1]!.split('\n').slice(1, 8).map((l) => l.replace(/\d\d:\d\d:\d\d/, 'T'))
    const peer = nodes[1]!.ip.replace(/\./g, '_')
    const ours = run(calico, nodes[0]!.name, 'birdc show protocols').stdout.split('\n').map((l) => l.replace(/\d\d:\d\d:\d\d/, 'T').replace(`Mesh_${peer}`, 'Mesh_192_168_56_12'))
    expect(ours.slice(0, 7)).toEqual(lines)
  })
  it('lists calico-node\'s BIRD protocols in BIRD 1.6\'s columns, one Mesh_ session per peer', () => {
    const r = run(calico, nodes[0]!.name, 'birdcl -s /var/run/calico/bird.ctl show protocols')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe([
      'BIRD 1.6.8 ready.',
      'name     proto    table    state  since       info',
      'static1  Static   master   up     09:30:04    ',
      'kernel1  Kernel   master   up     09:30:04    ',
      'device1  Device   master   up     09:30:04    ',
      'direct1  Direct   master   up     09:30:04    ',
      ...nodes.slice(1).map((n) => `Mesh_${n.ip.replace(/\./g, '_')} BGP      master   up     09:30:04    Established   `),
      '',
    ].join('\n'))
  })
  it('where no calico-node runs, the control socket is missing (exit 1)', () => {
    const r = run(cluster('{plugin: flannel, backend: vxlan}'), 'node1', 'birdc show protocols')
    expect([r.exitCode, r.stderr]).toEqual([1, 'Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory\n'])
  })
  it('a line BIRD cannot parse is answered, not failed', () => {
    // real: "No such command. Press `?' for help." after the banner, exit 0
    const r = run(calico, nodes[0]!.name, 'birdc show bogus')
    expect([r.exitCode, r.stdout]).toEqual([0, "BIRD 1.6.8 ready.\nNo such command. Press `?' for help.\n"])
    // a real BIRD command the simulator does not answer says so
    expect(run(calico, nodes[0]!.name, 'birdc show route').exitCode).toBe(1)
  })
})
