/** A Calico node's BGP: the block it advertises, its peers (each pointing at the peer node in the graph) and `calicoctl node status`. */
import { printBgpStatus } from '../../engine/kube/calico.ts'
import type { Netns, World } from '../../engine/model/types.ts'
import { GraphLink } from './GraphLink.tsx'
import { targetForIp } from './graphTarget.ts'
import { bgpView } from './tableRows.ts'

export function BgpTable({ world, netns }: { world: World; netns: Netns }) {
  const v = bgpView(world, netns)
  const bgp = world.cluster?.bgp
  if (!v || !bgp) return null
  return (
    <section className="pw-table" data-testid="table-bgp">
      <h3>BGP (Calico, AS {v.asNumber})</h3>
      <p data-testid="bgp-advertised">
        advertises{' '}
        {v.advertised.map((p, i) => (
          <span key={p}>
            {i > 0 && ', '}
            <code>{p}</code>
          </span>
        ))}{' '}
        <span className="pw-muted">(its pod CIDR block: a blackhole route here, a route via {v.node} on every peer)</span>
      </p>
      <ul className="pw-bgp-peers" aria-label={`BGP peers of ${v.node}`}>
        {v.peers.map((p) => (
          <li key={p.peer} data-testid="bgp-peer">
            <GraphLink target={targetForIp(world, p.peerIp)} text={p.peerIp} /> {p.peer} · {p.state} · <span className="pw-muted">{p.info}</span>
            {p.learned.length > 0 && (
              <>
                {' '}
                · learned <code>{p.learned.join(', ')}</code>
              </>
            )}
          </li>
        ))}
      </ul>
      <details>
        <summary>calicoctl node status</summary>
        <pre className="pw-tech">{printBgpStatus(bgp, v.node)}</pre>
      </details>
    </section>
  )
}
