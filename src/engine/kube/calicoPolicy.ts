/**
 * Calico (felix) filter-table chains enforcing NetworkPolicy on one node, in felix's shape:
 * FORWARD → cali-FORWARD → cali-from-wl-dispatch / cali-to-wl-dispatch → cali-fw-<if> /
 * cali-tw-<if> → cali-po-<policy> / cali-pi-<policy>, with felix's marks (0x10000 = accept,
 * 0x20000 = pass) and its fixed comments ("Drop if no policies passed packet"). A rule that
 * allows a packet sets the accept mark and the policy chain RETURNs.
 * Readability over hashing: real felix names policy chains `cali-pi-_<hash>` and tags every
 * rule with a `cali:<hash>` comment; we use the policy name and skip the hash comments.
 * Simplifications: selectors become one `-s/-d IP/32` rule per selected pod (felix uses
 * ipsets such as `cali40s:…`); no host endpoints, no cali-OUTPUT, no tiers beyond `default`.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import type { SaveText } from './iptablesText.ts'
import { describePeer, peerPods, policiesFor, resolvePolicyPort } from './networkPolicy.ts'
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './schema.ts'
import type { ClusterState, PodState } from './state.ts'

export const MARK_ACCEPT = '0x10000/0x10000'
const MAX_CHAIN = 28

/** Chain name for a policy: readable, at most 28 characters (iptables' limit). */
export function calicoPolicyChain(prefix: 'cali-pi-' | 'cali-po-', np: NetworkPolicy, taken: Set<string>): string {
  const base = `${prefix}${np.metadata.name}`
  if (base.length <= MAX_CHAIN && !taken.has(base)) return base
  const h = bytesToHex(sha256(utf8ToBytes(`${np.metadata.namespace ?? 'default'}/${np.metadata.name}`))).slice(0, 6)
  return `${prefix}${np.metadata.name.slice(0, MAX_CHAIN - prefix.length - 7)}~${h}`
}

function q(text: string): string {
  return `"${text.replace(/"/g, "'")}"`
}

function portSpecs(ports: readonly NetworkPolicyPort[] | undefined, pod: PodState | undefined): string[] | undefined {
  if (!ports || ports.length === 0) return ['']
  const out: string[] = []
  for (const p of ports) {
    const r = resolvePolicyPort(p, pod)
    if (r === undefined) continue
    const proto = p.protocol.toLowerCase()
    if (r === 'any') out.push(`-p ${proto}`)
    else out.push(`-p ${proto} -m ${proto} --dport ${r.from === r.to ? r.from : `${r.from}:${r.to}`}`)
  }
  return out
}

interface RuleCtx {
  readonly t: SaveText
  readonly state: ClusterState
  readonly np: NetworkPolicy
  readonly chain: string
  readonly dir: 'ingress' | 'egress'
  /** Pods of this node the policy selects (ingress: destinations). */
  readonly selected: readonly PodState[]
  sub: number
}

/** One NetworkPolicy rule → MARK rules (+ a RETURN once it accepted). */
function addPolicyRule(rc: RuleCtx, index: number, peers: readonly NetworkPolicyPeer[] | undefined, ports: readonly NetworkPolicyPort[] | undefined): void {
  const { t, chain, dir, np } = rc
  const name = `${np.metadata.namespace ?? 'default'}/${np.metadata.name}`
  const side = dir === 'ingress' ? '-s' : '-d'
  const label = `${name} ${dir} rule ${index + 1}`
  const mark = `-j MARK --set-xmark ${MARK_ACCEPT}`
  let wrote = false
  const emit = (match: string, what: string): void => {
    t.append('filter', chain, `${match ? `${match} ` : ''}-m comment --comment ${q(`${label}: ${what}`)} ${mark}`.replace(/\s+/g, ' ').trim())
    wrote = true
  }
  // Named ports resolve against the pod that owns them: the selected pod for ingress, the peer pod for egress.
  const dstPods = dir === 'ingress' ? rc.selected : undefined
  const peerList = peers && peers.length > 0 ? peers : undefined
  /** The destination/port matches of the rule; named ports resolve per pod (ingress: each selected pod). */
  const portMatches = (peerPod: PodState | undefined): { match: string; to?: string }[] => {
    const named = ports?.some((p) => typeof p.port === 'string')
    if (named && dir === 'ingress') return (dstPods ?? []).flatMap((pod) => (portSpecs(ports, pod) ?? []).map((ps) => ({ match: `-d ${pod.ip!}/32 ${ps}`, to: pod.name })))
    return (portSpecs(ports, peerPod) ?? []).map((ps) => ({ match: ps }))
  }
  const withPorts = (peerMatch: string, what: string, peerPod: PodState | undefined): void => {
    for (const pm of portMatches(peerPod)) emit(`${peerMatch} ${pm.match}`, pm.to ? `${what} to ${pm.to}` : what)
  }
  if (!peerList) withPorts('', 'from any', undefined)
  else
    for (const peer of peerList) {
      if (peer.ipBlock) {
        const except = peer.ipBlock.except ?? []
        if (except.length === 0) withPorts(`${side} ${peer.ipBlock.cidr}`, describePeer(peer), undefined)
        else {
          // iptables has one -s per rule: a small chain returns for the except ranges first.
          const sub = `${chain.slice(0, MAX_CHAIN - 3)}-${rc.sub++}`
          for (const e of except) t.append('filter', sub, `${side} ${e} -m comment --comment ${q(`${label}: except ${e}`)} -j RETURN`)
          for (const pm of portMatches(undefined)) t.append('filter', sub, `${side} ${peer.ipBlock.cidr} ${pm.match} -m comment --comment ${q(`${label}: ${describePeer(peer)}`)} ${mark}`.replace(/\s+/g, ' '))
          t.append('filter', chain, `-m comment --comment ${q(`${label}: ${describePeer(peer)}`)} -j ${sub}`)
          wrote = true
        }
        continue
      }
      for (const p of peerPods(rc.state, np, peer)) withPorts(`${side} ${p.ip!}/32`, `${describePeer(peer)} (${p.namespace}/${p.name})`, dir === 'egress' ? p : undefined)
    }
  if (wrote) t.append('filter', chain, `-m mark --mark ${MARK_ACCEPT} -j RETURN`)
}

/**
 * Add felix's chains for one node to `t` and return the policy chain names used.
 *
 * @example
 * const t = new SaveText(); addCalicoPolicyRules(t, cluster, 'node1')
 */
export function addCalicoPolicyRules(t: SaveText, state: ClusterState, node: string): void {
  const pods = state.pods.filter((p) => p.node === node && !p.hostNetwork && p.hostVeth && p.ip)
  t.insert('filter', 'FORWARD', '-m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD')
  t.append('filter', 'FORWARD', `-m comment --comment "Policy explicitly accepted packet." -m mark --mark ${MARK_ACCEPT} -j ACCEPT`)
  t.append('filter', 'FORWARD', `-j MARK --set-xmark ${MARK_ACCEPT}`)
  t.insert('filter', 'INPUT', '-m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT')
  t.append('filter', 'cali-FORWARD', '-j MARK --set-xmark 0x0/0xe0000')
  t.append('filter', 'cali-FORWARD', '-i cali+ -j cali-from-wl-dispatch')
  t.append('filter', 'cali-FORWARD', '-o cali+ -j cali-to-wl-dispatch')
  t.append('filter', 'cali-INPUT', '-i cali+ -g cali-wl-to-host')
  t.append('filter', 'cali-wl-to-host', '-j cali-from-wl-dispatch')
  t.append('filter', 'cali-wl-to-host', '-m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT')
  t.chain('filter', 'cali-from-wl-dispatch')
  t.chain('filter', 'cali-to-wl-dispatch')
  const taken = new Set<string>()
  const chains = new Map<string, string>()
  const chainFor = (prefix: 'cali-pi-' | 'cali-po-', np: NetworkPolicy): string => {
    const key = `${prefix}${np.metadata.namespace ?? 'default'}/${np.metadata.name}`
    let c = chains.get(key)
    if (!c) {
      c = calicoPolicyChain(prefix, np, taken)
      taken.add(c)
      chains.set(key, c)
    }
    return c
  }
  const written = new Set<string>()
  const namespaces = new Set<string>()
  for (const pod of pods) {
    const ifname = pod.hostVeth!
    namespaces.add(pod.namespace)
    t.append('filter', 'cali-from-wl-dispatch', `-i ${ifname} -g cali-fw-${ifname}`)
    t.append('filter', 'cali-to-wl-dispatch', `-o ${ifname} -g cali-tw-${ifname}`)
    for (const [dir, wl, prof] of [['Ingress', `cali-tw-${ifname}`, `cali-pri-kns.${pod.namespace}`], ['Egress', `cali-fw-${ifname}`, `cali-pro-kns.${pod.namespace}`]] as const) {
      t.append('filter', wl, '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
      t.append('filter', wl, '-m conntrack --ctstate INVALID -j DROP')
      t.append('filter', wl, '-j MARK --set-xmark 0x0/0x10000')
      if (dir === 'Egress') t.append('filter', wl, '-p udp -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP')
      if (dir === 'Egress') t.append('filter', wl, '-p ipencap -m comment --comment "Drop IPinIP encapped packets originating in workloads" -j DROP')
      const pols = policiesFor(state, pod, dir)
      if (pols.length > 0) {
        t.append('filter', wl, '-m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000')
        for (const np of pols) {
          const chain = chainFor(dir === 'Ingress' ? 'cali-pi-' : 'cali-po-', np)
          t.append('filter', wl, `-m mark --mark 0x0/0x20000 -j ${chain}`)
          t.append('filter', wl, `-m mark --mark ${MARK_ACCEPT} -m comment --comment "Return if policy accepted" -j RETURN`)
          if (!written.has(chain)) {
            written.add(chain)
            const selected = pods.filter((p) => policiesFor(state, p, dir).includes(np))
            const rc: RuleCtx = { t, state, np, chain, dir: dir === 'Ingress' ? 'ingress' : 'egress', selected, sub: 0 }
            t.chain('filter', chain)
            if (dir === 'Ingress') (np.spec.ingress ?? []).forEach((r, i) => addPolicyRule(rc, i, r.from, r.ports))
            else (np.spec.egress ?? []).forEach((r, i) => addPolicyRule(rc, i, r.to, r.ports))
          }
        }
        t.append('filter', wl, '-m mark --mark 0x0/0x20000 -m comment --comment "Drop if no policies passed packet" -j DROP')
      }
      t.append('filter', wl, `-j ${prof}`)
      t.append('filter', wl, `-m mark --mark ${MARK_ACCEPT} -m comment --comment "Return if profile accepted" -j RETURN`)
      t.append('filter', wl, '-m comment --comment "Drop if no profiles matched" -j DROP')
    }
  }
  t.append('filter', 'cali-from-wl-dispatch', '-m comment --comment "Unknown interface" -j DROP')
  t.append('filter', 'cali-to-wl-dispatch', '-m comment --comment "Unknown interface" -j DROP')
  for (const ns of [...namespaces].sort()) {
    for (const prof of [`cali-pri-kns.${ns}`, `cali-pro-kns.${ns}`]) {
      if (t.has('filter', prof)) continue
      t.append('filter', prof, `-m comment --comment "profile kns.${ns}: allow (no policy selects the pod)" -j MARK --set-xmark ${MARK_ACCEPT}`)
      t.append('filter', prof, `-m mark --mark ${MARK_ACCEPT} -j RETURN`)
    }
  }
}

/** nat rules felix writes: natOutgoing for the pool, and the tunl0 source fix in ipip mode. */
export function addCalicoNatRules(t: SaveText, clusterCIDR: string, mode: 'bgp' | 'ipip'): void {
  t.insert('nat', 'POSTROUTING', '-m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING')
  t.append('nat', 'cali-POSTROUTING', '-j cali-nat-outgoing')
  if (mode === 'ipip') t.append('nat', 'cali-POSTROUTING', '-o tunl0 -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully')
  t.append('nat', 'cali-nat-outgoing', `-s ${clusterCIDR} ! -d ${clusterCIDR} -m comment --comment "natOutgoing of pool default-ipv4-ippool" -j MASQUERADE --random-fully`)
}
