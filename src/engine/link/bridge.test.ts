/**
 * The bridge FDB against the kernel's br_fdb / br_handle_frame_finish. The learning and
 * local-entry cases were checked on Linux 6.x (bridge br0, veth ports p1 p2, `bridge fdb show`).
 */
import { describe, expect, it } from 'vitest'
import { addLink, addNetns, emptyWorld, newNetns, putFdb, setLinkFlag, setLinkUp, setMaster } from '../model/ops.ts'
import type { BridgeLink, FdbEntry, Netns, World } from '../model/types.ts'
import { decideBridge, learnFdb, lookupFdb } from './bridge.ts'

const BR_MAC = '02:00:00:00:00:b0'
const P1_MAC = '02:00:00:00:00:01'
const A = '02:00:00:00:aa:01'
const B = '02:00:00:00:bb:02'

/** Bridge br0 (ageing `ageing` s) with up ports p1 p2 p3, then `fdb` entries and port tweaks. */
function bridge(opts: { ageing?: number; fdb?: readonly FdbEntry[]; down?: string; hairpin?: string } = {}): { ns: Netns; br: BridgeLink } {
  let w: World = addNetns(emptyWorld(), newNetns('n', 'plain'))
  w = addLink(w, 'n', { kind: 'bridge', name: 'br0', ageingTime: opts.ageing ?? 300, mac: BR_MAC })
  w = setLinkUp(w, 'n', 'br0', true)
  for (const [i, p] of ['p1', 'p2', 'p3'].entries()) {
    w = addLink(w, 'n', { kind: 'dummy', name: p, mac: `02:00:00:00:00:0${i + 1}` })
    w = setMaster(w, 'n', p, 'br0')
    if (p !== opts.down) w = setLinkUp(w, 'n', p, true)
  }
  if (opts.hairpin) w = setLinkFlag(w, 'n', opts.hairpin, { hairpin: true })
  for (const e of opts.fdb ?? []) w = putFdb(w, 'n', e)
  const ns = w.netns.n!
  return { ns, br: ns.links.find((l) => l.name === 'br0') as BridgeLink }
}

const learned = (mac: string, dev: string, updated: number): FdbEntry => ({ mac, dev, master: 'br0', permanent: false, updated })

describe('learnFdb', () => {
  const table: { name: string; fdb?: FdbEntry[]; mac: string; port: string; now: number; want: Partial<FdbEntry> | undefined }[] = [
    // A frame from A on p1: br_fdb_update creates a dynamic entry A → p1.
    { name: 'a new source is learned on its port', mac: A, port: 'p1', now: 5000, want: { mac: A, dev: 'p1', permanent: false, updated: 5000 } },
    // Seen again on p1 later: the entry is refreshed (fdb->updated = now), which is what keeps it from ageing.
    { name: 'the same port later refreshes the entry', fdb: [learned(A, 'p1', 1000)], mac: A, port: 'p1', now: 9000, want: { dev: 'p1', updated: 9000 } },
    // Same port, same instant: `now != fdb->updated` is false, nothing is written.
    { name: 'the same port at the same instant changes nothing', fdb: [learned(A, 'p1', 9000)], mac: A, port: 'p1', now: 9000, want: undefined },
    // A moved (VM migration, a pod's MAC reused): the entry follows the frame to p2.
    { name: 'a MAC seen on another port moves there', fdb: [learned(A, 'p1', 1000)], mac: A, port: 'p2', now: 2000, want: { dev: 'p2', updated: 2000 } },
    // p1's own MAC is a local entry: the kernel warns "received packet with own address as source address" and keeps it.
    { name: 'a local entry is never overwritten', mac: P1_MAC, port: 'p2', now: 1000, want: undefined },
    // `bridge fdb replace A dev p1 master static`, then A talks on p2: `bridge fdb show` printed `A dev p2 master br0 static`.
    { name: 'a static entry moves and stays static', fdb: [{ mac: A, dev: 'p1', master: 'br0', permanent: true }], mac: A, port: 'p2', now: 3000, want: { dev: 'p2', permanent: true } },
    { name: 'a static entry seen on its own port changes nothing', fdb: [{ mac: A, dev: 'p1', master: 'br0', permanent: true }], mac: A, port: 'p1', now: 3000, want: undefined },
    // br_handle_frame drops frames with a multicast source before learning (is_valid_ether_addr).
    { name: 'a multicast source is never learned', mac: '01:00:5e:00:00:01', port: 'p1', now: 1000, want: undefined },
  ]
  for (const t of table) {
    it(t.name, () => {
      const { ns, br } = bridge({ fdb: t.fdb ?? [] })
      const got = learnFdb(ns, br, t.mac, t.port, t.now)
      if (t.want === undefined) expect(got).toBeUndefined()
      else expect(got).toMatchObject({ master: 'br0', ...t.want })
    })
  }
})

describe('lookupFdb: ageing', () => {
  // br0 ageing_time 300 s; A learned at t = 0 ms.
  const { ns, br } = bridge({ fdb: [learned(A, 'p1', 0)] })
  const table = [
    [0, true], // just learned
    [299_999, true], // 1 ms before ageing_time
    // has_expired is time_before_eq(updated + ageing_time, now): at exactly 300 s the entry is gone.
    [300_000, false],
    [301_000, false],
  ] as const
  for (const [now, live] of table) {
    it(`at ${now} ms the entry is ${live ? 'live' : 'aged out'}`, () => {
      expect(lookupFdb(ns, br, A, now) !== undefined).toBe(live)
    })
  }

  it('static and local entries never age', () => {
    const s = bridge({ fdb: [{ mac: B, dev: 'p2', master: 'br0', permanent: true, updated: 0 }] })
    expect(lookupFdb(s.ns, s.br, B, 10_000_000)?.dev).toBe('p2')
    // setMaster added p1's MAC as `permanent` (local): it is still there much later.
    expect(lookupFdb(s.ns, s.br, P1_MAC, 10_000_000)?.local).toBe(true)
  })

  it('ageing_time 0 ages every dynamic entry at once (the bridge acts as a hub)', () => {
    const hub = bridge({ ageing: 0, fdb: [learned(A, 'p1', 1000)] })
    expect(lookupFdb(hub.ns, hub.br, A, 1000)).toBeUndefined()
  })

  it('an entry of another bridge is not this bridge’s', () => {
    expect(lookupFdb(ns, br, B, 0)).toBeUndefined()
  })
})

describe('decideBridge', () => {
  const fdb = [learned(A, 'p1', 0), learned(B, 'p2', 0)]
  const table: { name: string; dst: string; ingress: string | undefined; opts?: Parameters<typeof bridge>[0]; now?: number; want: object }[] = [
    // Known unicast: the FDB hit sends it out of p1 only.
    { name: 'hit: out of the learned port', dst: A, ingress: 'p3', want: { kind: 'forward', port: 'p1' } },
    // Unknown unicast: br_flood to every forwarding port except the ingress; not passed up (local_rcv stays false).
    { name: 'unknown unicast floods to the other ports', dst: '02:00:00:00:cc:03', ingress: 'p1', want: { kind: 'flood', ports: ['p2', 'p3'], reason: 'unknown unicast', alsoLocal: false } },
    // After ageing the entry is gone: the frame is flooded again.
    { name: 'an aged-out destination floods again', dst: A, ingress: 'p3', now: 300_000, want: { kind: 'flood', ports: ['p1', 'p2'], reason: 'unknown unicast' } },
    // Broadcast: flooded, and local_rcv = true so the bridge device gets a copy too.
    { name: 'broadcast floods and goes up to the bridge', dst: 'ff:ff:ff:ff:ff:ff', ingress: 'p2', want: { kind: 'flood', ports: ['p1', 'p3'], reason: 'broadcast', alsoLocal: true } },
    // Sent by the bridge device itself (br_dev_xmit): every port, no local copy of its own frame.
    { name: 'broadcast from the bridge device goes to every port', dst: 'ff:ff:ff:ff:ff:ff', ingress: undefined, want: { kind: 'flood', ports: ['p1', 'p2', 'p3'], alsoLocal: false } },
    { name: 'multicast floods like broadcast (no snooping)', dst: '01:00:5e:00:00:fb', ingress: 'p1', want: { kind: 'flood', ports: ['p2', 'p3'], reason: 'multicast' } },
    // A down port is disabled (BR_STATE_DISABLED): never flooded to.
    { name: 'a down port is left out of the flood', dst: 'ff:ff:ff:ff:ff:ff', ingress: 'p1', opts: { fdb, down: 'p3' }, want: { kind: 'flood', ports: ['p2'] } },
    { name: 'a hit on a down port drops', dst: B, ingress: 'p1', opts: { fdb: [learned(B, 'p3', 0)], down: 'p3' }, want: { kind: 'drop' } },
    // The bridge's own MAC: br_pass_frame_up (the host stack receives it).
    { name: "the bridge's own MAC is local", dst: BR_MAC, ingress: 'p1', want: { kind: 'local' } },
    // A port's own MAC is a local entry: a frame for it is passed up, not sent out of the port (checked: h1 saw no copy).
    { name: "a port's own MAC is delivered locally", dst: P1_MAC, ingress: 'p2', want: { kind: 'local' } },
    // should_deliver: never back out of the ingress port without hairpin…
    { name: 'learned on the ingress port: dropped without hairpin', dst: A, ingress: 'p1', want: { kind: 'drop' } },
    // …and with hairpin on (Calico/kubenet hairpin mode) it goes back out.
    { name: 'learned on the ingress port: hairpin sends it back', dst: A, ingress: 'p1', opts: { fdb, hairpin: 'p1' }, want: { kind: 'forward', port: 'p1' } },
    { name: 'hairpin port is in its own flood', dst: 'ff:ff:ff:ff:ff:ff', ingress: 'p1', opts: { fdb, hairpin: 'p1' }, want: { kind: 'flood', ports: ['p1', 'p2', 'p3'] } },
  ]
  for (const t of table) {
    it(t.name, () => {
      const { ns, br } = bridge(t.opts ?? { fdb })
      expect(decideBridge(ns, br, t.dst, t.ingress, t.now ?? 1000)).toMatchObject(t.want)
    })
  }
})

describe('a port without carrier', () => {
  // Kernel: veth vc in br0 with its peer down showed NO-CARRIER, `state disabled` in
  // `ip -d link`, and TX 0 packets after pod a's ARP broadcast (br_port_carrier_check).
  const noCarrier = (name: string) => (p: { name: string }) => p.name !== name
  it('is left out of the flood', () => {
    const { ns, br } = bridge({ fdb: [] })
    expect(decideBridge(ns, br, 'ff:ff:ff:ff:ff:ff', 'p1', 1000, noCarrier('p3'))).toMatchObject({ kind: 'flood', ports: ['p2'] })
  })
  it('drops a unicast frame whose entry points at it, saying why', () => {
    const { ns, br } = bridge({ fdb: [learned(B, 'p3', 900)] })
    const d = decideBridge(ns, br, B, 'p1', 1000, noCarrier('p3'))
    expect(d.kind).toBe('drop')
    expect(d.kind === 'drop' && d.reason).toContain('no carrier')
  })
})
