/**
 * The scenario file format (documented with examples in scenarios/README.md). A scenario is
 * data: where the world comes from, the actions in order, narration and checkpoints tied to
 * trace steps, what-if toggles, and the outcomes the tests assert.
 */
import { z } from 'zod'

/** Where in a trace a note or checkpoint appears: start, end, a step kind (n-th), or a step index. */
export const StepAnchor = z.union([
  z.enum(['start', 'end']),
  z.number().int().min(0),
  z.object({
    kind: z.string(),
    nth: z.number().int().min(1).default(1),
    netns: z.string().optional(),
    flow: z.enum(['request', 'reply', 'arp', 'icmp-error', 'dns-query', 'dns-reply']).optional(),
  }),
])
export type StepAnchor = z.infer<typeof StepAnchor>

export const Narration = z.object({ at: StepAnchor.default('start'), text: z.string().min(1) })

export const Checkpoint = z.object({
  at: StepAnchor,
  question: z.string().min(1),
  choices: z.array(z.string().min(1)).min(2),
  answer: z.number().int().min(0),
  explain: z.string().min(1),
})

const Endpoint = z.string().min(1)

export const SendAction = z.object({
  from: Endpoint,
  /** An IP, a pod `ns/name`, a Service `ns/name`, or a netns name. */
  to: Endpoint,
  proto: z.enum(['tcp', 'udp', 'icmp']).default('icmp'),
  port: z.number().int().min(1).max(65535).optional(),
  size: z.number().int().min(28).max(65535).optional(),
  df: z.boolean().optional(),
  ttl: z.number().int().min(1).max(255).optional(),
  roundTrip: z.boolean().default(true),
})

export const Expect = z.object({
  verdict: z.enum(['delivered', 'dropped', 'rejected']).optional(),
  /** `ip:port`, an IP, or the name of the netns/pod that must receive it. */
  deliveredTo: z.string().optional(),
  /** Every one of these must be reachable in the all-outcomes view (load balancing). */
  deliveredToAny: z.array(z.string()).optional(),
  dnat: z.union([z.string(), z.null()]).optional(),
  masquerade: z.boolean().optional(),
  encapsulated: z.boolean().optional(),
  dropReason: z.string().optional(),
  reply: z.enum(['delivered', 'dropped', 'none']).optional(),
  replyMatches: z.boolean().optional(),
  /** Step kinds that must (include) or must not (exclude) appear. */
  steps: z.object({ include: z.array(z.string()).default([]), exclude: z.array(z.string()).default([]) }).optional(),
  /** DNS lookups: the final answer (an IP) or rcode. */
  answer: z.string().optional(),
  /** DNS lookups: the names queried, in order. */
  queries: z.array(z.string()).optional(),
})
export type Expect = z.infer<typeof Expect>

const Common = {
  title: z.string().min(1),
  narration: z.array(Narration).default([]),
  checkpoints: z.array(Checkpoint).default([]),
  expect: Expect.optional(),
}

const SysctlChange = z.object({ netns: z.string(), key: z.string(), value: z.union([z.number(), z.boolean()]) })

export const Action = z.union([
  z.object({ ...Common, send: SendAction }),
  z.object({ ...Common, lookup: z.object({ from: Endpoint, name: z.string().min(1), type: z.enum(['A', 'SRV', 'PTR']).default('A') }) }),
  z.object({ ...Common, connect: z.object({ from: Endpoint, name: z.string().min(1), port: z.number().int().min(1).max(65535), proto: z.enum(['tcp', 'udp']).default('tcp') }) }),
  z.object({ ...Common, sysctl: SysctlChange }),
  z.object({ ...Common, scale: z.object({ deployment: z.string(), replicas: z.number().int().min(0).max(100) }) }),
  z.object({ ...Common, startPod: z.object({ pod: z.string() }) }),
  z.object({ ...Common, deletePod: z.object({ pod: z.string() }) }),
  z.object({ ...Common, applyPolicy: z.string().min(1) }),
  z.object({ ...Common, deletePolicy: z.object({ name: z.string() }) }),
  z.object({ ...Common, cni: z.object({ command: z.enum(['ADD', 'DEL', 'CHECK', 'VERSION']), pod: z.string() }) }),
  z.object({ ...Common, commands: z.object({ netns: z.string(), lines: z.array(z.string()).min(1) }) }),
  z.object({ ...Common, note: z.string().min(1) }),
])
export type Action = z.infer<typeof Action>

export const WhatIf = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, { message: 'use lowercase letters, digits and dashes' }),
  label: z.string().min(1),
  description: z.string().min(1),
  /** Changes applied to the starting world before the actions run. */
  sysctl: z.array(SysctlChange).default([]),
  /** Replace the CNI of a cluster scenario. */
  cni: z.object({ type: z.enum(['flannel', 'calico']), backend: z.string().optional() }).optional(),
  /** Per action index: the expectations under this toggle. */
  expect: z.record(z.string(), Expect).default({}),
})

export const ScenarioFile = z.object({
  apiVersion: z.literal('packetwalk.dev/v1'),
  kind: z.literal('Scenario'),
  metadata: z.object({
    id: z.string().regex(/^[a-z0-9-]+$/, { message: 'use lowercase letters, digits and dashes' }),
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
}).refine((s) => (s.world === undefined) !== (s.cluster === undefined), { message: 'give exactly one of `world` or `cluster`', path: ['world'] })
export type ScenarioFile = z.infer<typeof ScenarioFile>
