import { describe, expect, it } from 'vitest'
import type { Packet } from '../../engine/wire/packet.ts'
import { rewriteL3 } from '../../engine/wire/packet.ts'
import { diffLayers } from './layers.ts'
import { tokenRows } from './tokenRows.ts'

const syn: Packet = {
  headers: [
    { kind: 'ipv4', src: '10.244.1.2', dst: '10.96.1.100', ttl: 64, df: true, id: 1, proto: 'tcp', length: 40 },
    { kind: 'tcp', sport: 32845, dport: 80, flags: ['SYN'] },
  ],
}

describe('token rows', () => {
  it('DNAT: the destination row keeps the old address for striking through', () => {
    const rows = tokenRows(diffLayers(syn, rewriteL3(syn, { dst: '10.244.1.4' })))
    expect(rows[0]).toMatchObject({ label: 'IP', status: 'changed', parts: [{ text: '10.244.1.2' }, { text: '→' }, { text: '10.244.1.4', old: '10.96.1.100' }] })
    // The port did not change: nothing to strike.
    expect(rows[1]!.parts[2]).toEqual({ text: '80' })
    expect(rows[1]!.parts[3]).toEqual({ text: '[SYN]' })
  })

  it('a routed hop (TTL, MACs) leaves the token rows unmarked', () => {
    const hop = { headers: [{ ...syn.headers[0]!, ttl: 63 }, syn.headers[1]!] } as Packet
    expect(tokenRows(diffLayers(syn, hop)).map((r) => r.status)).toEqual(['same', 'same'])
  })

  it('encapsulation: outer rows are marked outer and added', () => {
    const outer: Packet = { headers: [{ kind: 'ipv4', src: '192.168.1.10', dst: '192.168.1.20', ttl: 64, df: false, id: 2, proto: 'udp', length: 90 }, { kind: 'udp', sport: 40000, dport: 8472 }, { kind: 'vxlan', vni: 1 }, { kind: 'eth', src: '02:00:00:00:f1:01', dst: '02:00:00:00:f2:02', type: 'ipv4' }, ...syn.headers] }
    const rows = tokenRows(diffLayers({ headers: outer.headers.slice(3) }, outer))
    expect(rows.map((r) => [r.label, r.outer, r.status])).toEqual([
      ['IP', true, 'added'],
      ['UDP', true, 'added'],
      ['VXLAN', true, 'added'],
      ['Eth', false, 'same'],
      ['IP', false, 'same'],
      ['TCP', false, 'same'],
    ])
    expect(rows[2]!.parts).toEqual([{ text: 'VNI 1' }])
  })
})
