/** Policy routing rules (when not the defaults), addresses, routes, neighbours, bridge FDB and VXLAN FDB of one netns, as they are at this frame, with the entry the step used marked and explained. */
import { Suspense, lazy, useEffect, useRef } from 'react'
import { NetnsPicker } from './NetnsPicker.tsx'
import { RowsTable } from './RowsTable.tsx'
import { addrRows, fdbRows, neighRows, routeRows, ruleRows, sysctlRows } from './tableRows.ts'
import { useInspected } from './useInspected.ts'

/** Only Calico nodes have it: its code (and calicoctl's printer) loads when one is shown. */
const BgpTable = lazy(() => import('./BgpTable.tsx').then((m) => ({ default: m.BgpTable })))

export function TablesView() {
  const { c, netns, world } = useInspected()
  const box = useRef<HTMLDivElement>(null)
  // Keep the entry the step used in view: on a projector nobody scrolls to find it.
  useEffect(() => {
    box.current?.querySelector('[data-used]')?.scrollIntoView({ block: 'nearest' })
  }, [c?.frame, netns?.name])
  if (!netns) return <p className="pw-empty">No netns to show.</p>
  const step = c?.step && c.step.netns === netns.name ? c.step : undefined
  const refStep = c?.step?.ref && 'netns' in c.step.ref && c.step.ref.netns === netns.name ? c.step : step
  const fdb = fdbRows(netns, refStep)
  const hasBridge = netns.links.some((l) => l.kind === 'bridge')
  const hasVxlan = netns.links.some((l) => l.kind === 'vxlan')
  const rules = ruleRows(netns, refStep)
  return (
    <div data-testid="inspector-tables" ref={box}>
      <NetnsPicker netns={netns.name} stepNetns={c?.step?.netns ?? null} />
      {rules.length > 0 && <RowsTable title="ip rule" rows={rules} netns={netns.name} empty="" testId="table-rules" />}
      <RowsTable title="ip route" rows={routeRows(netns, refStep)} netns={netns.name} empty="No routes." testId="table-routes" />
      {world && netns.kind === 'host' && world.cluster?.bgp && (
        <Suspense fallback={null}>
          <BgpTable world={world} netns={netns} />
        </Suspense>
      )}
      <RowsTable title="ip neigh" rows={neighRows(netns, refStep)} netns={netns.name} empty="No neighbour entries yet: nothing has been resolved by ARP." testId="table-neigh" />
      {(hasBridge || fdb.bridge.length > 0) && <RowsTable title="bridge fdb (bridge ports)" rows={fdb.bridge} netns={netns.name} empty="No entries." testId="table-fdb" />}
      {(hasVxlan || fdb.vxlan.length > 0) && <RowsTable title="bridge fdb (VXLAN remotes)" rows={fdb.vxlan} netns={netns.name} empty="No remote VTEPs." testId="table-vxlan-fdb" />}
      <RowsTable title="ip addr" rows={addrRows(netns, refStep)} netns={netns.name} empty="No addresses." testId="table-addrs" />
      <RowsTable title="sysctl" rows={sysctlRows(netns, refStep)} netns={netns.name} empty="No sysctls." testId="table-sysctl" />
    </div>
  )
}
