/** DNS: the sending pod's resolv.conf, then each query of the timeline in order with its answer. An empty state when the scenario does no DNS. */
import { printResolvConf } from '../../engine/kube/dns.ts'
import type { DnsMessage } from '../../engine/wire/packet.ts'
import { useExplainer } from '../store/explainer.ts'
import { useInspected } from './useInspected.ts'

export function DnsView() {
  const scenario = useExplainer((s) => s.scenario)
  const { c, world } = useInspected()
  const queries = (scenario?.timeline.segments ?? []).flatMap((s, i) => {
    if (s.kind !== 'trace' || !s.send.dns) return []
    const answer = [...s.steps].reverse().find((st) => st.flow === 'dns-reply' && st.kind === 'deliver')
    const msg = answer?.packet.headers.find((h): h is DnsMessage => h.kind === 'dns')
    return [{ i, from: s.send.from, question: s.send.dns, msg, verdict: s.outcome.verdict }]
  })
  if (queries.length === 0)
    return (
      <p className="pw-empty" data-testid="inspector-dns">
        No DNS in this scenario. Scenarios that look a name up show the pod’s resolv.conf here, every name the resolver tries (the search list and ndots), and CoreDNS’s answer.
      </p>
    )
  const from = queries[0]!.from
  const rc = world?.netns[from]?.resolvConf
  return (
    <div data-testid="inspector-dns">
      <h3>/etc/resolv.conf in {from}</h3>
      {rc ? <pre className="pw-tech">{printResolvConf(rc)}</pre> : <p className="pw-empty">No resolv.conf.</p>}
      <h3>Queries, in the order the resolver sends them</h3>
      <ol className="pw-lines">
        {queries.map((q) => (
          <li key={q.i} className={c?.segmentIndex === q.i ? 'is-used' : ''}>
            <code>
              {q.question.type}? {q.question.name}
            </code>{' '}
            →{' '}
            {q.msg ? (
              <code>
                {q.msg.rcode}
                {q.msg.answers.length ? ` ${q.msg.answers.map((a) => `${a.type} ${a.data}`).join(', ')}` : ''}
              </code>
            ) : (
              <span>no answer ({q.verdict})</span>
            )}
          </li>
        ))}
      </ol>
    </div>
  )
}
