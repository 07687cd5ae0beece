/**
 * The neighbour table (resolution and ARP learning live in simulate.ts: resolveNeigh and
 * processArp; `ip neigh` entries come from model/ops.ts). Traced on the two-pod bridge world:
 * pod-a 10.244.1.2 and pod-b 10.244.1.3 on cni0. Expected values follow arp_process and
 * neigh_update; where a comment says "Kernel:", Linux 6.x showed it in a throwaway netns.
 */
import { describe, expect, it } from 'vitest'
import { simulate } from './simulate.ts'
import { bridgeWorld, vxlanWorld } from './testWorlds.ts'
import { addAddr, putNeigh, setLinkUp } from '../model/ops.ts'
import type { NeighEntry, World } from '../model/types.ts'
import type { TraceStep } from './trace.ts'

const POD_A_MAC = '02:00:00:00:0a:02'
const POD_B_MAC = '02:00:00:00:0b:03'

function ping(w: World, to: string, now = 1000) {
  return simulate(w, { from: 'pod-a', to, proto: 'icmp' }, { seed: 1, now })
}

const neigh = (w: World, netns: string, ip: string): NeighEntry | undefined => w.netns[netns]!.neigh.find((e) => e.ip === ip && e.dev === 'eth0')
const arpRequests = (steps: readonly TraceStep[], netns: string) => steps.filter((s) => s.kind === 'arp-request' && s.netns === netns).length

describe('resolution', () => {
  it('no entry: ARP who-has, the answer is learned REACHABLE', () => {
    const r = ping(bridgeWorld(), '10.244.1.3')
    // One broadcast request from pod-a for pod-b.
    expect(arpRequests(r.steps, 'pod-a')).toBe(1)
    // arp_process on a reply for us: neigh_update(…, NUD_REACHABLE).
    expect(neigh(r.world, 'pod-a', '10.244.1.3')).toMatchObject({ mac: POD_B_MAC, state: 'REACHABLE' })
  })

  it('the asked host records the asker STALE (neigh_event_ns), so its reply needs no ARP', () => {
    const r = ping(bridgeWorld(), '10.244.1.3')
    expect(neigh(r.world, 'pod-b', '10.244.1.2')).toMatchObject({ mac: POD_A_MAC, state: 'STALE' })
    expect(arpRequests(r.steps, 'pod-b')).toBe(0)
  })

  const entries: { name: string; entry: Omit<NeighEntry, 'ip' | 'dev'>; arp: number }[] = [
    // `ip neigh add … nud permanent`: used as is, never probed.
    { name: 'PERMANENT is used without ARP', entry: { mac: POD_B_MAC, state: 'PERMANENT' }, arp: 0 },
    // A STALE entry is used at once (the entry goes DELAY, then unicast probes): no broadcast request first.
    { name: 'STALE is used without a broadcast request', entry: { mac: POD_B_MAC, state: 'STALE', updated: 0 }, arp: 0 },
    { name: 'REACHABLE is used without ARP', entry: { mac: POD_B_MAC, state: 'REACHABLE', updated: 900 }, arp: 0 },
    // FAILED: the next packet starts resolution again (neigh_event_send from NUD_FAILED → INCOMPLETE).
    { name: 'FAILED resolves again', entry: { state: 'FAILED', updated: 0 }, arp: 1 },
    { name: 'INCOMPLETE has no address to use: ARP', entry: { state: 'INCOMPLETE', updated: 0 }, arp: 1 },
  ]
  for (const t of entries) {
    it(t.name, () => {
      const w = putNeigh(bridgeWorld(), 'pod-a', { ip: '10.244.1.3', dev: 'eth0', ...t.entry })
      const r = ping(w, '10.244.1.3')
      expect(arpRequests(r.steps, 'pod-a')).toBe(t.arp)
      expect(r.outcome.verdict).toBe('delivered')
    })
  }

  it('the second packet finds the learned entry', () => {
    const first = ping(bridgeWorld(), '10.244.1.3', 0)
    const second = ping(first.world, '10.244.1.3', 1000)
    expect(arpRequests(second.steps, 'pod-a')).toBe(0)
    expect(second.steps.find((s) => s.kind === 'neigh-hit' && s.netns === 'pod-a')?.ref).toMatchObject({ table: 'neigh', entry: { mac: POD_B_MAC } })
  })

  it('nobody answers: the entry goes FAILED and the packet is dropped for want of a neighbour', () => {
    // 10.244.1.99 is on-link (cni0's /24) but no netns owns it: `ip neigh` then shows FAILED.
    const r = ping(bridgeWorld(), '10.244.1.99')
    expect(r.outcome.verdict).toBe('dropped')
    expect(r.outcome.dropReason).toMatch(/no neighbour: 10.244.1.99 did not answer ARP on eth0/)
    expect(neigh(r.world, 'pod-a', '10.244.1.99')?.state).toBe('FAILED')
  })

  it("the request's sender address is the packet's own source when that is local, on any device (arp_announce 0)", () => {
    // Kernel: ping -I 192.168.9.9 (an address on lo) from A to B over a veth: B's table then
    // holds `192.168.9.9 … STALE` — the ARP request said 192.168.9.9, not A's veth address.
    const w = addAddr(bridgeWorld(), 'pod-a', 'lo', '192.168.9.9/32')
    const r = simulate(w, { from: '192.168.9.9', to: '10.244.1.3', proto: 'icmp', roundTrip: false }, { seed: 1, now: 1000 })
    const asked = r.steps.filter((s) => s.kind === 'arp-request' && s.netns === 'pod-a').map((s) => s.packet.headers[1])
    expect(asked).toMatchObject([{ kind: 'arp', senderIp: '192.168.9.9', targetIp: '10.244.1.3' }])
    expect(neigh(r.world, 'pod-b', '192.168.9.9')).toMatchObject({ mac: POD_A_MAC, state: 'STALE' })
    // Without it the address comes from the device (inet_select_addr, scope link): pod-a's eth0.
    const plain = ping(bridgeWorld(), '10.244.1.3').steps.filter((s) => s.kind === 'arp-request' && s.netns === 'pod-a').map((s) => s.packet.headers[1])
    expect(plain).toMatchObject([{ kind: 'arp', senderIp: '10.244.1.2' }])
  })

  it('a gateway route resolves the gateway, not the destination', () => {
    // pod-a → 10.244.2.5 goes `default via 10.244.1.1`: pod-a asks for 10.244.1.1 (cni0).
    const r = simulate(vxlanWorld(), { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' }, { seed: 1, now: 1000 })
    const asked = r.steps.filter((s) => s.kind === 'arp-request' && s.netns === 'node1-pod').map((s) => s.packet.headers[1])
    expect(asked).toMatchObject([{ kind: 'arp', targetIp: '10.244.1.1' }])
    // flannel's VTEP address is a permanent entry on flannel.1: no ARP across the tunnel.
    expect(r.steps.some((s) => s.kind === 'arp-request' && s.dev === 'flannel.1')).toBe(false)
  })
})

describe('learning from ARP', () => {
  it('a REACHABLE entry is trusted as it is, even with a wrong MAC', () => {
    // While REACHABLE the kernel sends straight to the cached MAC: no ARP that could correct it.
    const w = putNeigh(bridgeWorld(), 'pod-a', { ip: '10.244.1.3', dev: 'eth0', mac: '02:00:00:00:99:99', state: 'REACHABLE', updated: 1000 })
    const r = ping(w, '10.244.1.3', 1500)
    expect(neigh(r.world, 'pod-a', '10.244.1.3')?.mac).toBe('02:00:00:00:99:99')
  })

  // Kernel: `ip neigh add 10.66.0.1 lladdr 02:…:99 nud permanent` in y, then x (10.66.0.1) pings y:
  // y still showed `10.66.0.1 lladdr 02:00:00:00:00:99 PERMANENT` (neigh_update refuses to change
  // a PERMANENT entry without NEIGH_UPDATE_F_ADMIN), and the ping failed (the reply went to :99).
  it('an ARP request does not overwrite a PERMANENT entry for the asker', () => {
    const w = putNeigh(bridgeWorld(), 'pod-b', { ip: '10.244.1.2', dev: 'eth0', mac: '02:00:00:00:00:99', state: 'PERMANENT' })
    const r = ping(w, '10.244.1.3')
    expect(neigh(r.world, 'pod-b', '10.244.1.2')).toMatchObject({ mac: '02:00:00:00:00:99', state: 'PERMANENT' })
  })

  // Kernel: `ip link set va down` removed both the STALE and the PERMANENT entry on va
  // (arp_ifdown → neigh_ifdown flushes the device's entries, permanent ones included).
  it('a link going down flushes its neighbours, permanent ones too', () => {
    let w = putNeigh(bridgeWorld(), 'pod-a', { ip: '10.244.1.3', dev: 'eth0', mac: POD_B_MAC, state: 'PERMANENT' })
    w = setLinkUp(w, 'pod-a', 'eth0', false)
    expect(neigh(w, 'pod-a', '10.244.1.3')).toBeUndefined()
  })

  it('a link going down flushes its dynamic neighbours', () => {
    let w = putNeigh(bridgeWorld(), 'pod-a', { ip: '10.244.1.3', dev: 'eth0', mac: POD_B_MAC, state: 'STALE' })
    w = setLinkUp(w, 'pod-a', 'eth0', false)
    expect(neigh(w, 'pod-a', '10.244.1.3')).toBeUndefined()
  })
})
