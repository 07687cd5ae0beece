/**
 * The header stack the packet token carries: one short row per header, outer wrapper apart
 * from the inner packet, changed addresses and ports with their old value (struck through on
 * screen), removed headers kept for the step that removed them. Pure: layers in, rows out.
 */
import type { Field, Layer, LayerStatus } from './layers.ts'

export interface TokenPart {
  readonly text: string
  /** The value this part had before the step (NAT), shown struck through. */
  readonly old?: string
}

export interface TokenRow {
  readonly key: string
  readonly outer: boolean
  readonly status: LayerStatus
  readonly label: string
  readonly parts: readonly TokenPart[]
}

const get = (l: Layer, name: string): Field | undefined => l.fields.find((f) => f.name === name)
const part = (f: Field | undefined, prefix = ''): TokenPart => ({ text: `${prefix}${f?.value ?? '?'}`, ...(f?.old !== undefined && { old: `${prefix}${f.old}` }) })

function rowOf(l: Layer): TokenRow {
  const base = { key: l.key, outer: l.outer, status: l.status }
  switch (l.kind) {
    case 'eth':
      return { ...base, label: 'Eth', parts: [{ text: `to ${get(l, 'Destination')?.value ?? '?'}` }] }
    case 'ipv4':
      return { ...base, label: 'IP', parts: [part(get(l, 'Source')), { text: '→' }, part(get(l, 'Destination'))] }
    case 'tcp':
      return { ...base, label: 'TCP', parts: [part(get(l, 'Source port')), { text: '→' }, part(get(l, 'Destination port')), { text: `[${get(l, 'Flags')?.value ?? ''}]` }] }
    case 'udp':
      return { ...base, label: 'UDP', parts: [part(get(l, 'Source port')), { text: '→' }, part(get(l, 'Destination port'))] }
    case 'vxlan':
      return { ...base, label: 'VXLAN', parts: [{ text: `VNI ${get(l, 'VNI')?.value ?? '?'}` }] }
    case 'icmp':
      return { ...base, label: 'ICMP', parts: [{ text: get(l, 'Meaning')?.value ?? '' }] }
    case 'arp':
      return { ...base, label: 'ARP', parts: [{ text: l.summary }] }
    case 'dns':
      return { ...base, label: 'DNS', parts: [{ text: l.summary }] }
    case 'data':
      return { ...base, label: 'Data', parts: [{ text: l.summary }] }
  }
}

/**
 * Rows for the token. A row is marked changed only when an address or port it shows changed
 * (NAT); a TTL decrement or new MACs at a routed hop are in the packet inspector, not here.
 */
export function tokenRows(layers: readonly Layer[]): TokenRow[] {
  return layers.map((l) => {
    const row = rowOf(l)
    return row.status === 'changed' && !row.parts.some((p) => p.old !== undefined) ? { ...row, status: 'same' } : row
  })
}
