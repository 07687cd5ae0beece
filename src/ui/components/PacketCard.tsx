/** The header stack the token carries: outer wrapper boxed apart, NAT rewrites struck through. */
import { memo } from 'react'
import type { TokenRow } from '../packet/tokenRows.ts'

function Row({ row }: { row: TokenRow }) {
  return (
    <li className={`pw-hrow is-${row.status}`}>
      <span className="pw-hlabel">{row.label}</span>
      {row.parts.map((p, i) => (
        <span key={i} className="pw-hpart">
          {p.old !== undefined && (
            <del className="pw-old" aria-label={`was ${p.old}`}>
              {p.old}
            </del>
          )}
          {p.old !== undefined && ' '}
          {p.old !== undefined ? <ins className="pw-new">{p.text}</ins> : p.text}
        </span>
      ))}
      {row.status === 'added' && <span className="pw-hnote">added</span>}
      {row.status === 'removed' && <span className="pw-hnote">removed</span>}
    </li>
  )
}

export const PacketCard = memo(function PacketCard({ rows, title }: { rows: readonly TokenRow[]; title: string }) {
  const outer = rows.filter((r) => r.outer)
  const inner = rows.filter((r) => !r.outer)
  return (
    <div className="pw-card" data-testid="packet-card">
      <div className="pw-card-title">{title}</div>
      {outer.length > 0 && (
        <ul className={`pw-hstack pw-outer${outer.every((r) => r.status === 'removed') ? ' is-removed' : ''}`} aria-label="tunnel wrapper">
          {outer.map((r) => (
            <Row key={r.key} row={r} />
          ))}
        </ul>
      )}
      <ul className="pw-hstack" aria-label="packet headers">
        {inner.map((r) => (
          <Row key={r.key} row={r} />
        ))}
      </ul>
    </div>
  )
})
