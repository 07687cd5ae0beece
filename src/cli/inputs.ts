/**
 * Turning command-line inputs into one world: a world file, a cluster file, a scenario, or
 * node dumps (files, one folder per node, collector bundles). Problems are collected as
 * diagnostics with file, line and column; the caller prints them and exits 2.
 */
import { basename } from 'node:path'
import type { Diagnostic } from '../engine/diagnostics.ts'
import { formatDiagnostic } from '../engine/diagnostics.ts'
import type { World } from '../engine/model/types.ts'
import { isWorldFile, loadWorldFile } from '../engine/world/worldFile.ts'
import { parseCluster } from '../engine/kube/parseCluster.ts'
import { buildCluster } from '../engine/kube/build.ts'
import type { Io } from './io.ts'
import { loadDumpInputs } from './commands/import.ts'
import { UsageError } from './io.ts'

export type InputKind = 'world' | 'cluster' | 'scenario' | 'dump'

export interface LoadedInputs {
  readonly world: World
  readonly kind: InputKind
  readonly diagnostics: Diagnostic[]
  /** Files that were read, for messages. */
  readonly files: string[]
}

export interface InputOptions {
  readonly localIps: readonly string[]
  readonly sysctls: readonly string[]
  readonly seed?: number
}

function emptyWorldFor(): World {
  return { netns: {}, segments: {}, nodes: [] }
}

/** What a text is, judged from its first lines. */
export function classify(text: string): InputKind {
  if (isWorldFile(text)) return 'world'
  if (/^\s*kind:\s*Scenario\s*$/m.test(text)) return 'scenario'
  if (/^\s*apiVersion:\s*\S+/m.test(text) && /^\s*kind:\s*\w+/m.test(text)) return 'cluster'
  return 'dump'
}

export function loadInputs(paths: readonly string[], io: Io, opts: InputOptions): LoadedInputs {
  if (paths.length === 0) throw new UsageError('no input given: pass a world file, a cluster file, a scenario or node dumps')
  const texts: { path: string; text: string; kind: InputKind }[] = []
  for (const p of paths) {
    if (!io.exists(p)) throw new UsageError(`${p}: no such file or directory`)
    if (io.isDirectory(p)) {
      texts.push({ path: p, text: '', kind: 'dump' })
      continue
    }
    const text = io.readFile(p)
    texts.push({ path: p, text, kind: classify(text) })
  }
  const kinds = new Set(texts.map((t) => t.kind))
  if (kinds.size > 1) throw new UsageError(`cannot mix ${[...kinds].join(' and ')} inputs in one run (${texts.map((t) => `${basename(t.path)}: ${t.kind}`).join(', ')})`)
  const kind = texts[0]!.kind
  if (kind === 'world') {
    if (texts.length > 1) throw new UsageError('give one world file')
    const t = texts[0]!
    const r = loadWorldFile(t.text, { file: t.path })
    return { world: applySysctlFlags(r.world, opts.sysctls), kind, diagnostics: r.diagnostics, files: [t.path] }
  }
  if (kind === 'cluster') {
    if (texts.length > 1) throw new UsageError('give one cluster file (put every object in it, as `kubectl get … -o yaml` prints them)')
    const t = texts[0]!
    const parsed = parseCluster(t.text, { file: t.path })
    if (parsed.diagnostics.some((d) => d.severity === 'error')) return { world: emptyWorldFor(), kind, diagnostics: parsed.diagnostics, files: [t.path] }
    const built = buildCluster(parsed.desc, { seed: opts.seed ?? 1 })
    return { world: applySysctlFlags(built.world, opts.sysctls), kind, diagnostics: [...parsed.diagnostics, ...built.diagnostics], files: [t.path] }
  }
  if (kind === 'dump') {
    const { result, world } = loadDumpInputs(paths, io, { localIps: opts.localIps, sysctls: opts.sysctls })
    if (Object.keys(world.netns).length === 0) {
      return { world, kind, diagnostics: [{ code: 'IMP000', severity: 'error', message: `nothing usable in ${paths.join(', ')}: no interfaces, routes or iptables rules were understood`, hint: 'pass `ip addr`, `ip route` and `iptables-save` output (or a collector bundle), a world file, a cluster file or a scenario' }], files: [...paths] }
    }
    // Unusable lines are reported by `packetwalk import`; trace only stops for real errors.
    return { world: applySysctlFlags(world, []), kind, diagnostics: result.diagnostics.filter((d) => d.severity === 'error'), files: [...paths] }
  }
  throw new UsageError(`${kind} inputs are not supported by this command yet`)
}

/** `--sysctl KEY=VALUE` applied to every netns. */
export function applySysctlFlags(w: World, flags: readonly string[]): World {
  if (flags.length === 0) return w
  let out = w
  for (const f of flags) {
    const m = /^([\w.-]+)=(\S+)$/.exec(f)
    if (!m) throw new UsageError(`--sysctl ${f}: expected KEY=VALUE, e.g. net.bridge.bridge-nf-call-iptables=0`)
    const key = m[1]!
    const value = m[2]!
    const known = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.icmp_echo_ignore_all', 'net.ipv4.conf.all.route_localnet']
    if (!known.includes(key)) throw new UsageError(`--sysctl ${key}: not a sysctl packetwalk models (known: ${known.join(', ')})`)
    const v = key === 'net.ipv4.conf.all.rp_filter' ? Number(value) : value === '1' || value === 'true'
    out = { ...out, netns: Object.fromEntries(Object.entries(out.netns).map(([k, n]) => [k, { ...n, sysctl: { ...n.sysctl, [key]: v } }])) }
  }
  return out
}

export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`)
}
