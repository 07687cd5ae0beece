import { describe, expect, it } from 'vitest'
import { test as fcTest, fc } from '@fast-check/vitest'
import { allocateCalico, allocateHostLocal, newCalicoBlock, newHostLocalStore, releaseCalico, releaseHostLocal } from './ipam.ts'
import type { HostLocalStore } from './state.ts'
import { ipToInt } from '../wire/addr.ts'

function alloc(store: HostLocalStore, id: string, requested?: string): { store: HostLocalStore; ip: string } {
  const r = allocateHostLocal(store, id, 'eth0', requested)
  if (!r.ok) throw new Error(r.error)
  return { store: r.store, ip: r.ip }
}

describe('host-local', () => {
  it('range is .1-.254 with the gateway .1 skipped, so the first pod gets .2', () => {
    const s = newHostLocalStore('cbr0', '10.244.1.0/24')
    expect(s).toMatchObject({ dataDir: '/var/lib/cni/networks/cbr0', rangeStart: '10.244.1.1', rangeEnd: '10.244.1.254', gateway: '10.244.1.1' })
    const a = alloc(s, 'c1')
    expect(a.ip).toBe('10.244.1.2')
    expect(alloc(a.store, 'c2').ip).toBe('10.244.1.3')
  })

  it('continues after last_reserved_ip: a freed address is reused only after a wrap', () => {
    let s = newHostLocalStore('cbr0', '10.244.1.0/24')
    s = alloc(s, 'c1').store // .2
    s = alloc(s, 'c2').store // .3
    s = releaseHostLocal(s, 'c1', 'eth0') // .2 is free, but last_reserved_ip stays .3
    expect(s.lastReserved).toBe('10.244.1.3')
    expect(alloc(s, 'c3').ip).toBe('10.244.1.4')
  })

  it('wraps from .254 to the start and skips the gateway and reserved addresses', () => {
    let s = newHostLocalStore('cbr0', '10.244.1.0/24')
    s = alloc(s, 'a', '10.244.1.254').store
    s = alloc(s, 'b', '10.244.1.2').store
    // After .254 the iterator goes back to rangeStart .1 (gateway, skipped), .2 (taken) → .3
    expect(alloc(s, 'c').ip).toBe('10.244.1.3')
  })

  it('refuses a duplicate container, an unavailable requested IP, and a full range', () => {
    let s = newHostLocalStore('cbr0', '10.244.1.0/30') // .1 gateway, .2 only usable address
    s = alloc(s, 'a').store
    expect(allocateHostLocal(s, 'a', 'eth0')).toMatchObject({ ok: false, error: expect.stringContaining('duplicate allocation') as string })
    expect(allocateHostLocal(s, 'b', 'eth0')).toMatchObject({ ok: false, error: 'no IP addresses available in range set: 10.244.1.1-10.244.1.2' })
    expect(allocateHostLocal(s, 'b', 'eth0', '10.244.1.1')).toMatchObject({ ok: false })
    expect(allocateHostLocal(s, 'b', 'eth0', '10.244.9.9')).toMatchObject({ ok: false })
  })

  // Random ADD/DEL sequences: no two live containers ever share an IP, and no IP is the gateway or outside the range.
  fcTest.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 })), { maxLength: 200 })])('never hands out the same address twice', (ops) => {
    let s = newHostLocalStore('cbr0', '10.244.3.0/27')
    const live = new Map<string, string>()
    let n = 0
    for (const [add, k] of ops) {
      if (add || live.size === 0) {
        const id = `c${n++}`
        const r = allocateHostLocal(s, id, 'eth0')
        if (!r.ok) {
          expect(live.size).toBe(29) // /27: .1..30, minus the gateway
          continue
        }
        s = r.store
        expect([...live.values()]).not.toContain(r.ip)
        expect(r.ip).not.toBe('10.244.3.1')
        expect(ipToInt(r.ip)).toBeGreaterThan(ipToInt('10.244.3.1'))
        expect(ipToInt(r.ip)).toBeLessThan(ipToInt('10.244.3.31'))
        live.set(id, r.ip)
      } else {
        const id = [...live.keys()][k % live.size]!
        s = releaseHostLocal(s, id, 'eth0')
        live.delete(id)
      }
      expect(Object.keys(s.reserved).sort()).toEqual([...live.values()].sort())
    }
  })
})

describe('calico-ipam', () => {
  it('hands out ordinals from the front (.0 first) and appends released ones to the back', () => {
    let b = newCalicoBlock('10.244.190.0/24')
    const take = (h: string) => {
      const r = allocateCalico(b, h)
      if (!r.ok) throw new Error(r.error)
      b = r.store
      return r.ip
    }
    expect(take('a')).toBe('10.244.190.0')
    expect(take('b')).toBe('10.244.190.1')
    b = releaseCalico(b, 'a')
    // .0 went to the back of the free list: the next pod gets .2
    expect(take('c')).toBe('10.244.190.2')
    expect(b.unallocated.at(-1)).toBe(0)
  })
})
