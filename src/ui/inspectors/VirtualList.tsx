/** A list that renders only the rows in view (fixed row height), for chains with thousands of rules. */
import { useState } from 'react'
import type { ReactNode } from 'react'

export function VirtualList({ count, rowHeight, height, render, label }: { count: number; rowHeight: number; height: number; render: (i: number) => ReactNode; label: string }) {
  const [top, setTop] = useState(0)
  const first = Math.max(0, Math.floor(top / rowHeight) - 5)
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + 5)
  const rows: ReactNode[] = []
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} role="listitem" style={{ position: 'absolute', top: i * rowHeight, left: 0, right: 0, height: rowHeight }}>
        {render(i)}
      </div>,
    )
  }
  return (
    <div className="pw-virtual" role="list" aria-label={label} style={{ height: Math.min(height, count * rowHeight), overflowY: 'auto', position: 'relative' }} onScroll={(e) => setTop(e.currentTarget.scrollTop)} tabIndex={0}>
      <div style={{ height: count * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  )
}
