/** What every inspector needs: the current step, its segment, the world then, and the netns to describe. */
import { useExplainer } from '../store/explainer.ts'
import { inspectorPick } from './graphTarget.ts'
import { current, inspectedNetns } from '../store/selectors.ts'
import type { Current } from '../store/selectors.ts'
import type { Netns, World } from '../../engine/model/types.ts'

export interface Inspected {
  readonly c: Current | null
  readonly world: World | null
  readonly netns: Netns | null
}

export function useInspected(): Inspected {
  const scenario = useExplainer((s) => s.scenario)
  const frame = useExplainer((s) => s.playback.frame)
  const world = useExplainer((s) => s.world)
  const selection = useExplainer((s) => s.selection)
  const c = current(scenario, frame)
  const name = inspectedNetns(inspectorPick(selection), c?.step ?? null, world)
  return { c, world, netns: name && world ? (world.netns[name] ?? null) : null }
}
