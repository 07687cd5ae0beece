/**
 * One node's netfilter state, assembled the way the components program it: kube-proxy's
 * iptables-restore first (its jumps at the top of the built-in chains), then the CNI —
 * flanneld appends its FLANNEL-POSTRTG / FLANNEL-FWD jumps after kube-proxy's, felix inserts
 * cali-FORWARD / cali-INPUT / cali-POSTROUTING at the top. The combined iptables-save text is
 * parsed with the netfilter grammar into the node's Ruleset (expected: zero diagnostics).
 */
import { putNetns, getNetns } from '../model/ops.ts'
import { parseIptablesSave } from '../netfilter/save.ts'
import { addCalicoNatRules, addCalicoPolicyRules } from './calicoPolicy.ts'
import type { Ctx } from './ctx.ts'
import { emit } from './ctx.ts'
import { addFlannelRules } from './flannel.ts'
import { SaveText } from './iptablesText.ts'
import { generateKubeProxyRules } from './kubeProxy/generate.ts'
import type { KubeProxyInput } from './kubeProxy/types.ts'
import type { ClusterState, NodeRules } from './state.ts'

/** What kube-proxy on `node` is given: every Service and EndpointSlice, the node and the cluster CIDR. */
export function kubeProxyInput(state: Pick<ClusterState, 'services' | 'endpointSlices' | 'nodes' | 'config'>, node: string): KubeProxyInput {
  const n = state.nodes.find((x) => x.name === node)
  return { services: state.services, endpointSlices: state.endpointSlices, nodeName: node, nodeIPs: n ? [n.ip] : [], clusterCIDR: state.config.clusterCIDR }
}

/** The iptables-save text kube-proxy programs on a node. */
export function generateNodeKubeProxyRules(state: Pick<ClusterState, 'services' | 'endpointSlices' | 'nodes' | 'config'>, node: string): string {
  return generateKubeProxyRules(kubeProxyInput(state, node))
}

/** kube-proxy + CNI rules of one node as one iptables-save text. */
export function generateNodeSave(state: ClusterState, node: string, kubeProxy: string): string {
  const t = new SaveText()
  t.load(kubeProxy)
  const n = state.nodes.find((x) => x.name === node)
  if (n?.flannel) addFlannelRules(t, state.config.clusterCIDR, n.podCIDR)
  if (n?.calico) {
    addCalicoPolicyRules(t, state, node)
    addCalicoNatRules(t, state.config.clusterCIDR, n.calico.mode)
  }
  return t.print()
}

/** Regenerate every node's rules (a full kube-proxy sync and felix/flanneld resync) and load them. */
export function syncNodeRules(ctx: Ctx): void {
  const rules: Record<string, NodeRules> = {}
  for (const n of ctx.state.nodes) {
    const state = ctx.state as ClusterState
    const kubeProxy = generateNodeKubeProxyRules(state, n.name)
    const save = generateNodeSave(state, n.name, kubeProxy)
    const { ruleset, diagnostics } = parseIptablesSave(save, { file: `iptables-save@${n.name}` })
    const prev = ctx.state.rules[n.name]
    rules[n.name] = { kubeProxy, save, diagnostics }
    ctx.world = putNetns(ctx.world, { ...getNetns(ctx.world, n.name), netfilter: ruleset })
    if (!prev || prev.save !== save) {
      const count = save.split('\n').filter((l) => l.startsWith('-A ')).length
      emit(ctx, 'kube-proxy', `kube-proxy syncs iptables on ${n.name} (iptables-restore, ${count} rules with ${ctx.state.config.cni.plugin}'s)`, { node: n.name })
    }
  }
  ctx.state.rules = rules
}
