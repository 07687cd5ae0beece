import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { addAddr, addLink, addNetns, addRoute, addVethPair, emptyWorld, newNetns, putFdb, putNeigh, setLinkMtu, setLinkUp, setMaster } from '../model/ops.ts'
import { importDumps } from '../import/importDump.ts'
import { importToWorld } from '../import/toWorld.ts'
import { buildCluster } from '../kube/build.ts'
import { parseCluster } from '../kube/parseCluster.ts'
import { config, kindNodes, pod } from '../kube/testClusters.ts'
import type { RoutingRule, World } from '../model/types.ts'
import type { FlowKey } from '../route/fib.ts'
import { jsonIpLink, jsonIpRoute, printBridgeFdb, printBridgeLink, printIpAddr, printIpLink, printIpRoute, printNeighEntry, printRouteGet } from './iproute2.ts'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** The topology of fixtures/README.md, built with the model's operations. */
function captured() {
  let w = emptyWorld()
  w = addNetns(w, newNetns('a', 'host', { loUp: false }))
  w = addNetns(w, newNetns('b', 'pod', { loUp: false }))
  w = addLink(w, 'a', { kind: 'bridge', name: 'br0', ageingTime: 300, mac: 'ca:fd:42:51:f5:64' })
  w = addVethPair(w, { netns: 'a', name: 'veth1', mac: 'ca:fd:42:51:f5:64' }, { netns: 'b', name: 'eth0', mac: '6a:65:7b:af:c3:df' })
  w = setMaster(w, 'a', 'veth1', 'br0')
  w = setLinkUp(w, 'a', 'br0', true)
  w = setLinkUp(w, 'a', 'veth1', true)
  w = addAddr(w, 'a', 'br0', '10.244.1.1/24')
  w = setLinkUp(w, 'b', 'eth0', true)
  w = addAddr(w, 'b', 'eth0', '10.244.1.2/24')
  w = addRoute(w, 'b', { dst: 'default', type: 'unicast', table: 'main', via: '10.244.1.1', dev: 'eth0', scope: 'global', proto: 'boot' })
  w = addLink(w, 'a', { kind: 'veth', name: 'eth0' }) // its peer stays down: linkdown
  w = setLinkUp(w, 'a', 'eth0', true)
  w = addAddr(w, 'a', 'eth0', '192.168.1.10/24')
  w = addLink(w, 'a', { kind: 'vxlan', name: 'flannel.1', vni: 1, local: '192.168.1.10', dev: 'eth0', dstport: 8472, learning: false })
  w = setLinkMtu(w, 'a', 'flannel.1', 1450)
  w = setLinkUp(w, 'a', 'flannel.1', true)
  w = addAddr(w, 'a', 'flannel.1', '10.244.1.0/32')
  w = addRoute(w, 'a', { dst: '10.244.2.0/24', type: 'unicast', table: 'main', via: '10.244.2.0', dev: 'flannel.1', onlink: true, scope: 'global', proto: 'boot' })
  w = putNeigh(w, 'a', { ip: '10.244.2.0', dev: 'flannel.1', mac: '66:77:88:99:aa:bb', state: 'PERMANENT' })
  w = putFdb(w, 'a', { mac: '66:77:88:99:aa:bb', dev: 'flannel.1', dst: '192.168.1.20', self: true, permanent: true })
  w = addRoute(w, 'a', { dst: '10.99.0.0/16', type: 'blackhole', table: 'main', scope: 'global', proto: 'boot' })
  // The peer of a/eth0 is outside the model: mark it down so carrier is off, as captured.
  const a = w.netns.a!
  w = { ...w, netns: { ...w.netns, a: { ...a, links: a.links.map((l) => (l.name === 'eth0' && l.kind === 'veth' ? { ...l, peer: { netns: 'b', name: 'nonexistent' } } : l)) } } }
  return w
}

describe('iproute2 printers reproduce real output', () => {
  const w = captured()
  it('ip route (order, trailing spaces, linkdown, onlink, blackhole)', () => {
    expect(printIpRoute(w.netns.a!, { w })).toBe(fixture('host-ip-route.txt'))
  })
  it('bridge fdb show dev flannel.1', () => {
    expect(printBridgeFdb(w.netns.a!, { dev: 'flannel.1' })).toBe(fixture('host-bridge-fdb-flannel1.txt'))
  })
  it('ip route get picks the flannel.1 address as source', () => {
    expect(printRouteGet(w.netns.a!, '10.244.2.7')).toBe(fixture('host-route-get.txt'))
  })
  it('ip addr inside the pod (veth peer index, link-netnsid)', () => {
    expect(printIpAddr(w.netns.b!, { w })).toBe(fixture('pod-ip-addr.txt'))
  })
  it('ip -d link shows vxlan attributes', () => {
    const text = printIpLink(w.netns.a!, { w, details: true, dev: 'flannel.1' })
    expect(text).toMatch(/^\d+: flannel\.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000$/m)
    expect(text).toContain('vxlan id 1 local 192.168.1.10 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300')
  })
  it('ip -j route has iproute2 keys', () => {
    expect(jsonIpRoute(w.netns.a!)).toContainEqual({ dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'flannel.1', flags: ['onlink'] })
  })
})

/** Real output captured on this machine (iproute2 6.1, kernel 6.18) while checking each case below. */
describe('iproute2 printers: peers, carrier and tables as the kernel reports them', () => {
  const base = () => {
    let w = emptyWorld()
    w = addNetns(w, newNetns('host', 'host', { loUp: false }))
    w = addNetns(w, newNetns('pwJ-b', 'plain', { loUp: false }))
    return w
  }

  it('an up bridge without ports has carrier: state UNKNOWN, LOWER_UP', () => {
    // `ip link add br0 type bridge; ip link set br0 up` → `<BROADCAST,MULTICAST,UP,LOWER_UP> … state UNKNOWN`.
    let w = addLink(base(), 'host', { kind: 'bridge', name: 'br0', ageingTime: 300 })
    w = setLinkUp(w, 'host', 'br0', true)
    expect(printIpLink(w.netns.host!, { w }).split('\n')[2]).toMatch(/^2: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN /)
    // A route through it is not linkdown.
    w = addAddr(w, 'host', 'br0', '10.244.1.1/24')
    expect(printIpRoute(w.netns.host!, { w })).toBe('10.244.1.0/24 dev br0 proto kernel scope link src 10.244.1.1 \n')
  })

  it('a veth pair in one netns: `v1@v0`, M-DOWN while the peer is down, `"link"` in JSON', () => {
    // `ip link add v0 type veth peer name v1; ip link set v1 up` →
    // `4: v1@v0: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> … state LOWERLAYERDOWN`, `5: v0@v1: <BROADCAST,MULTICAST>`.
    let w = addVethPair(base(), { netns: 'host', name: 'v0' }, { netns: 'host', name: 'v1' })
    w = setLinkUp(w, 'host', 'v1', true)
    const text = printIpLink(w.netns.host!, { w })
    expect(text).toMatch(/: v1@v0: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN /)
    expect(text).toMatch(/: v0@v1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN /)
    expect(text).not.toContain('link-netns')
    const v1 = jsonIpLink(w.netns.host!, { w, dev: 'v1' })[0]!
    expect(Object.keys(v1).slice(0, 3)).toEqual(['ifindex', 'link', 'ifname'])
    expect(v1.link).toBe('v0')
  })

  it('names the peer netns when it has a name (`ip netns add`), gives its id when it has none (the root netns)', () => {
    // In the root: `veth1@if2 … link-netns pwJ-b`; inside pwJ-b: `eth0@if3 … link-netnsid 0`.
    const w = addVethPair(base(), { netns: 'host', name: 'veth1' }, { netns: 'pwJ-b', name: 'eth0' })
    expect(printIpLink(w.netns.host!, { w, dev: 'veth1' })).toMatch(/^2: veth1@if2: .*\n {4}link\/ether \S+ brd ff:ff:ff:ff:ff:ff link-netns pwJ-b\n$/)
    expect(printIpLink(w.netns['pwJ-b']!, { w, dev: 'eth0' })).toMatch(/^2: eth0@if2: .*\n {4}link\/ether \S+ brd ff:ff:ff:ff:ff:ff link-netnsid 0\n$/)
    expect(jsonIpLink(w.netns.host!, { w, dev: 'veth1' })[0]).toMatchObject({ link_index: 2, link_netnsid: 0 })
  })

  it("a pod's sandbox is named by its CNI netns (`cni-<uuid>`) seen from the node", () => {
    const desc = parseCluster(`${config('flannel')}${kindNodes()}${pod('web', 'k8s-guide-worker')}`).desc
    const built = buildCluster(desc, { seed: 1 })
    const w: World = { ...built.world, cluster: built.cluster }
    const p = built.cluster.pods.find((x) => x.name === 'web')!
    const node = w.netns['k8s-guide-worker']!
    const text = printIpLink(node, { w, dev: p.hostVeth! })
    expect(text).toContain(` link-netns ${p.netnsPath.slice(p.netnsPath.lastIndexOf('/') + 1)}\n`)
    expect(p.netnsPath).toMatch(/\/cni-[0-9a-f-]+$/)
    // And from inside the pod, the node's root netns has no name.
    expect(printIpLink(w.netns[p.netns!]!, { w, dev: 'eth0' })).toContain(' link-netnsid 0\n')
  })

  it("`bridge link` names the device that has the peer's ifindex here", () => {
    // `3: veth-a@cni0:` in the capture: veth-a's peer is ifindex 2 in its netns, and 2 is cni0 here.
    let w = addLink(base(), 'host', { kind: 'bridge', name: 'cni0', ageingTime: 300 })
    w = addVethPair(w, { netns: 'host', name: 'veth-a' }, { netns: 'pwJ-b', name: 'eth0' })
    w = setMaster(w, 'host', 'veth-a', 'cni0')
    expect(printBridgeLink(w.netns.host!, { w })).toBe('3: veth-a@cni0: <BROADCAST,MULTICAST> mtu 1500 master cni0 state disabled priority 32 cost 2 \n')
  })

  it('`bridge fdb show dev X` leaves out `dev X`; learned entries end in a space; up devices list their multicast entries', () => {
    let w = addLink(base(), 'host', { kind: 'bridge', name: 'cni0', ageingTime: 300, mac: 'ca:fd:42:51:f5:64' })
    w = addVethPair(w, { netns: 'host', name: 'veth-a', mac: 'be:af:03:84:23:ba' }, { netns: 'pwJ-b', name: 'eth0' })
    w = setMaster(w, 'host', 'veth-a', 'cni0')
    w = setLinkUp(w, 'host', 'veth-a', true)
    w = putFdb(w, 'host', { mac: 'd2:8c:94:ff:2e:77', dev: 'veth-a', master: 'cni0', permanent: false })
    const host = w.netns.host!
    // The capture's `bridge fdb show dev veth-a`, entries in insertion order here (the kernel's is its hash order).
    expect(printBridgeFdb(host, { dev: 'veth-a' })).toBe('be:af:03:84:23:ba master cni0 permanent\nd2:8c:94:ff:2e:77 master cni0 \n33:33:00:00:00:01 self permanent\n01:00:5e:00:00:01 self permanent\n')
    // `bridge fdb show br cni0` lists the bridge and its ports, their own multicast entries too (cni0 is down: none).
    expect(printBridgeFdb(host, { br: 'cni0' })).toBe('be:af:03:84:23:ba dev veth-a master cni0 permanent\nd2:8c:94:ff:2e:77 dev veth-a master cni0 \n33:33:00:00:00:01 dev veth-a self permanent\n01:00:5e:00:00:01 dev veth-a self permanent\n')
    expect(printBridgeFdb(host, { multicast: false })).toBe('be:af:03:84:23:ba dev veth-a master cni0 permanent\nd2:8c:94:ff:2e:77 dev veth-a master cni0 \n')
  })

  it('ip -j route lists routes in the same order as ip route, with linkdown among the flags', () => {
    let w = addLink(base(), 'host', { kind: 'veth', name: 'u0' }) // no peer: carrier
    w = setLinkUp(w, 'host', 'u0', true)
    w = addAddr(w, 'host', 'u0', '192.168.9.1/24')
    for (const dst of ['10.1.0.0/16', '10.1.0.0/20', '10.1.0.0/24']) w = addRoute(w, 'host', { dst, type: 'unicast', table: 'main', dev: 'u0', scope: 'link', proto: 'boot' })
    w = addRoute(w, 'host', { dst: '10.1.0.0/18', type: 'blackhole', table: 'main', scope: 'global', proto: 'boot' })
    const ns = w.netns.host!
    // Checked on Linux: 10.1.0.0/24, /20, blackhole /18, /16 — the longer prefix first for one address.
    const order = ['10.1.0.0/24', '10.1.0.0/20', '10.1.0.0/18', '10.1.0.0/16', '192.168.9.0/24']
    expect(printIpRoute(ns).split('\n').filter(Boolean).map((l) => l.replace(/^blackhole /, '').split(' ')[0])).toEqual(order)
    expect(jsonIpRoute(ns).map((r) => r.dst)).toEqual(order)
    expect(jsonIpRoute(ns)[2]).toEqual({ type: 'blackhole', dst: '10.1.0.0/18', flags: [] })
    // `ip route show dev u0` leaves the device out, in text and JSON.
    expect(printIpRoute(ns, { dev: 'u0' }).split('\n')[0]).toBe('10.1.0.0/24 scope link ')
    expect(jsonIpRoute(ns, { dev: 'u0' })[0]).toEqual({ dst: '10.1.0.0/24', scope: 'link', flags: [] })
    // A veth whose peer is down: `… onlink linkdown` and `"flags":["onlink","linkdown"]`.
    let w2 = addVethPair(w, { netns: 'host', name: 'p0' }, { netns: 'pwJ-b', name: 'p1' })
    w2 = setLinkUp(w2, 'host', 'p0', true)
    w2 = addRoute(w2, 'host', { dst: '10.8.0.0/16', type: 'unicast', table: 'main', via: '10.7.0.2', dev: 'p0', onlink: true, scope: 'global', proto: 'boot' })
    expect(printIpRoute(w2.netns.host!, { w: w2 })).toContain('10.8.0.0/16 via 10.7.0.2 dev p0 onlink linkdown \n')
    expect(jsonIpRoute(w2.netns.host!, { w: w2 }).find((r) => r.dst === '10.8.0.0/16')?.flags).toEqual(['onlink', 'linkdown'])
  })

  it('a second address in the subnet of an earlier one is secondary; lo keeps its name after `scope host`', () => {
    // `ip addr add 127.0.0.2/8 dev lo; ip link set lo up` → `inet 127.0.0.1/8 scope host secondary lo`.
    let w = addAddr(base(), 'host', 'lo', '127.0.0.2/8')
    w = setLinkUp(w, 'host', 'lo', true)
    w = addAddr(w, 'host', 'lo', '127.0.0.1/8')
    const text = printIpAddr(w.netns.host!, { w })
    expect(text).toContain('    inet 127.0.0.2/8 scope host lo\n')
    expect(text).toContain('    inet 127.0.0.1/8 scope host secondary lo\n')
  })

  it('ip neigh: REACHABLE turns STALE after 30 s; `dev X` is left out when listing one device', () => {
    const n = { ip: '10.244.1.3', dev: 'eth0', mac: '7e:cc:ec:97:3d:21', state: 'REACHABLE' as const, updated: 0 }
    expect(printNeighEntry(n, { now: 10_000 })).toBe('10.244.1.3 dev eth0 lladdr 7e:cc:ec:97:3d:21 REACHABLE ')
    expect(printNeighEntry(n, { now: 31_000, dev: 'eth0' })).toBe('10.244.1.3 lladdr 7e:cc:ec:97:3d:21 STALE ')
  })
})

describe('print(import(real dump)) gives back the real lines', () => {
  // The collector bundle of node n1 (import/fixtures/captured), imported into a world and printed
  // again; the files beside it are the same commands' output captured on that node.
  const CAPTURED = new URL('../import/fixtures/captured/', import.meta.url)
  const captured = (f: string) => readFileSync(new URL(f, CAPTURED), 'utf8')
  const w = importToWorld(importDumps([{ name: 'n1.bundle.txt', text: captured('n1.bundle.txt') }]))
  const node = w.netns['pwB-node1']!

  it('ip route', () => {
    expect(printIpRoute(node, { w })).toBe(captured('n1.ip-route.txt'))
  })
  it('bridge fdb show dev flannel.1 (no `dev`, VXLAN remotes)', () => {
    expect(printBridgeFdb(node, { dev: 'flannel.1' })).toBe(captured('n1.bridge-fdb-flannel1.txt'))
  })
  it("bridge link: `@eth0` is whatever has the peer's ifindex (2) on the node", () => {
    // The importer also infers pods the dump only hints at; compare the ports the dump lists.
    const want = captured('n1.bridge-link.txt')
    const got = ['veth1a2b3c4d', 'veth5e6f7a8b'].map((dev) => printBridgeLink(node, { w, dev })).join('')
    expect(got).toBe(want)
  })
})

describe('ip route get under policy routing', () => {
  /**
   * Router r of a kernel check (Linux 6.x, pwL- namespaces): ra 10.0.1.1/24, rb 10.0.2.1/24,
   * rc 10.0.3.1/24; main: 9.9.9.9 via 10.0.2.2, 8.8.0.0/16 dev rb; table 100: 9.9.9.9 via
   * 10.0.3.2; rules 100 from 10.0.1.3 lookup 100, 101 from 10.0.1.2 to 9.9.9.9 unreachable,
   * 102 to 8.8.8.8 unreachable, 103 to 8.8.4.4 prohibit, 104 to 8.8.4.5 blackhole, 105 from
   * 10.0.2.1 lookup 100, 106 fwmark 0x7 lookup 100. Each expected line is what the kernel printed.
   */
  function router(): World {
    let w = addNetns(emptyWorld(), newNetns('r', 'plain'))
    for (const [dev, cidr] of [['ra', '10.0.1.1/24'], ['rb', '10.0.2.1/24'], ['rc', '10.0.3.1/24']] as const) {
      w = addLink(w, 'r', { kind: 'dummy', name: dev })
      w = setLinkUp(w, 'r', dev, true)
      w = addAddr(w, 'r', dev, cidr)
    }
    w = addRoute(w, 'r', { dst: '9.9.9.9', type: 'unicast', table: 'main', via: '10.0.2.2', dev: 'rb', scope: 'global', proto: 'boot' })
    w = addRoute(w, 'r', { dst: '8.8.0.0/16', type: 'unicast', table: 'main', dev: 'rb', scope: 'link', proto: 'boot' })
    w = addRoute(w, 'r', { dst: '9.9.9.9', type: 'unicast', table: 100, via: '10.0.3.2', dev: 'rc', scope: 'global', proto: 'boot' })
    const rules: RoutingRule[] = [
      { priority: 0, action: 'lookup', table: 'local' },
      { priority: 100, from: '10.0.1.3', action: 'lookup', table: 100 },
      { priority: 101, from: '10.0.1.2', to: '9.9.9.9', action: 'unreachable' },
      { priority: 102, to: '8.8.8.8', action: 'unreachable' },
      { priority: 103, to: '8.8.4.4', action: 'prohibit' },
      { priority: 104, to: '8.8.4.5', action: 'blackhole' },
      { priority: 105, from: '10.0.2.1', action: 'lookup', table: 100 },
      { priority: 106, fwmark: 7, fwmask: 0xffffffff, action: 'lookup', table: 100 },
      { priority: 32766, action: 'lookup', table: 'main' },
      { priority: 32767, action: 'lookup', table: 253 },
    ]
    return { ...w, netns: { ...w.netns, r: { ...w.netns.r!, rules } } }
  }
  const r = router().netns.r!
  const cases: [string, string, FlowKey, string][] = [
    ['one lookup, no source yet: main', '9.9.9.9', {}, '9.9.9.9 via 10.0.2.2 dev rb src 10.0.2.1 uid 0 \n    cache \n'],
    ['from 10.0.2.1: rule 105, table 100', '9.9.9.9', { src: '10.0.2.1' }, '9.9.9.9 from 10.0.2.1 via 10.0.3.2 dev rc table 100 uid 0 \n    cache \n'],
    ['forwarded from 10.0.1.3', '9.9.9.9', { src: '10.0.1.3', iif: 'ra' }, '9.9.9.9 from 10.0.1.3 via 10.0.3.2 dev rc table 100 \n    cache iif ra \n'],
    ['mark 7: table 100, its source', '9.9.9.9', { mark: 7 }, '9.9.9.9 via 10.0.3.2 dev rc table 100 src 10.0.3.1 mark 7 uid 0 \n    cache \n'],
    ['unreachable rule', '8.8.8.8', {}, 'RTNETLINK answers: Network is unreachable\n'],
    ['prohibit rule', '8.8.4.4', {}, 'RTNETLINK answers: Permission denied\n'],
    ['blackhole rule', '8.8.4.5', {}, 'RTNETLINK answers: Invalid argument\n'],
    ['unreachable rule, forwarded', '9.9.9.9', { src: '10.0.1.2', iif: 'ra' }, 'RTNETLINK answers: Network is unreachable\n'],
    ['local, forwarded lookup', '10.0.2.1', { src: '10.0.1.2', iif: 'ra' }, 'local 10.0.2.1 from 10.0.1.2 dev lo table local \n    cache <local> iif ra \n'],
    ['local, output lookup', '10.0.2.1', {}, 'local 10.0.2.1 dev lo table local src 10.0.2.1 uid 0 \n    cache <local> \n'],
    ['oif with no route through it: assumed on-link', '9.9.9.9', { oif: 'rc' }, '9.9.9.9 dev rc src 10.0.3.1 uid 0 \n    cache \n'],
  ]
  it.each(cases)('%s', (_name, dst, flow, want) => {
    expect(printRouteGet(r, dst, flow)).toBe(want)
  })

  it('without policy rules the local table is merged into main (no `table local`), src the primary address', () => {
    // Kernel, netns a (eth0 10.0.1.2/24 then 10.0.1.3/24): `local 10.0.1.3 dev lo src 10.0.1.2 uid 0`.
    let w = addNetns(emptyWorld(), newNetns('a', 'plain'))
    w = addLink(w, 'a', { kind: 'dummy', name: 'eth0' })
    w = setLinkUp(w, 'a', 'eth0', true)
    w = addAddr(w, 'a', 'eth0', '10.0.1.2/24')
    w = addAddr(w, 'a', 'eth0', '10.0.1.3/24')
    expect(printRouteGet(w.netns.a!, '10.0.1.3')).toBe('local 10.0.1.3 dev lo src 10.0.1.2 uid 0 \n    cache <local> \n')
  })
})
