/** The conntrack table as `conntrack -L` prints it at this frame; the connection the step belongs to is marked. */
import { NetnsPicker } from './NetnsPicker.tsx'
import { RowsTable } from './RowsTable.tsx'
import { conntrackRows } from './tableRows.ts'
import { useInspected } from './useInspected.ts'

export function ConntrackView() {
  const { c, world, netns } = useInspected()
  if (!netns || !world) return <p className="pw-empty">No netns to show.</p>
  const now = c?.step?.t ?? 0
  const others = Object.values(world.netns).filter((n) => n.name !== netns.name && n.conntrack.length > 0)
  return (
    <div data-testid="inspector-conntrack">
      <NetnsPicker netns={netns.name} stepNetns={c?.step?.netns ?? null} />
      <RowsTable title="conntrack -L" rows={conntrackRows(netns, now, c?.step ?? undefined)} netns={netns.name} empty="No tracked connections in this netns." testId="table-conntrack" />
      {others.length > 0 && <p className="pw-muted">Other netns with connections: {others.map((n) => n.name).join(', ')}.</p>}
    </div>
  )
}
