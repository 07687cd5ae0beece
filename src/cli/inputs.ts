/**
 * Turning command-line inputs into one world: a world file, a cluster file, a scenario, or
 * node dumps (files, one folder per node, collector bundles). Problems are collected as
 * diagnostics with file, line and column; the caller prints them and exits 2.
 */
import { basename, dirname, join } from 'node:path'
import type { Diagnostic } from '../engine/diagnostics.ts'
import { formatDiagnostic } from '../engine/diagnostics.ts'
import type { World } from '../engine/model/types.ts'
import { isWorldFile, loadWorldFile } from '../engine/world/worldFile.ts'
import { parseCluster } from '../engine/kube/parseCluster.ts'
import { buildCluster } from '../engine/kube/build.ts'
import { parseScenario, runScenario } from '../engine/scenario/runner.ts'
import type { Io } from './io.ts'
import { loadDumpInputs } from './commands/import.ts'
import { UsageError, flag, flagAll } from './io.ts'
import type { ParsedArgs } from './io.ts'

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
  /** Scenario inputs: the world after this many actions (`--step N`; default 0, the start). */
  readonly step?: string
  /** Scenario inputs: what-ifs to switch on (`--what-if ID`). */
  readonly whatIfs?: readonly string[]
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
  if (kind !== 'scenario' && (opts.step !== undefined || (opts.whatIfs?.length ?? 0) > 0)) throw new UsageError(`--step and --what-if apply to a scenario input, not to a ${kind} input`)
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
  if (texts.length > 1) throw new UsageError('give one scenario file')
  const t = texts[0]!
  const r = loadScenarioWorld(t.text, t.path, io, opts)
  return { world: applySysctlFlags(r.world, opts.sysctls), kind, diagnostics: r.diagnostics, files: [t.path] }
}

/**
 * The world of a scenario: the one it starts from (its world or cluster file, with the
 * what-ifs' changes), or with `step` N the world right after its first N actions ran, as the
 * app shows it at the end of action N. Files the scenario names are relative to it.
 */
export function loadScenarioWorld(text: string, path: string, io: Io, opts: Pick<InputOptions, 'step' | 'whatIfs'>): { world: World; diagnostics: Diagnostic[] } {
  const parsed = parseScenario(text, { file: path })
  if (!parsed.scenario || parsed.diagnostics.some((d) => d.severity === 'error')) return { world: emptyWorldFor(), diagnostics: parsed.diagnostics }
  const scn = parsed.scenario
  const actions = scn.actions.length
  const stepText = opts.step ?? '0'
  if (!/^\d+$/.test(stepText) || Number(stepText) > actions) {
    const titles = scn.actions.map((a, i) => `  ${i + 1}  ${a.title}`).join('\n')
    throw new UsageError(`--step ${stepText}: ${basename(path)} has ${actions} action${actions === 1 ? '' : 's'}; give 0 (the start) to ${actions}:\n${titles}`)
  }
  const step = Number(stepText)
  const readFile = (rel: string) => {
    const p = join(dirname(path), rel)
    return io.exists(p) && !io.isDirectory(p) ? io.readFile(p) : undefined
  }
  // Only the first `step` actions matter: the rest are not run.
  // The scenario's own seed builds its world (the pod names and addresses its narration uses).
  const run = runScenario({ ...scn, actions: scn.actions.slice(0, step) }, { readFile, file: path, source: parsed.source }, { whatIfs: opts.whatIfs ?? [] })
  const diagnostics = [...parsed.diagnostics, ...run.diagnostics]
  if (diagnostics.some((d) => d.severity === 'error')) return { world: emptyWorldFor(), diagnostics }
  return { world: run.timeline.segments.at(-1)?.after ?? run.start, diagnostics }
}

/** `--step N` and `--what-if ID` as loadInputs takes them (absent when not given). */
export function scenarioOptions(args: ParsedArgs): Pick<InputOptions, 'step' | 'whatIfs'> {
  const step = flag(args, 'step')
  const whatIfs = flagAll(args, 'what-if')
  return { ...(step !== undefined && { step }), ...(whatIfs.length > 0 && { whatIfs }) }
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
