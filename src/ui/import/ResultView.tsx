/**
 * What the importer understood, per node: interfaces, routes, chains, and the Kubernetes
 * picture it inferred, each with the input lines it came from (click to read them); then
 * every line it did not understand (file:line and the text), the blocks it recognised but
 * cannot use (with the command to run instead), warnings, and what a trace will assume.
 * Long lists are cut with a "show more" so a 75,000-line dump renders quickly.
 */
import { memo, useContext, useMemo, useState } from 'react'
import type { ReactNode } from 'react'
import type { From, ImportedInterface, ImportedNode, ImportResult } from '../../engine/import/types.ts'
import { printFrom } from '../../engine/import/summary.ts'
import { LineSourceContext, printRoute } from './lineSource.ts'

export function ResultView({ result, notes }: { readonly result: ImportResult; readonly notes: readonly string[] }) {
  // Lines not understood are listed with their text below; their IP001 warnings would repeat them.
  const problems = result.diagnostics.filter((d) => d.severity !== 'info' && !(d.code === 'IP001' && d.severity === 'warning'))
  const infos = result.diagnostics.filter((d) => d.severity === 'info')
  return (
    <div className="pwi-result" data-testid="import-result">
      {result.unsupported.length > 0 && (
        <section className="pwi-section pwi-unsupported" data-testid="import-unsupported" aria-label="Recognised but not supported">
          <h3 className="pwi-h3">Recognised, not supported yet ({result.unsupported.length})</h3>
          <ul className="pwi-list">
            {result.unsupported.map((u) => (
              <li key={`${u.file}:${u.line}`}>
                <code className="pwi-where">
                  {u.file}:{u.line}
                </code>{' '}
                <strong>{u.format}</strong>: {u.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {result.nodes.map((n, i) => (
        <NodeView key={n.name} node={n} open={i < 3} />
      ))}
      <section className="pwi-section" data-testid="import-not-understood" aria-label="Lines not understood">
        <h3 className="pwi-h3">Not understood ({result.notUnderstood.length.toLocaleString('en')} line{result.notUnderstood.length === 1 ? '' : 's'})</h3>
        {result.notUnderstood.length === 0 ? (
          <p className="pw-muted">Every line was read (or is listed above as not supported).</p>
        ) : (
          <>
            <p className="pw-muted pwi-note">Each command’s output should start right after its prompt line (or be pasted on its own); notes and other commands’ output land here, and the rest is still read.</p>
            <Capped
              items={result.notUnderstood}
              first={200}
              render={(u) => (
                <li key={`${u.file}:${u.line}`} className="pwi-nu">
                  <code className="pwi-where">
                    {u.file}:{u.line}
                  </code>
                  <code className="pwi-raw">{u.text}</code>
                </li>
              )}
            />
          </>
        )}
      </section>
      {problems.length > 0 && (
        <section className="pwi-section" aria-label="Warnings">
          <h3 className="pwi-h3">Warnings ({problems.length})</h3>
          <Capped items={problems} first={50} render={(d, i) => <Diag key={i} d={d} />} />
        </section>
      )}
      {infos.length > 0 && (
        <details className="pwi-section">
          <summary>Notes from the importer ({infos.length})</summary>
          <Capped items={infos} first={50} render={(d, i) => <Diag key={i} d={d} />} />
        </details>
      )}
      {notes.length > 0 && (
        <details className="pwi-section" data-testid="import-assumptions">
          <summary>What a trace assumes where the dumps say nothing ({notes.length})</summary>
          <Capped items={notes} first={50} render={(n, i) => <li key={i}>{n}</li>} />
        </details>
      )}
    </div>
  )
}

function Diag({ d }: { readonly d: ImportResult['diagnostics'][number] }) {
  return (
    <li>
      {d.file !== undefined && (
        <code className="pwi-where">
          {d.file}
          {d.line !== undefined && `:${d.line}`}
        </code>
      )}{' '}
      <span className="pw-muted">{d.code}</span> {d.message}
      {d.hint && <span className="pw-muted"> — {d.hint}</span>}
    </li>
  )
}

/** A list cut after `first` items, with a button for the rest (in steps). */
function Capped<T>({ items, first, render }: { readonly items: readonly T[]; readonly first: number; readonly render: (item: T, i: number) => ReactNode }) {
  const [shown, setShown] = useState(first)
  return (
    <>
      <ul className="pwi-list">{items.slice(0, shown).map(render)}</ul>
      {items.length > shown && (
        <button type="button" className="pw-button pwi-small" onClick={() => setShown(shown + 500)}>
          Show {Math.min(500, items.length - shown).toLocaleString('en')} more (of {(items.length - shown).toLocaleString('en')})
        </button>
      )}
    </>
  )
}

/** `file:12,14` references; clicking shows those lines as they were pasted. */
function FromRefs({ from, max = 6 }: { readonly from: readonly From[]; readonly max?: number }) {
  const [open, setOpen] = useState(false)
  const read = useContext(LineSourceContext)
  if (from.length === 0) return null
  const label = printFrom(from, max)
  return (
    <span className="pwi-refs">
      <button type="button" className="pwi-ref" aria-expanded={open} onClick={() => setOpen(!open)} title="Show the lines this came from">
        ← {label}
      </button>
      {open && (
        <pre className="pwi-lines" data-testid="import-from-lines">
          {from
            .slice(0, 20)
            .map((f) => `${f.file}:${f.line}  ${read(f.file, f.line) ?? '(line not available)'}`)
            .join('\n')}
          {from.length > 20 ? `\n… ${from.length - 20} more` : ''}
        </pre>
      )}
    </span>
  )
}

const NAME_FROM: Record<ImportedNode['nameFrom'], string> = {
  input: 'named in the Node field',
  bundle: 'named by the bundle header',
  prompt: 'named by the shell prompt',
  hostname: 'named by the hostname output',
  default: 'not named by the dump: type a name in the Node field',
}

const NodeView = memo(function NodeView({ node: n, open }: { readonly node: ImportedNode; readonly open: boolean }) {
  const inf = n.inferred
  const chainTables = Object.entries(n.chains)
  return (
    <details className="pwi-node" open={open} data-testid={`import-node-${n.name}`}>
      <summary>
        <h3 className="pwi-h3 pwi-inline">{n.name}</h3> <span className="pw-muted">{NAME_FROM[n.nameFrom]}</span>
        <span className="pwi-formats">
          {n.formats.map((f) => (
            <span key={f} className="pwi-chip">
              {f}
            </span>
          ))}
        </span>
      </summary>

      <section className="pwi-section" aria-label={`Inferred on ${n.name}`}>
        <h4 className="pwi-h4">Kubernetes, as the dump shows it</h4>
        <dl className="pwi-facts" data-testid="import-inferred">
          {inf.cni && <Fact term="CNI" value={`${inf.cni.value.name}${inf.cni.value.mode ? ` (${inf.cni.value.mode})` : ''}`} from={inf.cni.from} />}
          {inf.kubeProxyMode && <Fact term="kube-proxy" value={`${inf.kubeProxyMode.value} mode`} from={inf.kubeProxyMode.from} />}
          {inf.clusterCidr && <Fact term="Cluster CIDR" value={inf.clusterCidr.value} from={inf.clusterCidr.from} />}
          {inf.podCidr && <Fact term="Pod CIDR" value={inf.podCidr.value} from={inf.podCidr.from} />}
          {inf.nodeIps.map((x) => (
            <Fact key={x.value.ip} term="Node IP" value={`${x.value.ip}${x.value.len !== undefined ? `/${x.value.len}` : ''}${x.value.dev ? ` on ${x.value.dev}` : ''}`} from={x.from} />
          ))}
          {inf.remoteNodes.map((r) => (
            <Fact key={r.ip} term="Other node" value={`${r.ip}${r.podCidr ? ` (pods ${r.podCidr})` : ''}${r.vtepMac ? `, VTEP ${r.vtepMac}` : ''}`} from={r.from} />
          ))}
        </dl>
        {!inf.cni && !inf.kubeProxyMode && inf.pods.length === 0 && inf.services.length === 0 && <p className="pw-muted">Nothing Kubernetes-specific in this dump.</p>}
        {inf.services.length > 0 && (
          <>
            <h5 className="pwi-h5">Services ({inf.services.length.toLocaleString('en')} ports)</h5>
            <Capped
              items={inf.services}
              first={50}
              render={(s) => (
                <li key={`${s.namespace}/${s.name}:${s.portName}/${s.protocol}`} data-testid="import-service">
                  <strong>
                    {s.namespace}/{s.name}
                    {s.portName ? `:${s.portName}` : ''}
                  </strong>{' '}
                  {s.protocol} {s.clusterIP !== undefined ? `${s.clusterIP}:${s.port ?? '?'}` : ''}
                  {s.nodePort !== undefined ? ` · NodePort ${s.nodePort}` : ''} →{' '}
                  {s.endpoints.length === 0 ? 'no endpoints' : s.endpoints.map((e) => `${e.ip}:${e.port}${e.probability !== undefined && s.endpoints.length > 1 ? ` (${Math.round(e.probability * 1000) / 10}%)` : ''}`).join(', ')} <FromRefs from={s.from} />
                </li>
              )}
            />
          </>
        )}
        {inf.pods.length > 0 && (
          <>
            <h5 className="pwi-h5">Pods ({inf.pods.length.toLocaleString('en')})</h5>
            <Capped
              items={inf.pods}
              first={50}
              render={(p) => (
                <li key={p.ip} data-testid="import-pod">
                  <strong>{p.ip}</strong> {p.local ? 'on this node' : 'elsewhere'}
                  {p.hostVeth ? `, host end ${p.hostVeth}` : ''}
                  {p.endpointOf?.length ? `, endpoint of ${p.endpointOf.join(', ')}` : ''} <span className="pw-muted">[{p.how.join(', ')}]</span> <FromRefs from={p.from} />
                </li>
              )}
            />
          </>
        )}
      </section>

      <section className="pwi-section" aria-label={`Interfaces of ${n.name}`}>
        <h4 className="pwi-h4">Interfaces ({n.interfaces.length})</h4>
        {n.interfaces.length === 0 ? (
          <p className="pw-muted">No interfaces in the dump (`ip addr`, `ip -d link`): a trace puts the node on a stand-in eth0.</p>
        ) : (
          <table className="pwi-table" data-testid="import-interfaces">
            <thead>
              <tr>
                <th scope="col">name</th>
                <th scope="col">kind</th>
                <th scope="col">addresses</th>
                <th scope="col">details</th>
                <th scope="col">from</th>
              </tr>
            </thead>
            <tbody>
              {n.interfaces.slice(0, 300).map((l) => (
                <tr key={l.name}>
                  <td>
                    <code>{l.name}</code>
                  </td>
                  <td title={kindTitle(l)}>
                    {l.kind}
                    {l.kindFrom === 'name' || l.kindFrom === 'usage' ? '?' : ''}
                    {l.realKind ? ` (${l.realKind})` : ''}
                  </td>
                  <td>
                    <code>{l.addrs.map((a) => `${a.ip}/${a.len}`).join(' ')}</code>
                  </td>
                  <td className="pwi-details">{ifaceDetails(l)}</td>
                  <td>
                    <FromRefs from={l.from} max={3} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {n.interfaces.length > 300 && <p className="pw-muted">… and {n.interfaces.length - 300} more.</p>}
      </section>

      <section className="pwi-section" aria-label={`Routes of ${n.name}`}>
        <h4 className="pwi-h4">Routes ({n.routes.length})</h4>
        {n.routes.length === 0 ? (
          <p className="pw-muted">No routing table in the dump (`ip route`): a trace assumes the connected routes.</p>
        ) : (
          <Capped
            items={n.routes}
            first={60}
            render={(r, i) => (
              <li key={i} className="pwi-route">
                <code>{printRoute(r)}</code> {r.source && <FromRefs from={[{ file: r.source.file ?? '', line: r.source.line }]} />}
              </li>
            )}
          />
        )}
      </section>

      <section className="pwi-section" aria-label={`Chains of ${n.name}`}>
        <h4 className="pwi-h4">iptables{n.iptablesBackend ? ` (${n.iptablesBackend})` : ''}</h4>
        {chainTables.length === 0 ? (
          <p className="pw-muted">No rules in the dump (`iptables-save`).</p>
        ) : (
          <ul className="pwi-list pwi-chains" data-testid="import-chains">
            {chainTables.map(([table, chains]) => (
              <ChainTable key={table} table={table} chains={chains} />
            ))}
          </ul>
        )}
      </section>

      <details className="pwi-section" data-testid="import-tables">
        <summary>
          Neighbours ({n.neighbours.length}), FDB ({n.fdb.length}), sysctls ({Object.keys(n.sysctlRaw).length}), conntrack ({n.conntrack.length}){n.ipsets ? `, ipsets (${n.ipsets.length})` : ''}{n.resolvConf ? ', resolv.conf' : ''}
        </summary>
        <ul className="pwi-list pwi-mono">
          {n.neighbours.slice(0, 200).map((x, i) => (
            <li key={`n${i}`}>
              {x.ip} dev {x.dev}
              {x.mac ? ` lladdr ${x.mac}` : ''} {x.state}
            </li>
          ))}
          {n.fdb.slice(0, 200).map((f, i) => (
            <li key={`f${i}`}>
              {f.mac} dev {f.dev}
              {f.master ? ` master ${f.master}` : ''}
              {f.dst ? ` dst ${f.dst}` : ''}
              {f.self ? ' self' : ''}
              {f.permanent ? ' permanent' : ''}
            </li>
          ))}
          {Object.entries(n.sysctlRaw)
            .slice(0, 100)
            .map(([k, v]) => (
              <li key={k}>
                {k} = {v.value}
              </li>
            ))}
          {n.resolvConf && (
            <li>
              resolv.conf: nameserver {n.resolvConf.nameservers.join(' ')}; search {n.resolvConf.search.join(' ')}; ndots {n.resolvConf.ndots}
            </li>
          )}
          {n.conntrack.slice(0, 100).map((c, i) => (
            <li key={`c${i}`}>{c.raw}</li>
          ))}
          {n.ipsets?.slice(0, 100).map((set) => (
            <li key={`s${set.name}`}>
              ipset {set.name} {set.type}: {set.members.length > 4 ? `${set.members.slice(0, 4).join(', ')} … (${set.members.length})` : set.members.join(', ') || 'empty'}
            </li>
          ))}
        </ul>
      </details>
    </details>
  )
})

function ChainTable({ table, chains }: { readonly table: string; readonly chains: Readonly<Record<string, number>> }) {
  const list = useMemo(() => Object.entries(chains), [chains])
  const rules = list.reduce((k, [, n]) => k + n, 0)
  // 15,000 chains in a big dump: the list is built when opened.
  const [open, setOpen] = useState(false)
  return (
    <li>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <strong>{table}</strong>: {list.length.toLocaleString('en')} chain{list.length === 1 ? '' : 's'}, {rules.toLocaleString('en')} rule{rules === 1 ? '' : 's'}
        </summary>
        {open && (
          <Capped
            items={list}
            first={100}
            render={([c, k]) => (
              <li key={c} className="pwi-mono">
                {c} <span className="pw-muted">{k}</span>
              </li>
            )}
          />
        )}
      </details>
    </li>
  )
}

function Fact({ term, value, from }: { readonly term: string; readonly value: string; readonly from: readonly From[] }) {
  return (
    <div className="pwi-fact">
      <dt>{term}</dt>
      <dd>
        {value} <FromRefs from={from} />
      </dd>
    </div>
  )
}

function kindTitle(l: ImportedInterface): string {
  switch (l.kindFrom) {
    case 'details':
      return 'from ip -d link'
    case 'link-type':
      return 'from its link/ type'
    case 'name':
      return 'guessed from the name (ip -d link would say)'
    case 'usage':
      return 'other interfaces use it as their master'
  }
}

function ifaceDetails(l: ImportedInterface): string {
  const bits: string[] = []
  if (l.peerName !== undefined) bits.push(`peer ${l.peerName}`)
  else if (l.peerIfindex !== undefined) bits.push(`peer if${l.peerIfindex}`)
  if (l.linkNetns !== undefined) bits.push(`netns ${l.linkNetns}`)
  else if (l.linkNetnsid !== undefined) bits.push(`netnsid ${l.linkNetnsid}`)
  if (l.master !== undefined) bits.push(`master ${l.master}`)
  if (l.vxlan) bits.push(`vxlan id ${l.vxlan.vni}${l.vxlan.local ? ` local ${l.vxlan.local}` : ''}${l.vxlan.dev ? ` dev ${l.vxlan.dev}` : ''}${l.vxlan.dstport !== undefined ? ` dstport ${l.vxlan.dstport}` : ''}${l.vxlan.learning ? '' : ' nolearning'}`)
  if (l.ipip) bits.push('ipip')
  if (l.mtu !== undefined) bits.push(`mtu ${l.mtu}`)
  if (l.up === false) bits.push('DOWN')
  if (l.hairpin) bits.push('hairpin')
  if (l.proxyArp) bits.push('proxy_arp')
  if (l.referencedOnly) bits.push('only referenced by routes/neighbours')
  return bits.join(', ')
}
