/**
 * The VXLAN device FDB against the kernel's vxlan_xmit (destination lookup) and vxlan_snoop
 * (learning). The learning and head-end replication cases were checked on Linux 6.x: two
 * netns joined by a veth underlay, `vxlan id 42 dstport 4789`, `bridge fdb show dev vx0`.
 */
import { describe, expect, it } from 'vitest'
import { addLink, addNetns, emptyWorld, newNetns, putFdb } from '../model/ops.ts'
import type { FdbEntry, Netns, VxlanLink, World } from '../model/types.ts'
import { ZERO_MAC } from '../wire/addr.ts'
import { decapsulate, encapsulate, learnVxlanFdb, lookupVxlanFdb } from './vxlan.ts'
import type { Packet } from '../wire/packet.ts'

const OWN = '02:00:00:00:f1:01'
const B = '02:00:00:00:f2:02'
const C = '02:00:00:00:f3:03'

/** A node netns with vxlan0 (VNI 42) and `entries` added with `bridge fdb append` (so one MAC may have several remotes). */
function node(entries: readonly FdbEntry[] = [], dev: Partial<VxlanLink> = {}): { ns: Netns; vx: VxlanLink } {
  let w: World = addNetns(emptyWorld(), newNetns('n', 'host'))
  w = addLink(w, 'n', { kind: 'vxlan', name: 'vxlan0', vni: 42, dstport: 4789, learning: false, mac: OWN, ...dev })
  w = addLink(w, 'n', { kind: 'vxlan', name: 'vxlan1', vni: 43, dstport: 4789, learning: false })
  for (const e of entries) w = putFdb(w, 'n', e, 'append')
  const ns = w.netns.n!
  return { ns, vx: ns.links.find((l) => l.name === 'vxlan0') as VxlanLink }
}

const to = (mac: string, dst: string, extra: Partial<FdbEntry> = {}): FdbEntry => ({ mac, dev: 'vxlan0', dst, self: true, permanent: true, ...extra })
const remotes = (r: { entries: FdbEntry[] }) => r.entries.map((e) => e.dst)

describe('lookupVxlanFdb', () => {
  const table: { name: string; fdb: FdbEntry[]; dev?: Partial<VxlanLink>; dst: string; remotes: string[]; defaulted: boolean }[] = [
    // flannel: one permanent entry per remote VTEP MAC; an exact hit goes to that node only.
    { name: 'exact MAC → its VTEP', fdb: [to(B, '192.168.1.20'), to(C, '192.168.1.30'), to(ZERO_MAC, '192.168.1.99')], dst: B, remotes: ['192.168.1.20'], defaulted: false },
    // vxlan_xmit looks up the exact MAC first: the all-zeros entry is only the fallback.
    { name: 'an exact hit wins over the all-zeros default', fdb: [to(ZERO_MAC, '192.168.1.99'), to(C, '192.168.1.30')], dst: C, remotes: ['192.168.1.30'], defaulted: false },
    // Unknown unicast: f == NULL → the all-zeros entry.
    { name: 'unknown MAC → the all-zeros default', fdb: [to(B, '192.168.1.20'), to(ZERO_MAC, '192.168.1.99')], dst: C, remotes: ['192.168.1.99'], defaulted: true },
    // Broadcast has no entry of its own either: ARP requests follow the default.
    { name: 'broadcast → the all-zeros default', fdb: [to(ZERO_MAC, '192.168.1.99')], dst: 'ff:ff:ff:ff:ff:ff', remotes: ['192.168.1.99'], defaulted: true },
    // Head-end replication: `bridge fdb append 00:00:00:00:00:00 … dst` twice → one copy per remote
    // (checked: one ARP request left the underlay twice, once per dst).
    { name: 'several all-zeros entries: head-end replication to each', fdb: [to(ZERO_MAC, '192.168.1.20'), to(ZERO_MAC, '192.168.1.30')], dst: 'ff:ff:ff:ff:ff:ff', remotes: ['192.168.1.20', '192.168.1.30'], defaulted: true },
    // An appended unicast MAC has a remote list too: every copy is sent.
    { name: 'an exact MAC with two remotes: both', fdb: [to(B, '192.168.1.20'), to(B, '192.168.1.21')], dst: B, remotes: ['192.168.1.20', '192.168.1.21'], defaulted: false },
    // No entry, no default: vxlan_xmit drops (tx_dropped), nothing is sent.
    { name: 'miss without a default: no remote', fdb: [to(B, '192.168.1.20')], dst: C, remotes: [], defaulted: false },
    // `ip link add … type vxlan remote IP` makes the default entry itself.
    { name: 'miss on a device with `remote`: the remote', fdb: [], dev: { remote: '192.168.1.50' }, dst: C, remotes: ['192.168.1.50'], defaulted: true },
    // Entries of another VXLAN device are not this device's.
    { name: 'another device’s entries are ignored', fdb: [to(C, '192.168.1.30', { dev: 'vxlan1' })], dst: C, remotes: [], defaulted: false },
  ]
  for (const t of table) {
    it(t.name, () => {
      const { ns, vx } = node(t.fdb, t.dev ?? {})
      const r = lookupVxlanFdb(ns, vx, t.dst)
      expect(remotes(r)).toEqual(t.remotes)
      expect(r.defaulted).toBe(t.defaulted)
    })
  }
})

describe('learned entries age out', () => {
  // vxlan_cleanup: a learned (dynamic) entry is removed `ageing` seconds (default 300) after it
  // was last used to learn; permanent ones stay. Then the all-zeros default applies again.
  const fdb = [to(B, '192.168.1.20', { permanent: false, updated: 1000 }), to(ZERO_MAC, '192.168.1.99')]
  it.each([
    [1000 + 299_999, ['192.168.1.20'], 'still live 1 ms before 300 s'],
    [1000 + 300_000, ['192.168.1.99'], 'gone at 300 s: the default'],
  ])('at %d ms: %j (%s)', (now, want) => {
    const { ns, vx } = node(fdb)
    expect(remotes(lookupVxlanFdb(ns, vx, B, now))).toEqual(want)
  })
  it('a device with a shorter `ageing` forgets sooner', () => {
    const { ns, vx } = node(fdb, { ageing: 10 })
    expect(remotes(lookupVxlanFdb(ns, vx, B, 1000 + 10_000))).toEqual(['192.168.1.99'])
  })
})

describe('learnVxlanFdb', () => {
  const learning = { learning: true }
  const dynamic = (mac: string, dst: string, updated: number) => to(mac, dst, { permanent: false, updated })
  const table: { name: string; fdb?: FdbEntry[]; dev?: Partial<VxlanLink>; mac: string; remote: string; now?: number; want: object }[] = [
    // Checked: after B pinged A, A showed `B dst 192.168.77.2 self` (dynamic, no `permanent`).
    { name: 'learning: an unknown source is learned behind the sender', dev: learning, mac: B, remote: '192.168.1.20', want: { kind: 'learn', entry: { mac: B, dev: 'vxlan0', dst: '192.168.1.20', permanent: false, updated: 1000 } } },
    // flannel sets nolearning: nothing is written.
    { name: 'nolearning: nothing is learned', mac: B, remote: '192.168.1.20', want: { kind: 'none' } },
    // The MAC moved to another node: the entry's remote follows it.
    { name: 'a learned MAC from a new VTEP moves there', dev: learning, fdb: [dynamic(B, '192.168.1.20', 0)], mac: B, remote: '192.168.1.21', want: { kind: 'learn', entry: { dst: '192.168.1.21', updated: 1000 } } },
    // Same VTEP again: the entry is refreshed so it does not age while traffic flows.
    { name: 'the same VTEP again refreshes the entry', dev: learning, fdb: [dynamic(B, '192.168.1.20', 0)], mac: B, remote: '192.168.1.20', want: { kind: 'learn', entry: { dst: '192.168.1.20', updated: 1000 } } },
    { name: 'the same VTEP at the same instant changes nothing', dev: learning, fdb: [dynamic(B, '192.168.1.20', 1000)], mac: B, remote: '192.168.1.20', want: { kind: 'none' } },
    // Checked: a permanent entry for B to 192.168.77.9 while B's frames came from .2: A never saw them (no neighbour entry, no rx).
    { name: 'a permanent entry elsewhere is not migrated: dropped', dev: learning, fdb: [to(B, '192.168.1.99')], mac: B, remote: '192.168.1.20', want: { kind: 'drop', entry: { dst: '192.168.1.99' } } },
    // The same with nolearning: vxlan_snoop is not called, the frame is accepted (checked: neighbour STALE appeared).
    { name: 'nolearning accepts frames whatever the entries say', fdb: [to(B, '192.168.1.99')], mac: B, remote: '192.168.1.20', want: { kind: 'none' } },
    { name: 'a permanent entry to the same VTEP: accepted, unchanged', dev: learning, fdb: [to(B, '192.168.1.20')], mac: B, remote: '192.168.1.20', want: { kind: 'none' } },
    // vxlan_set_mac: "Ignore packet loops (and multicast echo)", learning or not.
    { name: 'its own MAC coming back is a loop: dropped', mac: OWN, remote: '192.168.1.20', want: { kind: 'drop' } },
    { name: 'a multicast source is never learned', dev: learning, mac: '01:00:5e:00:00:01', remote: '192.168.1.20', want: { kind: 'none' } },
  ]
  for (const t of table) {
    it(t.name, () => {
      const { ns, vx } = node(t.fdb ?? [], t.dev ?? {})
      expect(learnVxlanFdb(ns, vx, t.mac, t.remote, t.now ?? 1000)).toMatchObject(t.want)
    })
  }
})

describe('encapsulate / decapsulate', () => {
  const inner: Packet = {
    headers: [
      { kind: 'eth', src: B, dst: C, type: 'ipv4' },
      { kind: 'ipv4', src: '10.244.1.5', dst: '10.244.2.5', ttl: 63, df: true, id: 1, proto: 'icmp', length: 84 },
      { kind: 'icmp', type: 8, code: 0, id: 1, seq: 1 },
    ],
  }

  it('outer IPv4/UDP/VXLAN wraps the whole inner frame, and decapsulation gives it back', () => {
    const outer = encapsulate(inner, { src: '192.168.1.10', dst: '192.168.1.20', sport: 40000, dport: 4789, vni: 42, id: 7 })
    expect(outer.headers.slice(0, 3).map((h) => h.kind)).toEqual(['ipv4', 'udp', 'vxlan'])
    // RFC 7348: outer IP = 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 + inner IP 84 = 134 (the 50-byte overhead of VXLAN over IPv4).
    expect(outer.headers[0]).toMatchObject({ length: 134, src: '192.168.1.10', dst: '192.168.1.20' })
    expect(decapsulate(outer)).toEqual(inner)
  })
})
