import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { generateKubeProxyDump } from '../../bench/genKubeProxyDump.ts'
import { importDumps } from '../../engine/import/importDump.ts'
import { importToWorld } from '../../engine/import/toWorld.ts'
import { assembler, pieces } from './chunked.ts'
import type { ChunkOptions, Piece } from './chunked.ts'

const CAPTURED = new URL('../../engine/import/fixtures/captured/', import.meta.url).pathname

/** Send through structuredClone piece by piece, as postMessage would. */
function roundTrip(value: unknown, opts?: ChunkOptions): { value: unknown; pieces: Piece[] } {
  const sent = [...pieces(value, opts)].map((p) => structuredClone(p))
  const a = assembler()
  for (const p of sent) a.add(p)
  return { value: a.finish(), pieces: sent }
}

/** How many values a piece carries (what deserialising it costs). */
function size(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 1
  return 1 + (Array.isArray(v) ? v : Object.values(v)).reduce((n: number, x) => n + size(x), 0)
}

describe('pieces and assembler', () => {
  propTest.prop([fc.jsonValue({ maxDepth: 4 })])('any JSON value comes back equal', (v) => {
    expect(roundTrip(v, { big: 3, budget: 5 }).value).toEqual(v)
  })

  it('keeps a big container shared by two references as one object', () => {
    // One ruleset seen by the import result and the world: sent once, shared on arrival.
    const rules = Array.from({ length: 50 }, (_, i) => ({ raw: `-j R${i}` }))
    const v = roundTrip({ a: { rules }, b: { rules } }, { big: 10, budget: 20 }).value as { a: { rules: unknown[] }; b: { rules: unknown[] } }
    expect(v.a.rules).toHaveLength(50)
    expect(v.a.rules).toBe(v.b.rules)
  })

  it('bounds each piece (budget values, or one entry when an entry alone is bigger)', () => {
    const chains = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`KUBE-SEP-${i}`, { name: `KUBE-SEP-${i}`, rules: [{ raw: '-j DNAT', matches: [{ kind: 'comment' }] }] }]))
    const { value, pieces: sent } = roundTrip({ tables: { nat: { chains } } }, { big: 100, budget: 200 })
    expect(value).toEqual({ tables: { nat: { chains } } })
    // 400 chains × 7 values each, 200 per piece: about 14 pieces, none much over budget.
    expect(sent.length).toBeGreaterThan(10)
    for (const p of sent.slice(1)) expect(size(p.data)).toBeLessThan(200 + 10)
  })

  it('keeps record keys that are special to JavaScript as plain keys', () => {
    const rec = Object.fromEntries(['__proto__', 'constructor', 'toString', ...Array.from({ length: 20 }, (_, i) => `c${i}`)].map((k) => [k, { rules: [] }]))
    Object.defineProperty(rec, '__proto__', { value: { rules: [] }, enumerable: true })
    const v = roundTrip({ chains: rec }, { big: 5, budget: 4 }).value as { chains: Record<string, unknown> }
    expect(Object.keys(v.chains)).toEqual(Object.keys(rec))
    expect(Object.getPrototypeOf(v.chains)).toBe(Object.prototype)
  })

  it('carries a real import (result and world) unchanged', () => {
    const result = importDumps([{ name: 'n1.bundle.txt', text: readFileSync(`${CAPTURED}n1.bundle.txt`, 'utf8') }])
    const world = importToWorld(result)
    expect(roundTrip({ result, world }, { big: 8, budget: 50 }).value).toEqual({ result, world })
  })

  it('cuts a big import into pieces of bounded size', () => {
    // 1,500 Services: ~23,000 lines (the 75,000-line case is timed in e2e).
    const result = importDumps([{ name: 'big.txt', text: generateKubeProxyDump(1500) }])
    const world = importToWorld(result)
    const sent = [...pieces({ result, world })]
    const sizes = sent.map((p) => size(p.data))
    // Without pieces this is one clone of ~300,000 values; here none is much over the budget.
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(150_000)
    expect(Math.max(...sizes)).toBeLessThan(20_000)
  })
})
