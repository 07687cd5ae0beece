/**
 * `packetwalk export-script INPUT [--prefix P] [--step N] [--what-if ID]`: the bash script that builds the input's
 * world in real network namespaces (parts `up`, `probe`, `down`), on stdout.
 */
import { basename, extname } from 'node:path'
import { exportScript as generate } from '../../engine/export/script.ts'
import type { Io } from '../io.ts'
import { EXIT, UsageError, flag, flagAll, has, parseArgs } from '../io.ts'
import { loadInputs, printDiagnostics, scenarioOptions } from '../inputs.ts'

const HELP = `usage: packetwalk export-script INPUT... [--prefix PREFIX] [--sysctl KEY=VALUE]...
                               [--step N] [--what-if ID]...

  Prints a bash script that recreates the world on this Linux host in network namespaces:
    sudo bash world.sh up | probe SPEC... | down
  INPUT      a world file, a cluster file, a scenario or node dumps (what \`packetwalk trace\` accepts)
  --prefix   prefix of every netns the script creates (default pw-)
  --step     scenario input: the world after its first N actions (default 0: its start)
  --what-if  scenario input: switch on one of its what-ifs (repeatable)
`

export async function exportScript(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { booleans: ['help'], values: ['prefix', 'sysctl', 'local-ip', 'seed', 'step', 'what-if'] })
  if (has(args, 'help')) {
    io.stdout(HELP)
    return EXIT.ok
  }
  const prefix = flag(args, 'prefix') ?? 'pw-'
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(prefix)) throw new UsageError(`--prefix ${prefix}: use letters, digits, '.', '_' or '-' (at most 40)`)
  const seedText = flag(args, 'seed') ?? '1'
  if (!/^\d+$/.test(seedText)) throw new UsageError(`--seed ${seedText}: expected a non-negative integer`)
  const loaded = await Promise.resolve(loadInputs(args.positional, io, { localIps: flagAll(args, 'local-ip'), sysctls: flagAll(args, 'sysctl'), seed: Number(seedText), ...scenarioOptions(args) }))
  printDiagnostics(io, loaded.diagnostics)
  if (loaded.diagnostics.some((d) => d.severity === 'error')) return EXIT.badInput
  if (Object.keys(loaded.world.netns).length === 0) throw new UsageError('the input has no network namespaces to build')
  const title = loaded.files.map((f) => basename(f, extname(f))).join(', ')
  io.stdout(generate(loaded.world, { prefix, title }))
  return EXIT.ok
}
