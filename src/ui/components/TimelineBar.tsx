/** Playback: start, back, play/pause, forward, end, the scrubber with segment marks, speed, and what is happening now. */
import { segmentStart } from '../../engine/scenario/timeline.ts'
import { Icon } from './Icon.tsx'
import { narrationAt } from '../scenarios/types.ts'
import { useExplainer } from '../store/explainer.ts'
import { SPEEDS } from '../store/playback.ts'
import { current } from '../store/selectors.ts'

/** Questions at checkpoints on or off (remembered); shown when the scenario has any. */
function QuestionsToggle() {
  const has = useExplainer((s) => (s.scenario?.checkpoints?.length ?? 0) > 0)
  const on = useExplainer((s) => s.checkpoints.enabled)
  if (!has) return null
  return (
    <button type="button" className="pw-button pw-toggle" aria-pressed={on} onClick={() => useExplainer.getState().setCheckpointsOn(!on)} title="At marked steps, playback stops and asks what happens next" data-testid="checkpoints-toggle">
      <span aria-hidden="true">{on ? '✓' : '○'}</span> Questions
    </button>
  )
}

export function TimelineBar() {
  const scenario = useExplainer((s) => s.scenario)
  const pb = useExplainer((s) => s.playback)
  const dispatch = useExplainer((s) => s.dispatch)
  const c = current(scenario, pb.frame)
  const total = pb.total
  const last = Math.max(0, total - 1)
  const text = c ? (c.step ? c.step.explain : c.segment.title) : ''
  const narration = scenario ? narrationAt(scenario, pb.frame) : undefined
  const disabled = !scenario
  return (
    <footer className="pw-timeline" aria-label="Playback">
      {narration && (
        <p className="pw-narration-bar" data-testid="narration">
          {narration}
        </p>
      )}
      <div className="pw-controls">
        <button type="button" className="pw-button" onClick={() => dispatch({ type: 'start' })} disabled={disabled || pb.frame === 0} aria-label="Jump to start (Home)" title="Start (Home)" data-testid="btn-start">
          <Icon name="start" />
        </button>
        <button type="button" className="pw-button" onClick={() => dispatch({ type: 'back' })} disabled={disabled || pb.frame === 0} aria-label="Step back (←)" title="Back (←)" data-testid="btn-back">
          <Icon name="back" /> Back
        </button>
        <button type="button" className="pw-button pw-play" onClick={() => dispatch({ type: 'toggle' })} disabled={disabled || total <= 1} aria-label={pb.playing ? 'Pause (space)' : 'Play (space)'} title="Play/pause (space)" data-testid="btn-play">
          {pb.playing ? (
            <>
              <Icon name="pause" /> Pause
            </>
          ) : (
            <>
              <Icon name="play" /> Play
            </>
          )}
        </button>
        <button type="button" className="pw-button" onClick={() => dispatch({ type: 'forward' })} disabled={disabled || pb.frame >= last} aria-label="Step forward (→)" title="Forward (→)" data-testid="btn-forward">
          Next <Icon name="forward" />
        </button>
        <button type="button" className="pw-button" onClick={() => dispatch({ type: 'end' })} disabled={disabled || pb.frame >= last} aria-label="Jump to end (End)" title="End (End)" data-testid="btn-end">
          <Icon name="end" />
        </button>
        <span className="pw-counter" data-testid="frame-counter">
          {total ? `${pb.frame + 1} / ${total}` : '– / –'}
        </span>
        <QuestionsToggle />
        <label className="pw-speed">
          speed{' '}
          <select value={pb.speed} onChange={(e) => dispatch({ type: 'speed', speed: Number(e.target.value) })} data-testid="speed" aria-label="Playback speed (+/−)">
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="pw-scrub">
        <input
          type="range"
          min={0}
          max={last}
          value={pb.frame}
          disabled={disabled || total <= 1}
          onChange={(e) => dispatch({ type: 'seek', frame: Number(e.target.value) })}
          aria-label="Step"
          aria-valuetext={`Step ${pb.frame + 1} of ${total}: ${text}`}
          data-testid="scrubber"
        />
        <div className="pw-marks" aria-hidden="true">
          {scenario?.timeline.segments.map((s, i) => {
            const at = segmentStart(scenario.timeline, i)
            return <span key={i} className={`pw-mark-seg is-${s.kind}`} style={{ left: `${total > 1 ? (at / last) * 100 : 0}%` }} title={s.title} />
          })}
        </div>
      </div>
      <p className="pw-caption" data-testid="caption">
        {c && (
          <>
            <span className="pw-badge">{c.segment.kind === 'trace' ? c.segment.title : 'change'}</span> {text}
          </>
        )}
      </p>
    </footer>
  )
}
