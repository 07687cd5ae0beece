/**
 * Linux bridge forwarding database: learning from the source MAC of frames received on a
 * port, ageing (default 300 s), and the forwarding decision for a destination MAC.
 * Simplification: no VLAN filtering, no STP (every port is forwarding).
 */
import { isMulticastMac } from '../wire/addr.ts'
import type { Mac } from '../wire/addr.ts'
import type { BridgeLink, FdbEntry, Link, Netns } from '../model/types.ts'

export function bridgePorts(ns: Netns, bridge: string): Link[] {
  return ns.links.filter((l) => l.master === bridge)
}

/** has_expired: a dynamic entry is gone once `updated + ageing_time <= now` (time_before_eq); ageing_time 0 ages everything at once. */
function isLive(e: FdbEntry, br: BridgeLink, now: number): boolean {
  return e.permanent || e.updated === undefined || now - e.updated < br.ageingTime * 1000
}

/** The FDB entry for `mac` on a bridge, ignoring aged-out dynamic entries. */
export function lookupFdb(ns: Netns, br: BridgeLink, mac: Mac, now: number): FdbEntry | undefined {
  return ns.fdb.find((e) => e.master === br.name && e.mac === mac && isLive(e, br, now))
}

/**
 * Learning (br_fdb_update): the source MAC of a frame that arrived on `port` is now reachable
 * through it. Returns the entry to write, or undefined when nothing changes (a local entry, or
 * the same port seen again within the same instant). Multicast sources are never learned.
 * A static entry (`bridge fdb add … master static`, permanent here but not local) moves to the
 * new port and stays static, as the kernel does (checked: `static` on p1 became `dev p2 … static`).
 */
export function learnFdb(ns: Netns, br: BridgeLink, mac: Mac, port: string, now: number): FdbEntry | undefined {
  if (isMulticastMac(mac)) return undefined
  const existing = ns.fdb.find((e) => e.master === br.name && e.mac === mac)
  if (existing?.local) return undefined
  if (existing && existing.dev === port && (existing.permanent || existing.updated === now)) return undefined
  if (existing?.permanent) return { ...existing, dev: port, updated: now }
  return { mac, dev: port, master: br.name, permanent: false, updated: now }
}

export type BridgeDecision =
  | { readonly kind: 'local'; readonly entry?: FdbEntry }
  | { readonly kind: 'forward'; readonly port: string; readonly entry: FdbEntry }
  | { readonly kind: 'flood'; readonly ports: readonly string[]; readonly reason: 'broadcast' | 'multicast' | 'unknown unicast'; readonly alsoLocal: boolean }
  | { readonly kind: 'drop'; readonly reason: string; readonly entry?: FdbEntry }

/**
 * Where a frame for `dst` goes. `ingress` is the port it came in on (undefined when the
 * bridge device itself transmits, i.e. the host stack sends through the bridge).
 * A frame is never sent back out of the port it arrived on unless that port has hairpin on.
 */
export function decideBridge(ns: Netns, br: BridgeLink, dst: Mac, ingress: string | undefined, now: number, hasCarrier: (port: Link) => boolean = () => true): BridgeDecision {
  // A port without carrier (a veth whose peer is down) is disabled (br_port_carrier_check): nothing is sent to it.
  const usable = (p: Link | undefined) => p !== undefined && p.up && hasCarrier(p)
  const up = (name: string) => usable(ns.links.find((l) => l.name === name))
  const others = bridgePorts(ns, br.name)
    .filter((p) => usable(p) && (p.name !== ingress || p.hairpin))
    .map((p) => p.name)
  if (dst === 'ff:ff:ff:ff:ff:ff') return { kind: 'flood', ports: others, reason: 'broadcast', alsoLocal: ingress !== undefined }
  if (isMulticastMac(dst)) return { kind: 'flood', ports: others, reason: 'multicast', alsoLocal: ingress !== undefined }
  if (dst === br.mac) return { kind: 'local' }
  const entry = lookupFdb(ns, br, dst, now)
  if (entry?.local) return ingress === undefined ? { kind: 'drop', reason: `${dst} belongs to the bridge port ${entry.dev} itself`, entry } : { kind: 'local', entry }
  if (!entry) return { kind: 'flood', ports: others, reason: 'unknown unicast', alsoLocal: false }
  if (!up(entry.dev)) return { kind: 'drop', reason: `port ${entry.dev} is down${ns.links.find((l) => l.name === entry.dev)?.up ? ' (no carrier: its veth peer is down)' : ''}`, entry }
  if (entry.dev === ingress) {
    const port = ns.links.find((l) => l.name === ingress)
    if (!port?.hairpin) return { kind: 'drop', reason: `${dst} was learned on ${ingress}, the port the frame came in on (hairpin off)`, entry }
  }
  return { kind: 'forward', port: entry.dev, entry }
}
