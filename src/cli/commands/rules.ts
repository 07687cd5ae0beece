/**
 * `packetwalk rules kube-proxy CLUSTER [--node NAME] [--seed N]`: the iptables-save text
 * kube-proxy would program on a node of the cluster (default: the first node).
 */
import { formatDiagnostic } from '../../engine/diagnostics.ts'
import { loadClusterText } from '../../engine/kube/load.ts'
import type { Io } from '../io.ts'
import { EXIT, UsageError, flag, has, parseArgs } from '../io.ts'

const HELP = `usage: packetwalk rules kube-proxy CLUSTER [--node NAME] [--seed N]

  CLUSTER   a cluster file: Kubernetes objects as \`kubectl get … -o yaml\` prints them,
            plus an optional packetwalk.dev/v1 ClusterConfig document
  --node    the node whose rules to print (default: the first node)
  --seed    seed for generated addresses and names (default 1)
`

export function rules(argv: string[], io: Io): number {
  const args = parseArgs(argv, { booleans: ['help'], values: ['node', 'seed'] })
  if (has(args, 'help')) {
    io.stdout(HELP)
    return EXIT.ok
  }
  const [what, file, ...rest] = args.positional
  if (what !== 'kube-proxy') throw new UsageError(`${what === undefined ? 'missing rule set' : `unknown rule set "${what}"`}: the only one is kube-proxy (packetwalk rules kube-proxy CLUSTER [--node NAME])`)
  if (file === undefined) throw new UsageError('missing CLUSTER: a cluster file (Kubernetes objects in YAML, as kubectl get -o yaml prints them)')
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]!}: give one cluster file`)
  const seedText = flag(args, 'seed') ?? '1'
  if (!/^\d+$/.test(seedText)) throw new UsageError(`--seed ${seedText}: expected a non-negative integer`)
  if (!io.exists(file)) throw new UsageError(`${file}: no such file or directory`)
  if (io.isDirectory(file)) throw new UsageError(`${file} is a directory; give a cluster file`)
  const loaded = loadClusterText(io.readFile(file), { file, seed: Number(seedText) })
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error')
  for (const d of loaded.diagnostics) io.stderr(`${formatDiagnostic(d)}\n`)
  if (errors.length > 0 || !loaded.cluster) {
    io.stderr(`packetwalk rules: ${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} and run again\n`)
    return EXIT.badInput
  }
  const nodes = loaded.cluster.nodes.map((n) => n.name)
  const node = flag(args, 'node') ?? nodes[0]!
  const r = loaded.cluster.rules[node]
  if (!r) throw new UsageError(`--node ${node}: no such node in ${file} (nodes: ${nodes.join(', ')})`)
  io.stdout(r.kubeProxy)
  return EXIT.ok
}
