/**
 * flannel's node state (flanneld with kube subnet manager). vxlan backend: `flannel.1`
 * (VNI 1, UDP 8472, nolearning, local = node IP, dev eth0, MTU 1450, address
 * `<podCIDR network>/32`); for every other node a route `<podCIDR> via <net>.0 dev flannel.1
 * onlink`, a PERMANENT neighbour `<net>.0 → remote VTEP MAC` and an FDB entry `<VTEP MAC>
 * dst <node IP> self permanent`. host-gw backend: `<podCIDR> via <node IP> dev eth0`.
 * Rules: FLANNEL-POSTRTG (nat) and FLANNEL-FWD (filter) exactly as flannel ≥0.22 writes them.
 */
import { addAddr, addLink, addRoute, findLink, getNetns, putFdb, putNeigh, setLinkUp } from '../model/ops.ts'
import { intToIp, parsePrefix } from '../wire/addr.ts'
import type { Ctx } from './ctx.ts'
import { emit, getNode, putNode } from './ctx.ts'
import { newHostLocalStore, subnetNetwork } from './ipam.ts'
import type { NodeState } from './state.ts'
import type { SaveText } from './iptablesText.ts'

export const FLANNEL_VXLAN_MTU = 1450
export const FLANNEL_VNI = 1
export const FLANNEL_PORT = 8472

/** `/run/flannel/subnet.env` as flanneld writes it. */
export function flannelSubnetEnv(clusterCIDR: string, podCIDR: string, mtu: number): string {
  const p = parsePrefix(podCIDR)
  const gw = intToIp(p.net + 1)
  return `FLANNEL_NETWORK=${clusterCIDR}\nFLANNEL_SUBNET=${gw}/${p.len}\nFLANNEL_MTU=${mtu}\nFLANNEL_IPMASQ=true\n`
}

/** flanneld starts on a node: VTEP device (vxlan) and subnet.env. */
export function setupFlannelNode(ctx: Ctx, nodeName: string, backend: 'vxlan' | 'host-gw'): void {
  const node = getNode(ctx, nodeName)
  const mtu = backend === 'vxlan' ? FLANNEL_VXLAN_MTU : 1500
  const subnetEnv = flannelSubnetEnv(ctx.state.config.clusterCIDR, node.podCIDR, mtu)
  let vtepMac: string | undefined
  if (backend === 'vxlan') {
    vtepMac = ctx.rng.mac()
    let w = addLink(ctx.world, nodeName, { kind: 'vxlan', name: 'flannel.1', vni: FLANNEL_VNI, local: node.ip, dstport: FLANNEL_PORT, dev: 'eth0', learning: false, mtu, mac: vtepMac })
    w = addAddr(w, nodeName, 'flannel.1', `${subnetNetwork(node.podCIDR)}/32`)
    w = setLinkUp(w, nodeName, 'flannel.1', true)
    ctx.world = w
    emit(ctx, 'flannel', `flanneld creates flannel.1 (vxlan id ${FLANNEL_VNI} local ${node.ip} dev eth0 dstport ${FLANNEL_PORT} nolearning, mtu ${mtu}, ${subnetNetwork(node.podCIDR)}/32, VTEP MAC ${vtepMac}) and records it in the node's flannel.alpha.coreos.com/backend-data annotation`, { node: nodeName })
  }
  const cniConf = node.cniConf
  putNode(ctx, { ...node, cniConf, flannel: { backend, ...(vtepMac && { vtepMac }), subnetEnv, bridgeCreated: false, ipam: newHostLocalStore('cbr0', node.podCIDR) } })
  emit(ctx, 'flannel', `flanneld writes /run/flannel/subnet.env (FLANNEL_SUBNET=${subnetEnv.split('\n')[1]!.split('=')[1]!}, FLANNEL_MTU=${mtu})`, { node: nodeName, detail: subnetEnv })
}

/** Every node learns every other node's lease (the watch on Node objects). Idempotent. */
export function connectFlannelPeers(ctx: Ctx): void {
  for (const a of ctx.state.nodes) {
    for (const b of ctx.state.nodes) {
      if (a.name === b.name || !a.flannel || !b.flannel) continue
      addFlannelPeer(ctx, a, b)
    }
  }
}

function addFlannelPeer(ctx: Ctx, a: NodeState, b: NodeState): void {
  const ns = getNetns(ctx.world, a.name)
  const remoteNet = subnetNetwork(b.podCIDR)
  const dst = b.podCIDR
  if (ns.routes.some((r) => r.dst === dst)) return
  let w = ctx.world
  if (a.flannel!.backend === 'vxlan') {
    const mac = b.flannel!.vtepMac!
    w = putNeigh(w, a.name, { ip: remoteNet, dev: 'flannel.1', mac, state: 'PERMANENT' })
    w = putFdb(w, a.name, { mac, dev: 'flannel.1', dst: b.ip, self: true, permanent: true })
    w = addRoute(w, a.name, { dst, type: 'unicast', table: 'main', via: remoteNet, dev: 'flannel.1', onlink: true, scope: 'global', proto: 'boot' })
    emit(ctx, 'flannel', `${a.name} learns ${b.name}'s lease ${dst}: neighbour ${remoteNet} lladdr ${mac} PERMANENT, fdb ${mac} dst ${b.ip} self permanent, route ${dst} via ${remoteNet} dev flannel.1 onlink`, { node: a.name })
  } else {
    w = addRoute(w, a.name, { dst, type: 'unicast', table: 'main', via: b.ip, dev: 'eth0', scope: 'global', proto: 'boot' })
    emit(ctx, 'flannel', `${a.name} learns ${b.name}'s lease ${dst}: route ${dst} via ${b.ip} dev eth0 (host-gw)`, { node: a.name })
  }
  ctx.world = w
}

/** FLANNEL-POSTRTG and FLANNEL-FWD, appended after kube-proxy's jumps as flanneld does. */
export function addFlannelRules(t: SaveText, clusterCIDR: string, podCIDR: string): void {
  const c = '-m comment --comment "flanneld masq"'
  t.append('nat', 'POSTROUTING', `${c} -j FLANNEL-POSTRTG`)
  t.chain('nat', 'FLANNEL-POSTRTG')
  t.append('nat', 'FLANNEL-POSTRTG', `-m mark --mark 0x4000/0x4000 ${c} -j RETURN`)
  t.append('nat', 'FLANNEL-POSTRTG', `-s ${podCIDR} -d ${clusterCIDR} ${c} -j RETURN`)
  t.append('nat', 'FLANNEL-POSTRTG', `-s ${clusterCIDR} -d ${podCIDR} ${c} -j RETURN`)
  t.append('nat', 'FLANNEL-POSTRTG', `! -s ${clusterCIDR} -d ${podCIDR} ${c} -j RETURN`)
  t.append('nat', 'FLANNEL-POSTRTG', `-s ${clusterCIDR} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`)
  t.append('nat', 'FLANNEL-POSTRTG', `! -s ${clusterCIDR} -d ${clusterCIDR} ${c} -j MASQUERADE --random-fully`)
  const f = '-m comment --comment "flanneld forward"'
  t.append('filter', 'FORWARD', `${f} -j FLANNEL-FWD`)
  t.chain('filter', 'FLANNEL-FWD')
  t.append('filter', 'FLANNEL-FWD', `-s ${clusterCIDR} ${f} -j ACCEPT`)
  t.append('filter', 'FLANNEL-FWD', `-d ${clusterCIDR} ${f} -j ACCEPT`)
}

/** Whether the node already has the bridge the flannel delegate creates. */
export function hasCni0(ctx: Ctx, node: string): boolean {
  return !!findLink(getNetns(ctx.world, node), 'cni0')
}
