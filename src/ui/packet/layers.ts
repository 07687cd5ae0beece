/**
 * A packet as layers, Wireshark-style: one row per header, outermost first, each with a
 * one-line summary and its fields. `diffLayers` compares the packet before and after a step:
 * headers are matched from the innermost outwards (encapsulation adds in front, decapsulation
 * removes from the front), so an outer VXLAN wrapper shows as added or removed and a NAT
 * rewrite as changed fields with the old value kept.
 */
import type { Header, Packet } from '../../engine/wire/packet.ts'
import { icmpName } from '../../engine/wire/packet.ts'

export interface Field {
  readonly name: string
  readonly value: string
  /** The value before this step, when the step changed it. */
  readonly old?: string
}

export type LayerStatus = 'same' | 'added' | 'removed' | 'changed'

export interface Layer {
  /** Stable within one packet view: position counted from the innermost header. */
  readonly key: string
  readonly kind: Header['kind']
  readonly title: string
  readonly summary: string
  readonly fields: readonly Field[]
  readonly status: LayerStatus
  /** Part of a tunnel wrapper (outside the inner packet). */
  readonly outer: boolean
}

const TITLES: Record<Header['kind'], string> = {
  eth: 'Ethernet II',
  arp: 'Address Resolution Protocol',
  ipv4: 'Internet Protocol Version 4',
  tcp: 'Transmission Control Protocol',
  udp: 'User Datagram Protocol',
  icmp: 'Internet Control Message Protocol',
  vxlan: 'Virtual eXtensible Local Area Network',
  dns: 'Domain Name System',
  data: 'Data',
}

function fieldsOf(h: Header): Field[] {
  const f = (name: string, value: string | number | boolean): Field => ({ name, value: String(value) })
  switch (h.kind) {
    case 'eth':
      return [f('Source', h.src), f('Destination', h.dst), f('Type', h.type === 'arp' ? 'ARP (0x0806)' : 'IPv4 (0x0800)')]
    case 'arp':
      return [f('Opcode', h.op), f('Sender MAC', h.senderMac), f('Sender IP', h.senderIp), f('Target MAC', h.targetMac), f('Target IP', h.targetIp)]
    case 'ipv4':
      return [f('Source', h.src), f('Destination', h.dst), f('Time to live', h.ttl), f('Protocol', h.proto.toUpperCase()), f('Total length', h.length), f("Don't fragment", h.df ? 'set' : 'not set'), f('Identification', h.id)]
    case 'tcp':
      return [f('Source port', h.sport), f('Destination port', h.dport), f('Flags', h.flags.join(', ') || 'none')]
    case 'udp':
      return [f('Source port', h.sport), f('Destination port', h.dport)]
    case 'icmp': {
      const out = [f('Type', h.type), f('Code', h.code), f('Meaning', icmpName(h))]
      if (h.id !== undefined) out.push(f('Identifier', h.id))
      if (h.seq !== undefined) out.push(f('Sequence', h.seq))
      if (h.mtu !== undefined) out.push(f('Next-hop MTU', h.mtu))
      if (h.quoted) out.push(f('Quoted packet', `${h.quoted.src}${h.quoted.sport !== undefined ? `:${h.quoted.sport}` : ''} → ${h.quoted.dst}${h.quoted.dport !== undefined ? `:${h.quoted.dport}` : ''} ${h.quoted.proto}`))
      return out
    }
    case 'vxlan':
      return [f('VNI', h.vni)]
    case 'dns': {
      const out = [f('Transaction ID', h.id), f('Type', h.qr), f('Question', `${h.question.name} ${h.question.type}`)]
      if (h.qr === 'response') out.push(f('Reply code', h.rcode), ...h.answers.map((a, i) => f(`Answer ${i + 1}`, `${a.name} ${a.ttl} ${a.type} ${a.data}`)))
      return out
    }
    case 'data':
      return [f('Text', h.text)]
  }
}

/** One line per header, as Wireshark's packet list would put it. */
export function headerSummary(h: Header): string {
  switch (h.kind) {
    case 'eth':
      return `Src: ${h.src}, Dst: ${h.dst}`
    case 'arp':
      return h.op === 'request' ? `Who has ${h.targetIp}? Tell ${h.senderIp}` : `${h.senderIp} is at ${h.senderMac}`
    case 'ipv4':
      return `Src: ${h.src}, Dst: ${h.dst}, TTL ${h.ttl}`
    case 'tcp':
      return `${h.sport} → ${h.dport} [${h.flags.join(', ')}]`
    case 'udp':
      return `${h.sport} → ${h.dport}`
    case 'icmp':
      return icmpName(h)
    case 'vxlan':
      return `VNI ${h.vni}`
    case 'dns':
      return h.qr === 'query' ? `query ${h.question.type} ${h.question.name}` : `response ${h.rcode}${h.answers.length ? ` ${h.answers.map((a) => a.data).join(', ')}` : ''}`
    case 'data':
      return h.text
  }
}

/** Where the inner packet starts: after a VXLAN header, or at the second IPv4 header (IP-in-IP). */
export function innerStart(p: Packet): number {
  const v = p.headers.findIndex((h) => h.kind === 'vxlan')
  if (v >= 0) return v + 1
  let seen = 0
  for (let i = 0; i < p.headers.length; i++) {
    if (p.headers[i]!.kind === 'ipv4' && ++seen === 2) return i
  }
  return 0
}

export function isEncapsulated(p: Packet): boolean {
  return innerStart(p) > 0
}

function layer(h: Header, key: string, status: LayerStatus, outer: boolean, fields: readonly Field[] = fieldsOf(h)): Layer {
  return { key, kind: h.kind, title: TITLES[h.kind], summary: headerSummary(h), fields, status, outer }
}

/** The layers of a packet, nothing compared. */
export function packetLayers(p: Packet): Layer[] {
  const inner = innerStart(p)
  const n = p.headers.length
  return p.headers.map((h, i) => layer(h, `${h.kind}-${n - i}`, 'same', i < inner))
}

/**
 * The layers of `after`, each marked against `before`: added, changed (fields carry `old`) or
 * same; headers of `before` that are gone come first, marked removed.
 */
export function diffLayers(before: Packet | undefined, after: Packet): Layer[] {
  if (!before) return packetLayers(after)
  const a = after.headers
  const b = before.headers
  const innerA = innerStart(after)
  const innerB = innerStart(before)
  // Match from the innermost header outwards while the kinds agree.
  let k = 0
  while (k < a.length && k < b.length && a[a.length - 1 - k]!.kind === b[b.length - 1 - k]!.kind) k++
  // A bare link-layer header coming or going is the stack at work (L2 is built on transmit and
  // stripped on receive), not encapsulation: it is not marked.
  const gone = b.slice(0, b.length - k)
  const removed = gone.length === 1 && gone[0]!.kind === 'eth' ? [] : gone.map((h, i) => layer(h, `${h.kind}-gone-${b.length - i}`, 'removed', i < innerB))
  const onlyL2Added = a.length - k === 1 && a[0]!.kind === 'eth'
  const kept = a.map((h, i) => {
    const fromEnd = a.length - i
    const outer = i < innerA
    if (fromEnd > k) return layer(h, `${h.kind}-${fromEnd}`, onlyL2Added ? 'same' : 'added', outer)
    const old = b[b.length - fromEnd]!
    const oldFields = new Map(fieldsOf(old).map((f) => [f.name, f.value]))
    let changed = false
    const fields = fieldsOf(h).map((f) => {
      const was = oldFields.get(f.name)
      if (was === undefined || was === f.value) return f
      changed = true
      return { ...f, old: was }
    })
    return layer(h, `${h.kind}-${fromEnd}`, changed ? 'changed' : 'same', outer, fields)
  })
  return [...removed, ...kept]
}

/** What NAT did to a packet, as a learner reads it: `destination 10.96.0.10:53 → 10.244.1.3:53`. */
export function natChanges(layers: readonly Layer[]): { field: 'source' | 'destination'; from: string; to: string }[] {
  const out: { field: 'source' | 'destination'; from: string; to: string }[] = []
  const ip = layers.find((l) => l.kind === 'ipv4' && !l.outer && l.status !== 'removed' && l.status !== 'added')
  if (!ip) return out
  const l4 = layers.find((l) => (l.kind === 'tcp' || l.kind === 'udp') && !l.outer && l.status !== 'removed' && l.status !== 'added')
  const get = (l: Layer | undefined, name: string) => l?.fields.find((f) => f.name === name)
  for (const [field, ipName, portName] of [['source', 'Source', 'Source port'], ['destination', 'Destination', 'Destination port']] as const) {
    const a = get(ip, ipName)
    const p = get(l4, portName)
    if (!a?.old && !p?.old) continue
    const port = (v: string | undefined) => (v !== undefined ? `:${v}` : '')
    out.push({ field, from: `${a?.old ?? a?.value ?? '?'}${port(p?.old ?? p?.value)}`, to: `${a?.value ?? '?'}${port(p?.value)}` })
  }
  return out
}
