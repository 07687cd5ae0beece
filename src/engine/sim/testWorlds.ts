/**
 * Small worlds for tests, built with the same operations a learner's commands use.
 * Each mirrors an exercise from the curriculum.
 */
import { addAddr, addLink, addNetns, addRoute, addVethPair, emptyWorld, newNetns, putFdb, putNeigh, setLinkUp, setMaster } from '../model/ops.ts'
import type { Route, RoutingRule, World } from '../model/types.ts'
import { parseIptablesSave } from '../netfilter/save.ts'
import { DEFAULT_RULES } from '../route/rules.ts'

/** Exercise 1: two "pods" (netns) on one Linux bridge, same /24. */
export function bridgeWorld(opts: { brNf?: boolean } = {}): World {
  let w = emptyWorld()
  w = addNetns(w, newNetns('host', 'host', { sysctl: { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': opts.brNf ?? false } }))
  w = addNetns(w, newNetns('pod-a', 'plain'))
  w = addNetns(w, newNetns('pod-b', 'plain'))
  w = addLink(w, 'host', { kind: 'bridge', name: 'cni0', ageingTime: 300, mac: '02:00:00:00:01:01' })
  w = setLinkUp(w, 'host', 'cni0', true)
  w = addAddr(w, 'host', 'cni0', '10.244.1.1/24')
  for (const [pod, ip, hostEnd, mac] of [
    ['pod-a', '10.244.1.2', 'veth-a', '02:00:00:00:0a:02'],
    ['pod-b', '10.244.1.3', 'veth-b', '02:00:00:00:0b:03'],
  ] as const) {
    w = addVethPair(w, { netns: 'host', name: hostEnd }, { netns: pod, name: 'eth0', mac })
    w = setMaster(w, 'host', hostEnd, 'cni0')
    w = setLinkUp(w, 'host', hostEnd, true)
    w = setLinkUp(w, pod, 'eth0', true)
    w = addAddr(w, pod, 'eth0', `${ip}/24`)
    w = addRoute(w, pod, { dst: 'default', type: 'unicast', table: 'main', via: '10.244.1.1', dev: 'eth0', scope: 'global', proto: 'boot' })
  }
  w = { ...w, netns: { ...w.netns, 'pod-b': { ...w.netns['pod-b']!, listeners: [{ proto: 'tcp', port: 80, app: 'nginx' }] } } }
  return w
}

/**
 * Exercise 2: two "nodes" on one underlay, each with a pod behind cni0, joined by
 * flannel-style VXLAN (VNI 1, UDP 8472, MTU 1450, permanent neighbour + FDB entries).
 */
export function vxlanWorld(opts: { ipForward?: boolean; vxlanMtu?: number; podMtu?: number } = {}): World {
  let w: World = { ...emptyWorld(), segments: { underlay: { name: 'underlay', cidr: '192.168.1.0/24' } }, nodes: ['node1', 'node2'] }
  const nodes = [
    { name: 'node1', ip: '192.168.1.10', sub: '10.244.1', vtepMac: '02:00:00:00:f1:01', ethMac: '02:00:00:00:e1:01' },
    { name: 'node2', ip: '192.168.1.20', sub: '10.244.2', vtepMac: '02:00:00:00:f2:02', ethMac: '02:00:00:00:e2:02' },
  ]
  for (const n of nodes) {
    w = addNetns(w, newNetns(n.name, 'host', { node: n.name, sysctl: { 'net.ipv4.ip_forward': opts.ipForward ?? true } }))
    w = addLink(w, n.name, { kind: 'phys', name: 'eth0', segment: 'underlay', mac: n.ethMac })
    w = setLinkUp(w, n.name, 'eth0', true)
    w = addAddr(w, n.name, 'eth0', `${n.ip}/24`)
    w = addLink(w, n.name, { kind: 'vxlan', name: 'flannel.1', vni: 1, local: n.ip, dstport: 8472, dev: 'eth0', learning: false, mac: n.vtepMac, mtu: opts.vxlanMtu ?? 1450 })
    w = setLinkUp(w, n.name, 'flannel.1', true)
    w = addAddr(w, n.name, 'flannel.1', `${n.sub}.0/32`)
    w = addLink(w, n.name, { kind: 'bridge', name: 'cni0', ageingTime: 300, mac: `02:00:00:00:c${n.sub.at(-1)}:01`, mtu: opts.podMtu ?? 1450 })
    w = setLinkUp(w, n.name, 'cni0', true)
    w = addAddr(w, n.name, 'cni0', `${n.sub}.1/24`)
    const pod = `${n.name}-pod`
    w = addNetns(w, newNetns(pod, 'pod', { node: n.name }))
    w = addVethPair(w, { netns: n.name, name: `veth-${n.name}`, mtu: opts.podMtu ?? 1450 }, { netns: pod, name: 'eth0', mac: `02:00:00:00:d${n.sub.at(-1)}:05`, mtu: opts.podMtu ?? 1450 })
    w = setMaster(w, n.name, `veth-${n.name}`, 'cni0')
    w = setLinkUp(w, n.name, `veth-${n.name}`, true)
    w = setLinkUp(w, pod, 'eth0', true)
    w = addAddr(w, pod, 'eth0', `${n.sub}.5/24`)
    w = addRoute(w, pod, { dst: 'default', type: 'unicast', table: 'main', via: `${n.sub}.1`, dev: 'eth0', scope: 'global', proto: 'boot' })
    w = { ...w, netns: { ...w.netns, [pod]: { ...w.netns[pod]!, listeners: [{ proto: 'tcp', port: 80, app: 'web' }] } } }
  }
  for (const n of nodes) {
    for (const r of nodes.filter((x) => x !== n)) {
      w = addRoute(w, n.name, { dst: `${r.sub}.0/24`, type: 'unicast', table: 'main', via: `${r.sub}.0`, dev: 'flannel.1', onlink: true, scope: 'global', proto: 'boot' })
      w = putNeigh(w, n.name, { ip: `${r.sub}.0`, dev: 'flannel.1', mac: r.vtepMac, state: 'PERMANENT' })
      w = putFdb(w, n.name, { mac: r.vtepMac, dev: 'flannel.1', dst: r.ip, self: true, permanent: true })
    }
  }
  return w
}

/**
 * Policy routing: a router r between clients a (10.0.1.2) and d (10.0.4.2) and two servers b
 * and c that both own 9.9.9.9 and 7.7.7.7 (on lo), so which one answers shows which table
 * routed the packet. r's main table sends 9.9.9.9 to b and 7.7.7.7 to c; table 100 sends
 * 9.9.9.9 to c; table 200 sends 7.7.7.7 to b. Rules: 100 from 10.0.4.2 lookup 100; 110 to
 * 8.8.4.4 prohibit; 111 to 8.8.4.5 blackhole; 112 from 10.0.4.2 to 8.8.8.8 unreachable;
 * 120 fwmark 0x7 lookup 100; 130 from 10.0.3.1 lookup 200. Mangle marks a's UDP in PREROUTING
 * and r's own TCP to port 81 in OUTPUT with 0x7. (Checked on Linux: see kernel-diff.)
 */
export function policyRoutingWorld(): World {
  const mangle = parseIptablesSave('*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -s 10.0.1.2/32 -p udp -j MARK --set-xmark 0x7/0xffffffff\n-A OUTPUT -p tcp -m tcp --dport 81 -j MARK --set-xmark 0x7/0xffffffff\nCOMMIT\n').ruleset
  let w = emptyWorld()
  w = addNetns(w, newNetns('r', 'host', { sysctl: { 'net.ipv4.ip_forward': true }, ruleset: mangle }))
  const gw = (n: string, via: string) => addRoute(w, n, { dst: 'default', type: 'unicast', table: 'main', via, dev: 'eth0', scope: 'global', proto: 'boot' })
  for (const [name, rDev, rIp, ip] of [
    ['a', 'ra', '10.0.1.1', '10.0.1.2'],
    ['d', 'rd', '10.0.4.1', '10.0.4.2'],
    ['b', 'rb', '10.0.2.1', '10.0.2.2'],
    ['c', 'rc', '10.0.3.1', '10.0.3.2'],
  ] as const) {
    w = addNetns(w, newNetns(name, 'plain'))
    w = addVethPair(w, { netns: 'r', name: rDev }, { netns: name, name: 'eth0' })
    w = setLinkUp(w, 'r', rDev, true)
    w = addAddr(w, 'r', rDev, `${rIp}/24`)
    w = setLinkUp(w, name, 'eth0', true)
    w = addAddr(w, name, 'eth0', `${ip}/24`)
    w = gw(name, rIp)
  }
  for (const server of ['b', 'c']) {
    w = addAddr(w, server, 'lo', '9.9.9.9/32')
    w = addAddr(w, server, 'lo', '7.7.7.7/32')
    const listeners = [{ proto: 'tcp', port: 80, app: 'web' }, { proto: 'tcp', port: 81, app: 'web' }, { proto: 'udp', port: 5353, app: 'echo' }] as const
    w = { ...w, netns: { ...w.netns, [server]: { ...w.netns[server]!, listeners } } }
  }
  const route = (dst: string, via: string, dev: string, table: Route['table']): Route => ({ dst, type: 'unicast', table, via, dev, scope: 'global', proto: 'boot' })
  w = addRoute(w, 'r', route('9.9.9.9', '10.0.2.2', 'rb', 'main'))
  w = addRoute(w, 'r', route('7.7.7.7', '10.0.3.2', 'rc', 'main'))
  w = addRoute(w, 'r', route('9.9.9.9', '10.0.3.2', 'rc', 100))
  w = addRoute(w, 'r', route('7.7.7.7', '10.0.2.2', 'rb', 200))
  w = addRoute(w, 'r', { dst: '8.8.0.0/16', type: 'unicast', table: 'main', via: '10.0.2.2', dev: 'rb', scope: 'global', proto: 'boot' })
  const rules: RoutingRule[] = [
    DEFAULT_RULES[0]!,
    { priority: 100, from: '10.0.4.2', action: 'lookup', table: 100 },
    { priority: 110, to: '8.8.4.4', action: 'prohibit' },
    { priority: 111, to: '8.8.4.5', action: 'blackhole' },
    { priority: 112, from: '10.0.4.2', to: '8.8.8.8', action: 'unreachable' },
    { priority: 120, fwmark: 7, fwmask: 0xffffffff, action: 'lookup', table: 100 },
    { priority: 130, from: '10.0.3.1', action: 'lookup', table: 200 },
    DEFAULT_RULES[1]!,
    DEFAULT_RULES[2]!,
  ]
  return { ...w, netns: { ...w.netns, r: { ...w.netns.r!, rules } } }
}
