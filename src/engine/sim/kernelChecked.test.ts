/**
 * Behaviours settled on the real kernel (Linux 6.18, network namespaces; the commands are in
 * the kernel-diff report) that the tracer must reproduce. Each case failed before its fix.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadClusterText } from '../kube/load.ts'
import { clusterDnsResponder } from '../kube/dns.ts'
import { loadWorldFile } from '../world/worldFile.ts'
import { simulate } from './simulate.ts'
import { bridgeWorld, vxlanWorld } from './testWorlds.ts'
import { addAddr, addLink, addNetns, addRoute, addVethPair, emptyWorld, newNetns, putFdb, setLinkMtu, setLinkUp, setMaster } from '../model/ops.ts'
import type { World } from '../model/types.ts'
import type { SendSpec } from './trace.ts'

const run = (w: World, send: SendSpec) => simulate(w, send, { seed: 3, now: 1000 })

/** Two nodes, each with br0 holding a VXLAN port (VNI 7) and a pod: one L2 overlay 10.50.0.0/24. */
function bridgedVxlanWorld(underlayMtu: number): World {
  let w: World = { ...emptyWorld(), segments: { underlay: { name: 'underlay' } }, nodes: ['n1', 'n2'] }
  for (const i of [1, 2]) {
    const node = `n${i}`
    const pod = `p${i}`
    w = addNetns(w, newNetns(node, 'host', { node }))
    w = addNetns(w, newNetns(pod, 'pod', { node }))
    w = addLink(w, node, { kind: 'phys', name: 'eth0', segment: 'underlay', mtu: underlayMtu, mac: `02:00:00:00:e0:0${i}` })
    w = setLinkUp(w, node, 'eth0', true)
    w = addAddr(w, node, 'eth0', `192.168.1.1${i}/24`)
    w = addLink(w, node, { kind: 'vxlan', name: 'vx0', vni: 7, local: `192.168.1.1${i}`, dstport: 4789, dev: 'eth0', learning: false, mtu: 1450 })
    w = addLink(w, node, { kind: 'bridge', name: 'br0', ageingTime: 300, mtu: 1450 })
    w = setLinkUp(w, node, 'br0', true)
    w = setMaster(w, node, 'vx0', 'br0')
    w = setLinkUp(w, node, 'vx0', true)
    w = addVethPair(w, { netns: node, name: `veth${i}`, mtu: 1450 }, { netns: pod, name: 'eth0', mtu: 1450, mac: `02:00:00:00:0a:0${i}` })
    w = setMaster(w, node, `veth${i}`, 'br0')
    w = setLinkUp(w, node, `veth${i}`, true)
    w = setLinkUp(w, pod, 'eth0', true)
    w = addAddr(w, pod, 'eth0', `10.50.0.${i}/24`)
    w = putFdb(w, node, { mac: '00:00:00:00:00:00', dev: 'vx0', dst: `192.168.1.1${3 - i}`, self: true, permanent: true }, 'append')
  }
  return w
}

describe('VXLAN when the outer packet does not fit the underlay (skb_tunnel_check_pmtu)', () => {
  it('routed VXLAN (flannel): a DF inner packet still arrives; only the outer packet is fragmented', () => {
    // flannel.1 MTU 1450 over eth0 cut to 1400 afterwards: the 1500-byte outer packet has no DF.
    let w = vxlanWorld()
    for (const n of ['node1', 'node2']) w = setLinkMtu(w, n, 'eth0', 1400)
    const r = run(w, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp', size: 1450, df: true })
    // Kernel: "1430 bytes from 10.244.2.5", and IpFragCreates 2 on node1.
    expect(r.outcome.verdict).toBe('delivered')
    expect(r.outcome.reply?.verdict).toBe('delivered')
    expect(r.steps.some((s) => s.kind === 'icmp-error')).toBe(false)
    expect(r.steps.find((s) => s.kind === 'note' && s.netns === 'node1')?.explain).toMatch(/only lowers the path MTU of the inner route to 1350/)
  })

  it('bridged VXLAN: the driver answers for the destination with "fragmentation needed" (mtu = underlay - 50)', () => {
    const r = run(bridgedVxlanWorld(1400), { from: 'p1', to: '10.50.0.2', proto: 'icmp', size: 1450, df: true })
    // Kernel: "From 10.50.0.2 icmp_seq=1 Frag needed and DF set (mtu = 1350)": the source is the
    // inner destination, not an address of n1.
    expect(r.outcome.verdict).toBe('dropped')
    const back = r.steps.find((s) => s.kind === 'deliver' && s.netns === 'p1' && s.flow === 'icmp-error')
    expect(back?.packet.headers[0]).toMatchObject({ kind: 'ipv4', src: '10.50.0.2', dst: '10.50.0.1' })
    expect(back?.packet.headers[1]).toMatchObject({ kind: 'icmp', type: 3, code: 4, mtu: 1350 })
  })

  it('bridged VXLAN, small packet: ARP crosses the tunnel to the remote pod (the remote node reads it as UDP, not ARP)', () => {
    // Kernel: "64 bytes from 10.50.0.2". The remote node must not take the inner ARP for its own.
    const r = run(bridgedVxlanWorld(1500), { from: 'p1', to: '10.50.0.2', proto: 'icmp' })
    expect(r.outcome.deliveredNetns).toBe('p2')
    expect(r.outcome.reply?.verdict).toBe('delivered')
    expect(r.steps.some((s) => s.kind === 'arp-reply' && s.netns === 'p2')).toBe(true)
  })

  it('bridged VXLAN without DF: fragmented outer packet, delivered', () => {
    const r = run(bridgedVxlanWorld(1400), { from: 'p1', to: '10.50.0.2', proto: 'icmp', size: 1450, df: false })
    expect(r.outcome.reply?.verdict).toBe('delivered')
  })
})

/** A Calico-style pod: /32 on eth0, default via 169.254.1.1; the host end cali1 has proxy ARP. */
function calicoWorld(ipForward: boolean): World {
  let w = emptyWorld()
  w = addNetns(w, newNetns('host', 'host', { sysctl: { 'net.ipv4.ip_forward': ipForward } }))
  w = addNetns(w, newNetns('pod', 'pod'))
  w = addLink(w, 'host', { kind: 'bridge', name: 'br0', ageingTime: 300 })
  w = setLinkUp(w, 'host', 'br0', true)
  w = addAddr(w, 'host', 'br0', '10.244.1.1/24')
  w = addVethPair(w, { netns: 'host', name: 'cali1' }, { netns: 'pod', name: 'eth0' })
  w = { ...w, netns: { ...w.netns, host: { ...w.netns.host!, links: w.netns.host!.links.map((l) => (l.name === 'cali1' ? { ...l, proxyArp: true } : l)) } } }
  w = setLinkUp(w, 'host', 'cali1', true)
  w = addRoute(w, 'host', { dst: '10.244.9.9', type: 'unicast', table: 'main', dev: 'cali1', scope: 'link', proto: 'boot' })
  w = addRoute(w, 'host', { dst: 'default', type: 'unicast', table: 'main', via: '10.244.1.3', dev: 'br0', scope: 'global', proto: 'boot' })
  w = setLinkUp(w, 'pod', 'eth0', true)
  w = addAddr(w, 'pod', 'eth0', '10.244.9.9/32')
  w = addRoute(w, 'pod', { dst: '169.254.1.1', type: 'unicast', table: 'main', dev: 'eth0', scope: 'link', proto: 'boot' })
  w = addRoute(w, 'pod', { dst: 'default', type: 'unicast', table: 'main', via: '169.254.1.1', dev: 'eth0', scope: 'global', proto: 'boot' })
  return w
}

describe('proxy ARP on a veth host end (Calico\'s 169.254.1.1)', () => {
  it('answers when the host forwards: the pod reaches the host', () => {
    const r = run(calicoWorld(true), { from: 'pod', to: '10.244.1.1', proto: 'icmp' })
    expect(r.steps.some((s) => s.kind === 'arp-reply' && s.netns === 'host' && s.dev === 'cali1')).toBe(true)
    expect(r.outcome.reply?.verdict).toBe('delivered')
  })

  it('stays silent with ip_forward=0 (arp_process proxies only on forwarding devices)', () => {
    // Kernel: 169.254.1.1 stays INCOMPLETE in the pod and the ping gets no answer.
    const r = run(calicoWorld(false), { from: 'pod', to: '10.244.1.1', proto: 'icmp' })
    expect(r.steps.some((s) => s.kind === 'arp-reply')).toBe(false)
    expect(r.outcome.verdict).toBe('dropped')
  })
})

describe('blackhole route at the sender', () => {
  it('fails sendmsg with "Invalid argument" (ping: connect: Invalid argument)', () => {
    let w = vxlanWorld()
    w = addRoute(w, 'node1-pod', { dst: '10.9.0.0/24', type: 'blackhole', table: 'main', scope: 'global', proto: 'boot' })
    const r = run(w, { from: 'node1-pod', to: '10.9.0.5', proto: 'icmp' })
    expect(r.outcome.dropReason).toMatch(/sendmsg fails \(Invalid argument\)/)
  })
})

describe('a router with ip_forward=0', () => {
  it('drops a packet it has no route for without an ICMP error (ip_error sends none when not forwarding)', () => {
    // Kernel: ping from the pod to 198.51.100.7 times out; node1 counts IpInNoRoutes, sends nothing.
    const r = run(vxlanWorld({ ipForward: false }), { from: 'node1-pod', to: '198.51.100.7', proto: 'icmp' })
    expect(r.outcome.dropReason).toMatch(/ip_forward is off in node1/)
    expect(r.steps.some((s) => s.kind === 'icmp-error')).toBe(false)
  })
})

describe('frames bigger than a device\'s MTU (is_skb_forwardable: MTU + 4 for a VLAN tag)', () => {
  // pod-b's veth pair is at 1400 while pod-a's is at 1500.
  const world = () => {
    let w = bridgeWorld()
    w = setLinkMtu(w, 'host', 'veth-b', 1400)
    return setLinkMtu(w, 'pod-b', 'eth0', 1400)
  }

  it('a bridge does not pass a 1500-byte frame out of a 1400-MTU port: silently lost', () => {
    // Kernel: `ping -M do -s 1472` from pod-a to pod-b gets no answer and no error.
    const r = run(world(), { from: 'pod-a', to: '10.244.1.3', proto: 'icmp', size: 1500, df: true })
    expect(r.outcome.verdict).toBe('dropped')
    expect(r.outcome.dropReason).toMatch(/larger than the MTU of veth-b in host \(1500 > 1400\)/)
    expect(r.steps.some((s) => s.kind === 'icmp-error')).toBe(false)
  })

  it('up to MTU + 4 bytes still pass', () => {
    const r = run(world(), { from: 'pod-a', to: '10.244.1.3', proto: 'icmp', size: 1404, df: true })
    expect(r.outcome.deliveredNetns).toBe('pod-b')
  })

  it('with bridge-nf-call-iptables=1 the bridge port holds IPv4 to its MTU exactly (br_nf_dev_queue_xmit)', () => {
    // Kernel: 1404 bytes with DF from pod-a get no answer when br_netfilter is on, one when it is off.
    let w = bridgeWorld({ brNf: true })
    w = setLinkMtu(setLinkMtu(w, 'host', 'veth-b', 1400), 'pod-b', 'eth0', 1400)
    const r = run(w, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp', size: 1404, df: true })
    expect(r.outcome.dropReason).toMatch(/larger than the MTU of veth-b in host \(1404 > 1400\)/)
  })

  it('...and cuts a bigger packet without DF into fragments of its fake route\'s MTU, 1500', () => {
    // Kernel: with cni0 created at 1400 and never changed, 1450 bytes without DF from
    // pod-a stay one 1450-byte fragment, too big for pod-b's 1400 port; 1600 bytes from pod-b
    // (fragments of 1400) reach pod-a behind its 1500 port.
    let w = bridgeWorld({ brNf: true })
    w = setLinkMtu(setLinkMtu(setLinkMtu(w, 'host', 'veth-b', 1400), 'pod-b', 'eth0', 1400), 'host', 'cni0', 1400)
    expect(run(w, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp', size: 1450, df: false }).outcome.verdict).toBe('dropped')
    expect(run(w, { from: 'pod-b', to: '10.244.1.2', proto: 'icmp', size: 1600, df: false }).outcome.deliveredNetns).toBe('pod-a')
  })

  it('a fragmented packet travels as fragments: 1600 bytes without DF from pod-b arrive in 1400-byte pieces', () => {
    const r = run(world(), { from: 'pod-b', to: '10.244.1.2', proto: 'icmp', size: 1600, df: false })
    expect(r.outcome.deliveredNetns).toBe('pod-a')
  })
})

describe('a pod calling a Service whose only backend is itself (hairpin)', () => {
  const cluster = () => loadClusterText(readFileSync(new URL('../../../scenarios/clusters/nodeport.yaml', import.meta.url), 'utf8'), { seed: 1 }).world!

  it('the DNAT-ed request reaches the pod\'s listening socket, not its client socket, and the answer comes back', () => {
    // Kernel: a DNS query from the CoreDNS pod to the kube-dns ClusterIP is answered (hairpin on
    // the bridge port, kube-proxy masquerades it to the bridge address).
    const w = cluster()
    const r = simulate(w, { from: 'kube-system/coredns-78fbf44dc4-2hzq2', to: '10.96.0.10', proto: 'udp', dport: 53, dns: { name: 'kubernetes.default.svc.cluster.local', type: 'A' } }, { seed: 3, now: 1000, dns: clusterDnsResponder(w.cluster!) })
    expect(r.outcome.deliveredNetns).toBe('kube-system/coredns-78fbf44dc4-2hzq2')
    expect(r.outcome.masquerade).toBe(true)
    expect(r.outcome.reply).toMatchObject({ verdict: 'delivered', matchesRequest: true })
  })
})

describe('an ICMP error about a packet the host masqueraded', () => {
  it('is sent to the host\'s own address (for conntrack to translate back), not swallowed as if the host had sent it', () => {
    // Kernel: a pod pinging past a node whose default gateway does not answer ARP gets
    // "From 192.168.1.20 Destination Host Unreachable" (the node's address).
    const w = loadClusterText(readFileSync(new URL('../../../scenarios/clusters/nodeport.yaml', import.meta.url), 'utf8'), { seed: 1 }).world!
    const r = simulate(w, { from: 'default/nginx-55b8b84556-64dgx', to: '198.51.100.7', proto: 'icmp' }, { seed: 3, now: 1000 })
    const err = r.steps.find((s) => s.kind === 'icmp-error' && s.netns === 'node2')
    expect(err?.packet.headers[0]).toMatchObject({ kind: 'ipv4', src: '192.168.1.20', dst: '192.168.1.20' })
    expect(err?.explain).not.toMatch(/reported to the local sender/)
  })

  it('reaches the pod that sent the masqueraded packet, from the node\'s address', () => {
    // conntrack finds the entry from the quoted (masqueraded) echo and translates the error back.
    const w = loadClusterText(readFileSync(new URL('../../../scenarios/clusters/nodeport.yaml', import.meta.url), 'utf8'), { seed: 1 }).world!
    const r = simulate(w, { from: 'default/nginx-55b8b84556-64dgx', to: '198.51.100.7', proto: 'icmp' }, { seed: 3, now: 1000 })
    const got = r.steps.find((s) => s.kind === 'deliver' && s.netns === 'default/nginx-55b8b84556-64dgx' && s.flow === 'icmp-error')
    expect(got?.packet.headers[0]).toMatchObject({ kind: 'ipv4', src: '192.168.1.20', dst: '10.244.2.2' })
    expect(got?.packet.headers[1]).toMatchObject({ kind: 'icmp', type: 3, code: 1 })
  })
})

describe('br_netfilter DNAT to an address behind the same bridge (bridged DNAT)', () => {
  const world = () => loadWorldFile(readFileSync(new URL('../../../scenarios/worlds/clusterip-same-node.yaml', import.meta.url), 'utf8')).world
  const toVip = (from: string, pickFirst: boolean) => simulate(world(), { from, to: '10.96.1.100', proto: 'tcp', dport: 80 }, { seed: 3, now: 1000, decide: () => pickFirst })

  it('is bridged, not routed: the TTL is not decremented', () => {
    const r = toVip('a', true)
    expect(r.outcome.deliveredNetns).toBe('b')
    expect(r.steps.some((s) => s.kind === 'forward')).toBe(false)
    expect(r.steps.find((s) => s.kind === 'deliver' && s.netns === 'b')?.packet.headers[0]).toMatchObject({ kind: 'ipv4', ttl: 64 })
  })

  it('cannot go back out of the port it came in on without hairpin: b calling the VIP that picks b gets nothing', () => {
    // Kernel: from b, the tries that pick b itself time out (no answer, no RST).
    const r = toVip('b', true)
    expect(r.outcome.verdict).toBe('dropped')
    expect(r.outcome.dropReason).toMatch(/hairpin off/)
  })
})
