/**
 * The scenario file format (documented with examples in scenarios/README.md). A scenario is
 * data: where the world comes from, the actions in order, narration and checkpoints tied to
 * trace steps, what-if toggles, and the outcomes the tests assert. Objects are strict: an
 * unknown key (a typo such as `narations:`) is an error, never silently ignored.
 */
import { z } from 'zod'
import type { StepKind } from '../sim/trace.ts'

/** Every trace step kind, for anchors and `expect.steps` (kept in step with sim/trace.ts). */
export const STEP_KINDS = [
  'send', 'tx', 'rx', 'veth', 'segment', 'fdb-learn', 'fdb-hit', 'flood', 'bridge-local', 'neigh-hit', 'arp-request', 'arp-reply',
  'neigh-learn', 'route', 'forward', 'ttl', 'netfilter', 'conntrack', 'nat', 'encap', 'decap', 'icmp-error', 'deliver', 'reply', 'dns', 'drop', 'note',
] as const satisfies readonly StepKind[]
type AssertNever<T extends never> = T
/** Fails to compile when sim/trace.ts gains a step kind this list lacks. */
export type StepKindsCovered = AssertNever<Exclude<StepKind, (typeof STEP_KINDS)[number]>>

const stepKind = z.enum(STEP_KINDS)
const flow = z.enum(['request', 'reply', 'arp', 'icmp-error', 'dns-query', 'dns-reply'])
const slug = z.string().regex(/^[a-z0-9-]+$/, { message: 'use lowercase letters, digits and dashes' })

export const StepAnchorObject = z.strictObject({
  kind: stepKind,
  nth: z.number().int().min(1).default(1),
  netns: z.string().optional(),
  flow: flow.optional(),
})

/** Where in a trace a note or checkpoint appears: start, end, a step kind (n-th), or a step index. */
export const StepAnchor = z.union([z.enum(['start', 'end']), z.number().int().min(0), StepAnchorObject])
export type StepAnchor = z.infer<typeof StepAnchor>

/** Show only under these what-ifs (`default` = no what-if on). Absent: always. */
const When = z.array(slug).min(1)

export const Narration = z.strictObject({ at: StepAnchor.default('start'), text: z.string().min(1), when: When.optional() })

export const Checkpoint = z.strictObject({
  at: StepAnchor,
  question: z.string().min(1),
  choices: z.array(z.string().min(1)).min(2),
  answer: z.number().int().min(0),
  explain: z.string().min(1),
  when: When.optional(),
})

const Endpoint = z.string().min(1)
const port = z.number().int().min(1).max(65535)

export const SendAction = z.strictObject({
  from: Endpoint,
  /** An IP, a pod `ns/name`, a Service `ns/name[:port]`, a node, or a netns name. */
  to: Endpoint,
  proto: z.enum(['tcp', 'udp', 'icmp']).default('icmp'),
  port: port.optional(),
  size: z.number().int().min(28).max(65535).optional(),
  df: z.boolean().optional(),
  ttl: z.number().int().min(1).max(255).optional(),
  roundTrip: z.boolean().default(true),
})

/** Lines of a netns as `ip`/`bridge`/`sysctl`/`iptables-save` print them, checked by substring. */
export const StateCheck = z.strictObject({
  /** A netns, a pod `ns/name` or a node. */
  netns: z.string().min(1),
  /** false: the netns must be gone (a deleted pod's sandbox). */
  exists: z.boolean().optional(),
  contains: z.array(z.string().min(1)).default([]),
  absent: z.array(z.string().min(1)).default([]),
})
export type StateCheck = z.infer<typeof StateCheck>

export const Expect = z.strictObject({
  verdict: z.enum(['delivered', 'dropped', 'rejected']).optional(),
  /** `ip:port`, an IP, or the name of the netns/pod that must receive it (`prefix*` allowed). */
  deliveredTo: z.string().optional(),
  /** Every one of these must be reachable in the all-outcomes view (load balancing). */
  deliveredToAny: z.array(z.string()).optional(),
  dnat: z.union([z.string(), z.null()]).optional(),
  masquerade: z.boolean().optional(),
  encapsulated: z.boolean().optional(),
  dropReason: z.string().optional(),
  reply: z.enum(['delivered', 'dropped', 'rejected', 'none']).optional(),
  replyMatches: z.boolean().optional(),
  /** Step kinds that must (include) or must not (exclude) appear. */
  steps: z.strictObject({ include: z.array(stepKind).default([]), exclude: z.array(stepKind).default([]) }).optional(),
  /** Rules that must have matched on the way, by substring of `-A CHAIN rule…`. */
  matched: z.array(z.string().min(1)).optional(),
  /** DNS lookups: the final answer (an IP) or rcode. */
  answer: z.string().optional(),
  /** DNS lookups: the names queried, in order. */
  queries: z.array(z.string()).optional(),
  /** Change actions: substrings that must appear in the events (kubelet, CNI, kube-proxy…). */
  events: z.array(z.string().min(1)).optional(),
  /** The state after the action, per netns. */
  state: z.array(StateCheck).optional(),
  /** `cni`, `iptables` and `commands` actions: the exit status (a non-zero status is an error unless expected). */
  exitCode: z.number().int().min(0).max(255).optional(),
  /** `cni`, `iptables` and `commands` actions: substrings of what the commands printed (stdout and stderr). */
  output: z.array(z.string().min(1)).optional(),
})
export type Expect = z.infer<typeof Expect>

const SysctlChange = z.strictObject({ netns: z.string(), key: z.string(), value: z.union([z.number(), z.boolean()]) })

const ContainerPortSpec = z.union([
  port,
  z.string().regex(/^\d{1,5}\/(tcp|udp|TCP|UDP)$/, { message: 'write a port as 80, "80/tcp" or "53/udp"' }),
  z.strictObject({ name: z.string().optional(), containerPort: port, protocol: z.enum(['TCP', 'UDP']).default('TCP') }),
])

/** The payload of each action kind; an action is `{title, <kind>: payload, narration…}`. */
export const ACTION_PAYLOADS = {
  send: SendAction,
  lookup: z.strictObject({ from: Endpoint, name: z.string().min(1), type: z.enum(['A', 'SRV', 'PTR']).default('A') }),
  connect: z.strictObject({ from: Endpoint, name: z.string().min(1), port, proto: z.enum(['tcp', 'udp']).default('tcp') }),
  sysctl: SysctlChange,
  scale: z.strictObject({ deployment: z.string(), replicas: z.number().int().min(0).max(100) }),
  startPod: z.strictObject({
    pod: z.string(),
    /** Pin to a node (spec.nodeName); absent: the scheduler picks. */
    node: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    /** Absent: one nginx container listening on 80/tcp. */
    containers: z.array(z.strictObject({ name: z.string().min(1), image: z.string().default('nginx:1.27'), ports: z.array(ContainerPortSpec).default([]) })).min(1).optional(),
    /** Ask IPAM for this address (CNI_ARGS IP=…); it refuses one already taken. */
    ip: z.ipv4().optional(),
  }),
  deletePod: z.strictObject({ pod: z.string() }),
  applyPolicy: z.string().min(1),
  /** `kubectl apply -f -`: YAML of a Service, Deployment, Pod or NetworkPolicy (several with `---`). */
  apply: z.string().min(1),
  deletePolicy: z.strictObject({ name: z.string() }),
  /** Exec the node's CNI plugins for a pod as the runtime would; `ip` asks IPAM for an address (CNI_ARGS IP=…, ADD only). */
  cni: z.strictObject({ command: z.enum(['ADD', 'DEL', 'CHECK', 'VERSION']), pod: z.string(), ip: z.ipv4().optional() }),
  /** iptables command lines run in one netns (a node of a cluster, or any netns of a world). */
  iptables: z.strictObject({ netns: z.string().min(1), commands: z.array(z.string().min(1)).min(1) }),
  /** Shell command lines (ip, bridge, iptables, sysctl, ping, curl, nslookup…) run by the simulated shell in one netns, in order. */
  commands: z.strictObject({ netns: z.string().min(1), lines: z.array(z.string().min(1)).min(1) }),
  note: z.string().min(1),
} as const
export type ActionKind = keyof typeof ACTION_PAYLOADS
export const ACTION_KINDS = Object.keys(ACTION_PAYLOADS) as ActionKind[]

const Common = {
  title: z.string().min(1),
  narration: z.array(Narration).default([]),
  checkpoints: z.array(Checkpoint).default([]),
  expect: Expect.optional(),
}
export const COMMON_ACTION_KEYS: readonly string[] = Object.keys(Common)

function actionOf<K extends ActionKind>(k: K) {
  return z.strictObject({ ...Common, [k]: ACTION_PAYLOADS[k] } as typeof Common & Record<K, (typeof ACTION_PAYLOADS)[K]>)
}

/** One action schema per kind, so a broken action can be checked against the kind it names. */
export const ACTION_SCHEMAS = Object.fromEntries(ACTION_KINDS.map((k) => [k, actionOf(k)])) as unknown as { [K in ActionKind]: ReturnType<typeof actionOf<K>> }

export const Action = z.union([
  ACTION_SCHEMAS.send,
  ACTION_SCHEMAS.lookup,
  ACTION_SCHEMAS.connect,
  ACTION_SCHEMAS.sysctl,
  ACTION_SCHEMAS.scale,
  ACTION_SCHEMAS.startPod,
  ACTION_SCHEMAS.deletePod,
  ACTION_SCHEMAS.applyPolicy,
  ACTION_SCHEMAS.apply,
  ACTION_SCHEMAS.deletePolicy,
  ACTION_SCHEMAS.cni,
  ACTION_SCHEMAS.iptables,
  ACTION_SCHEMAS.commands,
  ACTION_SCHEMAS.note,
])
export type Action = z.infer<typeof Action>

export const WhatIf = z.strictObject({
  id: slug,
  label: z.string().min(1),
  description: z.string().min(1),
  /** Changes applied to the starting world before the actions run. */
  sysctl: z.array(SysctlChange).default([]),
  /** Replace the CNI of a cluster scenario. */
  cni: z.strictObject({ type: z.enum(['flannel', 'calico']), backend: z.string().optional() }).optional(),
  /** Start from another world file (world scenarios), relative to the scenario file. */
  world: z.string().optional(),
  /** Start from another cluster file (cluster scenarios), relative to the scenario file. */
  cluster: z.string().optional(),
  /** Actions applied to the starting world (a fault to inject); they make no frames of their own. */
  setup: z.array(Action).default([]),
  /** Per action index: the expectations under this toggle. */
  expect: z.record(z.string(), Expect).default({}),
})
export type WhatIf = z.infer<typeof WhatIf>

/**
 * What the viewer's "Compare side by side" view puts beside this scenario: one of its own
 * what-ifs (the same world with one thing changed) or another scenario, by `metadata.id`.
 * The actions are paired in order, so the honest pair sends the same packets.
 */
export const Compare = z.strictObject({
  /** A what-if id of this file, or another scenario's `metadata.id`. */
  with: slug,
  /** The view's heading ("Calico BGP beside flannel VXLAN"). */
  title: z.string().min(1),
  /** Column headings: this scenario as written, and what it is compared with. */
  labels: z.strictObject({ this: z.string().min(1), with: z.string().min(1) }).optional(),
})
export type Compare = z.infer<typeof Compare>

export const ScenarioFile = z
  .strictObject({
    apiVersion: z.literal('packetwalk.dev/v1'),
    kind: z.literal('Scenario'),
    metadata: z.strictObject({
      id: slug,
      title: z.string().min(1),
      section: z.string().optional(),
      order: z.number().optional(),
      summary: z.string().min(1),
      /** Simplifications the learner should know about ("not simulated: …"). */
      notSimulated: z.array(z.string()).default([]),
    }),
    /** A world file, relative to the scenario file. */
    world: z.string().optional(),
    /** A cluster file (Kubernetes objects + ClusterConfig), relative to the scenario file. */
    cluster: z.string().optional(),
    seed: z.number().int().min(0).default(1),
    actions: z.array(Action).min(1),
    whatIfs: z.array(WhatIf).default([]),
    compare: Compare.optional(),
  })
  .refine((s) => (s.world === undefined) !== (s.cluster === undefined), { message: 'give exactly one of `world` or `cluster`', path: ['world'] })
export type ScenarioFile = z.infer<typeof ScenarioFile>
