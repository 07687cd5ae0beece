/**
 * The world operations against what the kernel did when asked the same (each case was run
 * on Linux 6.18 with iproute2 6.1 in throwaway namespaces; the comment says what it printed).
 */
import { describe, expect, it } from 'vitest'
import { NetError, addAddr, addLink, addNetns, addRoute, addVethPair, delAddr, delNetns, emptyWorld, moveLink, newNetns, putFdb, setLinkUp, setMaster } from './ops.ts'
import type { World } from './types.ts'

/** A root netns `host` and a named netns `b`, both with only lo (ifindex 1). */
function world(): World {
  let w = emptyWorld()
  w = addNetns(w, newNetns('host', 'host', { loUp: false }))
  w = addNetns(w, newNetns('b', 'plain', { loUp: false }))
  return w
}

const ifindexes = (w: World, ns: string) => Object.fromEntries(w.netns[ns]!.links.map((l) => [l.name, l.ifindex]))

/** The error an operation throws (it must throw one). */
function refusal(f: () => unknown): NetError {
  try {
    f()
  } catch (e) {
    if (e instanceof NetError) return e
    throw e
  }
  throw new Error('expected a NetError')
}

describe('ifindexes', () => {
  it('a veth pair made in one netns: the peer is registered first and gets the lower index', () => {
    // `ip link add v0 type veth peer name v1` printed 4: v1@v0 and 5: v0@v1 (2 and 3 were taken there).
    const w = addVethPair(world(), { netns: 'host', name: 'v0' }, { netns: 'host', name: 'v1' })
    expect(ifindexes(w, 'host')).toEqual({ lo: 1, v1: 2, v0: 3 })
  })

  it('a pair across netns: each end numbered in its own netns', () => {
    // `ip link add veth1 type veth peer name eth0 netns b` → veth1 is 2 in the root, eth0 is 2 in b.
    const w = addVethPair(world(), { netns: 'host', name: 'veth1' }, { netns: 'b', name: 'eth0' })
    expect([ifindexes(w, 'host').veth1, ifindexes(w, 'b').eth0]).toEqual([2, 2])
  })

  it('a moved link keeps its index when it is free there; new links there still count from the netns counter', () => {
    // x1 (8) moved into b (lo 1, eth0 2) stays 8; then `ip link add y0 type veth peer name y1` in b → y1 3, y0 4.
    let w = addLink(world(), 'host', { kind: 'veth', name: 'x1', ifindex: 8 })
    w = addVethPair(w, { netns: 'host', name: 'veth1' }, { netns: 'b', name: 'eth0' })
    w = moveLink(w, 'host', 'x1', 'b')
    w = addVethPair(w, { netns: 'b', name: 'y0' }, { netns: 'b', name: 'y1' })
    expect(ifindexes(w, 'b')).toEqual({ lo: 1, eth0: 2, x1: 8, y1: 3, y0: 4 })
  })

  it('a moved link whose index is taken there gets the next free one', () => {
    // eth0-b (3 in the root) moved into b where 2 is eth0 and 3 is taken by another link.
    let w = addVethPair(world(), { netns: 'host', name: 'veth-a' }, { netns: 'b', name: 'eth0' })
    w = addLink(w, 'b', { kind: 'veth', name: 'other' })
    w = addVethPair(w, { netns: 'host', name: 'veth-b' }, { netns: 'host', name: 'eth0-b' })
    expect(ifindexes(w, 'host')['eth0-b']).toBe(3)
    w = moveLink(w, 'host', 'eth0-b', 'b')
    expect(ifindexes(w, 'b')['eth0-b']).toBe(4)
    expect(w.netns.b!.links.find((l) => l.name === 'eth0-b')).toMatchObject({ up: false, addrs: [] })
  })

  it('bridges and lo cannot move: "Error: The interface netns is immutable."', () => {
    const w = addLink(world(), 'host', { kind: 'bridge', name: 'br0', ageingTime: 300 })
    expect(refusal(() => moveLink(w, 'host', 'br0', 'b')).message).toBe('Error: The interface netns is immutable.')
    expect(refusal(() => moveLink(w, 'host', 'lo', 'b')).message).toBe('Error: The interface netns is immutable.')
  })
})

describe('addresses', () => {
  const withDev = () => addLink(world(), 'host', { kind: 'bridge', name: 'd1', ageingTime: 300 })

  it.each([
    // `ip addr add 10.1.1.1/24 dev d1` twice → "Error: ipv4: Address already assigned." (exit 2)
    ['10.1.1.1/24', 'Error: ipv4: Address already assigned.'],
    // the same IP with another mask is another address (exit 0)
    ['10.1.1.1/16', undefined],
  ])('adding %s after 10.1.1.1/24', (cidr, message) => {
    const w = addAddr(withDev(), 'host', 'd1', '10.1.1.1/24')
    if (message === undefined) expect(addAddr(w, 'host', 'd1', cidr).netns.host!.links.find((l) => l.name === 'd1')!.addrs).toHaveLength(2)
    else expect(refusal(() => addAddr(w, 'host', 'd1', cidr)).message).toBe(message)
  })

  it.each([
    // `ip addr del 10.9.9.9/24 dev d1` → "Error: ipv4: Address not found." (exit 2)
    ['10.9.9.9/24', 'Error: ipv4: Address not found.'],
    // the prefix length must match when given
    ['10.1.1.1/16', 'Error: ipv4: Address not found.'],
    // without one, the first address with that IP goes (iproute2's wildcard deletion)
    ['10.1.1.1', undefined],
    ['10.1.1.1/24', undefined],
  ])('deleting %s when d1 has 10.1.1.1/24', (cidr, message) => {
    const w = addAddr(withDev(), 'host', 'd1', '10.1.1.1/24')
    if (message === undefined) expect(delAddr(w, 'host', 'd1', cidr).netns.host!.links.find((l) => l.name === 'd1')!.addrs).toEqual([])
    else expect(refusal(() => delAddr(w, 'host', 'd1', cidr)).message).toBe(message)
  })
})

describe('namespaces', () => {
  it.each([
    // `ip netns del pwJ-nope` → exit 1
    ['nope', 'Cannot remove namespace file "/run/netns/nope": No such file or directory'],
    // the machine's root netns has no /run/netns file
    ['host', 'Cannot remove namespace file "/run/netns/host": No such file or directory'],
  ])('deleting %s', (name, message) => {
    expect(refusal(() => delNetns(world(), name)).message).toBe(message)
  })

  it('deleting a named netns takes its veths and their peers', () => {
    const w = delNetns(addVethPair(world(), { netns: 'host', name: 'veth1' }, { netns: 'b', name: 'eth0' }), 'b')
    expect(Object.keys(w.netns)).toEqual(['host'])
    expect(ifindexes(w, 'host')).toEqual({ lo: 1 })
  })
})

describe('bridge ports', () => {
  const bridged = () => {
    let w = addLink(world(), 'host', { kind: 'bridge', name: 'br0', ageingTime: 300 })
    w = addVethPair(w, { netns: 'host', name: 'p0' }, { netns: 'host', name: 'p1' })
    w = setMaster(w, 'host', 'p0', 'br0')
    return putFdb(w, 'host', { mac: '02:00:00:00:00:07', dev: 'p0', master: 'br0', permanent: true })
  }

  it('a master that is not a bridge refuses the port, which has already left its bridge', () => {
    // `ip link set p0 master p1` → "RTNETLINK answers: Operation not supported" (exit 2), and p0 has no master after.
    const e = refusal(() => setMaster(bridged(), 'host', 'p0', 'p1'))
    expect(e.message).toBe('RTNETLINK answers: Operation not supported')
    const after = e.partial!.netns.host!
    expect(after.links.find((l) => l.name === 'p0')!.master).toBeUndefined()
    // br_del_if flushes the port's entries from the bridge (`bridge fdb show br br0` no longer lists them).
    expect(after.fdb.filter((f) => f.dev === 'p0')).toEqual([])
  })

  it('without an old bridge the refusal changes nothing', () => {
    const w = addVethPair(world(), { netns: 'host', name: 'p0' }, { netns: 'host', name: 'p1' })
    expect(refusal(() => setMaster(w, 'host', 'p0', 'p1')).partial).toBeUndefined()
  })

  it.each([
    // `ip link set br0 master br0` → "Error: Can not enslave a bridge to a bridge." (exit 2)
    ['br0', 'Error: Can not enslave a bridge to a bridge.'],
    // `ip link set lo master br0` → "RTNETLINK answers: Invalid argument" (exit 2)
    ['lo', 'RTNETLINK answers: Invalid argument'],
  ])('%s cannot be a port', (dev, message) => {
    expect(refusal(() => setMaster(bridged(), 'host', dev, 'br0')).message).toBe(message)
  })

  it('nomaster flushes the port from the bridge FDB', () => {
    const w = setMaster(bridged(), 'host', 'p0', undefined)
    expect(w.netns.host!.fdb).toEqual([])
  })
})

describe('VXLAN FDB', () => {
  const vx = () => {
    let w = addLink(world(), 'host', { kind: 'vxlan', name: 'vx0', vni: 42, dstport: 4789, learning: false })
    w = putFdb(w, 'host', { mac: '00:00:00:00:00:00', dev: 'vx0', dst: '192.168.9.2', self: true, permanent: true }, 'append')
    return w
  }

  it('appending a remote the entry already has is accepted and changes nothing', () => {
    // `bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.168.9.2` twice → exit 0 both times, one entry.
    const w = vx()
    expect(putFdb(w, 'host', { mac: '00:00:00:00:00:00', dev: 'vx0', dst: '192.168.9.2', self: true, permanent: true }, 'append')).toBe(w)
  })

  it('appending another remote adds to the flood list; `add` of an existing MAC is refused', () => {
    const w = putFdb(vx(), 'host', { mac: '00:00:00:00:00:00', dev: 'vx0', dst: '192.168.9.3', self: true, permanent: true }, 'append')
    expect(w.netns.host!.fdb.map((f) => f.dst)).toEqual(['192.168.9.2', '192.168.9.3'])
    // `bridge fdb add 00:00:00:00:00:00 dev vx0 dst 192.168.9.3` → "RTNETLINK answers: File exists" (exit 255)
    expect(refusal(() => putFdb(w, 'host', { mac: '00:00:00:00:00:00', dev: 'vx0', dst: '192.168.9.4', self: true, permanent: true }, 'add')).message).toBe('RTNETLINK answers: File exists')
  })
})

describe('routes', () => {
  it('a gateway without a device takes the device of the connected route that holds it', () => {
    // `ip route add 10.0.0.0/8 via 192.168.9.2` → `10.0.0.0/8 via 192.168.9.2 dev u0`.
    let w = addLink(world(), 'host', { kind: 'veth', name: 'u0' })
    w = setLinkUp(w, 'host', 'u0', true)
    w = addAddr(w, 'host', 'u0', '192.168.9.1/24')
    w = addRoute(w, 'host', { dst: '10.0.0.0/8', type: 'unicast', table: 'main', via: '192.168.9.2', scope: 'global', proto: 'boot' })
    expect(w.netns.host!.routes.find((r) => r.dst === '10.0.0.0/8')?.dev).toBe('u0')
    // A gateway no connected route holds: "Error: Nexthop has invalid gateway."
    expect(refusal(() => addRoute(w, 'host', { dst: '10.9.0.0/16', type: 'unicast', table: 'main', via: '10.9.9.9', scope: 'global', proto: 'boot' })).message).toBe('Error: Nexthop has invalid gateway.')
  })
})
