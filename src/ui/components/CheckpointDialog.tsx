/**
 * "What happens next?": the question of the frame playback is holding at, its choices as
 * buttons, then the right answer and why. Not modal (the graph and the step stay visible
 * and readable); focus moves into it when it opens and back to playback when it closes.
 */
import { useEffect, useRef } from 'react'
import { useExplainer } from '../store/explainer.ts'

const LETTERS = 'ABCDEFGHIJ'

export function CheckpointDialog() {
  const asking = useExplainer((s) => s.checkpoints.asking)
  const checkpoint = useExplainer((s) => (asking ? s.scenario?.checkpoints?.find((c) => c.frame === asking.frame) : undefined))
  const answer = useExplainer((s) => s.answer)
  const continueOn = useExplainer((s) => s.continueOn)
  const box = useRef<HTMLDivElement>(null)
  const chosen = asking?.chosen ?? null
  const answered = chosen !== null

  // Focus: the first choice when asked, Continue once answered; back to Next when done.
  useEffect(() => {
    if (!checkpoint) return
    box.current?.querySelector<HTMLElement>(answered ? '[data-testid="checkpoint-continue"]' : '[data-testid="checkpoint-choice"]')?.focus()
  }, [checkpoint, answered])
  useEffect(() => {
    if (!checkpoint) return
    return () => {
      const active = document.activeElement
      if (!active || active === document.body || !document.contains(active)) document.querySelector<HTMLElement>('[data-testid="btn-forward"]')?.focus()
    }
  }, [checkpoint])

  if (!asking || !checkpoint) return null
  const right = chosen === checkpoint.answer
  return (
    <div ref={box} className="pw-checkpoint" role="dialog" aria-labelledby="pw-cp-title" aria-describedby="pw-cp-question" data-testid="checkpoint">
      <h2 id="pw-cp-title">What happens next?</h2>
      <p id="pw-cp-question" className="pw-cp-question">
        {checkpoint.question}
      </p>
      <ol className="pw-cp-choices">
        {checkpoint.choices.map((c, i) => {
          const state = !answered ? '' : i === checkpoint.answer ? 'is-right' : i === chosen ? 'is-wrong' : 'is-other'
          return (
            <li key={i}>
              <button type="button" className={`pw-cp-choice ${state}`} onClick={() => answer(i)} disabled={answered} aria-pressed={answered ? i === chosen : undefined} data-testid="checkpoint-choice">
                <span className="pw-cp-letter" aria-hidden="true">
                  {LETTERS[i]}
                </span>{' '}
                {c}
                {answered && i === checkpoint.answer && <span className="pw-cp-mark"> ✓ right answer</span>}
                {answered && i === chosen && i !== checkpoint.answer && <span className="pw-cp-mark"> ✗ your answer</span>}
              </button>
            </li>
          )
        })}
      </ol>
      {answered && (
        <div className="pw-cp-reveal" role="status" data-testid="checkpoint-reveal">
          <p className="pw-cp-verdict">{right ? '✓ Right.' : `✗ Not quite: the answer is ${LETTERS[checkpoint.answer]}.`}</p>
          <p>{checkpoint.explain}</p>
        </div>
      )}
      <div className="pw-cp-actions">
        <button type="button" className="pw-button pw-primary" onClick={continueOn} data-testid="checkpoint-continue">
          {answered ? 'Continue' : 'Skip the question'}
        </button>
        <button type="button" className="pw-link pw-cp-off" onClick={() => useExplainer.getState().setCheckpointsOn(false)} data-testid="checkpoints-off">
          Stop asking questions
        </button>
      </div>
    </div>
  )
}
