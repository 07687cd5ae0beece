/**
 * Probes for a world: which questions to ask the kernel and the engine, and the engine's
 * SendSpec for each. Generation is seeded, so a run can be repeated exactly.
 */
import type { Probe } from '../engine/export/probe.ts'
import type { Ip } from '../engine/wire/addr.ts'
import { intToIp, ipToInt, isLoopbackIp } from '../engine/wire/addr.ts'
import type { World } from '../engine/model/types.ts'
import type { SendSpec } from '../engine/sim/trace.ts'
import type { Rng } from '../engine/sim/rng.ts'
import { randomInt } from '../engine/sim/rng.ts'

/** The engine's packet for a probe (route and conntrack probes send nothing). */
export function probeToSend(p: Probe): SendSpec | undefined {
  switch (p.kind) {
    case 'ping':
      return { from: p.from, to: p.to, proto: 'icmp', df: p.df ?? false, ...(p.size !== undefined && { size: p.size }), ...(p.ttl !== undefined && { ttl: p.ttl }) }
    case 'tcp':
      return { from: p.from, to: p.to, proto: 'tcp', dport: p.port }
    case 'udp':
      return { from: p.from, to: p.to, proto: 'udp', dport: p.port }
    case 'dns':
      return { from: p.from, to: p.server, proto: 'udp', dport: p.port ?? 53, dns: { name: p.name, type: 'A' } }
    default:
      return undefined
  }
}

function pick<T>(rng: Rng, xs: readonly T[]): T | undefined {
  return xs.length === 0 ? undefined : xs[randomInt(rng, 0, xs.length - 1)]
}

function sample<T>(rng: Rng, xs: readonly T[], n: number): T[] {
  const pool = [...xs]
  const out: T[] = []
  while (out.length < n && pool.length > 0) out.push(pool.splice(randomInt(rng, 0, pool.length - 1), 1)[0]!)
  return out
}

/** Non-loopback addresses of a netns. */
export function addressesOf(w: World, ns: string): Ip[] {
  return (w.netns[ns]?.links ?? []).flatMap((l) => l.addrs.filter((a) => !isLoopbackIp(a.ip)).map((a) => a.ip))
}

export interface ProbeOptions {
  /** Pings per source netns. Default 3. */
  readonly pingsPerSource?: number
  /** Only these netns send (default: every netns with an address). */
  readonly sources?: readonly string[]
}

/**
 * A spread of probes for any world: pings between netns, an address nobody has in a
 * connected subnet (ARP fails), one outside everything, DF pings at the MTUs the world has,
 * TTL 1, TCP/UDP to every listener and to a closed port, `ip route get` for the same targets.
 * The count stays small: failures cost the kernel side a timeout each.
 */
export function generateProbes(w: World, rng: Rng, opts: ProbeOptions = {}): Probe[] {
  const names = Object.keys(w.netns)
  const sources = (opts.sources ?? names).filter((n) => addressesOf(w, n).length > 0)
  const targets = names.flatMap((n) => addressesOf(w, n).map((ip) => ({ ns: n, ip })))
  const out: Probe[] = []
  const seen = new Set<string>()
  const add = (p: Probe) => {
    const key = JSON.stringify(p)
    if (!seen.has(key)) {
      seen.add(key)
      out.push(p)
    }
  }
  for (const from of sources) {
    const others = targets.filter((t) => t.ns !== from)
    for (const t of sample(rng, others, opts.pingsPerSource ?? 3)) {
      add({ kind: 'ping', from, to: t.ip })
      add({ kind: 'route', from, to: t.ip })
    }
    // An unused address in a connected subnet of this netns: ARP fails (or a router answers).
    const own = w.netns[from]!.links.flatMap((l) => l.addrs.filter((a) => !isLoopbackIp(a.ip) && a.len <= 29 && a.len >= 8))
    const a = pick(rng, own)
    if (a) {
      const base = ipToInt(a.ip) & (a.len === 0 ? 0 : (0xffffffff << (32 - a.len)) >>> 0)
      const size = 2 ** (32 - a.len)
      const used = new Set(targets.map((t) => t.ip))
      for (let k = size - 3; k >= 1; k--) {
        const cand = intToIp((base + k) >>> 0)
        if (!used.has(cand)) {
          add({ kind: 'ping', from, to: cand })
          break
        }
      }
    }
  }
  const pairs = sources.flatMap((from) => targets.filter((t) => t.ns !== from).map((t) => ({ from, to: t.ip })))
  // Somewhere no route leads (or the default route takes it away).
  const far = pick(rng, sources)
  if (far) {
    add({ kind: 'ping', from: far, to: '198.51.100.7' })
    add({ kind: 'route', from: far, to: '198.51.100.7' })
  }
  // Path MTU: DF pings at each MTU found in the world and one byte over.
  const mtus = [...new Set(names.flatMap((n) => w.netns[n]!.links.filter((l) => l.kind !== 'loopback').map((l) => l.mtu)))].filter((m) => m >= 576 && m <= 9000).sort((x, y) => x - y)
  for (const m of mtus.slice(0, 3)) {
    const p = pick(rng, pairs)
    if (!p) break
    add({ kind: 'ping', from: p.from, to: p.to, size: m, df: true })
    add({ kind: 'ping', from: p.from, to: p.to, size: m + 1, df: true })
  }
  const big = pick(rng, pairs)
  if (big) add({ kind: 'ping', from: big.from, to: big.to, size: 1600, df: false })
  const ttl = pick(rng, pairs)
  if (ttl) add({ kind: 'ping', from: ttl.from, to: ttl.to, ttl: 1 })
  // Stand-in servers.
  for (const n of names) {
    for (const l of w.netns[n]!.listeners) {
      const from = pick(rng, sources.filter((s) => s !== n))
      const to = l.addr && l.addr !== '0.0.0.0' ? l.addr : pick(rng, addressesOf(w, n))
      if (!from || !to) continue
      if (l.dns) add({ kind: 'dns', from, server: to, name: 'kubernetes.default.svc.cluster.local', ...(l.port !== 53 && { port: l.port }) })
      else add({ kind: l.proto, from, to, port: l.port })
      add({ kind: l.proto, from, to, port: l.port === 9 ? 10 : 9 })
    }
  }
  return out
}
