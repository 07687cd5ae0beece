import { describe, expect, it } from 'vitest'
import type { Header, Packet } from '../../engine/wire/packet.ts'
import { rewriteL3 } from '../../engine/wire/packet.ts'
import { diffLayers, innerStart, natChanges, packetLayers } from './layers.ts'

const eth = (src = '02:00:00:00:00:01', dst = '02:00:00:00:00:02'): Header => ({ kind: 'eth', src, dst, type: 'ipv4' })
const ip = (src: string, dst: string, proto: 'tcp' | 'udp' | 'icmp' = 'icmp', ttl = 64): Header => ({ kind: 'ipv4', src, dst, ttl, df: false, id: 1, proto, length: 84 })
const echo: Header = { kind: 'icmp', type: 8, code: 0, id: 7, seq: 1 }
const inner: Packet = { headers: [eth(), ip('10.244.1.5', '10.244.2.5'), echo] }
const wrapped: Packet = { headers: [ip('192.168.1.10', '192.168.1.20', 'udp'), { kind: 'udp', sport: 45000, dport: 8472 }, { kind: 'vxlan', vni: 1 }, ...inner.headers] }

describe('packet layers', () => {
  it('names each header as Wireshark does, outermost first', () => {
    const l = packetLayers(inner)
    expect(l.map((x) => x.title)).toEqual(['Ethernet II', 'Internet Protocol Version 4', 'Internet Control Message Protocol'])
    expect(l[1]!.summary).toBe('Src: 10.244.1.5, Dst: 10.244.2.5, TTL 64')
    expect(l.every((x) => !x.outer)).toBe(true)
  })

  it('marks the VXLAN wrapper as outer: outer IP, UDP and VXLAN come before the inner frame', () => {
    expect(innerStart(wrapped)).toBe(3)
    expect(packetLayers(wrapped).map((x) => x.outer)).toEqual([true, true, true, false, false, false])
  })

  it('encapsulation: the wrapper is added, the inner packet is unchanged', () => {
    const d = diffLayers(inner, wrapped)
    expect(d.map((x) => [x.kind, x.status])).toEqual([
      ['ipv4', 'added'],
      ['udp', 'added'],
      ['vxlan', 'added'],
      ['eth', 'same'],
      ['ipv4', 'same'],
      ['icmp', 'same'],
    ])
  })

  it('decapsulation: the wrapper shows as removed, in front', () => {
    const d = diffLayers(wrapped, inner)
    expect(d.filter((x) => x.status === 'removed').map((x) => x.kind)).toEqual(['ipv4', 'udp', 'vxlan'])
    expect(d.filter((x) => x.status !== 'removed').map((x) => x.kind)).toEqual(['eth', 'ipv4', 'icmp'])
  })

  it('DNAT: the destination changes in place, the old value kept for striking through', () => {
    const before: Packet = { headers: [ip('10.244.1.5', '10.96.0.10', 'udp'), { kind: 'udp', sport: 40000, dport: 53 }] }
    const after = rewriteL3(before, { dst: '10.244.2.7', dport: 5353 })
    const d = diffLayers(before, after)
    expect(d[0]!.status).toBe('changed')
    expect(d[0]!.fields.find((f) => f.name === 'Destination')).toEqual({ name: 'Destination', value: '10.244.2.7', old: '10.96.0.10' })
    expect(d[0]!.fields.find((f) => f.name === 'Source')?.old).toBeUndefined()
    expect(natChanges(d)).toEqual([{ field: 'destination', from: '10.96.0.10:53', to: '10.244.2.7:5353' }])
  })

  it('the link-layer header built on transmit or stripped on receive is not marked', () => {
    const l3: Packet = { headers: inner.headers.slice(1) }
    expect(diffLayers(inner, l3).map((x) => x.status)).toEqual(['same', 'same'])
    expect(diffLayers(l3, inner).map((x) => x.status)).toEqual(['same', 'same', 'same'])
  })

  it('a routed hop changes TTL and MACs, which is not NAT', () => {
    const after: Packet = { headers: [eth('02:00:00:00:00:09', '02:00:00:00:00:0a'), ip('10.244.1.5', '10.244.2.5', 'icmp', 63), echo] }
    const d = diffLayers(inner, after)
    expect(d.map((x) => x.status)).toEqual(['changed', 'changed', 'same'])
    expect(d[1]!.fields.find((f) => f.name === 'Time to live')).toMatchObject({ value: '63', old: '64' })
    expect(natChanges(d)).toEqual([])
  })
})
