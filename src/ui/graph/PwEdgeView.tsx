/**
 * One edge component for every kind: the path shape and the class come from the edge kind
 * (veth, bridge port, underlay, VXLAN tunnel, BGP, chain), the emphasis from the highlight
 * store, so stepping never rebuilds the edge list.
 */
import { BaseEdge, getBezierPath, getSmoothStepPath } from '@xyflow/react'
import type { EdgeProps } from '@xyflow/react'
import { memo } from 'react'
import { useEdgeEmphasis } from './highlight.ts'
import type { PwEdge } from './types.ts'

/** A tunnel dips under both nodes, the way it rides on the underlay; the label sits at its lowest point. */
function tunnelPath(sx: number, sy: number, tx: number, ty: number): [string, number, number] {
  const d = 70 + 0.12 * Math.abs(tx - sx)
  const low = Math.max(sy, ty) + d
  return [`M ${sx},${sy} C ${sx},${low} ${tx},${low} ${tx},${ty}`, (sx + tx) / 2, (sy + ty) / 8 + low * 0.75]
}

export const PwEdgeView = memo(function PwEdgeView(p: EdgeProps<PwEdge>) {
  const em = useEdgeEmphasis(p.id)
  const kind = p.data?.kind ?? 'stack'
  const args = { sourceX: p.sourceX, sourceY: p.sourceY, targetX: p.targetX, targetY: p.targetY, sourcePosition: p.sourcePosition, targetPosition: p.targetPosition }
  const [path, labelX, labelY] = kind === 'vxlan' || kind === 'ipip' ? tunnelPath(p.sourceX, p.sourceY, p.targetX, p.targetY) : kind === 'chain' && p.data?.layout !== false ? getSmoothStepPath({ ...args, borderRadius: 8 }) : getBezierPath(args)
  const label = p.data?.label
  return (
    <BaseEdge
      id={p.id}
      path={path}
      className={`pw-edge pw-edge-${kind}${em}`}
      {...(label !== undefined && { label, labelX, labelY, labelShowBg: true, labelBgPadding: [6, 3] as [number, number], labelBgBorderRadius: 4, labelStyle: { fontSize: 13, fontWeight: 600 }, labelBgStyle: { fill: 'var(--pw-panel)' } })}
    />
  )
})
