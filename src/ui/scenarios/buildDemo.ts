/**
 * Building a demo: load its world file (YAML, read raw by Vite on demand), apply any
 * iptables text the file carries, then trace the packets and changes that make its timeline.
 * Narration here is short and factual; learner-facing prose belongs to scenario files.
 */
import { setLinkMtu, setSysctl } from '../../engine/model/ops.ts'
import type { World } from '../../engine/model/types.ts'
import { parseIptablesSave } from '../../engine/netfilter/save.ts'
import { traceSegment } from '../../engine/trace.ts'
import type { ChangeSegment, Segment, Timeline } from '../../engine/scenario/timeline.ts'
import { loadWorldFile } from '../../engine/world/worldFile.ts'
import { DEMOS } from './demos.ts'
import { at, over } from './narrate.ts'
import type { LoadedScenario, Narration } from './types.ts'

const worldFiles = import.meta.glob<string>('../../../scenarios/worlds/*.yaml', { query: '?raw', import: 'default' })
/** Load `scenarios/worlds/<name>.yaml` into a World, with its iptables text parsed into each netns. */
export async function loadWorld(name: string): Promise<World> {
  const read = worldFiles[`../../../scenarios/worlds/${name}.yaml`]
  if (!read) throw new Error(`no world file scenarios/worlds/${name}.yaml`)
  const text = await read()
  const r = loadWorldFile(text, { file: `${name}.yaml` })
  const errors = r.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) throw new Error(`${name}.yaml: ${errors.map((d) => `line ${d.line ?? '?'}: ${d.message}`).join('; ')}`)
  let w = r.world
  for (const [netns, { text: rules, line }] of Object.entries(r.iptables)) {
    const ns = w.netns[netns]
    if (!ns) continue
    const parsed = parseIptablesSave(rules, { file: `${name}.yaml`, ...(line !== undefined && { lineOffset: line }) })
    w = { ...w, netns: { ...w.netns, [netns]: { ...ns, netfilter: parsed.ruleset } } }
  }
  return w
}

function change(title: string, before: World, after: World, events: ChangeSegment['events'], diff: ChangeSegment['diff']): ChangeSegment {
  return { kind: 'change', title, before, after, events, ...(diff && { diff }) }
}

const OPTS = { seed: 1, now: 1000 }

export async function buildDemo(id: string): Promise<LoadedScenario> {
  const info = DEMOS.find((d) => d.id === id)
  if (!info) throw new Error(`unknown demo ${id}`)
  let segments: Segment[]
  let narrate: (t: Timeline) => Narration[]
  switch (id) {
    case 'ex1-bridge': {
      const w = await loadWorld('bridge-two-pods')
      segments = [traceSegment(w, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { ...OPTS, title: 'ping 10.244.1.3 from pod-a' })]
      narrate = (t) => [
        over(t, 0, 'pod-a pings pod-b. Both sit on the cni0 bridge in the same /24, so no router is involved.'),
        ...at(t, 0, (k) => k === 'arp-request', 'pod-a does not know pod-b’s MAC yet: it broadcasts an ARP request.'),
        ...at(t, 0, (k) => k === 'fdb-learn', 'The bridge learns which port pod-a’s MAC lives behind.'),
        ...at(t, 0, (k) => k === 'flood', 'A broadcast is flooded to every other port of the bridge.'),
      ]
      break
    }
    case 'ex1-twice': {
      const w = await loadWorld('bridge-two-pods')
      const first = traceSegment(w, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { ...OPTS, title: 'first ping' })
      const second = traceSegment(first.after, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 2, now: 5000, title: 'second ping, 4 s later' })
      segments = [first, second]
      narrate = (t) => [over(t, 0, 'The first ping has to ARP and the bridge has to flood.'), over(t, 1, 'The second ping finds the neighbour entry and the FDB entries already learned: no ARP, no flooding.')]
      break
    }
    case 'clusterip-by-hand': {
      const w = await loadWorld('clusterip-same-node')
      segments = [traceSegment(w, { from: 'a', to: '10.96.1.100', proto: 'tcp', dport: 80 }, { ...OPTS, title: 'a connects to 10.96.1.100:80' })]
      narrate = (t) => [
        over(t, 0, 'a connects to 10.96.1.100:80, an address no interface has: only the host’s nat rules know what it means.'),
        ...at(t, 0, (k) => k === 'netfilter', 'PREROUTING: the nat table matches the VIP and a random DNAT rule picks a backend. conntrack remembers the choice.'),
        ...at(t, 0, (k) => k === 'nat', 'The destination is rewritten in place: the packet now goes to a real pod.'),
        ...at(t, 0, (_k, i) => i > 0 && t.segments[0]?.kind === 'trace' && t.segments[0].steps[i]?.flow === 'reply', 'The backend answers from its own address; conntrack on the host turns the source back into the VIP.'),
      ]
      break
    }
    case 'cluster-service': {
      // The Kubernetes layer is a chunk of its own: only cluster demos load it.
      const { clusterServiceDemo } = await import('./buildClusterDemo.ts')
      ;({ segments, narrate } = await clusterServiceDemo())
      break
    }
    case 'ex2-vxlan': {
      const w = await loadWorld('vxlan-two-nodes')
      segments = [traceSegment(w, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' }, { ...OPTS, title: 'ping 10.244.2.5 from node1-pod' })]
      narrate = (t) => [
        over(t, 0, 'A pod on node1 pings a pod on node2. The pod subnets are different, so the packet goes to the gateway, cni0.'),
        ...at(t, 0, (k) => k === 'encap', 'flannel.1 wraps the whole frame in UDP to node2’s address: the underlay only ever sees node IPs.'),
        ...at(t, 0, (k) => k === 'decap', 'node2’s flannel.1 strips the outer headers; the inner packet carries on as if it had never left.'),
      ]
      break
    }
    case 'ip-forward-off': {
      const w = await loadWorld('vxlan-two-nodes')
      const off = setSysctl(w, 'node1', 'net.ipv4.ip_forward', false)
      segments = [
        change('sysctl -w net.ipv4.ip_forward=0 on node1', w, off, [{ kind: 'sysctl', text: 'net.ipv4.ip_forward = 0 on node1', node: 'node1' }], [{ netns: 'node1', added: ['net.ipv4.ip_forward = 0'], removed: ['net.ipv4.ip_forward = 1'] }]),
        traceSegment(off, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' }, { ...OPTS, title: 'ping 10.244.2.5 from node1-pod' }),
      ]
      narrate = (t) => [over(t, 0, 'node1 stops forwarding packets that are not addressed to itself.'), over(t, 1, 'The pod’s packet reaches node1 through cni0, and is dropped there.')]
      break
    }
    case 'mtu-vxlan': {
      const w = await loadWorld('vxlan-two-nodes')
      let big = w
      for (const [ns, dev] of [['node1-pod', 'eth0'], ['node1', 'veth-node1'], ['node1', 'cni0']] as const) big = setLinkMtu(big, ns, dev, 1500)
      segments = [
        change('pod MTU set to 1500 (misconfigured)', w, big, [{ kind: 'link', text: 'ip link set eth0 mtu 1500 in node1-pod (and its veth and cni0 on node1)', node: 'node1' }], [
          { netns: 'node1-pod', added: ['eth0 mtu 1500'], removed: ['eth0 mtu 1450'] },
          { netns: 'node1', added: ['veth-node1 mtu 1500', 'cni0 mtu 1500'], removed: ['veth-node1 mtu 1450', 'cni0 mtu 1450'] },
        ]),
        traceSegment(big, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp', size: 1500, df: true }, { ...OPTS, title: 'ping -s 1472 -M do 10.244.2.5 (1500 bytes, DF)' }),
      ]
      narrate = (t) => [
        over(t, 0, 'The pod believes its link carries 1500 bytes, but flannel.1 can only carry 1450: VXLAN adds 50 bytes of headers.'),
        over(t, 1, 'A 1500-byte packet with “don’t fragment” set reaches flannel.1 and does not fit.'),
        ...at(t, 1, (k) => k === 'icmp-error', 'node1 answers with ICMP “fragmentation needed, MTU 1450”: this is how path MTU discovery learns the limit.'),
      ]
      break
    }
    default:
      throw new Error(`unknown demo ${id}`)
  }
  const timeline: Timeline = { segments }
  return { id, title: info.title, summary: info.summary, timeline, narration: narrate(timeline) }
}
