import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Link, World } from '../model/types.ts'
import { simulate } from '../sim/simulate.ts'
import { putNeigh } from '../model/ops.ts'
import { traceWorldAll } from '../trace.ts'
import type { SendSpec } from '../sim/trace.ts'
import { importDumps } from './importDump.ts'
import { importToWorld } from './toWorld.ts'
import { printImportSummary } from './summary.ts'
import { printRule } from '../route/rules.ts'
import type { DumpInput } from './types.ts'

const CAPTURED = new URL('./fixtures/captured/', import.meta.url).pathname
const REAL = new URL('../../fixtures/real-dumps/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')
const real = (f: string) => readFileSync(REAL + f, 'utf8')
const files = (node: string, names: string[]): DumpInput[] => names.map((f) => ({ name: f, text: captured(f), node }))

const N2 = files('n2', ['n2.ip-addr.txt', 'n2.ip-d-link.txt', 'n2.ip-route.txt', 'n2.ip-neigh.txt', 'n2.bridge-fdb.txt', 'n2.bridge-link.txt', 'n2.iptables-save.txt'])
const bundleWorld = () => importToWorld(importDumps([{ name: 'n1.bundle.txt', text: captured('n1.bundle.txt') }]))

function link(w: World, ns: string, dev: string): Link {
  const l = w.netns[ns]?.links.find((x) => x.name === dev)
  if (!l) throw new Error(`no ${dev} in ${ns}`)
  return l
}

/** One run with every `-m statistic` branch taken (true) or skipped (false). */
function run(w: World, send: SendSpec, take = true) {
  return simulate(w, send, { seed: 1, decide: () => take }).outcome
}

describe('the host netns of an imported node', () => {
  const w = bundleWorld()
  it('keeps the dump\'s links, with the node\'s NIC on the underlay', () => {
    expect(w.nodes).toEqual(['pwB-node1'])
    // eth0 is a veth in the dump (a netns here, as in kind); it carries the node address.
    expect(link(w, 'pwB-node1', 'eth0')).toMatchObject({ kind: 'phys', segment: 'underlay-192.168.50.0/24', mac: '52:54:00:00:50:11' })
    expect(link(w, 'pwB-node1', 'flannel.1')).toMatchObject({ kind: 'vxlan', vni: 1, dstport: 8472, learning: false, local: '192.168.50.11', dev: 'eth0' })
    expect(w.netns['pwB-node1']!.sysctl).toMatchObject({ 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true })
    expect(w.netns['pwB-node1']!.netfilter.tables.nat?.chains['KUBE-SERVICES']?.rules.length).toBe(4)
  })

  it('peers each inferred pod with the host end the dump shows', () => {
    // `veth1a2b3c4d@if2`: the pod's eth0 has ifindex 2; the host end has ifindex 5.
    expect(link(w, 'pwB-node1', 'veth1a2b3c4d')).toMatchObject({ kind: 'veth', peer: { netns: 'pod-10.244.1.2', name: 'eth0' }, master: 'cni0' })
    expect(link(w, 'pod-10.244.1.2', 'eth0')).toMatchObject({ ifindex: 2, peerIfindex: 5, mac: '0a:58:0a:f4:01:02', addrs: [{ ip: '10.244.1.2', len: 24 }] })
    expect(w.netns['pod-10.244.1.2']!.routes.map((r) => `${r.dst} ${r.via ?? ''}`)).toEqual(['10.244.1.0/24 ', 'default 10.244.1.1'])
    // Calico-style: a /32 and everything via 169.254.1.1, answered by proxy ARP on the host end.
    expect(w.netns['pod-10.244.1.200']!.routes.map((r) => `${r.dst} ${r.via ?? ''}`)).toEqual(['169.254.1.1 ', 'default 169.254.1.1'])
    expect(link(w, 'pwB-node1', 'cali1a2b3c4d5e6')).toMatchObject({ proxyArp: true, peer: { netns: 'pod-10.244.1.200', name: 'eth0' } })
    // Service endpoints listen on their ports.
    expect(w.netns['pod-10.244.1.3']!.listeners).toEqual([{ proto: 'udp', port: 53, app: 'kube-system/kube-dns:dns' }])
  })

  it('says what it assumed and where each pod came from', () => {
    expect(w.notes!.some((n) => /^pod 10\.244\.1\.2 on pwB-node1 inferred from n1\.bundle\.txt:\d+/.test(n))).toBe(true)
    expect(w.notes!.some((n) => n.includes('node 192.168.50.12 (pods 10.244.2.0/24) was not imported: packets to it leave the model on the underlay'))).toBe(true)
    // The dump has sysctl output, so nothing about sysctls is assumed.
    expect(w.notes!.some((n) => n.includes('assumed (a Kubernetes node'))).toBe(false)
  })
})

describe('policy routing rules of an imported node', () => {
  const paste = [
    'root@r1:~# ip rule',
    '0:\tfrom all lookup local',
    '100:\tfrom 10.244.1.0/24 lookup 100',
    '32766:\tfrom all lookup main',
    '32767:\tfrom all lookup default',
    'root@r1:~# ip -j rule',
    '[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"10.244.1.0","srclen":24,"table":"100"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]',
    'root@r1:~# ip -6 rule',
    '0:\tfrom all lookup local',
    '32766:\tfrom all lookup main',
    'root@r1:~# ip route show table all',
    'default via 192.168.1.1 dev eth0 table 100',
    'default via 192.168.1.254 dev eth0',
    '192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.10',
    'local 192.168.1.10 dev eth0 table local proto kernel scope host src 192.168.1.10',
  ].join('\n')
  const r = importDumps([{ name: 'p', text: paste }])
  const w = importToWorld(r)

  it('the node keeps the full list once (ip rule and ip -j rule agree; ip -6 rule is not IPv4)', () => {
    expect(r.nodes[0]!.ipRules!.map(printRule)).toEqual(['0:\tfrom all lookup local', '100:\tfrom 10.244.1.0/24 lookup 100', '32766:\tfrom all lookup main', '32767:\tfrom all lookup default'])
    expect(r.nodes[0]!.ipRules![1]!.source).toEqual({ file: 'p', line: 3 })
  })

  it('the host netns routes by them, with the other table\'s routes beside main\'s', () => {
    expect(w.netns.r1!.rules!.map((x) => x.priority)).toEqual([0, 100, 32766, 32767])
    // `table 100` stays 100; the local table's route is kept too.
    expect(w.netns.r1!.routes.map((x) => `${x.dst} ${String(x.table)}`)).toEqual(['default 100', 'default main', '192.168.1.0/24 main', '192.168.1.10 local'])
    expect(w.notes!.some((n) => /policy routing|main table only/.test(n))).toBe(false)
  })

  it('`ip -6 rule` alone gives no IPv4 rules (its two defaults would lose 32767)', () => {
    const six = importDumps([{ name: 'q', text: 'root@r1:~# ip -6 rule\n0:\tfrom all lookup local\n32766:\tfrom all lookup main\n' }])
    expect(six.nodes[0]!.ipRules).toBeUndefined()
  })

  it('a table the rules look up but the dump has no routes of is said to be taken as empty', () => {
    expect(w.notes!.some((n) => n.includes('table(s)'))).toBe(false) // table 100 has its default route
    const bare = importToWorld(importDumps([{ name: 'q', text: 'root@r1:~# ip rule\n0:\tfrom all lookup local\n100:\tfrom 10.244.1.0/24 lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n' }]))
    expect(bare.notes).toContain('r1: the rules look up table(s) 100, which the dump shows no routes of: taken as empty, so those lookups fall through to the next rule (add `ip route show table all` to the dump)')
  })

  it('only the defaults: the netns has no rules of its own', () => {
    const d = importToWorld(importDumps([{ name: 'd', text: captured('n1.bundle.txt') }]))
    expect(d.netns['pwB-node1']!.rules).toBeUndefined()
  })

  it('the summary lists them as ip rule prints them', () => {
    expect(printImportSummary(r)).toContain('  ip rules (4):\n    0:\tfrom all lookup local\n    100:\tfrom 10.244.1.0/24 lookup 100\n')
  })
})

describe('packets through an imported node (flow table)', () => {
  const w = bundleWorld()
  // [what, send, take the first statistic branch?, expected outcome]
  const flows: [string, SendSpec, boolean, Record<string, unknown>][] = [
    // Same bridge: ARP, FDB, delivered without NAT.
    ['pod → pod on cni0', { from: 'pod-10.244.1.2', to: '10.244.1.3', proto: 'icmp' }, true, { verdict: 'delivered', dnat: null }],
    // KUBE-SVC-TCOU…: first rule (p=0.5) → KUBE-SEP-IT2Z… → 10.244.1.3:53 on this node.
    ['pod → kube-dns ClusterIP, first endpoint', { from: 'pod-10.244.1.2', to: '10.96.0.10', proto: 'udp', dport: 53 }, true, { verdict: 'delivered', dnat: '10.244.1.3:53', deliveredTo: '10.244.1.3:53' }],
    // Second endpoint is on 192.168.50.12, which was not imported: encapsulated, then it leaves the model on the underlay.
    ['pod → kube-dns ClusterIP, second endpoint', { from: 'pod-10.244.1.2', to: '10.96.0.10', proto: 'udp', dport: 53 }, false, { verdict: 'delivered', deliveredTo: '192.168.50.12:8472', dnat: '10.244.2.2:53', encapsulated: true }],
    // The bridge pod reaches the Calico-style pod on the same node through the host's routes.
    ['pod → web ClusterIP, second endpoint (a cali pod)', { from: 'pod-10.244.1.2', to: '10.96.45.10', proto: 'tcp', dport: 80 }, false, { verdict: 'delivered', dnat: '10.244.1.200:8080' }],
    // A pod reaching itself through its Service: hairpin on veth1a2b3c4d, masqueraded by KUBE-SEP's `-s 10.244.1.2/32 -j KUBE-MARK-MASQ`.
    ['pod → its own Service (hairpin)', { from: 'pod-10.244.1.2', to: '10.96.45.10', proto: 'tcp', dport: 80 }, true, { verdict: 'delivered', dnat: '10.244.1.2:8080', masquerade: true }],
  ]
  it.each(flows)('%s', (_what, send, take, expected) => {
    expect(run(w, send, take)).toMatchObject(expected)
  })

  it('all outcomes of the kube-dns ClusterIP sum to 1', () => {
    const outs = traceWorldAll(w, { from: 'pod-10.244.1.2', to: '10.96.0.10', proto: 'udp', dport: 53 }, { seed: 1 })
    expect(outs.map((o) => [o.dnat, o.probability])).toEqual([['10.244.1.3:53', 0.5], ['10.244.2.2:53', 0.5]])
  })
})

describe('several imported nodes are joined by their underlay addresses', () => {
  const w = importToWorld(importDumps([{ name: 'n1.bundle.txt', text: captured('n1.bundle.txt') }, ...N2]))
  it('one segment for 192.168.50.0/24 with both nodes on it', () => {
    expect(Object.keys(w.segments)).toEqual(['underlay-192.168.50.0/24'])
    expect(link(w, 'n2', 'eth0')).toMatchObject({ kind: 'phys', segment: 'underlay-192.168.50.0/24' })
  })
  it('the DNAT target on the other node is its pod, reached over VXLAN', () => {
    // n1's kube-dns endpoint 10.244.2.2 lies in n2's pod CIDR (cni0 10.244.2.1/24): it becomes n2's pod.
    expect(w.netns['pod-10.244.2.2']?.node).toBe('n2')
    // (n2's capture has a bare `-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE`, so it masquerades too.)
    expect(run(w, { from: 'pod-10.244.1.2', to: '10.96.0.10', proto: 'udp', dport: 53 }, false)).toMatchObject({ verdict: 'delivered', dnat: '10.244.2.2:53', encapsulated: true, reply: { verdict: 'delivered' } })
    expect(run(w, { from: 'pod-10.244.1.2', to: '10.244.2.2', proto: 'icmp' })).toMatchObject({ verdict: 'delivered', encapsulated: true })
  })
  it('a sender outside the model enters at the node it addresses, or the one node on its network', () => {
    // 192.168.50.1 (the underlay's gateway) is in neither dump. To n1's NodePort it reaches n1 (pwB-node1) …
    const toN1 = simulate(w, { from: '192.168.50.1', to: '192.168.50.11', proto: 'tcp', dport: 30080 }, { seed: 1 })
    expect(toN1.steps[0]).toMatchObject({ kind: 'rx', netns: 'pwB-node1', dev: 'eth0' })
    expect(toN1.outcome).toMatchObject({ verdict: 'delivered', dnat: expect.stringMatching(/^10\.244\.1\.(2|200):8080$/) as unknown, reply: { verdict: 'delivered', matchesRequest: true } })
    // … and to n2's own address it reaches n2; to a ClusterIP both nodes could take it: unknown.
    expect(simulate(w, { from: '192.168.50.1', to: '192.168.50.12', proto: 'icmp' }, { seed: 1 }).steps[0]).toMatchObject({ kind: 'rx', netns: 'n2' })
    expect(simulate(w, { from: '192.168.50.1', to: '10.96.0.10', proto: 'udp', dport: 53 }, { seed: 1 }).outcome.dropReason).toBe('unknown source 192.168.50.1')
  })
})

describe('dumps that show little', () => {
  it('Calico BGP routes only: pods wired Calico style, and they reach each other', () => {
    const w = importToWorld(importDumps([{ name: 'ip-route.txt', text: real('calico-bgp-kind-tkng/ip-route.txt'), node: 'worker2' }]))
    expect(Object.keys(w.netns).filter((n) => n.startsWith('pod-'))).toHaveLength(6)
    expect(link(w, 'worker2', 'calid599cd3d268')).toMatchObject({ kind: 'veth', proxyArp: true, peer: { netns: 'pod-10.244.190.1', name: 'eth0' } })
    expect(run(w, { from: 'pod-10.244.190.1', to: '10.244.190.2', proto: 'icmp' })).toMatchObject({ verdict: 'delivered' })
    // No sysctl output: a Kubernetes node's values are assumed, and said.
    expect(w.notes!.some((n) => n.startsWith('worker2: net.ipv4.ip_forward=1, net.bridge.bridge-nf-call-iptables=1 assumed'))).toBe(true)
  })

  it('a bare iptables-save with --local-ip: a packet from outside meets the real rules and reaches a pod', () => {
    const r = importDumps([{ name: 'iptables-save.txt', text: captured('n1.iptables-save.txt'), node: 'n1', localIps: ['192.168.50.11'] }])
    const w = importToWorld(r)
    expect(link(w, 'n1', 'eth0').addrs).toEqual([{ ip: '192.168.50.11', len: 32, scope: 'global' }])
    // The pod CIDR comes from FLANNEL-POSTRTG (`! -s 10.244.0.0/16 -d 10.244.1.0/24 -j RETURN`), so 10.244.1.2 is local.
    expect(w.notes!.some((n) => n.startsWith('n1: bridge cni0 10.244.1.1/24 assumed'))).toBe(true)
    // NodePort 30080 → KUBE-EXT → KUBE-SVC (first branch) → 10.244.1.2:8080, masqueraded (external source).
    expect(run(w, { from: '203.0.113.7', to: '192.168.50.11', proto: 'tcp', dport: 30080 }, true)).toMatchObject({ verdict: 'delivered', dnat: '10.244.1.2:8080', masquerade: true })
  })

  it('--local-ip goes to the node the input describes, and only when the dump shows no addresses', () => {
    // The paste names its node by prompt: no extra node "node" appears for the flag.
    const save = importDumps([{ name: 'p', text: `root@w9:~# iptables-save\n${captured('n1.iptables-save.txt')}`, localIps: ['192.168.50.11'] }])
    expect(save.nodes.map((n) => [n.name, n.localIps])).toEqual([['w9', ['192.168.50.11']]])
    const withAddrs = importToWorld(importDumps([{ name: 'b', text: captured('n1.bundle.txt'), localIps: ['10.9.9.9'] }]))
    expect(withAddrs.notes).toContain("pwB-node1: --local-ip 10.9.9.9 ignored: the dump shows the node's own addresses (192.168.50.11)")
  })

  it('a dump without interfaces still has a NIC for packets from outside to arrive on', () => {
    const w = importToWorld(importDumps([{ name: 's', text: captured('n1.iptables-save.txt'), node: 'n1' }]))
    expect(w.netns.n1!.links.map((l) => `${l.name} ${l.kind}`)).toEqual(['lo loopback', 'eth0 phys', 'cni0 bridge', ...w.netns.n1!.links.slice(3).map((l) => `${l.name} veth`)])
    expect(w.notes!.some((n) => n.startsWith('n1: no interfaces in the dump'))).toBe(true)
  })

  it('--sysctl overrides win, and nothing is called assumed that was given', () => {
    const r = importDumps([{ name: 'ip-route.txt', text: real('flannel-vxlan-kind-tkng/ip-route.txt'), node: 'w2' }])
    const w = importToWorld(r, { sysctls: { 'net.bridge.bridge-nf-call-iptables': false } })
    expect(w.netns.w2!.sysctl['net.bridge.bridge-nf-call-iptables']).toBe(false)
    expect(w.notes!.find((n) => n.includes('assumed (a Kubernetes node'))).toBe('w2: net.ipv4.ip_forward=1 assumed (a Kubernetes node; the dump has no sysctl output for it)')
    // flannel.1 without `ip addr`/`ip -d link`: flannel's own settings.
    expect(link(w, 'w2', 'flannel.1')).toMatchObject({ kind: 'vxlan', vni: 1, dstport: 8472, addrs: [{ ip: '10.244.2.0', len: 32 }] })
  })

  it('the same NAT address on two VMs stays two networks; the shared one joins them', () => {
    const a = real('flannel-vxlan-kubeadm-2025-cilium_lab/ip-route.txt')
    const b = a.replace(/192\.168\.20\.100/g, '192.168.20.101')
    const w = importToWorld(importDumps([{ name: 'a', text: a, node: 'ctr' }, { name: 'b', text: b, node: 'w1' }]))
    // VirtualBox gives every VM 10.0.2.15 on its own NAT network.
    expect(Object.keys(w.segments).sort()).toEqual(['ctr-eth0', 'underlay-192.168.20.0/24', 'w1-eth0'])
  })
})

describe('a node whose bridge ports have hairpin off (fixtures/captured-hairpin-off, observed.txt)', () => {
  const DIR = new URL('./fixtures/captured-hairpin-off/', import.meta.url).pathname
  const names = ['ip-d-link.txt', 'ip-addr.txt', 'ip-route.txt', 'ip-neigh.txt', 'bridge-fdb.txt', 'iptables-save.txt', 'sysctl.txt']
  const world = () => importToWorld(importDumps(names.map((f) => ({ name: f, text: readFileSync(DIR + f, 'utf8'), node: 'node1' }))))
  const outcomes = (from: string) =>
    traceWorldAll(world(), { from, to: '10.96.0.50', proto: 'tcp', dport: 80 }, { seed: 1 })
      .map((o) => ({ p: o.probability, verdict: o.verdict, dnat: o.dnat, dropReason: o.dropReason }))
      .sort((a, b) => String(a.dnat).localeCompare(String(b.dnat)))

  it('a pod that picks itself through its Service is dropped by the bridge; the other endpoint answers', () => {
    // Kernel: from p1 (10.244.1.2) some connects time out (the DNAT chose p1: the frame would
    // leave by the port it came in on) and the rest reach p2; pods made up for the import take
    // the dump's ports' hairpin off, not the CNI default.
    const [self, other] = outcomes('10.244.1.2')
    expect([self?.p, self?.verdict, self?.dnat, other?.p, other?.verdict, other?.dnat]).toEqual([0.5, 'dropped', '10.244.1.2:8080', 0.5, 'delivered', '10.244.1.3:8080'])
    expect(self?.dropReason).toMatch(/the port the frame came in on \(hairpin off\)/)
    expect((world().notes ?? []).join('\n')).toMatch(/hairpin off, as on the dump's other ports of cni0/)
  })

  it('from outside the node both endpoints answer', () => {
    // Kernel: from the underlay neighbour 192.168.77.1 both p1 and p2 answered.
    expect(outcomes('192.168.77.1').map((o) => [o.p, o.verdict, o.dnat])).toEqual([
      [0.5, 'delivered', '10.244.1.2:8080'],
      [0.5, 'delivered', '10.244.1.3:8080'],
    ])
  })

  it("a host on the node's LAN that the dump does not hold: the packet leaves the model there, unless the dump saw its ARP fail", () => {
    // eth0's 192.168.77.0/24 is a partial segment: only this node of it is in the input.
    const w = world()
    const to99 = (x: World) => simulate(x, { from: '10.244.1.2', to: '192.168.77.99', proto: 'icmp', roundTrip: false }, { seed: 1 })
    const out = to99(w)
    expect([out.outcome.verdict, out.outcome.deliveredNetns]).toEqual(['delivered', null])
    expect(out.steps.at(-1)?.explain).toMatch(/leaves node1 out of eth0 \(192\.168\.77\.99 is on 192\.168\.77\.0\/24, whose other hosts are not in the input\) towards 192\.168\.77\.99/)
    // `192.168.77.99 dev eth0 FAILED` in the dump: nobody answered; ARP again, and drop.
    const failed = putNeigh(w, 'node1', { ip: '192.168.77.99', dev: 'eth0', state: 'FAILED', updated: 0 })
    expect(to99(failed).outcome).toMatchObject({ verdict: 'dropped', dropReason: 'no neighbour: 192.168.77.99 did not answer ARP on eth0 in node1' })
  })

  it('the answer goes back out of eth0 to the sender outside the model, un-NATed to the ClusterIP', () => {
    // The sender is not in the dump, but it sent the request: the answer leaves towards it
    // (before, it died at an ARP nobody in the model answered), from 10.96.0.50:80 as socat saw.
    const outs = traceWorldAll(world(), { from: '192.168.77.1', to: '10.96.0.50', proto: 'tcp', dport: 80, roundTrip: true }, { seed: 1 })
    expect(outs.map((o) => o.reply)).toEqual([
      { verdict: 'delivered', dropReason: null, matchesRequest: true },
      { verdict: 'delivered', dropReason: null, matchesRequest: true },
    ])
    const last = outs[0]!.steps.at(-1)!
    expect(last).toMatchObject({ kind: 'deliver', netns: 'node1' })
    expect(last.explain).toMatch(/^leaves node1 out of eth0 towards 192\.168\.77\.1:\d+, back to the sender$/)
    expect(last.packet.headers[0]).toMatchObject({ kind: 'ipv4', src: '10.96.0.50', dst: '192.168.77.1' })
  })
})

describe('the same node with a NodePort (fixtures/captured-hairpin-off/nodeport)', () => {
  const DIR = new URL('./fixtures/captured-hairpin-off/nodeport/', import.meta.url).pathname
  const names = ['ip-d-link.txt', 'ip-addr.txt', 'ip-route.txt', 'ip-neigh.txt', 'bridge-fdb.txt', 'iptables-save.txt', 'sysctl.txt']
  const w = importToWorld(importDumps(names.map((f) => ({ name: f, text: readFileSync(DIR + f, 'utf8'), node: 'node1' }))))
  const outcomes = (from: string) =>
    traceWorldAll(w, { from, to: '192.168.77.10', proto: 'tcp', dport: 30080 }, { seed: 1 })
      .map((o) => [o.probability, o.verdict, o.dnat, o.masquerade] as const)
      .sort((a, b) => String(a[2]).localeCompare(String(b[2])))

  it('from outside: both pods, masqueraded (KUBE-EXT marks every NodePort connection)', () => {
    expect(outcomes('192.168.77.1')).toEqual([
      [0.5, 'delivered', '10.244.1.2:8080', true],
      [0.5, 'delivered', '10.244.1.3:8080', true],
    ])
  })

  it('from p1: the DNAT back to p1 is bridged out of its own port and dropped (hairpin off), as the kernel timed out', () => {
    expect(outcomes('10.244.1.2')).toEqual([
      [0.5, 'dropped', '10.244.1.2:8080', false],
      [0.5, 'delivered', '10.244.1.3:8080', true],
    ])
  })
})

describe('the same node with bridge-nf-call-iptables=0 (fixtures/captured-hairpin-off/bridge-nf-off)', () => {
  const DIR = new URL('./fixtures/captured-hairpin-off/bridge-nf-off/', import.meta.url).pathname
  const names = ['ip-d-link.txt', 'ip-addr.txt', 'ip-route.txt', 'ip-neigh.txt', 'bridge-fdb.txt', 'iptables-save.txt', 'sysctl.txt']
  const w = importToWorld(importDumps(names.map((f) => ({ name: f, text: readFileSync(DIR + f, 'utf8'), node: 'node1' }))))

  it("reads the sysctl from the dump: p2's answer comes from its own address and p1 cannot use it; p1 choosing itself works", () => {
    expect(w.netns.node1?.sysctl['net.bridge.bridge-nf-call-iptables']).toBe(false)
    const outs = traceWorldAll(w, { from: '10.244.1.2', to: '10.96.0.50', proto: 'tcp', dport: 80, roundTrip: true }, { seed: 1 }).sort((a, b) => String(a.dnat).localeCompare(String(b.dnat)))
    expect(outs.map((o) => [o.probability, o.dnat, o.reply?.verdict])).toEqual([
      [0.5, '10.244.1.2:8080', 'delivered'],
      [0.5, '10.244.1.3:8080', 'dropped'],
    ])
    expect(outs[1]?.reply?.dropReason).toMatch(/reply from 10\.244\.1\.3:8080 does not match the request to 10\.96\.0\.50:80/)
  })
})

describe("a Calico-style node with felix's nat-outgoing ipsets (fixtures/captured-calico-ipset)", () => {
  const DIR = new URL('./fixtures/captured-calico-ipset/', import.meta.url).pathname
  const BASE = ['ip-d-link.txt', 'ip-addr.txt', 'ip-route.txt', 'ip-neigh.txt', 'iptables-save.txt', 'sysctl.txt']
  const load = (extra: string[]) => importToWorld(importDumps([...BASE, ...extra].map((f) => ({ name: f, text: readFileSync(DIR + f, 'utf8'), node: 'node1' }))))
  const send = (to: string): SendSpec => ({ from: '10.244.1.2', to, proto: 'tcp', dport: 9000 })

  it.each([['ipset-save.txt'], ['ipset-list.txt']])('with %s: leaving the pools is masqueraded to the node address, pod to pod is not (as socat saw)', (sets) => {
    const w = load([sets])
    expect(w.netns.node1?.ipsets['cali40all-ipam-pools']).toEqual({ name: 'cali40all-ipam-pools', type: 'hash:net', members: ['10.244.0.0/16'] })
    expect(run(w, send('192.168.77.1'))).toMatchObject({ verdict: 'delivered', masquerade: true, snat: expect.stringMatching(/^192\.168\.77\.10:\d+$/) as unknown })
    expect(run(w, send('10.244.1.3'))).toMatchObject({ verdict: 'delivered', masquerade: false, snat: null, deliveredTo: '10.244.1.3:9000' })
  })

  it('a host outside the dump: the request leaves the model there, and its answer is not traced (reply null)', () => {
    const w = load(['ipset-save.txt'])
    const o = simulate(w, { ...send('192.168.77.1'), roundTrip: true }, { seed: 1 }).outcome
    expect([o.verdict, o.deliveredNetns, o.reply]).toEqual(['delivered', null, null])
  })

  it('without the sets: assumed empty, so nothing is masqueraded, and the import says what to add', () => {
    const w = load([])
    expect(run(w, send('192.168.77.1'))).toMatchObject({ masquerade: false, snat: null })
    expect((w.notes ?? []).join('\n')).toMatch(/the rules test ipset\(s\) cali40masq-ipam-pools, cali40all-ipam-pools but the dump does not list them: assumed empty \(add `ipset save` to the dump\)/)
  })
})

describe('the answer to a sender outside the model, as its socket would take it', () => {
  // A bare ruleset with the node's address given on the command line: rules-only, and REJECT on tcp/9.
  const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 9 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n'
  const w = importToWorld(importDumps([{ name: 'iptables-save.txt', text: rules, node: 'n', localIps: ['192.168.1.10'] }]))
  it('a REJECT: the ICMP error leaves towards the sender, and the request itself says rejected (no answer is made of it)', () => {
    const r = simulate(w, { from: '10.0.0.5', to: '192.168.1.10', proto: 'tcp', dport: 9, roundTrip: true }, { seed: 1 })
    expect([r.outcome.verdict, r.outcome.reply]).toEqual(['rejected', null])
    expect(r.steps.at(-1)?.explain).toBe('leaves n out of eth0, a NIC whose network is not in the input towards 10.0.0.5, back to the sender')
  })
})

describe('an AWS VPC CNI-style node: two ENIs, policy routing and CONNMARK (fixtures/captured-aws-eni)', () => {
  // observed.txt: the VPC counted which node interface each connection's packets came from.
  const FILES = ['ip-d-link.txt', 'ip-addr.txt', 'ip-route.txt', 'ip-rule.txt', 'ip-neigh.txt', 'iptables-save.txt', 'sysctl.txt']
  const load = (dir: string) => importToWorld(importDumps(FILES.map((f) => ({ name: f, text: readFileSync(new URL(`./fixtures/captured-aws-eni/${dir}${f}`, import.meta.url), 'utf8'), node: 'node1' }))))
  const withMark = load('')
  const without = load('no-connmark/')
  /** The interface the request, or its reply, leaves the node by. */
  const leaves = (w: World, send: SendSpec, flow: 'request' | 'reply') => {
    const r = simulate(w, { ...send, roundTrip: flow === 'reply' }, { seed: 1 })
    const out = r.steps.filter((s) => s.flow === flow && s.netns === 'node1' && s.kind === 'deliver').at(-1)?.explain ?? ''
    return { outcome: r.outcome, dev: /out of (\w+)/.exec(out)?.[1] }
  }

  it('makes up the two pods as the CNI wires them: /32, default via 169.254.1.1, a permanent ARP entry for it', () => {
    const pod = withMark.netns['pod-192.168.60.31']!
    expect(pod.routes.map((r) => r.dst)).toEqual(['169.254.1.1', 'default'])
    expect(pod.neigh).toEqual([{ ip: '169.254.1.1', dev: 'eth0', mac: withMark.netns.node1!.links.find((l) => l.name === 'eniP2')!.mac, state: 'PERMANENT' }])
    expect(withMark.netns.node1!.rules?.map((r) => r.priority)).toEqual([0, 512, 512, 1024, 1536, 32766, 32767])
  })

  it.each([
    // Kernel: "from eth0 5, from eth1 0" for p1, "from eth0 0, from eth1 5" for p2 (rule 1536, table 2).
    ['p1 to the internet leaves by eth0 (main)', '192.168.60.30', '203.0.113.7', 9001, 'eth0'],
    ['p2 to the internet leaves by eth1 (from 192.168.60.31 lookup 2)', '192.168.60.31', '203.0.113.7', 9001, 'eth1'],
    ['p2 to the VPC router leaves by eth1 (table 2 routes it on-link there)', '192.168.60.31', '192.168.60.1', 9000, 'eth1'],
  ])('%s', (_name, from, to, dport, dev) => {
    const r = leaves(withMark, { from, to, proto: 'tcp', dport }, 'request')
    expect(r.outcome.verdict).toBe('delivered')
    expect(r.dev).toBe(dev)
  })

  it("a NodePort answer from p2 goes back by eth0 thanks to the connection's mark; without the CONNMARK rules, by eth1", () => {
    // Kernel: "p2 seen from 192.168.60.1" both times; the answer came "from eth0 3" with the
    // mangle rules and "from eth1 3" without them.
    const send: SendSpec = { from: '192.168.60.1', to: '192.168.60.10', proto: 'tcp', dport: 30080 }
    const a = leaves(withMark, send, 'reply')
    expect([a.outcome.deliveredTo, a.outcome.reply?.verdict, a.dev]).toEqual(['192.168.60.31:8080', 'delivered', 'eth0'])
    const b = leaves(without, send, 'reply')
    expect([b.outcome.deliveredTo, b.dev]).toEqual(['192.168.60.31:8080', 'eth1'])
  })

  it('a NodePort on eth1 is not marked (the rule wants eth0), so its answer leaves by eth1', () => {
    // Kernel: "from eth0 0, from eth1 4".
    expect(leaves(withMark, { from: '192.168.60.1', to: '192.168.60.20', proto: 'tcp', dport: 30080 }, 'reply').dev).toBe('eth1')
  })
})

describe('rp_filter from a dump: conf.all and each device', () => {
  it("a device's own rp_filter reaches its link, and a strict eth1 drops what its way back would not take", () => {
    const dir = new URL('./fixtures/captured-aws-eni/', import.meta.url)
    const files = ['ip-d-link.txt', 'ip-addr.txt', 'ip-route.txt', 'ip-rule.txt', 'iptables-save.txt'].map((f) => ({ name: f, text: readFileSync(new URL(f, dir), 'utf8'), node: 'node1' }))
    const sysctl = { name: 'sysctl.txt', text: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.eth1.rp_filter = 1\n', node: 'node1' }
    const w = importToWorld(importDumps([...files, sysctl]))
    expect(link(w, 'node1', 'eth1').rpFilter).toBe(1)
    expect(link(w, 'node1', 'eth0').rpFilter).toBeUndefined()
    // 203.0.113.9 → p1 (192.168.60.30), coming in by eth1: the way back (from .30, no rule but
    // main's) is the default route by eth0, not eth1, so strict rp_filter on eth1 drops it.
    // (For p2 rule 1536 would route back by eth1, and it would pass.)
    const r = simulate(w, { from: '203.0.113.9', to: '192.168.60.30', proto: 'tcp', dport: 8080, inIface: 'eth1' }, { seed: 1 })
    expect(r.outcome.dropReason).toMatch(/rp_filter drops source 203\.0\.113\.9 on eth1/)
    expect(r.steps.at(-1)?.ref).toEqual({ table: 'sysctl', netns: 'node1', key: 'net.ipv4.conf.eth1.rp_filter', value: '1' })
  })
})
