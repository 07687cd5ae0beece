/**
 * `kubectl` (v1.31) and `crictl` (v1.31) over the world's cluster state. kubectl: get
 * pods|svc|endpoints|endpointslices|nodes|networkpolicies|deployments|configmap coredns
 * (-n NS | -A, -o wide|name|yaml for the CoreDNS ConfigMap, -l), scale, expose, create
 * deployment, run, delete pod|deployment|service|networkpolicy, apply -f - (NetworkPolicy,
 * Deployment, Service, Pod YAML), exec (a command or a shell in the pod's netns), logs of
 * CoreDNS. Each verb is a kube/operations.ts operation, so kube-proxy and the CNI reprogram
 * the nodes at once. Tables use kubectl's tabwriter; AGE counts from when the pod appeared.
 * crictl (on a node): pods, ps, inspectp, inspect, the node's sandboxes and containers.
 *
 * Simplifications: one kubeconfig with full rights (no RBAC); every pod image has every
 * tool (a real nginx image has no ping); a node's `kube-proxy` resync after a kubectl verb
 * rewrites that node's iptables from the cluster state, dropping hand-made rules on nodes.
 */
import { parseAllDocuments } from 'yaml'
import { finish, newCtx } from '../kube/ctx.ts'
import { addService, syncCluster } from '../kube/build.ts'
import { applyPolicy, createDeployment, deleteDeployment, deletePod, deletePolicy, deploymentFromArgs, expose, runPod, scaleDeployment } from '../kube/operations.ts'
import type { ClusterSnapshot, OperationResult } from '../kube/operations.ts'
import { Deployment as DeploymentSchema, NetworkPolicy as NetworkPolicySchema, Pod as PodSchema, Service as ServiceSchema } from '../kube/schema.ts'
import type { ClusterState, PodState } from '../kube/state.ts'
import { svcKey, isHeadless } from '../kube/services.ts'
import type { LabelSelector } from '../kube/schema.ts'
import { SHELLS, enterShell } from './builtins.ts'
import type { Command, Io } from './session.ts'
import { crictlTable, formatRfc3339, hexId, humanDuration, kubectlTable, unitsAgo } from './text.ts'

const CONNECTION_REFUSED = 'The connection to the server localhost:8080 was refused - did you specify the right host or port?\n'
const VERSION = 'v1.31.0'

interface KubeFlags {
  namespace?: string
  all: boolean
  output?: string
  selector?: string
  noHeaders: boolean
  rest: string[]
}

function parseFlags(argv: readonly string[]): KubeFlags {
  const f: KubeFlags = { all: false, noHeaders: false, rest: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      f.rest.push(...argv.slice(i))
      break
    }
    if (a === '-n' || a === '--namespace') f.namespace = argv[++i]
    else if (a.startsWith('--namespace=')) f.namespace = a.slice(12)
    else if (a.startsWith('-n') && a.length > 2 && !a.startsWith('--')) f.namespace = a.slice(2)
    else if (a === '-A' || a === '--all-namespaces') f.all = true
    else if (a === '-o' || a === '--output') f.output = argv[++i]
    else if (a.startsWith('-o') && a.length > 2 && !a.startsWith('--')) f.output = a.slice(2).replace(/^=/, '')
    else if (a.startsWith('--output=')) f.output = a.slice(9)
    else if (a === '-l' || a === '--selector') f.selector = argv[++i]
    else if (a.startsWith('--selector=')) f.selector = a.slice(11)
    else if (a === '--no-headers') f.noHeaders = true
    else if (a === '-w' || a === '--watch') continue
    else f.rest.push(a)
  }
  return f
}

function snapshot(io: Io): ClusterSnapshot | undefined {
  const c = io.sh.world.cluster
  return c ? { world: io.sh.world, cluster: c } : undefined
}

function commit(io: Io, r: OperationResult): void {
  const before = io.sh.world.cluster
  io.sh.setWorld({ ...r.world, cluster: r.cluster })
  // Objects that appear now are born now: their AGE starts at 0s.
  const born: Record<string, number> = {}
  for (const p of r.cluster.pods) if (io.sh.podBirth[`${p.namespace}/${p.name}`] === undefined) born[`${p.namespace}/${p.name}`] = io.sh.clock
  for (const s of r.cluster.services) if (!before?.services.some((x) => svcKey(x) === svcKey(s)) && io.sh.podBirth[`service:${svcKey(s)}`] === undefined) born[`service:${svcKey(s)}`] = io.sh.clock
  for (const d of r.cluster.deployments) {
    const k = `deployment:${d.deployment.metadata.namespace ?? 'default'}/${d.deployment.metadata.name}`
    if (!before?.deployments.some((x) => x.deployment.metadata.name === d.deployment.metadata.name && x.deployment.metadata.namespace === d.deployment.metadata.namespace) && io.sh.podBirth[k] === undefined) born[k] = io.sh.clock
  }
  for (const p of r.cluster.networkPolicies) {
    const k = `networkpolicy:${p.metadata.namespace ?? 'default'}/${p.metadata.name}`
    if (!before?.networkPolicies.some((x) => x.metadata.name === p.metadata.name && x.metadata.namespace === p.metadata.namespace) && io.sh.podBirth[k] === undefined) born[k] = io.sh.clock
  }
  if (Object.keys(born).length) io.sh.podBirth = { ...io.sh.podBirth, ...born }
}

/** AGE of an object: from when it appeared in this shell, or ten minutes for what was there before. */
function age(io: Io, pod?: PodState, key?: string): string {
  const born = pod ? io.sh.podBirth[`${pod.namespace}/${pod.name}`] : key !== undefined ? io.sh.podBirth[key] : undefined
  return humanDuration(io.sh.clock - (born ?? io.sh.clock - 600_000))
}

function matchesSelector(labels: Readonly<Record<string, string>> | undefined, sel: string | undefined): boolean {
  if (!sel) return true
  return sel.split(',').every((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term.trim())
    if (!m) return labels?.[term.trim()] !== undefined
    const v = labels?.[m[1]!.trim()]
    return m[2] === '!=' ? v !== m[3] : v === m[3]
  })
}

const RESOURCES: Readonly<Record<string, string>> = {
  po: 'pods', pod: 'pods', pods: 'pods',
  svc: 'services', service: 'services', services: 'services',
  ep: 'endpoints', endpoints: 'endpoints',
  endpointslice: 'endpointslices', endpointslices: 'endpointslices', 'endpointslices.discovery.k8s.io': 'endpointslices',
  no: 'nodes', node: 'nodes', nodes: 'nodes',
  netpol: 'networkpolicies', networkpolicy: 'networkpolicies', networkpolicies: 'networkpolicies', 'networkpolicies.networking.k8s.io': 'networkpolicies',
  deploy: 'deployments', deployment: 'deployments', deployments: 'deployments', 'deployments.apps': 'deployments',
  cm: 'configmaps', configmap: 'configmaps', configmaps: 'configmaps',
  ns: 'namespaces', namespace: 'namespaces', namespaces: 'namespaces',
}

const KIND_NAME: Readonly<Record<string, string>> = { pods: 'pod', services: 'service', endpoints: 'endpoints', endpointslices: 'endpointslice.discovery.k8s.io', nodes: 'node', networkpolicies: 'networkpolicy.networking.k8s.io', deployments: 'deployment.apps', configmaps: 'configmap', namespaces: 'namespace' }

export const kubectl: Command = (io, argv) => {
  const snap = snapshot(io)
  const verb = argv[1]
  if (verb === 'version') {
    io.out(`Client Version: ${VERSION}\nKustomize Version: v5.4.2\n${snap ? `Server Version: ${VERSION}\n` : ''}`)
    if (!snap) io.err(CONNECTION_REFUSED)
    return snap ? 0 : 1
  }
  if (verb === undefined || verb === 'help' || verb === '--help') {
    io.out('kubectl controls the Kubernetes cluster manager.\n\nBasic Commands:\n  create        Create a resource from a file or from stdin\n  expose        Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service\n  run           Run a particular image on the cluster\n  get           Display one or many resources\n  delete        Delete resources by file names, stdin, resources and names, or by resources and label selector\n\nDeploy Commands:\n  scale         Set a new size for a deployment, replica set, or replication controller\n\nTroubleshooting and Debugging Commands:\n  logs          Print the logs for a container in a pod\n  exec          Execute a command in a container\n\nAdvanced Commands:\n  apply         Apply a configuration to a resource by file name or stdin\n')
    return 0
  }
  if (!snap) {
    io.err(CONNECTION_REFUSED)
    return 1
  }
  const f = parseFlags(argv.slice(2))
  switch (verb) {
    case 'get':
      return get(io, snap.cluster, f)
    case 'scale':
      return scale(io, snap, f)
    case 'expose':
      return exposeCmd(io, snap, f)
    case 'delete':
      return del(io, snap, f)
    case 'create':
      return create(io, snap, f)
    case 'run':
      return run(io, snap, f)
    case 'apply':
      return apply(io, snap, f)
    case 'exec':
      return exec(io, snap.cluster, f)
    case 'logs':
      return logs(io, snap.cluster, f)
    case 'describe':
    case 'edit':
    case 'patch':
    case 'rollout':
    case 'port-forward':
    case 'top':
    case 'debug':
      io.err(`packetwalk: \`kubectl ${verb}\` is not simulated (get, scale, expose, create, run, delete, apply, exec and logs are)\n`)
      return 1
    default:
      io.err(`error: unknown command "${verb}" for "kubectl"\n\nDid you mean this?\n\tget\n\tapply\n`)
      return 1
  }
}

function nsOf(f: KubeFlags): string {
  return f.namespace ?? 'default'
}

function noResources(io: Io, f: KubeFlags): number {
  io.err(f.all ? 'No resources found\n' : `No resources found in ${nsOf(f)} namespace.\n`)
  return 0
}

function notFound(io: Io, kind: string, name: string): number {
  io.err(`Error from server (NotFound): ${kind} "${name}" not found\n`)
  return 1
}

function get(io: Io, c: ClusterState, f: KubeFlags): number {
  const [typeArg, ...names] = f.rest
  if (typeArg === undefined) {
    io.err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples\n")
    return 1
  }
  let types = typeArg.split(',')
  let wanted = names
  if (types.length === 1 && typeArg.includes('/')) {
    types = [typeArg.split('/')[0]!]
    wanted = [typeArg.split('/')[1]!, ...names]
  }
  let status = 0
  const blocks: string[] = []
  for (const t of types) {
    const res = t === 'all' ? 'all' : RESOURCES[t]
    if (!res) {
      io.err(`error: the server doesn't have a resource type "${t}"\n`)
      return 1
    }
    const kinds = res === 'all' ? ['pods', 'services', 'deployments'] : [res]
    for (const kind of kinds) {
      const r = table(io, c, kind, f, wanted, types.length > 1 || res === 'all')
      if (r.missing.length) {
        for (const m of r.missing) notFound(io, kind === 'deployments' ? 'deployments.apps' : kind === 'networkpolicies' ? 'networkpolicies.networking.k8s.io' : kind, m)
        status = 1
      }
      if (r.text !== '') blocks.push(r.text)
    }
  }
  if (blocks.length === 0 && status === 0) return noResources(io, f)
  io.out(blocks.join('\n'))
  return status
}

interface Row {
  readonly ns: string
  readonly name: string
  readonly cells: readonly string[]
  readonly wide?: readonly string[]
  readonly labels?: Readonly<Record<string, string>>
}

function table(io: Io, c: ClusterState, kind: string, f: KubeFlags, names: readonly string[], prefixed: boolean): { text: string; missing: string[] } {
  const inNs = (ns: string) => f.all || ns === nsOf(f)
  let head: string[] = []
  let wideHead: string[] = []
  let rows: Row[] = []
  switch (kind) {
    case 'pods':
      head = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']
      wideHead = ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']
      rows = c.pods.filter((p) => inNs(p.namespace)).map((p) => ({ ns: p.namespace, name: p.name, labels: p.labels, cells: [`${p.ready ? p.containers.length : 0}/${p.containers.length}`, p.ready ? 'Running' : 'ContainerCreating', '0', age(io, p)], wide: [p.hostNetwork ? (c.nodes.find((n) => n.name === p.node)?.ip ?? '<none>') : (p.ip ?? '<none>'), p.node, '<none>', '<none>'] }))
      break
    case 'services':
      head = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']
      wideHead = ['SELECTOR']
      rows = c.services.filter((s) => inNs(s.metadata.namespace ?? 'default')).map((s) => ({
        ns: s.metadata.namespace ?? 'default',
        name: s.metadata.name,
        labels: s.metadata.labels ?? {},
        cells: [s.spec.type, isHeadless(s) ? 'None' : (s.spec.clusterIP ?? '<none>'), s.spec.type === 'LoadBalancer' ? '<pending>' : '<none>', s.spec.ports.map((p) => `${p.port}${p.nodePort && s.spec.type !== 'ClusterIP' ? `:${p.nodePort}` : ''}/${p.protocol}`).join(',') || '<none>', age(io, undefined, `service:${svcKey(s)}`)],
        wide: [s.spec.selector ? Object.entries(s.spec.selector).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'],
      }))
      break
    case 'endpoints':
      head = ['NAME', 'ENDPOINTS', 'AGE']
      rows = c.services.filter((s) => inNs(s.metadata.namespace ?? 'default')).map((s) => {
        const eps = c.endpointSlices.filter((sl) => (sl.metadata.namespace ?? 'default') === (s.metadata.namespace ?? 'default') && sl.metadata.labels?.['kubernetes.io/service-name'] === s.metadata.name)
        // kubectl lists each port's addresses in turn (formatEndpoints).
        const addrs = eps.flatMap((sl) => {
          const ready = sl.endpoints.filter((e) => e.conditions.ready !== false)
          return sl.ports.length ? sl.ports.flatMap((p) => ready.map((e) => `${e.addresses[0]!}:${p.port ?? ''}`)) : ready.map((e) => e.addresses[0]!)
        })
        const shown = addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',') || '<none>'
        return { ns: s.metadata.namespace ?? 'default', name: s.metadata.name, cells: [shown, age(io, undefined, `service:${svcKey(s)}`)] }
      })
      break
    case 'endpointslices':
      head = ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']
      rows = c.endpointSlices.filter((s) => inNs(s.metadata.namespace ?? 'default')).map((s) => {
        const addrs = s.endpoints.map((e) => e.addresses[0]!)
        return { ns: s.metadata.namespace ?? 'default', name: s.metadata.name, labels: s.metadata.labels ?? {}, cells: [s.addressType, s.ports.map((p) => String(p.port ?? '')).join(',') || '<unset>', addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',') || '<unset>', age(io)] }
      })
      break
    case 'nodes':
      head = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']
      wideHead = ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']
      rows = c.nodes.map((n) => {
        const roles = Object.keys(n.labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24))
        return { ns: '', name: n.name, labels: n.labels, cells: ['Ready', roles.join(',') || '<none>', age(io), VERSION], wide: [n.ip, '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.18.0', 'containerd://1.7.24'] }
      })
      break
    case 'networkpolicies':
      head = ['NAME', 'POD-SELECTOR', 'AGE']
      rows = c.networkPolicies.filter((p) => inNs(p.metadata.namespace ?? 'default')).map((p) => ({ ns: p.metadata.namespace ?? 'default', name: p.metadata.name, cells: [formatSelector(p.spec.podSelector), age(io, undefined, `networkpolicy:${p.metadata.namespace ?? 'default'}/${p.metadata.name}`)] }))
      break
    case 'deployments':
      head = ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']
      rows = c.deployments.filter((d) => inNs(d.deployment.metadata.namespace ?? 'default')).map((d) => {
        const ns = d.deployment.metadata.namespace ?? 'default'
        const pods = c.pods.filter((p) => p.namespace === ns && p.owner?.deployment === d.deployment.metadata.name)
        const ready = pods.filter((p) => p.ready).length
        return { ns, name: d.deployment.metadata.name, labels: d.deployment.metadata.labels ?? {}, cells: [`${ready}/${d.deployment.spec.replicas}`, String(pods.length), String(ready), age(io, undefined, `deployment:${ns}/${d.deployment.metadata.name}`)] }
      })
      break
    case 'configmaps':
      head = ['NAME', 'DATA', 'AGE']
      rows = [{ ns: 'kube-system', name: 'coredns', cells: ['1', age(io)] }, { ns: 'kube-system', name: 'kube-proxy', cells: ['2', age(io)] }].filter((r) => inNs(r.ns))
      if (f.output === 'yaml' && names.includes('coredns') && inNs('kube-system')) return { text: `apiVersion: v1\ndata:\n  Corefile: |\n${c.dns.corefile.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n')}\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n`, missing: [] }
      break
    case 'namespaces':
      head = ['NAME', 'STATUS', 'AGE']
      rows = c.namespaces.map((n) => ({ ns: '', name: n.name, labels: n.labels, cells: ['Active', age(io)] }))
      break
  }
  rows = rows.filter((r) => matchesSelector(r.labels, f.selector))
  const missing = names.filter((n) => !rows.some((r) => r.name === n))
  if (names.length) rows = rows.filter((r) => names.includes(r.name))
  if (rows.length === 0) return { text: '', missing }
  if (f.output === 'name') return { text: rows.map((r) => `${KIND_NAME[kind] ?? kind}/${r.name}\n`).join(''), missing }
  if (f.output !== undefined && f.output !== 'wide') {
    io.err(`packetwalk: -o ${f.output} is not simulated here (tables, -o wide and -o name are)\n`)
    return { text: '', missing }
  }
  const wide = f.output === 'wide'
  const nsCol = f.all && kind !== 'nodes' && kind !== 'namespaces'
  const prefix = prefixed ? `${KIND_NAME[kind] ?? kind}/` : ''
  const lines: string[][] = []
  if (!f.noHeaders) lines.push([...(nsCol ? ['NAMESPACE'] : []), ...head, ...(wide ? wideHead : [])])
  for (const r of rows) lines.push([...(nsCol ? [r.ns] : []), `${prefix}${r.name}`, ...r.cells, ...(wide ? (r.wide ?? []) : [])])
  return { text: kubectlTable(lines), missing }
}

/** metav1.FormatLabelSelector: `app=web,tier in (a,b)`, `<none>` for an empty selector. */
function formatSelector(sel: LabelSelector | undefined): string {
  const parts = [...Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`), ...(sel?.matchExpressions ?? []).map((e) => (e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`))]
  return parts.length ? parts.join(',') : '<none>'
}

function refOf(args: readonly string[], wantKind: string): { name?: string } {
  const [a, b] = args
  if (a === undefined) return {}
  if (a.includes('/')) return RESOURCES[a.split('/')[0]!] === wantKind ? { name: a.split('/')[1]! } : {}
  return RESOURCES[a] === wantKind ? (b !== undefined ? { name: b } : {}) : {}
}

function flagValue(f: KubeFlags, name: string): string | undefined {
  for (let i = 0; i < f.rest.length; i++) {
    const a = f.rest[i]!
    if (a === `--${name}`) return f.rest[i + 1]
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3)
  }
  return undefined
}

function positional(f: KubeFlags): string[] {
  const out: string[] = []
  for (let i = 0; i < f.rest.length; i++) {
    const a = f.rest[i]!
    if (a === '--') break
    if (a.startsWith('--')) {
      if (!a.includes('=') && f.rest[i + 1] !== undefined && !f.rest[i + 1]!.startsWith('-') && !['--dry-run', '--all'].includes(a)) i++
      continue
    }
    if (a.startsWith('-')) continue
    out.push(a)
  }
  return out
}

function scale(io: Io, snap: ClusterSnapshot, f: KubeFlags): number {
  const { name } = refOf(positional(f), 'deployments')
  const replicas = flagValue(f, 'replicas')
  if (replicas === undefined || !/^\d+$/.test(replicas)) {
    io.err('error: required flag(s) "replicas" not set\n')
    return 1
  }
  if (name === undefined) {
    io.err('error: resource(s) were provided, but no name was specified\n')
    return 1
  }
  const ns = nsOf(f)
  if (!snap.cluster.deployments.some((d) => d.deployment.metadata.name === name && (d.deployment.metadata.namespace ?? 'default') === ns)) return notFound(io, 'deployments.apps', name)
  commit(io, scaleDeployment(snap, { namespace: ns, name }, Number(replicas)))
  io.out(`deployment.apps/${name} scaled\n`)
  return 0
}

function exposeCmd(io: Io, snap: ClusterSnapshot, f: KubeFlags): number {
  const { name } = refOf(positional(f), 'deployments')
  if (name === undefined) {
    io.err('error: the kind "pod" and names are not simulated; use kubectl expose deployment NAME --port P\n')
    return 1
  }
  const ns = nsOf(f)
  if (!snap.cluster.deployments.some((d) => d.deployment.metadata.name === name && (d.deployment.metadata.namespace ?? 'default') === ns)) return notFound(io, 'deployments.apps', name)
  const port = flagValue(f, 'port')
  if (port === undefined) {
    io.err(`error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples\n`)
    return 1
  }
  const svcName = flagValue(f, 'name') ?? name
  if (snap.cluster.services.some((s) => s.metadata.name === svcName && (s.metadata.namespace ?? 'default') === ns)) {
    io.err(`Error from server (AlreadyExists): services "${svcName}" already exists\n`)
    return 1
  }
  const target = flagValue(f, 'target-port')
  const type = flagValue(f, 'type')
  if (type !== undefined && type !== 'ClusterIP' && type !== 'NodePort') {
    io.err(`packetwalk: Service type ${type} is not simulated by kubectl expose here (ClusterIP and NodePort are)\n`)
    return 1
  }
  const protocol = (flagValue(f, 'protocol') ?? 'TCP').toUpperCase()
  commit(io, expose(snap, { namespace: ns, name }, { port: Number(port), ...(target !== undefined && { targetPort: /^\d+$/.test(target) ? Number(target) : target }), ...(type !== undefined && { type }), protocol: protocol === 'UDP' ? 'UDP' : 'TCP', serviceName: svcName }))
  io.out(`service/${svcName} exposed\n`)
  return 0
}

function withCtx(snap: ClusterSnapshot, f: (ctx: ReturnType<typeof newCtx>) => void): OperationResult {
  const ctx = newCtx(snap.world, snap.cluster)
  f(ctx)
  const out = finish(ctx)
  return { ...out, diff: [] }
}

function del(io: Io, snap: ClusterSnapshot, f: KubeFlags): number {
  const pos = positional(f)
  const [typeArg, ...rest] = pos
  if (typeArg === undefined) {
    io.err('error: You must provide one or more resources by argument or filename.\n')
    return 1
  }
  const kind = RESOURCES[typeArg.split('/')[0]!]
  const names = typeArg.includes('/') ? [typeArg.split('/')[1]!, ...rest] : rest
  const ns = nsOf(f)
  let status = 0
  for (const name of names) {
    let s = snapshot(io)!
    switch (kind) {
      case 'pods':
        if (!s.cluster.pods.some((p) => p.name === name && p.namespace === ns)) {
          status = notFound(io, 'pods', name)
          continue
        }
        commit(io, deletePod(s, { namespace: ns, name }))
        io.out(`pod "${name}" deleted\n`)
        break
      case 'deployments':
        if (!s.cluster.deployments.some((d) => d.deployment.metadata.name === name && (d.deployment.metadata.namespace ?? 'default') === ns)) {
          status = notFound(io, 'deployments.apps', name)
          continue
        }
        commit(io, deleteDeployment(s, { namespace: ns, name }))
        io.out(`deployment.apps "${name}" deleted\n`)
        break
      case 'networkpolicies':
        if (!s.cluster.networkPolicies.some((p) => p.metadata.name === name && (p.metadata.namespace ?? 'default') === ns)) {
          status = notFound(io, 'networkpolicies.networking.k8s.io', name)
          continue
        }
        commit(io, deletePolicy(s, { namespace: ns, name }))
        io.out(`networkpolicy.networking.k8s.io "${name}" deleted\n`)
        break
      case 'services':
        if (!s.cluster.services.some((x) => x.metadata.name === name && (x.metadata.namespace ?? 'default') === ns)) {
          status = notFound(io, 'services', name)
          continue
        }
        s = snapshot(io)!
        commit(io, withCtx(s, (ctx) => {
          ctx.state.services = ctx.state.services.filter((x) => !(x.metadata.name === name && (x.metadata.namespace ?? 'default') === ns))
          syncCluster(ctx)
        }))
        io.out(`service "${name}" deleted\n`)
        break
      default:
        io.err(`packetwalk: deleting ${typeArg} is not simulated (pods, deployments, services and networkpolicies are)\n`)
        return 1
    }
  }
  return status
}

function create(io: Io, snap: ClusterSnapshot, f: KubeFlags): number {
  const pos = positional(f)
  if (pos[0] !== 'deployment' && pos[0] !== 'deploy') {
    if (f.rest.includes('-f')) return apply(io, snap, f)
    io.err(`packetwalk: kubectl create ${pos[0] ?? ''} is not simulated (create deployment NAME --image=IMAGE is)\n`)
    return 1
  }
  const name = pos[1]
  const image = flagValue(f, 'image')
  if (name === undefined || image === undefined) {
    io.err('error: required flag(s) "image" not set\n')
    return 1
  }
  const ns = nsOf(f)
  if (snap.cluster.deployments.some((d) => d.deployment.metadata.name === name && (d.deployment.metadata.namespace ?? 'default') === ns)) {
    io.err(`error: failed to create deployment: deployments.apps "${name}" already exists\n`)
    return 1
  }
  const replicas = flagValue(f, 'replicas')
  const port = flagValue(f, 'port')
  commit(io, createDeployment(snap, deploymentFromArgs({ name, namespace: ns, image, ...(replicas !== undefined && { replicas: Number(replicas) }), ...(port !== undefined && { port: Number(port) }) })))
  io.out(`deployment.apps/${name} created\n`)
  return 0
}

function run(io: Io, snap: ClusterSnapshot, f: KubeFlags): number {
  const name = positional(f)[0]
  const image = flagValue(f, 'image')
  if (name === undefined || image === undefined) {
    io.err('error: required flag(s) "image" not set\n')
    return 1
  }
  const ns = nsOf(f)
  if (snap.cluster.pods.some((p) => p.name === name && p.namespace === ns)) {
    io.err(`Error from server (AlreadyExists): pods "${name}" already exists\n`)
    return 1
  }
  const port = flagValue(f, 'port')
  const labels = Object.fromEntries((flagValue(f, 'labels') ?? `run=${name}`).split(',').map((kv) => kv.split('=') as [string, string]))
  commit(io, runPod(snap, { namespace: ns, name, labels, hostNetwork: false, containers: [{ name, image, ports: port !== undefined ? [{ containerPort: Number(port), protocol: 'TCP' }] : [] }] }))
  io.out(`pod/${name} created\n`)
  return 0
}

function apply(io: Io, snap0: ClusterSnapshot, f: KubeFlags): number {
  const fi = f.rest.indexOf('-f')
  const file = fi >= 0 ? f.rest[fi + 1] : flagValue(f, 'filename')
  if (file === undefined) {
    io.err('error: must specify one of -f and -k\n')
    return 1
  }
  let text = io.stdin
  const source = file === '-' ? 'STDIN' : file
  if (file !== '-') {
    const path = file.startsWith('/') ? file : `${io.sh.cwd}/${file}`
    const t = io.sh.files[path]
    if (t === undefined) {
      io.err(`error: the path "${file}" does not exist\n`)
      return 1
    }
    text = t
  }
  let status = 0
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      io.err(`error: error parsing ${source}: error converting YAML to JSON: yaml: ${doc.errors[0]!.message.split('\n')[0]!}\n`)
      return 1
    }
    const obj = doc.toJS() as { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string } } | null
    if (!obj) continue
    const snap = snapshot(io) ?? snap0
    const ns = obj.metadata?.namespace ?? nsOf(f)
    const name = obj.metadata?.name ?? ''
    const withNs = { ...obj, metadata: { ...obj.metadata, namespace: ns } }
    const invalid = (issues: readonly { path: readonly PropertyKey[]; message: string }[]) => {
      io.err(`error: error validating "${source}": error validating data: ${issues.map((i) => `ValidationError(${obj.kind ?? '?'}.${i.path.map(String).join('.')}): ${i.message}`).join('; ')}; if you choose to ignore these errors, turn validation off with --validate=false\n`)
      status = 1
    }
    switch (obj.kind) {
      case 'NetworkPolicy': {
        const p = NetworkPolicySchema.safeParse(withNs)
        if (!p.success) {
          invalid(p.error.issues)
          continue
        }
        const before = snap.cluster.networkPolicies.find((x) => x.metadata.name === name && (x.metadata.namespace ?? 'default') === ns)
        commit(io, applyPolicy(snap, p.data))
        io.out(`networkpolicy.networking.k8s.io/${name} ${!before ? 'created' : JSON.stringify(before) === JSON.stringify(p.data) ? 'unchanged' : 'configured'}\n`)
        break
      }
      case 'Deployment': {
        const p = DeploymentSchema.safeParse(withNs)
        if (!p.success) {
          invalid(p.error.issues)
          continue
        }
        const before = snap.cluster.deployments.some((d) => d.deployment.metadata.name === name && (d.deployment.metadata.namespace ?? 'default') === ns)
        commit(io, createDeployment(snap, p.data))
        io.out(`deployment.apps/${name} ${before ? 'configured' : 'created'}\n`)
        break
      }
      case 'Service': {
        const p = ServiceSchema.safeParse(withNs)
        if (!p.success) {
          invalid(p.error.issues)
          continue
        }
        const old = snap.cluster.services.find((s) => svcKey(s) === `${ns}/${name}`)
        const before = old !== undefined
        // addService replaces it: an applied Service keeps its ClusterIP and NodePorts (services.ts).
        commit(io, withCtx(snap, (ctx) => {
          addService(ctx, p.data)
          syncCluster(ctx)
        }))
        io.out(`service/${name} ${before ? 'configured' : 'created'}\n`)
        break
      }
      case 'Pod': {
        const p = PodSchema.safeParse(withNs)
        if (!p.success) {
          invalid(p.error.issues)
          continue
        }
        if (snap.cluster.pods.some((x) => x.name === name && x.namespace === ns)) {
          io.out(`pod/${name} unchanged\n`)
          continue
        }
        const spec = p.data.spec
        commit(io, runPod(snap, { namespace: ns, name, labels: p.data.metadata.labels ?? {}, ...(spec.nodeName !== undefined && { nodeName: spec.nodeName }), hostNetwork: spec.hostNetwork ?? false, containers: spec.containers.map((ct) => ({ name: ct.name, image: ct.image ?? 'busybox', ports: ct.ports ?? [] })) }))
        io.out(`pod/${name} created\n`)
        break
      }
      default:
        io.err(`error: resource mapping not found for name: "${name}" namespace: "${ns}" from "${source}": no matches for kind "${obj.kind ?? ''}" in version "${obj.apiVersion ?? ''}"\nensure CRDs are installed first\n`)
        status = 1
    }
  }
  return status
}

function findPod(c: ClusterState, ns: string, name: string): PodState | undefined {
  return c.pods.find((p) => p.namespace === ns && p.name === name)
}

function exec(io: Io, c: ClusterState, f: KubeFlags): number {
  const dash = f.rest.indexOf('--')
  const before = dash >= 0 ? f.rest.slice(0, dash) : f.rest
  const cmd = dash >= 0 ? f.rest.slice(dash + 1) : []
  const interactive = before.some((a) => /^-[it]+$/.test(a) || a === '--stdin' || a === '--tty')
  const pos = before.filter((a, i) => !a.startsWith('-') && before[i - 1] !== '-c' && before[i - 1] !== '--container')
  let podName = pos[0]
  if (podName?.startsWith('pod/')) podName = podName.slice(4)
  if (podName === undefined) {
    io.err('error: pod, type/name or --filename must be specified\n')
    return 1
  }
  const argv = cmd.length ? cmd : pos.slice(1)
  if (dash < 0 && argv.length) io.err('kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. Use kubectl exec [POD] -- [COMMAND] instead.\n')
  const pod = findPod(c, nsOf(f), podName)
  if (!pod) return notFound(io, 'pods', podName)
  const netns = pod.hostNetwork ? pod.node : pod.netns
  if (!netns || !io.sh.world.netns[netns]) {
    io.err(`error: unable to upgrade connection: container not found ("${pod.containers[0]?.name ?? 'app'}")\n`)
    return 1
  }
  if (argv.length === 0) {
    io.err('error: you must specify at least one command for the container\n')
    return 1
  }
  if (argv.length === 1 && SHELLS.has(argv[0]!)) {
    if (!interactive) return 0
    enterShell(io.sh, netns, { label: pod.name, cwd: '/' })
    return 0
  }
  const status = io.exec(argv, { netns, stdin: io.stdin })
  if (status !== 0) io.err(`command terminated with exit code ${status}\n`)
  return status
}

function logs(io: Io, c: ClusterState, f: KubeFlags): number {
  const ns = nsOf(f)
  const pods = f.selector !== undefined ? c.pods.filter((p) => p.namespace === ns && matchesSelector(p.labels, f.selector)) : c.pods.filter((p) => p.namespace === ns && p.name === positional(f)[0])
  if (pods.length === 0) {
    if (f.selector !== undefined) {
      io.err(`No resources found in ${ns} namespace.\n`)
      return 0
    }
    return notFound(io, 'pods', positional(f)[0] ?? '')
  }
  for (const p of pods) {
    if (p.containers.some((ct) => /coredns/.test(ct.image) || ct.name === 'coredns')) io.out('.:53\n[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908\nCoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9\n')
  }
  return 0
}

// ---- crictl ---------------------------------------------------------------------------------

function nodePods(io: Io): PodState[] | undefined {
  const c = io.sh.world.cluster
  const ns = io.sh.world.netns[io.netns]
  const node = ns?.kind === 'host' ? (ns.node ?? ns.name) : undefined
  if (!c || node === undefined || !c.nodes.some((n) => n.name === node)) return undefined
  return c.pods.filter((p) => p.node === node)
}

function born(io: Io, p: PodState): number {
  return io.sh.podBirth[`${p.namespace}/${p.name}`] ?? io.sh.clock - 600_000
}

export const crictl: Command = (io, argv) => {
  const pods = nodePods(io)
  if (!pods) {
    io.err('E1126 00:00:00.000000    4242 remote_runtime.go:277] "ListPodSandbox with filter from runtime service failed" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory\\""\ncrictl: this is not a Kubernetes node (run it on a node: ssh NODE)\n')
    return 1
  }
  const sub = argv[1]
  const args = argv.slice(2)
  const quiet = args.includes('-q') || args.includes('--quiet')
  const nameFilter = args[args.indexOf('--name') + 1] ?? undefined
  const sorted = [...pods].sort((a, b) => born(io, b) - born(io, a))
  switch (sub) {
    case 'pods': {
      const shown = sorted.filter((p) => !args.includes('--name') || (nameFilter !== undefined && p.name.includes(nameFilter)))
      if (quiet) io.out(shown.map((p) => `${p.sandboxId}\n`).join(''))
      else io.out(crictlTable([['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'], ...shown.map((p) => [p.sandboxId.slice(0, 13), unitsAgo(io.sh.clock - born(io, p)), 'Ready', p.name, p.namespace, '0', '(default)'])]))
      return 0
    }
    case 'ps': {
      const rows = sorted.flatMap((p) => p.containers.map((ct) => [ct.id.slice(0, 13), hexId(ct.image, 13), unitsAgo(io.sh.clock - born(io, p)), 'Running', ct.name, '0', p.sandboxId.slice(0, 13), p.name]))
      if (quiet) io.out(rows.map((r) => `${r[0]!}\n`).join(''))
      else io.out(crictlTable([['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'], ...rows]))
      return 0
    }
    case 'inspectp': {
      const id = args.find((a) => !a.startsWith('-'))
      const pod = id !== undefined ? pods.find((p) => p.sandboxId.startsWith(id)) : undefined
      if (!pod) {
        io.err(`FATA[0000] getting the pod sandbox status for "${id ?? ''}": rpc error: code = NotFound desc = an error occurred when try to find sandbox: not found\n`)
        return 1
      }
      io.out(`${JSON.stringify(inspectp(io, pod), null, 2)}\n`)
      return 0
    }
    case 'inspect': {
      const id = args.find((a) => !a.startsWith('-'))
      const pod = pods.find((p) => p.containers.some((ct) => id !== undefined && ct.id.startsWith(id)))
      const ct = pod?.containers.find((x) => id !== undefined && x.id.startsWith(id))
      if (!pod || !ct) {
        io.err(`FATA[0000] getting the status of the container "${id ?? ''}": rpc error: code = NotFound desc = an error occurred when try to find container: not found\n`)
        return 1
      }
      const info = io.sh.world.netns[pod.netns ?? '']?.pod
      io.out(`${JSON.stringify({ status: { id: ct.id, metadata: { attempt: 0, name: ct.name }, state: 'CONTAINER_RUNNING', createdAt: `${formatRfc3339(io.sh.epoch + born(io, pod)).replace('Z', '.000000000Z')}`, image: { image: ct.image }, imageRef: `sha256:${hexId(ct.image, 64)}`, labels: { 'io.kubernetes.container.name': ct.name, 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid } }, info: { sandboxID: pod.sandboxId, pid: (info?.pausePid ?? pod.pausePid) + 1 + pod.containers.indexOf(ct), runtimeSpec: { linux: { namespaces: [{ type: 'pid' }, { type: 'ipc', path: `/proc/${pod.pausePid}/ns/ipc` }, { type: 'uts', path: `/proc/${pod.pausePid}/ns/uts` }, { type: 'mount' }, { type: 'network', path: `/proc/${pod.pausePid}/ns/net` }] } } } }, null, 2)}\n`)
      return 0
    }
    case 'version':
      io.out('Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v1.7.24\nRuntimeApiVersion:  v1\n')
      return 0
    default:
      io.err(`packetwalk: crictl ${sub ?? ''} is not simulated (pods, ps, inspectp, inspect are)\n`)
      return 1
  }
}

function inspectp(io: Io, pod: PodState): unknown {
  const c = io.sh.world.cluster!
  const created = formatRfc3339(io.sh.epoch + born(io, pod)).replace('Z', '.000000000Z')
  const pause = c.config.pauseImage
  return {
    status: {
      id: pod.sandboxId,
      metadata: { attempt: 0, name: pod.name, namespace: pod.namespace, uid: pod.uid },
      state: 'SANDBOX_READY',
      createdAt: created,
      network: { additionalIps: [], ip: pod.hostNetwork ? '' : (pod.ip ?? '') },
      linux: { namespaces: { options: { ipc: 'POD', network: pod.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', targetId: '', userNsOptions: null } } },
      labels: { 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid, ...pod.labels },
      annotations: { 'kubernetes.io/config.source': 'api' },
      runtimeHandler: '',
    },
    info: {
      pid: pod.pausePid,
      processStatus: 'running',
      netNamespaceClosed: false,
      image: pause,
      snapshotKey: pod.sandboxId,
      snapshotter: 'overlayfs',
      runtimeHandler: '',
      runtimeType: 'io.containerd.runc.v2',
      config: { metadata: { name: pod.name, uid: pod.uid, namespace: pod.namespace }, hostname: pod.name, log_directory: `/var/log/pods/${pod.namespace}_${pod.name}_${pod.uid}`, dns_config: { servers: [c.dns.serviceIP], searches: [`${pod.namespace}.svc.${c.dns.clusterDomain}`, `svc.${c.dns.clusterDomain}`, c.dns.clusterDomain], options: ['ndots:5'] }, labels: pod.labels },
      runtimeSpec: {
        ociVersion: '1.1.0',
        process: { args: ['/pause'], cwd: '/' },
        root: { path: 'rootfs', readonly: true },
        linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(pod.hostNetwork ? [] : [{ type: 'network', path: pod.netnsPath }])] },
      },
      cniResult: pod.cniResult !== undefined ? (JSON.parse(pod.cniResult) as unknown) : null,
    },
  }
}
