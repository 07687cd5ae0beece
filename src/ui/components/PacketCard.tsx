/**
 * The header stack the token carries: outer wrapper boxed apart, NAT rewrites struck through.
 * framer-motion animates the stack changing: the VXLAN (or IP-in-IP) wrapper grows in at
 * encapsulation and shrinks away at decapsulation, and rows slide when headers come and go.
 * Its features load lazily, at the first input; reduced motion is honoured (MotionConfig "user").
 */
import { AnimatePresence, LazyMotion, MotionConfig, m } from 'motion/react'
import { memo } from 'react'
import type { TokenRow } from '../packet/tokenRows.ts'

/**
 * The features wait for the learner's first input (or 10 s), then for an idle moment: the first
 * screen animates nothing (the card appears without an entrance), so neither the first load
 * nor the step that first input makes pays for evaluating them.
 */
const firstInput = new Promise<void>((resolve) => {
  if (typeof window === 'undefined') return resolve()
  const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => resolve(), { timeout: 2000 }) : setTimeout(resolve, 300))
  let started = false
  const go = () => {
    if (started) return
    started = true
    idle()
  }
  for (const t of ['pointerdown', 'keydown']) window.addEventListener(t, go, { once: true, capture: true })
  setTimeout(go, 10_000)
})
const loadFeatures = () => firstInput.then(() => import('./motionFeatures.ts')).then((r) => r.default)

function Row({ row }: { row: TokenRow }) {
  return (
    <m.li layout="position" className={`pw-hrow is-${row.status}`}>
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
    </m.li>
  )
}

export const PacketCard = memo(function PacketCard({ rows, title }: { rows: readonly TokenRow[]; title: string }) {
  const outer = rows.filter((r) => r.outer)
  const inner = rows.filter((r) => !r.outer)
  return (
    <MotionConfig reducedMotion="user">
      <LazyMotion features={loadFeatures} strict>
        <div className="pw-card" data-testid="packet-card">
          <div className="pw-card-title">{title}</div>
          <AnimatePresence initial={false}>
            {outer.length > 0 && (
              <m.ul
                key="outer"
                className={`pw-hstack pw-outer${outer.every((r) => r.status === 'removed') ? ' is-removed' : ''}`}
                aria-label="tunnel wrapper"
                initial={{ opacity: 0, scaleY: 0.4 }}
                animate={{ opacity: 1, scaleY: 1 }}
                exit={{ opacity: 0, scaleY: 0.4 }}
                transition={{ duration: 0.25 }}
                style={{ transformOrigin: 'top' }}
              >
                {outer.map((r) => (
                  <Row key={r.key} row={r} />
                ))}
              </m.ul>
            )}
          </AnimatePresence>
          <ul className="pw-hstack" aria-label="packet headers">
            {inner.map((r) => (
              <Row key={r.key} row={r} />
            ))}
          </ul>
        </div>
      </LazyMotion>
    </MotionConfig>
  )
})
