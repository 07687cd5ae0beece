/**
 * `packetwalk import INPUT... [--json] [--node NAME] [--local-ip IP]... [--sysctl KEY=VALUE]...`
 *
 * What the importer understood from node dumps: files in any format it reads, folders (one
 * node per folder, named after it; a folder of folders is one node per subfolder), collector
 * bundles, or `-` for stdin. Exit 0 when it ran, even with lines it did not understand;
 * 2 when an input cannot be read.
 */
import { importDumps } from '../../engine/import/importDump.ts'
import { printImportSummary } from '../../engine/import/summary.ts'
import { importToWorld } from '../../engine/import/toWorld.ts'
import type { DumpInput, ImportResult } from '../../engine/import/types.ts'
import type { Sysctls, World } from '../../engine/model/types.ts'
import { isIpv4 } from '../../engine/wire/addr.ts'
import type { Io } from '../io.ts'
import { EXIT, UsageError, flag, flagAll, has, parseArgs } from '../io.ts'

const HELP = `usage: packetwalk import INPUT... [--json] [--node NAME] [--local-ip IP]... [--sysctl KEY=VALUE]...

  INPUT        a dump file (ip addr/link/route/neigh, bridge fdb/link, iptables-save,
               iptables -S, conntrack -L, sysctl, resolv.conf, their -j forms, or a whole
               terminal paste with prompts), a folder (one node, named after the folder;
               a folder of folders: one node each), a collect-node.sh bundle, or - (stdin)
  --json       print {nodes, notUnderstood, unsupported, diagnostics} as JSON
  --node       name the node of the files and stdin given directly (not folders)
  --local-ip   an address of the node, for dumps without interfaces (a bare iptables-save)
  --sysctl     override a sysctl when tracing, e.g. net.bridge.bridge-nf-call-iptables=0

Exit status: 0 when the import ran (lines it did not understand are listed), 2 when an
input cannot be read.
`

export interface LoadDumpOptions {
  /** `--node`: the node name for files and stdin given directly. */
  readonly node?: string
  /** `--local-ip`. */
  readonly localIps?: readonly string[]
  /** `--sysctl KEY=VALUE`. */
  readonly sysctls?: readonly string[]
}

const KNOWN_SYSCTLS: readonly (keyof Sysctls)[] = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.icmp_echo_ignore_all', 'net.ipv4.conf.all.route_localnet']

/** `--sysctl KEY=VALUE` flags as sysctl values; a bad one is a UsageError. */
export function parseSysctlFlags(flags: readonly string[]): Partial<Sysctls> {
  const out: Partial<Record<keyof Sysctls, boolean | number>> = {}
  for (const f of flags) {
    const m = /^([\w.-]+)=(\S+)$/.exec(f)
    if (!m) throw new UsageError(`--sysctl ${f}: expected KEY=VALUE, e.g. net.bridge.bridge-nf-call-iptables=0`)
    const key = m[1] as keyof Sysctls
    if (!KNOWN_SYSCTLS.includes(key)) throw new UsageError(`--sysctl ${m[1]}: not a sysctl packetwalk models (known: ${KNOWN_SYSCTLS.join(', ')})`)
    if (key === 'net.ipv4.conf.all.rp_filter') {
      if (!/^[012]$/.test(m[2]!)) throw new UsageError(`--sysctl ${f}: rp_filter is 0, 1 or 2`)
      out[key] = Number(m[2])
    } else {
      if (!/^(0|1|true|false)$/.test(m[2]!)) throw new UsageError(`--sysctl ${f}: expected 0 or 1`)
      out[key] = m[2] === '1' || m[2] === 'true'
    }
  }
  return out as Partial<Sysctls>
}

function baseName(p: string): string {
  const parts = p.replace(/\/+$/, '').split('/')
  return parts[parts.length - 1] || p
}

function read(io: Io, path: string): string {
  try {
    return io.readFile(path)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new UsageError(`${path === '-' ? 'stdin' : path}: cannot read (${why})`)
  }
}

/** The dump inputs behind command-line paths: files, folders (one node each), `-`. */
export function collectDumpInputs(paths: readonly string[], io: Io, opts: LoadDumpOptions = {}): DumpInput[] {
  if (paths.length === 0) throw new UsageError('no input given: pass dump files, folders (one per node), bundles or - for stdin')
  const localIps = opts.localIps ?? []
  for (const ip of localIps) if (!isIpv4(ip)) throw new UsageError(`--local-ip ${ip}: expected an IPv4 address`)
  const inputs: DumpInput[] = []
  const extra = (node: string | undefined): Pick<DumpInput, 'node' | 'localIps'> => ({ ...(node !== undefined && { node }), ...(localIps.length > 0 && { localIps }) })
  const folder = (dir: string, depth: number) => {
    let entries: string[]
    try {
      entries = io.listDir(dir)
    } catch (e) {
      throw new UsageError(`${dir}: cannot list the folder (${e instanceof Error ? e.message : String(e)})`)
    }
    const node = baseName(dir)
    for (const name of entries) {
      if (name.startsWith('.')) continue
      const p = `${dir.replace(/\/+$/, '')}/${name}`
      if (io.isDirectory(p)) {
        if (depth === 0) folder(p, depth + 1)
        continue
      }
      inputs.push({ name: p, text: read(io, p), ...extra(node) })
    }
  }
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ name: 'stdin', text: read(io, '-'), ...extra(opts.node) })
      continue
    }
    if (!io.exists(p)) throw new UsageError(`${p}: no such file or directory`)
    if (io.isDirectory(p)) folder(p, 0)
    else inputs.push({ name: p, text: read(io, p), ...extra(opts.node) })
  }
  return inputs
}

/**
 * Read dumps from command-line paths and build the world to trace (the trace command uses
 * this for dump inputs).
 * @example loadDumpInputs(['node1/'], nodeIo, { localIps: ['10.0.0.5'] }).world.nodes // ['node1']
 */
export function loadDumpInputs(paths: readonly string[], io: Io, opts: LoadDumpOptions = {}): { result: ImportResult; world: World } {
  const inputs = collectDumpInputs(paths, io, opts)
  const result = importDumps(inputs)
  const world = importToWorld(result, { sysctls: parseSysctlFlags(opts.sysctls ?? []) })
  return { result, world }
}

export function importCmd(argv: string[], io: Io): number {
  const args = parseArgs(argv, { booleans: ['json', 'help'], values: ['node', 'local-ip', 'sysctl'] })
  if (has(args, 'help')) {
    io.stdout(HELP)
    return EXIT.ok
  }
  const node = flag(args, 'node')
  const { result, world } = loadDumpInputs(args.positional, io, { ...(node !== undefined && { node }), localIps: flagAll(args, 'local-ip'), sysctls: flagAll(args, 'sysctl') })
  if (has(args, 'json')) {
    const { nodes, notUnderstood, unsupported, diagnostics } = result
    io.stdout(`${JSON.stringify({ nodes, notUnderstood, unsupported, diagnostics }, null, 2)}\n`)
    return EXIT.ok
  }
  let text = printImportSummary(result)
  const notes = world.notes ?? []
  if (notes.length > 0) text += `\nwhen traced (assumptions):\n${notes.map((n) => `  - ${n}`).join('\n')}\n`
  const warnings = result.diagnostics.filter((d) => d.severity !== 'info')
  if (warnings.length > 0) text += `\n${warnings.length} warning(s); --json lists every diagnostic\n`
  io.stdout(text)
  return EXIT.ok
}
