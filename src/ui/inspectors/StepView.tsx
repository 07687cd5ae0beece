/** The step in plain words, then the technical line (tcpdump-style packet, the table entry that decided it), then what is not simulated. A change frame lists its events and the lines it changed. */
import { renderRef } from '../../engine/sim/render.ts'
import { summarize } from '../../engine/wire/packet.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import { ResultsPanel } from '../components/ResultsPanel.tsx'
import { TokenShape } from '../components/TokenShape.tsx'
import { useExplainer } from '../store/explainer.ts'
import { useInspected } from './useInspected.ts'

export function StepView() {
  const { c } = useInspected()
  const scenario = useExplainer((s) => s.scenario)
  const atEnd = useExplainer((s) => s.playback.total > 0 && s.playback.frame === s.playback.total - 1)
  if (!c || !scenario) return <p className="pw-empty">Nothing loaded yet.</p>
  const seg = c.segment
  const results = atEnd && scenario.results ? <ResultsPanel compact /> : null
  if (seg.kind === 'change') {
    return (
      <div data-testid="inspector-step">
        {results}
        <h3>{seg.title}</h3>
        <ul className="pw-events">
          {seg.events.map((e, i) => (
            <li key={i}>
              <span className="pw-badge">{e.kind}</span> {e.text}
            </li>
          ))}
        </ul>
        {seg.diff?.map((d) => (
          <section key={d.netns} className="pw-diff">
            <h4>{d.netns}</h4>
            <pre>
              {d.removed.map((l) => (
                <del key={`-${l}`}>{`- ${l}\n`}</del>
              ))}
              {d.added.map((l) => (
                <ins key={`+${l}`}>{`+ ${l}\n`}</ins>
              ))}
            </pre>
          </section>
        ))}
      </div>
    )
  }
  const st = c.step
  if (!st) return <p className="pw-empty">This trace has no steps.</p>
  const where = `${st.netns}${st.dev ? ` · ${st.dev}` : ''}`
  return (
    <div data-testid="inspector-step">
      {results}
      <p className="pw-step-head">
        <TokenShape flow={st.flow} size={18} /> <strong>{FLOW_STYLE[st.flow].label}</strong> · <span className="pw-badge">{st.kind}</span> · {where}
      </p>
      <p className="pw-explain" data-testid="step-explain">
        {st.explain}
      </p>
      <h4>Technical</h4>
      <pre className="pw-tech" data-testid="step-technical">
        {summarize(st.packet)}
        {st.ref ? `\n← ${renderRef(st.ref)}` : ''}
      </pre>
      {st.netfilter && (
        <p>
          Netfilter {st.netfilter.hook} ({st.netfilter.path === 'bridge' ? 'bridged frame, br_netfilter' : 'routed'}): <strong>{st.netfilter.verdict}</strong>
          {st.netfilter.notes?.length ? ` — ${st.netfilter.notes.join('; ')}` : ''}
        </p>
      )}
      {st.notSimulated && st.notSimulated.length > 0 && (
        <ul className="pw-notsim" data-testid="not-simulated">
          {st.notSimulated.map((n) => (
            <li key={n}>not simulated: {n}</li>
          ))}
        </ul>
      )}
      {seg.kind === 'trace' && c.stepIndex === c.steps.length - 1 && (
        <p className="pw-outcome" data-testid="outcome">
          Outcome: <strong>{seg.outcome.verdict}</strong>
          {seg.outcome.deliveredTo ? ` to ${seg.outcome.deliveredTo}` : ''}
          {seg.outcome.dropReason ? ` — ${seg.outcome.dropReason}` : ''}
          {seg.outcome.reply ? `; reply ${seg.outcome.reply.verdict}` : ''}
        </p>
      )}
    </div>
  )
}
