/**
 * Calico's node state (calico-node: felix + BIRD + confd). Each node owns one IPAM block
 * (here: its podCIDR), programs `blackhole <block> proto bird`, and BIRD exports the block
 * to every peer of the node-to-node mesh, which installs `<block> via <node IP> dev eth0
 * proto bird` (bgp) or `<block> via <node IP> dev tunl0 proto bird onlink` (ipip; tunl0 gets
 * an address from the block, the first one). Simplifications: one block per node (real
 * Calico hands out /26 blocks from the IP pool on demand), no route reflectors, no
 * CrossSubnet, no VXLAN mode.
 */
import { addAddr, addLink, addRoute, getNetns, setLinkUp } from '../model/ops.ts'
import type { Ctx } from './ctx.ts'
import { emit, getNode, putNode } from './ctx.ts'
import { allocateCalico, newCalicoBlock } from './ipam.ts'
import type { BgpSession, BgpState } from './state.ts'

export const CALICO_IPIP_MTU = 1480

/** Pod veth MTU Calico picks: IPIP costs 20 bytes. */
export function calicoMtu(mode: 'bgp' | 'ipip'): number {
  return mode === 'ipip' ? CALICO_IPIP_MTU : 1500
}

/** calico-node starts on a node: block affinity, blackhole route, tunl0 (ipip). */
export function setupCalicoNode(ctx: Ctx, nodeName: string, mode: 'bgp' | 'ipip'): void {
  const node = getNode(ctx, nodeName)
  let block = newCalicoBlock(node.podCIDR)
  let tunnelIp: string | undefined
  let w = ctx.world
  if (mode === 'ipip') {
    const a = allocateCalico(block, `ipip-tunnel-addr-${nodeName}`)
    if (a.ok) {
      block = a.store
      tunnelIp = a.ip
    }
    w = addLink(w, nodeName, { kind: 'ipip', name: 'tunl0', mtu: CALICO_IPIP_MTU, noarp: true, mac: '00:00:00:00:00:00' })
    w = setLinkUp(w, nodeName, 'tunl0', true)
    if (tunnelIp) w = addAddr(w, nodeName, 'tunl0', `${tunnelIp}/32`)
    emit(ctx, 'calico', `calico-node brings up tunl0 (ipip, mtu ${CALICO_IPIP_MTU}) with ${tunnelIp ?? '?'}/32 from block ${block.cidr}`, { node: nodeName })
  }
  w = addRoute(w, nodeName, { dst: block.cidr, type: 'blackhole', table: 'main', scope: 'global', proto: 'bird' })
  ctx.world = w
  putNode(ctx, { ...node, calico: { mode, block, ...(tunnelIp && { tunnelIp }) } })
  emit(ctx, 'calico', `calico IPAM gives ${nodeName} affinity for block ${block.cidr}; BIRD programs blackhole ${block.cidr} proto bird so unassigned addresses of the block go nowhere`, { node: nodeName })
}

/** BGP full mesh: sessions between every pair, each node learns every other node's block. Idempotent. */
export function connectCalicoPeers(ctx: Ctx): void {
  const nodes = ctx.state.nodes.filter((n) => n.calico)
  const sessions: BgpSession[] = []
  for (const a of nodes) {
    for (const b of nodes) {
      if (a.name === b.name) continue
      sessions.push({ node: a.name, peer: b.name, peerIp: b.ip, state: 'Established', info: 'node-to-node mesh' })
      const block = b.calico!.block.cidr
      const ns = getNetns(ctx.world, a.name)
      if (ns.routes.some((r) => r.dst === block)) continue
      const ipip = a.calico!.mode === 'ipip'
      ctx.world = addRoute(ctx.world, a.name, ipip
        ? { dst: block, type: 'unicast', table: 'main', via: b.ip, dev: 'tunl0', onlink: true, scope: 'global', proto: 'bird' }
        : { dst: block, type: 'unicast', table: 'main', via: b.ip, dev: 'eth0', scope: 'global', proto: 'bird' })
      emit(ctx, 'bgp', `BIRD on ${a.name} learns ${block} from ${b.name} (${b.ip}) and installs ${block} via ${b.ip} dev ${ipip ? 'tunl0 proto bird onlink' : 'eth0 proto bird'}`, { node: a.name })
    }
  }
  const bgp: BgpState = {
    asNumber: ctx.state.config.cni.plugin === 'calico' ? ctx.state.config.cni.asNumber : 64512,
    sessions,
    advertised: nodes.map((n) => ({ node: n.name, prefixes: [n.calico!.block.cidr] })),
  }
  ctx.state.bgp = bgp
}

/** `calicoctl node status` for one node, as text. */
export function printBgpStatus(bgp: BgpState, node: string): string {
  const rows = bgp.sessions.filter((s) => s.node === node)
  const lines = ['Calico process is running.', '', 'IPv4 BGP status', '+---------------+-------------------+-------+----------+-------------+', '| PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |', '+---------------+-------------------+-------+----------+-------------+']
  for (const r of rows) lines.push(`| ${r.peerIp.padEnd(13)} | ${r.info.padEnd(17)} | up    | 00:00:00 | ${r.state.padEnd(11)} |`)
  lines.push('+---------------+-------------------+-------+----------+-------------+')
  return lines.join('\n') + '\n'
}

