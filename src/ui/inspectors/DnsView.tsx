/**
 * DNS: the sending pod's resolv.conf, then each query of the timeline in order with its answer.
 * The server a query went to points at the netns that answered it (the CoreDNS pod, after
 * kube-proxy's DNAT), an answer's address at its owner (a Service's box, a pod). Then what
 * each CoreDNS pod's cache holds at this step, with the seconds each entry has left. An empty
 * state when the scenario does no DNS.
 */
import { dnsCacheTtlLeft, printResolvConf } from '../../engine/kube/dns.ts'
import type { World } from '../../engine/model/types.ts'
import type { DnsMessage } from '../../engine/wire/packet.ts'
import { useExplainer } from '../store/explainer.ts'
import { GraphLink } from './GraphLink.tsx'
import { dnsServer, targetForIp } from './graphTarget.ts'
import { useInspected } from './useInspected.ts'

/** The node a netns lives on (its host netns), whose nat table turns a ClusterIP into a pod. */
function hostOf(w: World, netns: string): string | undefined {
  const node = w.netns[netns]?.node
  return Object.values(w.netns).find((n) => n.kind === 'host' && (n.node ?? n.name) === node)?.name ?? netns
}

export function DnsView() {
  const scenario = useExplainer((s) => s.scenario)
  const { c, world } = useInspected()
  const queries = (scenario?.timeline.segments ?? []).flatMap((s, i) => {
    if (s.kind !== 'trace' || !s.send.dns) return []
    const answer = [...s.steps].reverse().find((st) => st.flow === 'dns-reply' && st.kind === 'deliver')
    const msg = answer?.packet.headers.find((h): h is DnsMessage => h.kind === 'dns')
    return [{ i, from: s.send.from, question: s.send.dns, msg, verdict: s.outcome.verdict, server: dnsServer(s.steps, world) }]
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
            </code>
            {q.server && (
              <>
                {' '}
                to <GraphLink target={q.server.target} text={q.server.ip} />
                {q.server.target && <span className="pw-muted"> (answered by {q.server.target.name})</span>}
              </>
            )}{' '}
            →{' '}
            {q.msg ? (
              <code>
                {q.msg.rcode}
                {q.msg.answers.map((a, k) => (
                  <span key={k}>
                    {k > 0 ? ',' : ''} {a.type} {a.type === 'A' && world ? <GraphLink target={targetForIp(world, a.data, hostOf(world, q.from))} text={a.data} /> : a.data}
                  </span>
                ))}
              </code>
            ) : (
              <span>no answer ({q.verdict})</span>
            )}
          </li>
        ))}
      </ol>
      <DnsCaches world={world} now={c?.step?.t} />
    </div>
  )
}

/** Every CoreDNS pod's cache at simulated time `now`: what a repeated question would get without asking the plugins. */
function DnsCaches({ world, now }: { readonly world: World | null; readonly now: number | undefined }) {
  if (!world || now === undefined) return null
  const caches = Object.values(world.netns).flatMap((ns) => {
    const live = Object.values(ns.dnsCache ?? {})
      .map((e) => ({ e, left: dnsCacheTtlLeft(e, now) }))
      .filter((x) => x.left > 0)
    return live.length ? [{ ns, live }] : []
  })
  return (
    <>
      <h3>CoreDNS caches now</h3>
      {caches.length === 0 ? (
        <p className="pw-empty">Nothing cached yet: every question so far went to the kubernetes or forward plugin.</p>
      ) : (
        caches.map(({ ns, live }) => (
          <div key={ns.name} data-testid="dns-cache">
            <p className="pw-muted">{ns.pod ? `${ns.pod.namespace}/${ns.pod.name}` : ns.name}: a repeat within the TTL is answered from here</p>
            <ul className="pw-lines">
              {live.map(({ e, left }) => (
                <li key={`${e.name}/${e.type}`}>
                  <code>
                    {e.type}? {e.name} → {e.rcode}
                    {e.answers.map((a) => ` ${a.type} ${a.data}`).join(',')}
                  </code>{' '}
                  <span className="pw-muted">
                    ({left} s of {e.ttl} s left, from the {e.plugin} plugin)
                  </span>
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </>
  )
}
