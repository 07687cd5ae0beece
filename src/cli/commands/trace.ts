/**
 * `packetwalk trace INPUT... --from SRC --to DST[:PORT] [--proto tcp|udp|icmp]
 *  [--all-outcomes] [--round-trip] [--seed N] [--json] [--local-ip IP] [--sysctl K=V]
 *  [--step N] [--what-if ID]`
 */
import { NameError, resolveSource, resolveTarget } from '../../engine/session.ts'
import { traceWorld, traceWorldAll } from '../../engine/trace.ts'
import type { Target } from '../../engine/session.ts'
import type { World } from '../../engine/model/types.ts'
import { renderOutcome, renderTrace } from '../../engine/sim/render.ts'
import type { Outcome, SendSpec } from '../../engine/sim/trace.ts'
import type { Io } from '../io.ts'
import { EXIT, UsageError, flag, flagAll, has, parseArgs } from '../io.ts'
import { loadInputs, printDiagnostics, scenarioOptions } from '../inputs.ts'
import { withIcmpErrorReply } from '../reply.ts'

const HELP = `usage: packetwalk trace INPUT... --from SRC --to DST[:PORT] [--proto tcp|udp|icmp]
                       [--all-outcomes] [--round-trip] [--seed N] [--json]
                       [--local-ip IP]... [--sysctl KEY=VALUE]...
                       [--step N] [--what-if ID]...

  INPUT      a world file, a cluster file, a scenario, or node dumps (files or one folder per node)
  --from     an IPv4 address, a pod (ns/name), a netns of a world file, or an external client
  --to       an address (ClusterIP, node IP, pod IP...) or a Service (ns/name); PORT for tcp/udp
  --proto    default: tcp when a port is given, else icmp
  --step     scenario input: trace in the world after its first N actions (default 0: its start)
  --what-if  scenario input: switch on one of its what-ifs (repeatable)
`

export async function trace(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { booleans: ['all-outcomes', 'round-trip', 'json', 'help'], values: ['from', 'to', 'proto', 'seed', 'local-ip', 'sysctl', 'step', 'what-if'] })
  if (has(args, 'help')) {
    io.stdout(HELP)
    return EXIT.ok
  }
  const from = flag(args, 'from')
  const to = flag(args, 'to')
  if (!from) throw new UsageError('--from is required (an IP, a pod ns/name, a netns or a client name)')
  if (!to) throw new UsageError('--to is required (an IP or a Service, with :PORT for tcp/udp)')
  const seedText = flag(args, 'seed') ?? '1'
  if (!/^\d+$/.test(seedText)) throw new UsageError(`--seed ${seedText}: expected a non-negative integer`)
  const loaded = await Promise.resolve(loadInputs(args.positional, io, { localIps: flagAll(args, 'local-ip'), sysctls: flagAll(args, 'sysctl'), seed: Number(seedText), ...scenarioOptions(args) }))
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error')
  printDiagnostics(io, loaded.diagnostics)
  if (errors.length > 0) return EXIT.badInput

  const send = buildSend(loaded.world, from, to, flag(args, 'proto'), has(args, 'round-trip'))
  const seed = Number(seedText)
  let outcomes: Outcome[]
  if (has(args, 'all-outcomes')) outcomes = traceWorldAll(loaded.world, send, { seed, now: 0 })
  else {
    const r = traceWorld(loaded.world, send, { seed, now: 0 })
    outcomes = [{ probability: 1, ...r.outcome, steps: r.steps }]
  }
  // An ICMP error that comes back is the answer the sender gets, as a RST is.
  outcomes = outcomes.map((o) => withIcmpErrorReply(o, send.roundTrip === true))

  if (has(args, 'json')) {
    io.stdout(`${JSON.stringify({ outcomes }, null, 2)}\n`)
    return EXIT.ok
  }
  for (const [i, o] of outcomes.entries()) {
    if (outcomes.length > 1) io.stdout(`\n=== outcome ${i + 1} of ${outcomes.length} ===\n`)
    io.stdout(`${renderTrace(o.steps, { minor: false })}\n== ${renderOutcome(o)}\n`)
  }
  return EXIT.ok
}

/** Resolve --from/--to/--proto into a SendSpec, with errors that say what would work. */
export function buildSend(world: World, from: string, to: string, protoFlag: string | undefined, roundTrip: boolean): SendSpec {
  let source: string
  let target: Target
  try {
    source = resolveSource(world, from)
    target = resolveTarget(world, to)
  } catch (e) {
    if (e instanceof NameError) throw new UsageError(`${e.message}`)
    throw e
  }
  const port = target.port
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--to ${to}: port must be 1-65535`)
  const proto = (protoFlag ?? target.proto ?? (port !== undefined ? 'tcp' : 'icmp')) as SendSpec['proto']
  if (!['tcp', 'udp', 'icmp'].includes(proto)) throw new UsageError(`--proto ${protoFlag}: expected tcp, udp or icmp`)
  if (proto !== 'icmp' && port === undefined) throw new UsageError(`--to ${to}: a port is required for ${proto} (e.g. ${target.ip}:80)`)
  return { from: source, to: target.ip, proto, ...(port !== undefined && proto !== 'icmp' && { dport: port }), roundTrip }
}
