/**
 * The jumps kube-proxy (iptables mode, ≥ 1.26) puts into the built-in chains, so a ruleset
 * that only holds kube-proxy's own chains (its unit-test fixtures, a partial dump) can be
 * traced with the full hook order. Order and comments as a real node lists them
 * (real-dumps/flannel-kubeadm-iptables-L-zakaria): a missing jump is added only when its
 * target chain exists, after the jumps that come before it in that order.
 */
import type { Match, Ruleset, TableName } from './types.ts'
import { fromDraft, toDraft } from './save.ts'
import type { DraftRule } from './save.ts'

interface Jump {
  readonly table: TableName
  readonly from: string
  readonly to: string
  readonly comment?: string
  readonly newOnly?: boolean
}

export const KUBE_PROXY_JUMPS: readonly Jump[] = [
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODEPORTS', comment: 'kubernetes health check service ports' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals', newOnly: true },
  { table: 'filter', from: 'INPUT', to: 'KUBE-FIREWALL' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-SERVICES', comment: 'kubernetes service portals', newOnly: true },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals', newOnly: true },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals', newOnly: true },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-FIREWALL' },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
]

function jumpRule(j: Jump): DraftRule {
  const matches: Match[] = []
  if (j.newOnly) matches.push({ kind: 'ctstate', neg: false, states: ['NEW'] })
  if (j.comment) matches.push({ kind: 'comment', text: j.comment })
  const raw = `${j.newOnly ? '-m conntrack --ctstate NEW ' : ''}${j.comment ? `-m comment --comment "${j.comment}" ` : ''}-j ${j.to}`
  return { matches, target: { kind: 'jump', chain: j.to }, raw }
}

/**
 * Add the built-in-chain jumps kube-proxy would have written, where they are missing.
 * @example ensureKubeProxyJumps(rs).tables.nat?.chains.PREROUTING?.rules[0]?.target // { kind: 'jump', chain: 'KUBE-SERVICES' }
 */
export function ensureKubeProxyJumps(rs: Ruleset): { ruleset: Ruleset; added: string[] } {
  const d = toDraft(rs)
  const added: string[] = []
  for (const j of KUBE_PROXY_JUMPS) {
    const t = d.get(j.table)
    const from = t?.chains.get(j.from)
    if (!t || !from || !t.chains.has(j.to)) continue
    if (from.rules.some((r) => r.target.kind === 'jump' && r.target.chain === j.to)) continue
    // After the last existing jump that kube-proxy puts before this one.
    const before = KUBE_PROXY_JUMPS.slice(0, KUBE_PROXY_JUMPS.indexOf(j)).filter((x) => x.table === j.table && x.from === j.from).map((x) => x.to)
    let at = 0
    from.rules.forEach((r, i) => {
      if (r.target.kind === 'jump' && before.includes(r.target.chain)) at = i + 1
    })
    from.rules.splice(at, 0, jumpRule(j))
    added.push(`${j.table} ${j.from} → ${j.to}`)
  }
  return { ruleset: fromDraft(d), added }
}
