/**
 * The netfilter hook of this step (or the last one before it): each chain walked, every rule
 * in it matched / missed (with the match that failed) / not evaluated, with its counters.
 * Long chains are virtualised; the failing match of a rule in a compact miss run is worked out
 * only when its row is on screen.
 */
import { explainMiss } from '../../engine/netfilter/eval.ts'
import type { EvalPacket } from '../../engine/netfilter/eval.ts'
import type { Rule } from '../../engine/netfilter/types.ts'
import type { World } from '../../engine/model/types.ts'
import { ip as ipOf, l4 } from '../../engine/wire/packet.ts'
import type { Packet } from '../../engine/wire/packet.ts'
import { packetBefore } from '../store/selectors.ts'
import { GraphLink } from './GraphLink.tsx'
import { targetForChain, targetForIp } from './graphTarget.ts'
import { chainView, lastNetfilterStep } from './tableRows.ts'
import type { ChainView, RuleRow } from './tableRows.ts'
import { useInspected } from './useInspected.ts'
import { VirtualList } from './VirtualList.tsx'

const ROW = 52
const VIRTUAL_FROM = 60

function evalPacket(p: Packet | undefined): EvalPacket | undefined {
  const h = p && ipOf(p)
  if (!p || !h || (h.proto !== 'tcp' && h.proto !== 'udp' && h.proto !== 'icmp')) return undefined
  const t = l4(p)
  return { src: h.src, dst: h.dst, proto: h.proto, ...(t && t.kind !== 'icmp' && { sport: t.sport, dport: t.dport }), ...(t?.kind === 'icmp' && { icmpType: t.type, icmpCode: t.code }), len: h.length, mark: 0, ctState: 'NEW', ctStatus: [] }
}

/** Where a DNAT/SNAT rule sends the packet: `--to-destination`/`--to-source`'s first address. */
function natAddress(rule: Rule | undefined): { kind: 'DNAT' | 'SNAT'; ip: string } | undefined {
  const t = rule?.target
  return t && (t.kind === 'DNAT' || t.kind === 'SNAT') && t.to.fromIp ? { kind: t.kind, ip: t.to.fromIp } : undefined
}

/** What a rule's NAT target points at: the netns that owns its address. */
function NatTarget({ rule, world, netns }: { rule: Rule | undefined; world: World; netns: string }) {
  const nat = natAddress(rule)
  if (!nat) return null
  const target = targetForIp(world, nat.ip, netns)
  if (!target) return null
  return (
    <span className="pw-graph-links">
      {nat.kind === 'DNAT' ? ' → to ' : ' ← from '}
      <GraphLink target={target} text={nat.ip} /> <span className="pw-muted">({target.name})</span>
    </span>
  )
}

interface Where {
  readonly world: World
  readonly netns: string
}

function RuleLine({ row, pkt, at }: { row: RuleRow; pkt: EvalPacket | undefined; at: Where }) {
  const failed = row.eval?.failed ?? (row.inMissRun && row.rule && pkt ? explainMiss(row.rule, pkt) : undefined)
  const what = row.status === 'matched' ? (row.eval?.action ?? 'matched') : row.status === 'missed' ? `missed${failed ? `: ${failed}` : ''}` : 'not evaluated'
  return (
    <div className={`pw-rule is-${row.status}`} data-status={row.status}>
      <code className="pw-rule-raw">
        <span className="pw-rule-num">{row.num}</span> {row.raw}
      </code>
      <span className="pw-rule-what">
        <span className="pw-rule-status">{row.status === 'matched' ? '✓' : row.status === 'missed' ? '✗' : '·'}</span> {what}
        {row.eval?.probability !== undefined && ` (p=${row.eval.probability})`}
        {row.counters && <span className="pw-counters"> · {row.counters[0]} pkts {row.counters[1]} bytes</span>}
        <NatTarget rule={row.rule} world={at.world} netns={at.netns} />
      </span>
    </div>
  )
}

function Chain({ v, pkt, at }: { v: ChainView; pkt: EvalPacket | undefined; at: Where }) {
  return (
    <section className="pw-chain-view" data-testid={`chain-${v.table}-${v.chain}`}>
      <h4>
        <code>
          -t {v.table} <GraphLink target={targetForChain(at.netns, v.chain)} text={v.chain} />
        </code>
        {v.policy && <span className="pw-muted"> policy {v.policy}</span>} <span className="pw-badge">{v.exit}</span>
      </h4>
      {v.rows.length === 0 ? (
        <p className="pw-empty">No rules: {v.exit}.</p>
      ) : v.rows.length < VIRTUAL_FROM ? (
        <div role="list" aria-label={`rules of ${v.chain}`} className="pw-rules-wrap">
          {v.rows.map((r) => (
            <div role="listitem" key={r.num}>
              <RuleLine row={r} pkt={pkt} at={at} />
            </div>
          ))}
        </div>
      ) : (
        <VirtualList count={v.rows.length} rowHeight={ROW} height={420} label={`rules of ${v.chain}`} render={(i) => <RuleLine row={v.rows[i]!} pkt={pkt} at={at} />} />
      )}
    </section>
  )
}

export function IptablesView() {
  const { c, world } = useInspected()
  if (!c || !world || c.segment.kind !== 'trace') return <p className="pw-empty">No packet on this frame.</p>
  const found = lastNetfilterStep(c.steps, c.stepIndex)
  if (!found) return <p className="pw-empty" data-testid="inspector-iptables">No netfilter hook has run yet in this trace.</p>
  const { step, index } = found
  const nf = step.netfilter!
  const ns = world.netns[step.netns]
  const pkt = evalPacket(packetBefore(c.steps, index) ?? step.packet)
  const at = { world, netns: step.netns }
  return (
    <div data-testid="inspector-iptables">
      <p className="pw-step-head">
        <strong>{nf.hook}</strong> in {step.netns} ({nf.path === 'bridge' ? 'bridged frame, br_netfilter' : 'routed'}) → <strong>{nf.verdict}</strong>
        {index !== c.stepIndex && <span className="pw-muted"> · the last hook before this step (step {index + 1})</span>}
      </p>
      {nf.notes?.map((n) => (
        <p key={n} className="pw-muted">
          {n}
        </p>
      ))}
      {nf.chains.length === 0 && <p className="pw-empty">No rules at this hook.</p>}
      {ns && nf.chains.map((w, i) => <Chain key={`${w.table}:${w.chain}:${i}`} v={chainView(w, ns.netfilter, ns.counters)} pkt={pkt} at={at} />)}
    </div>
  )
}
