/**
 * Netfilter benchmark (not a test): parse a kube-proxy-shaped dump of 5,000 services × 3
 * endpoints, trace one packet through it (median of many), and, as root with
 * iptables-legacy, time `iptables-restore --test` on the same file in a throwaway netns.
 * Run: `npx tsx src/bench/netfilter.bench.ts [services]`.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { generateKubeProxyDump } from './genKubeProxyDump.ts'
import { parseIptablesSave } from '../engine/netfilter/save.ts'
import { processHook } from '../engine/netfilter/hooks.ts'
import type { NfEnv } from '../engine/netfilter/hooks.ts'
import type { Netns } from '../engine/model/types.ts'

const services = Number(process.argv[2] ?? 5000)
const text = generateKubeProxyDump(services)
const lines = text.split('\n').length - 1

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

// Parse: median of 5 after a warm-up.
parseIptablesSave(text)
const parseTimes: number[] = []
let parsed = parseIptablesSave(text)
for (let i = 0; i < 5; i++) {
  const t0 = performance.now()
  parsed = parseIptablesSave(text)
  parseTimes.push(performance.now() - t0)
}
if (parsed.diagnostics.length) console.error('diagnostics:', parsed.diagnostics.slice(0, 3))
const parseMs = median(parseTimes)

const ns: Netns = { name: 'node', kind: 'host', links: [], routes: [], neigh: [], fdb: [], sysctl: { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true, 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.icmp_echo_ignore_all': false, 'net.ipv4.conf.all.route_localnet': false }, netfilter: parsed.ruleset, ipsets: {}, conntrack: [], recent: {}, counters: {}, listeners: [], nextIfindex: 2 }
let seed = 7
const env: NfEnv = { now: 0, decide: (p) => ((seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000) < p, random: () => 0.5, addrType: () => 'UNICAST', masqueradeSource: () => '192.168.0.2' }
const target = Math.floor(services * 0.77)
const pkt = { src: '10.244.200.7', dst: `10.96.${(target >> 8) & 255}.${target & 255}`, proto: 'tcp' as const, sport: 43210, dport: 80, len: 60, mark: 0, tcpFlags: ['SYN'], inIface: 'cni0' }
for (let i = 0; i < 200; i++) processHook(ns, 'PREROUTING', pkt, env)
const traceTimes: number[] = []
let last = processHook(ns, 'PREROUTING', pkt, env)
for (let i = 0; i < 2000; i++) {
  const t0 = performance.now()
  last = processHook(ns, 'PREROUTING', pkt, env)
  traceTimes.push(performance.now() - t0)
}
const traceMs = median(traceTimes)

let restoreMs: number | undefined
let restoreNote = ''
if (process.getuid?.() === 0 && spawnSync('iptables-legacy-restore', ['--version']).status === 0) {
  const nsName = `pwA-bench-${process.pid}`
  execFileSync('ip', ['netns', 'add', nsName])
  try {
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const r = spawnSync('ip', ['netns', 'exec', nsName, 'iptables-legacy-restore', '--test'], { input: text })
      times.push(performance.now() - t0)
      if (r.status !== 0) restoreNote = ` (exit ${r.status}: ${String(r.stderr).trim()})`
    }
    restoreMs = median(times)
  } finally {
    execFileSync('ip', ['netns', 'del', nsName])
  }
} else restoreNote = ' (skipped: needs root and iptables-legacy-restore)'

const walked = last.step.chains.map((c) => `${c.chain}:${c.rules.length}${c.missRuns ? `+${c.missRuns.reduce((s, r) => s + r.to - r.from + 1, 0)} skipped` : ''}`).join(' ')
console.log(`kube-proxy-shaped dump: ${services} services × 3 endpoints, ${lines} lines, ${(text.length / 1e6).toFixed(1)} MB`)
console.log(`parse (parseIptablesSave, median of 5):     ${parseMs.toFixed(1)} ms`)
console.log(`iptables-restore --test (median of 3):      ${restoreMs === undefined ? 'n/a' : `${restoreMs.toFixed(1)} ms`}${restoreNote}`)
if (restoreMs !== undefined) console.log(`ratio parse / iptables-restore --test:      ${(parseMs / restoreMs).toFixed(2)}  (floor: ≤ 0.50) ${parseMs <= restoreMs / 2 ? 'OK' : 'MISSED'}`)
console.log(`one packet, PREROUTING (median of 2000):    ${(traceMs * 1000).toFixed(1)} µs  (floor: < 1000 µs) ${traceMs < 1 ? 'OK' : 'MISSED'}`)
console.log(`  → ${last.nat.map((n) => `${n.kind} ${n.from} → ${n.to}`).join(', ')}; walked ${walked}`)
