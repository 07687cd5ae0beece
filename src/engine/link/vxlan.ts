/**
 * VXLAN (RFC 7348) as the Linux vxlan driver does it: the device's FDB maps an inner
 * destination MAC to a remote VTEP; an all-zeros entry is the default for unknown and
 * broadcast frames. Encapsulation wraps the inner Ethernet frame in outer IPv4/UDP/VXLAN.
 */
import { ZERO_MAC, isMulticastMac } from '../wire/addr.ts'
import type { Ip, Mac } from '../wire/addr.ts'
import { HEADER_BYTES } from '../wire/packet.ts'
import type { Ipv4Header, Packet } from '../wire/packet.ts'
import type { FdbEntry, Netns, VxlanLink } from '../model/types.ts'

/** The remote VTEPs a frame for `dst` is sent to (several for an all-zeros flood list). */
export function lookupVxlanFdb(ns: Netns, dev: VxlanLink, dst: Mac, now?: number): { entries: FdbEntry[]; defaulted: boolean } {
  // A learned entry lives `ageing` seconds (default 300) after it was last refreshed (vxlan_cleanup).
  const live = (e: FdbEntry) => e.permanent || now === undefined || e.updated === undefined || now - e.updated < (dev.ageing ?? 300) * 1000
  const own = ns.fdb.filter((e) => e.dev === dev.name && e.master === undefined && e.dst && live(e))
  const exact = own.filter((e) => e.mac === dst)
  if (exact.length > 0) return { entries: exact, defaulted: false }
  const dflt = own.filter((e) => e.mac === ZERO_MAC)
  if (dflt.length > 0) return { entries: dflt, defaulted: true }
  if (dev.remote) return { entries: [{ mac: ZERO_MAC, dev: dev.name, dst: dev.remote, self: true, permanent: true }], defaulted: true }
  return { entries: [], defaulted: false }
}

export type VxlanSnoop =
  | { readonly kind: 'none' }
  | { readonly kind: 'learn'; readonly entry: FdbEntry }
  | { readonly kind: 'drop'; readonly reason: string; readonly entry?: FdbEntry }

/**
 * What receiving an inner frame from `remote` does to the device's FDB (vxlan_set_mac and
 * vxlan_snoop): its own MAC coming back is a loop and is dropped; with `learning`, an unknown
 * source MAC is learned behind `remote`, a learned one follows it (and is refreshed), and a
 * permanent entry pointing elsewhere is not migrated: the frame is dropped (checked: with a
 * static entry for B's MAC to another VTEP, B's frames never reached the stack; nolearning
 * accepts them). Multicast and all-zeros sources are never learned.
 *
 * @example learnVxlanFdb(ns, flannel1, '02:00:00:00:d2:05', '192.168.1.20', 1000)
 *   // → { kind: 'learn', entry: { mac: '02:00:00:00:d2:05', dev: 'flannel.1', dst: '192.168.1.20', self: true, permanent: false, updated: 1000 } }
 */
export function learnVxlanFdb(ns: Netns, dev: VxlanLink, mac: Mac, remote: Ip, now: number): VxlanSnoop {
  if (mac === dev.mac) return { kind: 'drop', reason: `${dev.name} receives its own MAC ${mac} back from ${remote}: a loop, dropped` }
  if (!dev.learning || mac === ZERO_MAC || isMulticastMac(mac)) return { kind: 'none' }
  const existing = ns.fdb.find((e) => e.dev === dev.name && e.master === undefined && e.mac === mac)
  if (existing?.dst === remote) return existing.permanent || existing.updated === now ? { kind: 'none' } : { kind: 'learn', entry: { ...existing, updated: now } }
  if (existing?.permanent) return { kind: 'drop', reason: `${mac} has a permanent entry on ${dev.name} to ${existing.dst ?? '?'}, but came from ${remote}: static entries are not migrated, the frame is dropped`, entry: existing }
  return { kind: 'learn', entry: { mac, dev: dev.name, dst: remote, self: true, permanent: false, updated: now } }
}

/** Outer headers for an inner Ethernet frame. The UDP source port is a flow hash in the kernel; the caller picks it. */
export function encapsulate(inner: Packet, outer: { src: Ip; dst: Ip; sport: number; dport: number; vni: number; id: number; ttl?: number }): Packet {
  const innerLen = inner.headers[0]?.kind === 'eth' ? innerIpLength(inner) + HEADER_BYTES.eth : innerIpLength(inner)
  const length = HEADER_BYTES.ipv4 + HEADER_BYTES.udp + HEADER_BYTES.vxlan + innerLen
  const ipH: Ipv4Header = { kind: 'ipv4', src: outer.src, dst: outer.dst, ttl: outer.ttl ?? 64, df: false, id: outer.id, proto: 'udp', length }
  return { headers: [ipH, { kind: 'udp', sport: outer.sport, dport: outer.dport }, { kind: 'vxlan', vni: outer.vni }, ...inner.headers] }
}

function innerIpLength(p: Packet): number {
  const ipH = p.headers.find((h) => h.kind === 'ipv4')
  // A fragmented inner packet is encapsulated fragment by fragment.
  if (ipH) return Math.min(ipH.length, ipH.fragmented ?? Infinity)
  return 28 // an ARP body
}

/** The inner frame of an outer IPv4/UDP/VXLAN packet (outer Ethernet already removed). */
export function decapsulate(outer: Packet): Packet | undefined {
  const i = outer.headers.findIndex((h) => h.kind === 'vxlan')
  if (i < 0) return undefined
  return { headers: outer.headers.slice(i + 1) }
}

/** Linux picks the outer UDP source port from a hash of the inner flow, in the ephemeral range. */
export function vxlanSourcePort(inner: Packet): number {
  let h = 2166136261
  for (const hd of inner.headers) {
    if (hd.kind === 'ipv4') h = mix(mix(h, hd.src), hd.dst)
    if (hd.kind === 'tcp' || hd.kind === 'udp') h = mix(h, `${hd.sport}:${hd.dport}`)
  }
  return 32768 + (h % (60999 - 32768 + 1))
}

function mix(h: number, s: string): number {
  let x = h
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619) >>> 0
  return x
}
