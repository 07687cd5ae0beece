/**
 * A table as its tool prints it, one line per entry; the entry the step used is marked and
 * explained. Selecting a line highlights its device in the graph; the addresses a line names
 * (conntrack's endpoints) each point at the netns that owns them.
 */
import { useExplainer } from '../store/explainer.ts'
import { GraphLink } from './GraphLink.tsx'
import { targetForIp } from './graphTarget.ts'
import type { Row } from './tableRows.ts'

function RowAddrs({ row, netns }: { row: Row; netns: string }) {
  const world = useExplainer((s) => s.world)
  if (!world || !row.addrs?.length) return null
  return (
    <p className="pw-graph-links">
      {row.addrs.map((a) => (
        <span key={a.role}>
          <span className="pw-muted">{a.role}</span> <GraphLink target={targetForIp(world, a.ip, netns)} text={a.ip} />
        </span>
      ))}
    </p>
  )
}

export function RowsTable({ title, rows, netns, empty, testId }: { title: string; rows: readonly Row[]; netns: string; empty: string; testId: string }) {
  const select = useExplainer((s) => s.select)
  return (
    <section className="pw-table" data-testid={testId}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="pw-empty">{empty}</p>
      ) : (
        <ol className="pw-lines">
          {rows.map((r) => (
            <li key={r.key} className={r.used ? 'is-used' : ''} data-used={r.used || undefined}>
              <button type="button" className="pw-line" onClick={() => select({ netns, ...(r.dev && { dev: r.dev }) })} title={r.dev ? `Show ${r.dev} in the graph` : undefined}>
                <code>{r.text}</code>
              </button>
              <RowAddrs row={r} netns={netns} />
              {r.used && r.reason && (
                <p className="pw-reason">
                  <span className="pw-used-tag">used</span> {r.reason}
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
