import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { addAddr, addLink, addNetns, addRoute, addVethPair, emptyWorld, newNetns, putFdb, putNeigh, setLinkMtu, setLinkUp, setMaster } from '../model/ops.ts'
import { printBridgeFdb, printIpAddr, printIpLink, printIpRoute, printRouteGet, jsonIpRoute } from './iproute2.ts'

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
