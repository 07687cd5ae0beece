/**
 * "Compare side by side": the hops of the packet on screen and of the same packet in the run
 * the scenario compares with, aligned row by row (compare.ts). The side the explainer plays
 * has its current step highlighted; the other side shows the hop that corresponds, or a gap.
 * Stepping or playing here steps the explainer, so both sides move together. Modal: ←/→
 * step, N and Shift+N jump between differences, Esc closes.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import type { KeyboardEvent } from 'react'
import { frameAt, segmentStart } from '../../engine/scenario/timeline.ts'
import type { TraceSegment } from '../../engine/scenario/timeline.ts'
import type { TraceStep } from '../../engine/sim/trace.ts'
import type { LoadedScenario } from '../scenarios/types.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import { TokenShape } from '../components/TokenShape.tsx'
import { useExplainer } from '../store/explainer.ts'
import { alignHops, pairSegment, rowOfStep, stepAtOrBefore, summarizeDifferences } from './compare.ts'
import type { CompareRow, Side } from './compare.ts'
import { loadPair } from './compareRuns.ts'
import type { ComparePair } from './compareRuns.ts'
import './compare.css'

const other = (s: Side): Side => (s === 'left' ? 'right' : 'left')

interface Aligned {
  readonly rows: readonly CompareRow[]
  readonly traces: Readonly<Record<Side, TraceSegment>>
  /** First frame of the playing side's segment. */
  readonly base: number
}

function Hop({ step, playing, current, onPick }: { step: TraceStep | undefined; playing: boolean; current: boolean; onPick: () => void }) {
  if (!step)
    return (
      <td className="pw-cmp-cell is-gap">
        <span aria-hidden="true">—</span>
        <span className="pw-sr">no such hop on this side</span>
      </td>
    )
  return (
    <td className={`pw-cmp-cell${current ? (playing ? ' is-playing' : ' is-counterpart') : ''}`} aria-current={current && playing ? 'step' : undefined}>
      <button type="button" className="pw-cmp-hop" tabIndex={current ? 0 : -1} onClick={onPick}>
        <TokenShape flow={step.flow} size={12} /> <span className="pw-sr">{FLOW_STYLE[step.flow].label}, </span>
        <span className="pw-badge">{step.kind}</span>{' '}
        <span className="pw-cmp-where">
          {step.netns}
          {step.dev ? ` ${step.dev}` : ''}
        </span>{' '}
        <span className="pw-cmp-text">{step.explain}</span>
      </button>
    </td>
  )
}

function Heading({ side, label, playing }: { side: Side; label: string; playing: boolean }) {
  return (
    <th scope="col" data-testid={`compare-column-${side}`} className={playing ? 'is-playing' : undefined}>
      {label} {playing && <span className="pw-badge pw-cmp-playing">playing</span>}
    </th>
  )
}

function Mark({ row, labels }: { row: CompareRow; labels: ComparePair['labels'] }) {
  const d = row.difference
  const what =
    row.status === 'same' ? (
      <span aria-label="the same hop">=</span>
    ) : row.status === 'changed' ? (
      <span>≠ differs</span>
    ) : row.status === 'left-only' ? (
      <span>
        ◀ only <span className="pw-sr">{labels.left}</span>
      </span>
    ) : (
      <span>
        only <span className="pw-sr">{labels.right}</span> ▶
      </span>
    )
  return (
    <td className="pw-cmp-mark">
      {what}
      {d && <span className="pw-cmp-tag">{d.title}</span>}
    </td>
  )
}

function Why({ row, labels }: { row: CompareRow; labels: ComparePair['labels'] }) {
  const d = row.difference
  if (!d) return null
  return (
    <tr className="pw-cmp-why" data-testid="compare-why">
      <td colSpan={3}>
        <strong>{d.title}.</strong> {d.explain}
        {d.sides && (
          <dl className="pw-cmp-sides">
            <dt>{labels.left}</dt>
            <dd>{d.sides.left}</dd>
            <dt>{labels.right}</dt>
            <dd>{d.sides.right}</dd>
          </dl>
        )}
      </td>
    </tr>
  )
}

const alignedCache = new WeakMap<ComparePair, Map<number, Aligned | null>>()

/** The playing side's trace at this segment beside the other side's, aligned (kept per pair and segment). */
function alignedAt(pair: ComparePair, segment: number): Aligned | null {
  const kept = alignedCache.get(pair) ?? new Map<number, Aligned | null>()
  alignedCache.set(pair, kept)
  const hit = kept.get(segment)
  if (hit !== undefined) return hit
  const playing = pair.playing
  const mine = pair[playing].timeline
  const theirs = pair[other(playing)].timeline
  const at = pairSegment(mine, theirs, segment)
  const a = mine.segments[segment]
  const b = at === undefined ? undefined : theirs.segments[at]
  let out: Aligned | null = null
  if (a?.kind === 'trace' && b?.kind === 'trace') {
    const traces = playing === 'left' ? { left: a, right: b } : { left: b, right: a }
    out = { rows: alignHops({ steps: traces.left.steps, world: traces.left.before }, { steps: traces.right.steps, world: traces.right.before }), traces, base: segmentStart(mine, segment) }
  }
  kept.set(segment, out)
  return out
}

export default function CompareView({ onClose }: { onClose: () => void }) {
  const scenario = useExplainer((s) => s.scenario)
  const catalog = useExplainer((s) => s.catalog)
  const frame = useExplainer((s) => s.playback.frame)
  const total = useExplainer((s) => s.playback.total)
  const dispatch = useExplainer((s) => s.dispatch)
  const playingNow = useExplainer((s) => s.playback.playing)
  const asking = useExplainer((s) => s.checkpoints.asking !== null)
  const dialog = useRef<HTMLDialogElement>(null)
  const body = useRef<HTMLTableSectionElement>(null)
  /** The pair loaded for a scenario (a what-if flipped meanwhile makes it stale). */
  const [loaded, setLoaded] = useState<{ readonly for: LoadedScenario; readonly pair?: ComparePair; readonly error?: string } | null>(null)
  const [onlyDiffs, setOnlyDiffs] = useState(false)
  /** A row picked that the playing side has no hop on: shown until the frame moves. */
  const [picked, setPicked] = useState<{ row: number; frame: number } | null>(null)

  useEffect(() => {
    const d = dialog.current
    if (d && !d.open) d.showModal?.()
  }, [])

  useEffect(() => {
    if (!scenario) return
    let live = true
    loadPair(scenario, catalog).then(
      (pair) => live && setLoaded({ for: scenario, pair }),
      (e: unknown) => live && setLoaded({ for: scenario, error: e instanceof Error ? e.message : String(e) }),
    )
    return () => {
      live = false
    }
  }, [scenario, catalog])
  const pair = loaded?.for === scenario ? (loaded.pair ?? null) : null
  const error = loaded?.for === scenario ? (loaded.error ?? null) : null

  const playing = pair?.playing ?? 'left'
  const timeline = pair?.[playing].timeline
  const at = timeline ? frameAt(timeline, frame) : undefined
  const segment = at?.segment ?? -1

  const aligned = pair ? alignedAt(pair, segment) : null

  const stepRow = aligned && at ? rowOfStep(aligned.rows, playing, at.step) : -1
  const current = picked && picked.frame === frame ? picked.row : stepRow
  const groups = useMemo(() => (aligned ? summarizeDifferences(aligned.rows) : []), [aligned])

  useEffect(() => {
    // The current row, and the explanation under it when it has one.
    body.current?.querySelector('.is-current')?.scrollIntoView({ block: 'nearest' })
    body.current?.querySelector('.is-current + .pw-cmp-why')?.scrollIntoView({ block: 'nearest' })
  }, [current, segment])

  const seek = (f: number) => dispatch({ type: 'seek', frame: Math.max(0, Math.min(total - 1, f)) })
  const goToRow = (row: number) => {
    if (!aligned) return
    const mine = aligned.rows[row]?.[playing]
    if (mine !== undefined) {
      setPicked(null)
      seek(aligned.base + mine)
      return
    }
    // Only the other side has this hop: the playing side rests on its hop before it.
    const f = aligned.base + (stepAtOrBefore(aligned.rows, playing, row) ?? 0)
    setPicked({ row, frame: f })
    seek(f)
  }
  const jumpDifference = (dir: 1 | -1) => {
    if (!aligned) return
    for (let r = current + dir; r >= 0 && r < aligned.rows.length; r += dir) {
      if (aligned.rows[r]!.status !== 'same') return goToRow(r)
    }
  }
  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const tag = (e.target as HTMLElement).tagName
    if (tag === 'INPUT' && (e.key === ' ' || e.key === 'Enter')) return
    if (e.key === 'ArrowRight' || e.key === 'PageDown') seek(frame + 1)
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') seek(frame - 1)
    else if (e.key === 'n' || e.key === 'N') jumpDifference(e.shiftKey ? -1 : 1)
    else return
    e.preventDefault()
  }

  const labels = pair?.labels ?? { left: '', right: '' }
  const rows = aligned?.rows ?? []
  const currentRow = rows[current]
  const stepOf = (side: Side, r: CompareRow) => (r[side] === undefined ? undefined : aligned?.traces[side].steps[r[side]])
  const announce = currentRow
    ? `${currentRow.status === 'same' ? 'Same hop' : (currentRow.difference?.title ?? 'Differs')}. ${labels.left}: ${stepOf('left', currentRow)?.explain ?? 'no hop'}. ${labels.right}: ${stepOf('right', currentRow)?.explain ?? 'no hop'}.`
    : ''

  return (
    <dialog ref={dialog} className="pw-compare" aria-labelledby="pw-compare-title" data-testid="compare-view" onClose={onClose} onKeyDown={onKeyDown}>
      <header className="pw-cmp-head">
        <div className="pw-cmp-titles">
          <h2 id="pw-compare-title">{pair?.title ?? scenario?.compare?.title ?? 'Compare side by side'}</h2>
          <p className="pw-muted">
            {aligned ? aligned.traces[playing].title : at && timeline?.segments[segment]?.title}
            {aligned && ` · ${rows.length} rows, ${rows.filter((r) => r.status !== 'same').length} differ`}
          </p>
        </div>
        <div className="pw-cmp-controls" role="group" aria-label="Step both sides">
          <button type="button" className="pw-button" onClick={() => seek(frame - 1)} disabled={frame <= 0} aria-keyshortcuts="ArrowLeft" data-testid="compare-back">
            ◀ Back
          </button>
          <button type="button" className="pw-button" onClick={() => dispatch({ type: 'toggle' })} aria-pressed={playingNow} data-testid="compare-play">
            {playingNow ? 'Pause' : 'Play'}
          </button>
          <button type="button" className="pw-button" onClick={() => seek(frame + 1)} disabled={frame >= total - 1} aria-keyshortcuts="ArrowRight" data-testid="compare-forward" autoFocus>
            Next ▶
          </button>
          <button type="button" className="pw-button" onClick={() => jumpDifference(-1)} disabled={!aligned} aria-keyshortcuts="Shift+N">
            ◀ Difference
          </button>
          <button type="button" className="pw-button" onClick={() => jumpDifference(1)} disabled={!aligned} aria-keyshortcuts="N" data-testid="compare-next-difference">
            Difference ▶
          </button>
          <label className="pw-cmp-only">
            <input type="checkbox" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.target.checked)} /> Only differences
          </label>
          <button type="button" className="pw-button" onClick={() => dialog.current?.close()} aria-keyshortcuts="Escape" data-testid="compare-close">
            Close
          </button>
        </div>
      </header>
      <p className="pw-sr" aria-live="polite">
        {announce}
      </p>
      {asking && (
        <p className="pw-cmp-note" role="status">
          A question is waiting in the explainer: close this view to answer it, or step on to skip it.
        </p>
      )}
      {error && (
        <p className="pw-cmp-note" role="alert">
          Cannot compare: {error}
        </p>
      )}
      {!error && !pair && (
        <p className="pw-cmp-note" role="status">
          Running the other side…
        </p>
      )}
      {pair && !aligned && <p className="pw-cmp-note">This frame has no packet to compare ({at && timeline?.segments[segment]?.title}). Step on to the next packet.</p>}
      {aligned && (
        <div className="pw-cmp-body">
          <div className="pw-cmp-scroll">
            <table className="pw-cmp-table">
              <caption className="pw-sr">
                The hops of {labels.left} and {labels.right}, aligned; the current step of {labels[playing]} is marked.
              </caption>
              <colgroup>
                <col className="pw-cmp-col-hop" />
                <col className="pw-cmp-col-mark" />
                <col className="pw-cmp-col-hop" />
              </colgroup>
              <thead>
                <tr>
                  <Heading side="left" label={labels.left} playing={playing === 'left'} />
                  <th scope="col">
                    <span className="pw-sr">Difference</span>
                  </th>
                  <Heading side="right" label={labels.right} playing={playing === 'right'} />
                </tr>
              </thead>
              <tbody ref={body}>
                {rows.map((r, i) => {
                  if (onlyDiffs && r.status === 'same' && i !== current) return null
                  const here = i === current
                  return [
                    <tr key={i} className={`pw-cmp-row is-${r.status}${here ? ' is-current' : ''}`} data-testid="compare-row" data-status={r.status} data-tag={r.difference?.tag}>
                      <Hop step={stepOf('left', r)} playing={playing === 'left'} current={here} onPick={() => goToRow(i)} />
                      <Mark row={r} labels={labels} />
                      <Hop step={stepOf('right', r)} playing={playing === 'right'} current={here} onPick={() => goToRow(i)} />
                    </tr>,
                    here && r.difference ? <Why key={`why-${i}`} row={r} labels={labels} /> : null,
                  ]
                })}
              </tbody>
            </table>
          </div>
          <aside className="pw-cmp-summary" aria-label="What differs">
            <h3>What differs ({groups.length})</h3>
            <ul>
              {groups.map((g) => {
                const next = g.rows.find((r) => r > current) ?? g.rows[0]!
                return (
                  <li key={`${g.tag}-${g.rows[0]}`}>
                    <button type="button" className="pw-cmp-group" onClick={() => goToRow(next)} data-testid="compare-difference" data-tag={g.tag}>
                      <strong>{g.title}</strong> <span className="pw-muted">×{g.rows.length}</span>
                      <span className="pw-cmp-group-text">{g.explain}</span>
                    </button>
                  </li>
                )
              })}
            </ul>
          </aside>
        </div>
      )}
    </dialog>
  )
}
