/**
 * Applying a step's effects to a world. The tracer records every state change as an effect;
 * replaying the effects of steps 0..k on the starting world gives the exact state after step
 * k (conntrack, FDB, neighbours, counters, recent lists, CoreDNS caches), which is how a viewer steps back.
 */
import type { Netns, World } from '../model/types.ts'
import type { Effect, TraceStep } from './trace.ts'

/** One effect on the netns it names (the tracer keeps its changed netns apart and builds the world once). */
export function applyToNetns(ns: Netns, e: Effect): Netns {
  switch (e.kind) {
    case 'neigh':
      return { ...ns, neigh: [...ns.neigh.filter((n) => !(n.ip === e.entry.ip && n.dev === e.entry.dev)), e.entry] }
    case 'fdb':
      return { ...ns, fdb: [...ns.fdb.filter((f) => !(f.mac === e.entry.mac && f.master === e.entry.master && (f.master !== undefined || f.dev === e.entry.dev))), e.entry] }
    case 'conntrack':
      return { ...ns, conntrack: [...ns.conntrack.filter((c) => c.id !== e.entry.id), e.entry] }
    case 'counter': {
      const [p, b] = ns.counters[e.ruleId] ?? [0, 0]
      return { ...ns, counters: { ...ns.counters, [e.ruleId]: [p + 1, b + e.bytes] } }
    }
    case 'recent': {
      const list = ns.recent[e.list] ?? []
      return { ...ns, recent: { ...ns.recent, [e.list]: [...list.filter((r) => r.addr !== e.entry.addr), e.entry] } }
    }
    case 'dns-cache':
      return { ...ns, dnsCache: { ...ns.dnsCache, [e.key]: e.entry } }
  }
}

export function applyEffect(w: World, e: Effect): World {
  const ns = w.netns[e.netns]
  if (!ns) return w
  return { ...w, netns: { ...w.netns, [e.netns]: applyToNetns(ns, e) } }
}

/** The world as it was right after step `index` (inclusive) of a trace that started from `start`. */
export function worldAtStep(start: World, steps: readonly TraceStep[], index: number): World {
  let w = start
  for (let i = 0; i <= index && i < steps.length; i++) for (const e of steps[i]!.effects ?? []) w = applyEffect(w, e)
  return w
}
