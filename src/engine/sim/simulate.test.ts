import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { simulate } from './simulate.ts'
import { renderTrace, renderOutcome } from './render.ts'
import { worldAtStep } from './effects.ts'
import { bridgeWorld, policyRoutingWorld, vxlanWorld } from './testWorlds.ts'
import type { World } from '../model/types.ts'
import type { SendSpec, TraceStep } from './trace.ts'
import { addAddr, addNetns, addVethPair, emptyWorld, newNetns, setLinkUp, setSysctl } from '../model/ops.ts'
import { parseIptablesSave } from '../netfilter/save.ts'

const GOLDEN = new URL('./golden/', import.meta.url).pathname

/** Compare a rendered trace with its golden file (UPDATE_GOLDEN=1 rewrites them). */
function golden(name: string, text: string): void {
  const path = `${GOLDEN}${name}.txt`
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text)
  expect(text).toBe(readFileSync(path, 'utf8'))
}

function run(w: World, send: SendSpec, seed = 7) {
  const r = simulate(w, send, { seed, now: 1000 })
  return { ...r, text: `${renderTrace(r.steps)}\n== ${renderOutcome({ ...r.outcome, probability: 1 })}\n` }
}

const kinds = (steps: readonly TraceStep[]) => steps.map((s) => s.kind)

describe('Exercise 1: two netns on one bridge', () => {
  it('pod-a pings pod-b: ARP, FDB learning, L2 switching, echo reply', () => {
    const r = run(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' })
    expect(r.outcome.verdict).toBe('delivered')
    expect(r.outcome.deliveredNetns).toBe('pod-b')
    expect(r.outcome.reply).toEqual({ verdict: 'delivered', dropReason: null, matchesRequest: true })
    // Same subnet: no router involved, so no TTL decrement and no route lookup in host.
    expect(r.steps.some((s) => s.kind === 'forward')).toBe(false)
    expect(kinds(r.steps)).toContain('arp-request')
    expect(kinds(r.steps)).toContain('fdb-learn')
    golden('bridge-ping', r.text)
  })

  it('the second ping finds ARP and FDB entries already learned', () => {
    const first = simulate(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 1, now: 0 })
    const second = simulate(first.world, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 2, now: 1000 })
    expect(kinds(second.steps)).not.toContain('arp-request')
    expect(kinds(second.steps)).not.toContain('flood')
    expect(kinds(second.steps)).toContain('fdb-hit')
  })

  it('FDB entries age out after ageing_time (300 s): the bridge floods again', () => {
    const first = simulate(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 1, now: 0 })
    const later = simulate(first.world, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 2, now: 301_000 })
    expect(kinds(later.steps)).toContain('flood')
  })

  it('TCP to a listening port gets SYN-ACK; a closed port gets RST (rejected)', () => {
    const ok = run(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'tcp', dport: 80 })
    expect(ok.outcome.verdict).toBe('delivered')
    expect(ok.outcome.deliveredTo).toBe('10.244.1.3:80')
    const closed = run(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'tcp', dport: 81 })
    expect(closed.outcome.verdict).toBe('rejected')
    expect(closed.outcome.dropReason).toMatch(/nothing listens on tcp\/81/)
  })

  it('state after any step can be rebuilt from the starting world and the effects', () => {
    const start = bridgeWorld()
    const r = simulate(start, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 3 })
    const rebuilt = worldAtStep(start, r.steps, r.steps.length - 1)
    expect(rebuilt.netns.host!.fdb).toEqual(r.world.netns.host!.fdb)
    expect(rebuilt.netns['pod-a']!.neigh).toEqual(r.world.netns['pod-a']!.neigh)
    // Before the first step nothing was learned yet.
    expect(worldAtStep(start, r.steps, -1).netns.host!.fdb).toEqual(start.netns.host!.fdb)
  })

  it('the same inputs always give the same trace', () => {
    const a = simulate(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'tcp', dport: 80 }, { seed: 42, now: 5 })
    const b = simulate(bridgeWorld(), { from: 'pod-a', to: '10.244.1.3', proto: 'tcp', dport: 80 }, { seed: 42, now: 5 })
    expect(JSON.stringify(a.steps)).toBe(JSON.stringify(b.steps))
  })
})

describe('Exercise 2: VXLAN between two nodes', () => {
  it('pod on node1 reaches pod on node2: route onlink → neighbour → FDB → UDP 8472 VNI 1 → decap', () => {
    const r = run(vxlanWorld(), { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' })
    expect(r.outcome.verdict).toBe('delivered')
    expect(r.outcome.encapsulated).toBe(true)
    expect(r.outcome.reply?.verdict).toBe('delivered')
    const encap = r.steps.find((s) => s.kind === 'encap')!
    const outerIp = encap.packet.headers[0]
    const outerUdp = encap.packet.headers[1]
    expect(outerIp).toMatchObject({ kind: 'ipv4', src: '192.168.1.10', dst: '192.168.1.20' })
    expect(outerUdp).toMatchObject({ kind: 'udp', dport: 8472 })
    expect(encap.packet.headers[2]).toEqual({ kind: 'vxlan', vni: 1 })
    // The route used on node1 is the flannel onlink route.
    const route = r.steps.find((s) => s.kind === 'route' && s.netns === 'node1')!
    expect(route.ref).toMatchObject({ table: 'route', route: { dst: '10.244.2.0/24', via: '10.244.2.0', onlink: true } })
    // The VTEP MAC comes from a permanent neighbour entry, not ARP.
    expect(r.steps.find((s) => s.kind === 'neigh-hit' && s.dev === 'flannel.1')?.ref).toMatchObject({ table: 'neigh', entry: { state: 'PERMANENT' } })
    expect(kinds(r.steps)).toContain('decap')
    golden('vxlan-ping', r.text)
  })

  it('ip_forward off on node1: the pod packet is dropped at the node', () => {
    const r = run(vxlanWorld({ ipForward: false }), { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' })
    expect(r.outcome.verdict).toBe('dropped')
    expect(r.outcome.dropReason).toMatch(/ip_forward is off in node1/)
    expect(r.steps.at(-1)?.ref).toEqual({ table: 'sysctl', netns: 'node1', key: 'net.ipv4.ip_forward', value: '0' })
    golden('ip-forward-off', r.text)
  })

  it('a 1500-byte DF packet on the 1450-MTU VXLAN path gets "fragmentation needed"', () => {
    // Pod MTU 1500 (misconfigured) so the packet leaves the pod and hits flannel.1's 1450.
    const r = run(vxlanWorld({ podMtu: 1500 }), { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp', size: 1500, df: true })
    expect(r.outcome.verdict).toBe('dropped')
    expect(r.outcome.dropReason).toMatch(/fragmentation needed: 1500 > MTU 1450 of flannel.1/)
    const err = r.steps.find((s) => s.kind === 'icmp-error')!
    expect(err.packet.headers[1]).toMatchObject({ kind: 'icmp', type: 3, code: 4, mtu: 1450 })
    golden('vxlan-mtu', r.text)
  })

  it('with the pod MTU at 1450 the same ping fails inside the pod (message too long)', () => {
    const r = run(vxlanWorld(), { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp', size: 1500, df: true })
    expect(r.outcome.dropReason).toMatch(/message too long/)
  })

  it('TTL 1 is exceeded at the first router', () => {
    const r = run(vxlanWorld(), { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp', ttl: 1 })
    expect(r.outcome.dropReason).toMatch(/TTL exceeded in node1/)
    expect(r.steps.find((s) => s.kind === 'icmp-error')?.packet.headers[1]).toMatchObject({ type: 11 })
  })

  it('no route: a pod with no default route cannot send off-link', () => {
    let w = vxlanWorld()
    const pod = w.netns['node1-pod']!
    w = { ...w, netns: { ...w.netns, 'node1-pod': { ...pod, routes: pod.routes.filter((r) => r.dst !== 'default') } } }
    const r = run(w, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' })
    expect(r.outcome.dropReason).toMatch(/no route to 10.244.2.5/)
  })

  it('the node answers ARP for its bridge address; the host can ping a pod directly', () => {
    const r = run(vxlanWorld(), { from: 'node1', to: '10.244.1.5', proto: 'icmp' })
    expect(r.outcome.verdict).toBe('delivered')
    expect(r.outcome.encapsulated).toBe(false)
  })

  it('sysctl changes are honoured per netns', () => {
    const w = setSysctl(vxlanWorld(), 'node2-pod', 'net.ipv4.icmp_echo_ignore_all', true)
    const r = run(w, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' })
    expect(r.outcome.verdict).toBe('dropped')
  })
})

describe('a Service VIP on the same bridge (iptables DNAT + conntrack)', () => {
  const load = async () => {
    const { loadWorldFile } = await import('../world/worldFile.ts')
    const { readFileSync } = await import('node:fs')
    const text = readFileSync(new URL('../../../scenarios/worlds/clusterip-same-node.yaml', import.meta.url), 'utf8')
    return loadWorldFile(text).world
  }

  it('with bridge-nf-call-iptables=1 the reply is un-DNATed: the client sees the VIP answer', async () => {
    const w = await load()
    const r = simulate(w, { from: 'a', to: '10.96.1.100', proto: 'tcp', dport: 80 }, { seed: 5 })
    expect(r.outcome.dnat).toMatch(/^10\.244\.1\.[34]:80$/)
    expect(r.outcome.reply).toEqual({ verdict: 'delivered', dropReason: null, matchesRequest: true })
    // The reply is bridged pod→pod, and br_netfilter runs POSTROUTING for it.
    expect(r.steps.some((s) => s.flow === 'reply' && s.netfilter?.path === 'bridge')).toBe(true)
  })

  it('with bridge-nf-call-iptables=0 the reply skips conntrack: the client gets it from the backend IP and resets', async () => {
    const { setSysctl } = await import('../model/ops.ts')
    const w = setSysctl(await load(), 'host', 'net.bridge.bridge-nf-call-iptables', false)
    const r = simulate(w, { from: 'a', to: '10.96.1.100', proto: 'tcp', dport: 80 }, { seed: 5 })
    expect(r.outcome.verdict).toBe('delivered')
    expect(r.outcome.reply?.matchesRequest).toBe(false)
    expect(r.outcome.reply?.dropReason).toMatch(/does not match the request to 10\.96\.1\.100:80/)
    // The backend receives the client's RST and does not answer it.
    const lastDeliver = r.steps.filter((s) => s.kind === 'deliver').at(-1)!
    expect(lastDeliver.explain).toMatch(/receives RST/)
  })
})

describe('flooding, as the kernel orders it', () => {
  /** Three pods on one bridge; pod-c is the newest port. */
  async function threePods(opts: { cIp?: string } = {}) {
    const { addAddr, addRoute, addVethPair, addNetns, newNetns, setLinkUp, setMaster, putNeigh } = await import('../model/ops.ts')
    let w = bridgeWorld()
    w = addNetns(w, newNetns('pod-c', 'plain'))
    w = addVethPair(w, { netns: 'host', name: 'veth-c' }, { netns: 'pod-c', name: 'eth0', mac: '02:00:00:00:0c:04' })
    w = setMaster(w, 'host', 'veth-c', 'cni0')
    w = setLinkUp(w, 'host', 'veth-c', true)
    w = setLinkUp(w, 'pod-c', 'eth0', true)
    w = addAddr(w, 'pod-c', 'eth0', `${opts.cIp ?? '10.244.1.4'}/24`)
    w = addRoute(w, 'pod-c', { dst: 'default', type: 'unicast', table: 'main', via: '10.244.1.1', dev: 'eth0', scope: 'global', proto: 'boot' })
    return { w, putNeigh }
  }

  it('an unknown unicast frame is flooded newest port first, and every copy of the request keeps its label', async () => {
    const { w: w0, putNeigh } = await threePods()
    // pod-a already knows pod-c's MAC but the bridge has not learned it: unknown unicast.
    const w = putNeigh(w0, 'pod-a', { ip: '10.244.1.4', dev: 'eth0', mac: '02:00:00:00:0c:04', state: 'REACHABLE' })
    const r = simulate(w, { from: 'pod-a', to: '10.244.1.4', proto: 'icmp' }, { seed: 1 })
    const flood = r.steps.find((s) => s.kind === 'flood')!
    expect(flood.explain).toContain('flooded to veth-c, veth-b') // newest first
    // pod-c answers from the first copy; the later copy to veth-b is still the request.
    const toB = r.steps.filter((s) => s.copy === 'host/veth-b' && s.packet.headers.some((h) => h.kind === 'icmp'))
    expect(toB.length).toBeGreaterThan(0)
    expect(toB.every((s) => s.flow === 'request')).toBe(true)
    expect(r.outcome.reply?.verdict).toBe('delivered')
  })

  it('two pods claiming one address: the first ARP answer wins, the second is ignored (locktime)', async () => {
    const { w } = await threePods({ cIp: '10.244.1.3' }) // pod-c duplicates pod-b's address
    const r = simulate(w, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 1 })
    // The ARP request reaches pod-c first (newest port), so pod-c's answer is the one kept.
    expect(r.world.netns['pod-a']!.neigh.find((n) => n.ip === '10.244.1.3')?.mac).toBe('02:00:00:00:0c:04')
    expect(r.steps.some((s) => s.kind === 'drop' && /locktime/.test(s.explain))).toBe(true)
    expect(r.outcome.deliveredNetns).toBe('pod-c')
  })
})

describe('policy routing (ip rule) on a router', () => {
  // Each answer was seen on Linux 6.x in the same topology (pwL- namespaces; the kernel-diff
  // case test:policy-routing probes it again on every run): which server answered, or the error.
  const table: { name: string; send: SendSpec; verdict: string; netns?: string; reason?: RegExp }[] = [
    // main: 9.9.9.9 via b.
    { name: 'a → 9.9.9.9 follows main to b', send: { from: 'a', to: '9.9.9.9', proto: 'tcp', dport: 80 }, verdict: 'delivered', netns: 'b' },
    // rule 100 from 10.0.4.2 lookup 100: d's packets take table 100 to c.
    { name: 'd → 9.9.9.9 follows table 100 to c', send: { from: 'd', to: '9.9.9.9', proto: 'tcp', dport: 80 }, verdict: 'delivered', netns: 'c' },
    // mangle PREROUTING marks a's UDP 0x7; rule 120 fwmark 0x7 lookup 100.
    { name: "a's marked UDP follows table 100 to c", send: { from: 'a', to: '9.9.9.9', proto: 'udp', dport: 5353 }, verdict: 'delivered', netns: 'c' },
    // r's own TCP: the first lookup (main) picks 10.0.2.1, rule 130 does not apply: b.
    { name: "r's own TCP to 9.9.9.9 follows main to b", send: { from: 'r', to: '9.9.9.9', proto: 'tcp', dport: 80 }, verdict: 'delivered', netns: 'b' },
    // mangle OUTPUT marks port 81: ip_route_me_harder routes it again with the mark: table 100, c.
    { name: "r's TCP to port 81, marked in mangle OUTPUT, is routed again to c", send: { from: 'r', to: '9.9.9.9', proto: 'tcp', dport: 81 }, verdict: 'delivered', netns: 'c' },
    // main sends 7.7.7.7 out rc with source 10.0.3.1; the second lookup (ip_route_connect) matches rule 130: table 200, b.
    { name: "r's TCP to 7.7.7.7 is routed again with its chosen source to b", send: { from: 'r', to: '7.7.7.7', proto: 'tcp', dport: 80 }, verdict: 'delivered', netns: 'b' },
    // rule 110 to 8.8.4.4 prohibit: "Packet filtered" (ICMP 3/13) back to a.
    { name: 'prohibit rule', send: { from: 'a', to: '8.8.4.4', proto: 'icmp' }, verdict: 'dropped', reason: /rule 110 \(prohibit\)/ },
    // rule 112 from 10.0.4.2 to 8.8.8.8 unreachable: ICMP net unreachable.
    { name: 'unreachable rule', send: { from: 'd', to: '8.8.8.8', proto: 'icmp' }, verdict: 'dropped', reason: /rule 112 \(unreachable\)/ },
    // r's own ping to 8.8.4.5 (rule 111 blackhole): sendmsg fails with EINVAL.
    { name: 'blackhole rule, local sender', send: { from: 'r', to: '8.8.4.5', proto: 'icmp' }, verdict: 'dropped', reason: /Invalid argument/ },
  ]
  it.each(table)('$name', ({ send, verdict, netns, reason }) => {
    const r = run(policyRoutingWorld(), send)
    expect(r.outcome.verdict).toBe(verdict)
    if (netns) expect(r.outcome.deliveredNetns).toBe(netns)
    if (reason) expect(r.outcome.dropReason ?? r.steps.map((s) => s.explain).join('\n')).toMatch(reason)
  })

  it("the socket keeps the source its first lookup chose (10.0.3.1, out rc) though the packet leaves by rb", () => {
    // Kernel: b's server saw peer 10.0.3.1 (kernel-diff test:policy-routing, tcp r → 7.7.7.7:80).
    const r = run(policyRoutingWorld(), { from: 'r', to: '7.7.7.7', proto: 'tcp', dport: 80 })
    const sent = r.steps.find((s) => s.kind === 'tx' && s.netns === 'r')
    expect(sent?.dev).toBe('rb')
    expect(sent?.packet?.headers.find((h) => h.kind === 'ipv4')).toMatchObject({ src: '10.0.3.1' })
  })

  it('the ICMP error of a prohibit rule is "packet filtered" (3/13), of an unreachable rule "net unreachable" (3/0)', () => {
    const codes = (send: SendSpec) => run(policyRoutingWorld(), send).steps.flatMap((s) => s.packet?.headers.filter((h) => h.kind === 'icmp' && h.type === 3).map((h) => (h.kind === 'icmp' ? `${h.type}/${h.code}` : '')) ?? [])
    expect(codes({ from: 'a', to: '8.8.4.4', proto: 'icmp' })).toContain('3/13')
    expect(codes({ from: 'd', to: '8.8.8.8', proto: 'icmp' })).toContain('3/0')
  })
})

describe('a 127.0.0.1 source on a node, DNATed elsewhere (route_localnet)', () => {
  // Kernel: `socat - TCP:127.0.0.1:3001` with OUTPUT DNAT to 10.7.0.2:80 and MASQUERADE timed out
  // with net.ipv4.conf.all.route_localnet=0 and reached the peer, from 10.7.0.1, with it 1.
  function world(localnet: boolean): World {
    const rs = parseIptablesSave('*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 3001 -j DNAT --to-destination 10.7.0.2:80\n-A POSTROUTING -o e0 -j MASQUERADE\nCOMMIT\n').ruleset
    let w = addNetns(emptyWorld(), newNetns('h', 'host', { ruleset: rs, sysctl: { 'net.ipv4.conf.all.route_localnet': localnet } }))
    w = addNetns(w, newNetns('p', 'plain'))
    w = addVethPair(w, { netns: 'h', name: 'e0' }, { netns: 'p', name: 'e1' })
    w = setLinkUp(w, 'h', 'e0', true)
    w = setLinkUp(w, 'p', 'e1', true)
    w = addAddr(w, 'h', 'e0', '10.7.0.1/24')
    w = addAddr(w, 'p', 'e1', '10.7.0.2/24')
    return { ...w, netns: { ...w.netns, p: { ...w.netns.p!, listeners: [{ proto: 'tcp', port: 80, app: 'web' }] } } }
  }
  const send: SendSpec = { from: '127.0.0.1', to: '127.0.0.1', proto: 'tcp', dport: 3001 }
  it('route_localnet 0: the DNATed packet may not leave by e0 with its 127.0.0.1 source', () => {
    const r = run(world(false), send)
    expect(r.outcome.verdict).toBe('dropped')
    expect(r.outcome.dropReason).toMatch(/route_localnet is off in h/)
  })
  it('route_localnet 1: it leaves, masqueraded to 10.7.0.1, and the peer answers', () => {
    const r = run(world(true), send)
    expect([r.outcome.verdict, r.outcome.deliveredNetns, r.outcome.masquerade, r.outcome.reply?.verdict]).toEqual(['delivered', 'p', true, 'delivered'])
  })
})
