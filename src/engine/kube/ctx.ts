/**
 * The working context of one reconcile pass: the world and cluster state being built, the
 * events in order, diagnostics and the seeded RNG. Local mutation only; callers receive
 * fresh immutable values from `finish`.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { World } from '../model/types.ts'
import type { K8sCode } from './codes.ts'
import { createRng } from '../rng.ts'
import type { Rng } from '../rng.ts'
import type { ClusterEvent, ClusterEventKind, ClusterState, NodeState, PodState } from './state.ts'

export type Draft = { -readonly [K in keyof ClusterState]: ClusterState[K] }

export interface Ctx {
  world: World
  state: Draft
  readonly events: ClusterEvent[]
  readonly diagnostics: Diagnostic[]
  readonly rng: Rng
}

export function newCtx(world: World, state: ClusterState): Ctx {
  return { world, state: { ...state }, events: [], diagnostics: [], rng: createRng(state.rng) }
}

export function finish(ctx: Ctx): { world: World; cluster: ClusterState; events: ClusterEvent[]; diagnostics: Diagnostic[] } {
  const cluster: ClusterState = { ...ctx.state, rng: ctx.rng.state() }
  return { world: { ...ctx.world, cluster }, cluster, events: ctx.events, diagnostics: ctx.diagnostics }
}

export function emit(ctx: Ctx, kind: ClusterEventKind, text: string, extra: { node?: string; pod?: string; detail?: unknown } = {}): void {
  ctx.events.push({ kind, text, ...extra })
}

export function warn(ctx: Ctx, code: K8sCode, message: string, hint?: string): void {
  ctx.diagnostics.push({ code, severity: 'warning', message, ...(hint !== undefined && { hint }) })
  ctx.events.push({ kind: 'warning', text: message })
}

export function getNode(ctx: Ctx, name: string): NodeState {
  const n = ctx.state.nodes.find((x) => x.name === name)
  if (!n) throw new Error(`internal: no node ${name}`)
  return n
}

export function putNode(ctx: Ctx, node: NodeState): void {
  ctx.state.nodes = ctx.state.nodes.some((n) => n.name === node.name) ? ctx.state.nodes.map((n) => (n.name === node.name ? node : n)) : [...ctx.state.nodes, node]
}

export function podKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`
}

export function putPod(ctx: Ctx, pod: PodState): void {
  const k = podKey(pod)
  ctx.state.pods = ctx.state.pods.some((p) => podKey(p) === k) ? ctx.state.pods.map((p) => (podKey(p) === k ? pod : p)) : [...ctx.state.pods, pod]
}
