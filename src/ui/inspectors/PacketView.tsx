/** The packet as a Wireshark-like layer tree, each change against the packet before this step shown in place (old value struck through, added/removed layers marked). */
import type { World } from '../../engine/model/types.ts'
import { diffLayers, natChanges } from '../packet/layers.ts'
import type { Field, Layer } from '../packet/layers.ts'
import { packetBefore } from '../store/selectors.ts'
import { GraphLink } from './GraphLink.tsx'
import { targetForIp } from './graphTarget.ts'
import { useInspected } from './useInspected.ts'

/** Fields holding an address a netns owns: IP source/destination, ARP sender/target IP. */
const ADDRESS_FIELDS: Partial<Record<Layer['kind'], readonly string[]>> = { ipv4: ['Source', 'Destination'], arp: ['Sender IP', 'Target IP'] }

/** A field's value; an address points at the netns that owns it (seen from the step's netns, for a ClusterIP). */
function FieldValue({ kind, f, world, netns }: { kind: Layer['kind']; f: Field; world: World | null; netns: string }) {
  if (!world || !ADDRESS_FIELDS[kind]?.includes(f.name)) return <>{f.value}</>
  return <GraphLink target={targetForIp(world, f.value, netns)} text={f.value} />
}

export function PacketView() {
  const { c, world } = useInspected()
  const st = c?.step
  if (!c || !st) return <p className="pw-empty">No packet on this frame: it is a change to the world.</p>
  const layers = diffLayers(packetBefore(c.steps, c.stepIndex), st.packet)
  const nat = natChanges(layers)
  const added = layers.filter((l) => l.status === 'added' && l.outer).length
  const removed = layers.filter((l) => l.status === 'removed' && l.kind === 'vxlan').length + layers.filter((l) => l.status === 'removed' && l.kind === 'ipv4').length
  return (
    <div data-testid="inspector-packet">
      {nat.map((n) => (
        <p key={n.field} className="pw-callout">
          NAT rewrote the {n.field}: <del>{n.from}</del> → <ins>{n.to}</ins>
        </p>
      ))}
      {added > 0 && <p className="pw-callout">Encapsulated: {added} outer headers added in front of the original frame.</p>}
      {removed > 0 && <p className="pw-callout">Decapsulated: the outer headers are gone; the inner packet carries on.</p>}
      <ol className="pw-layers">
        {layers.map((l) => (
          <li key={l.key} className={`is-${l.status}${l.outer ? ' is-outer' : ''}`} data-testid={`layer-${l.kind}`}>
            <details open={l.kind !== 'eth' || l.status !== 'same'}>
              <summary>
                <strong>{l.title}</strong>, {l.summary}
                {l.outer && <span className="pw-badge">outer</span>}
                {l.status !== 'same' && <span className={`pw-badge is-${l.status}`}>{l.status}</span>}
              </summary>
              <dl>
                {l.fields.map((f) => (
                  <div key={f.name} className={f.old !== undefined ? 'is-changed' : ''}>
                    <dt>{f.name}</dt>
                    <dd>
                      {f.old !== undefined && (
                        <>
                          <del>{f.old}</del>{' '}
                        </>
                      )}
                      <FieldValue kind={l.kind} f={f} world={world} netns={st.netns} />
                    </dd>
                  </div>
                ))}
              </dl>
            </details>
          </li>
        ))}
      </ol>
    </div>
  )
}
