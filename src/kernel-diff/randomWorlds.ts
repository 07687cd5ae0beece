/**
 * Seeded random small topologies for the differential test, built with the same operations
 * a learner's commands use (model/ops.ts): bridges with pods, veth chains through routers
 * (with or without ip_forward, with blackhole/unreachable/prohibit routes), VXLAN pairs
 * (flannel-style routed, or a bridged L2 overlay) with MTU variants, Calico-style proxy ARP,
 * policy routing rules on a router, random iptables rules on a router.
 * Each world comes with extra probes aimed at what it varies.
 */
import type { Probe } from '../engine/export/probe.ts'
import { addAddr, addLink, addNetns, addRoute, addVethPair, emptyWorld, newNetns, putFdb, putNeigh, setLinkFlag, setLinkMtu, setLinkUp, setMaster } from '../engine/model/ops.ts'
import type { Listener, Route, RouteType, RoutingRule, World } from '../engine/model/types.ts'
import { parseIptablesSave } from '../engine/netfilter/save.ts'
import { DEFAULT_RULES, describeRule } from '../engine/route/rules.ts'
import { createRng, randomInt } from '../engine/sim/rng.ts'
import type { Rng } from '../engine/sim/rng.ts'

export interface RandomWorld {
  readonly name: string
  readonly world: World
  readonly probes: readonly Probe[]
  /** What was drawn, for the report. */
  readonly params: string
}

const chance = (rng: Rng, p: number) => rng.next() < p
const oneOf = <T>(rng: Rng, xs: readonly T[]): T => xs[randomInt(rng, 0, xs.length - 1)]!

function route(dst: string, extra: Partial<Route> = {}): Route {
  const type: RouteType = extra.type ?? 'unicast'
  return { dst, type, table: 'main', scope: type === 'unicast' && !extra.via ? 'link' : 'global', proto: 'boot', ...extra }
}

function listen(w: World, ns: string, ls: Listener[]): World {
  return { ...w, netns: { ...w.netns, [ns]: { ...w.netns[ns]!, listeners: ls } } }
}

const mac = (a: number, b: number) => `02:00:00:${a.toString(16).padStart(2, '0')}:${b.toString(16).padStart(2, '0')}:01`

/** Pods on one bridge; per-pod MTUs, bridge with or without an address. */
function lanWorld(rng: Rng, id: number): RandomWorld {
  const n = randomInt(rng, 2, 4)
  const net = randomInt(rng, 20, 200)
  const brIp = chance(rng, 0.7)
  const mtus = Array.from({ length: n }, () => oneOf(rng, [1500, 1500, 1400, 1280]))
  const brNf = chance(rng, 0.4)
  let w = addNetns(emptyWorld(), newNetns('host', 'host', { sysctl: { 'net.ipv4.ip_forward': chance(rng, 0.5), 'net.bridge.bridge-nf-call-iptables': brNf } }))
  w = addLink(w, 'host', { kind: 'bridge', name: 'br0', ageingTime: 300, mac: mac(id, 0), mtu: Math.min(...mtus) })
  w = setLinkUp(w, 'host', 'br0', true)
  if (brIp) w = addAddr(w, 'host', 'br0', `10.${net}.0.1/24`)
  const pods: string[] = []
  for (let i = 0; i < n; i++) {
    const pod = `pod${i}`
    pods.push(pod)
    w = addNetns(w, newNetns(pod, 'pod'))
    w = addVethPair(w, { netns: 'host', name: `veth${i}`, mtu: mtus[i]! }, { netns: pod, name: 'eth0', mtu: mtus[i]!, mac: mac(id, i + 1) })
    w = setMaster(w, 'host', `veth${i}`, 'br0')
    if (chance(rng, 0.3)) w = setLinkFlag(w, 'host', `veth${i}`, { hairpin: true })
    w = setLinkUp(w, 'host', `veth${i}`, true)
    w = setLinkUp(w, pod, 'eth0', true)
    w = addAddr(w, pod, 'eth0', `10.${net}.0.${10 + i}/24`)
    if (brIp) w = addRoute(w, pod, route('default', { via: `10.${net}.0.1`, dev: 'eth0' }))
    if (i > 0) w = listen(w, pod, [{ proto: 'tcp', port: 80, app: 'web' }, ...(chance(rng, 0.5) ? [{ proto: 'udp' as const, port: 5353, app: 'echo' }] : [])])
  }
  const probes: Probe[] = []
  // Frames bigger than the egress port's MTU: does the bridge pass them (MTU + 4 without br_netfilter)?
  const big = mtus.findIndex((m) => m === 1500)
  const small = mtus.findIndex((m) => m < 1500)
  if (big >= 0 && small >= 0) {
    for (const size of [1500, mtus[small]!, mtus[small]! + 4, mtus[small]! + 5]) probes.push({ kind: 'ping', from: `pod${big}`, to: `10.${net}.0.${10 + small}`, size, df: true })
  }
  if (brIp) probes.push({ kind: 'ping', from: 'pod0', to: '10.9.9.9' })
  return { name: `lan-${id}`, world: w, probes, params: `pods=${n} mtus=${mtus.join('/')} bridgeIp=${brIp} bridge-nf=${brNf}` }
}

/** a — r1 — r2 — b: routers with or without forwarding, odd routes at r1 or a, MTUs per link. */
function chainWorld(rng: Rng, id: number): RandomWorld {
  const routers = randomInt(rng, 1, 2)
  const chain = ['a', ...Array.from({ length: routers }, (_, i) => `r${i + 1}`), 'b']
  const fwd = chain.map((n) => n.startsWith('r') && chance(rng, 0.8))
  const mtu = chain.slice(1).map(() => oneOf(rng, [1500, 1500, 1400, 1300]))
  let w = emptyWorld()
  chain.forEach((n, i) => {
    w = addNetns(w, newNetns(n, n.startsWith('r') ? 'host' : 'plain', { sysctl: { 'net.ipv4.ip_forward': fwd[i]! } }))
  })
  // Link i joins chain[i] (.1) and chain[i+1] (.2) in 10.<id>.<i>.0/24.
  for (let i = 0; i < chain.length - 1; i++) {
    const [l, r] = [chain[i]!, chain[i + 1]!]
    w = addVethPair(w, { netns: l, name: `e${i}r`, mtu: mtu[i]!, mac: mac(id, 16 + i * 2) }, { netns: r, name: `e${i}l`, mtu: mtu[i]!, mac: mac(id, 17 + i * 2) })
    w = setLinkUp(w, l, `e${i}r`, true)
    w = setLinkUp(w, r, `e${i}l`, true)
    w = addAddr(w, l, `e${i}r`, `10.${id}.${i}.1/24`)
    w = addAddr(w, r, `e${i}l`, `10.${id}.${i}.2/24`)
  }
  const last = chain.length - 2
  // a and b use their neighbour as default gateway; a router routes each subnet it is not on.
  w = addRoute(w, 'a', route('default', { via: `10.${id}.0.2`, dev: 'e0r' }))
  w = addRoute(w, 'b', route('default', { via: `10.${id}.${last}.1`, dev: `e${last}l` }))
  for (let i = 1; i < chain.length - 1; i++) {
    const r = chain[i]!
    for (let k = i + 1; k <= last; k++) w = addRoute(w, r, route(`10.${id}.${k}.0/24`, { via: `10.${id}.${i}.2`, dev: `e${i}r` }))
    for (let k = 0; k < i - 1; k++) w = addRoute(w, r, route(`10.${id}.${k}.0/24`, { via: `10.${id}.${i - 1}.1`, dev: `e${i - 1}l` }))
  }
  // An odd route, at the sender or at the first router.
  const odd = oneOf(rng, ['blackhole', 'unreachable', 'prohibit'] as const)
  const where = chance(rng, 0.5) ? 'a' : 'r1'
  w = addRoute(w, where, route(`172.${16 + (id % 16)}.0.0/16`, { type: odd }))
  w = listen(w, 'b', [{ proto: 'tcp', port: 80, app: 'web' }, { proto: 'udp', port: 5353, app: 'echo' }])
  const bIp = `10.${id}.${last}.2`
  const probes: Probe[] = [
    { kind: 'ping', from: 'a', to: bIp },
    { kind: 'tcp', from: 'a', to: bIp, port: 80 },
    { kind: 'udp', from: 'a', to: bIp, port: 5353 },
    { kind: 'ping', from: 'a', to: bIp, ttl: 1 },
    { kind: 'ping', from: 'a', to: bIp, ttl: 2 },
    { kind: 'ping', from: 'a', to: `172.${16 + id % 16}.1.1` },
    { kind: 'tcp', from: 'a', to: `172.${16 + id % 16}.1.1`, port: 80 },
    { kind: 'route', from: 'a', to: `172.${16 + id % 16}.1.1` },
    { kind: 'ping', from: 'b', to: `10.${id}.0.2` },
    { kind: 'ping', from: 'a', to: bIp, size: Math.min(...mtu), df: true },
    { kind: 'ping', from: 'a', to: bIp, size: Math.min(...mtu) + 1, df: true },
    { kind: 'ping', from: 'a', to: bIp, size: 1500, df: false },
  ]
  return { name: `chain-${id}`, world: w, probes, params: `routers=${routers} forwarding=${fwd.slice(1, -1).join('/')} mtus=${mtu.join('/')} ${odd}@${where}` }
}

/** Two nodes on an underlay, VXLAN between them: routed (flannel) or a bridge port (L2 overlay). */
function vxlanPairWorld(rng: Rng, id: number): RandomWorld {
  const bridged = chance(rng, 0.35)
  const underlay = oneOf(rng, [1500, 1500, 1450, 1400])
  const vxMtu = oneOf(rng, [1450, 1450, 1400])
  const podMtu = oneOf(rng, [vxMtu, vxMtu, 1500])
  const fwd = chance(rng, 0.85)
  const defaultFdb = chance(rng, 0.4)
  let w: World = { ...emptyWorld(), segments: { underlay: { name: 'underlay', cidr: '192.168.50.0/24' } }, nodes: ['n1', 'n2'] }
  for (const i of [1, 2]) {
    const node = `n${i}`
    const pod = `n${i}-pod`
    w = addNetns(w, newNetns(node, 'host', { node, sysctl: { 'net.ipv4.ip_forward': fwd || i === 2 } }))
    w = addNetns(w, newNetns(pod, 'pod', { node }))
    w = addLink(w, node, { kind: 'phys', name: 'eth0', segment: 'underlay', mtu: 1500, mac: mac(id, 0x40 + i) })
    w = setLinkUp(w, node, 'eth0', true)
    w = addAddr(w, node, 'eth0', `192.168.50.${i}/24`)
    w = addLink(w, node, { kind: 'vxlan', name: 'vx0', vni: 100 + id, local: `192.168.50.${i}`, dstport: 8472, dev: 'eth0', learning: false, mtu: vxMtu, mac: mac(id, 0x50 + i) })
    // The underlay MTU is cut after the VXLAN device exists (the kernel would refuse it before).
    w = setLinkMtu(w, node, 'eth0', underlay)
    w = addLink(w, node, { kind: 'bridge', name: 'cni0', ageingTime: 300, mtu: podMtu, mac: mac(id, 0x60 + i) })
    w = setLinkUp(w, node, 'cni0', true)
    w = addVethPair(w, { netns: node, name: `veth${i}`, mtu: podMtu }, { netns: pod, name: 'eth0', mtu: podMtu, mac: mac(id, 0x70 + i) })
    w = setMaster(w, node, `veth${i}`, 'cni0')
    w = setLinkUp(w, node, `veth${i}`, true)
    w = setLinkUp(w, pod, 'eth0', true)
    if (bridged) {
      w = setMaster(w, node, 'vx0', 'cni0')
      w = setLinkUp(w, node, 'vx0', true)
      w = addAddr(w, pod, 'eth0', `10.${id}.0.${i}/24`)
    } else {
      w = setLinkUp(w, node, 'vx0', true)
      w = addAddr(w, node, 'vx0', `10.${id}.${i}.0/32`)
      w = addAddr(w, node, 'cni0', `10.${id}.${i}.1/24`)
      w = addAddr(w, pod, 'eth0', `10.${id}.${i}.5/24`)
      w = addRoute(w, pod, route('default', { via: `10.${id}.${i}.1`, dev: 'eth0' }))
    }
    w = listen(w, pod, [{ proto: 'tcp', port: 80, app: 'web' }])
  }
  for (const i of [1, 2]) {
    const node = `n${i}`
    const o = 3 - i
    if (defaultFdb || bridged) w = putFdb(w, node, { mac: '00:00:00:00:00:00', dev: 'vx0', dst: `192.168.50.${o}`, self: true, permanent: true }, 'append')
    else w = putFdb(w, node, { mac: mac(id, 0x50 + o), dev: 'vx0', dst: `192.168.50.${o}`, self: true, permanent: true })
    if (!bridged) {
      w = addRoute(w, node, route(`10.${id}.${o}.0/24`, { via: `10.${id}.${o}.0`, dev: 'vx0', onlink: true }))
      w = putNeigh(w, node, { ip: `10.${id}.${o}.0`, dev: 'vx0', mac: mac(id, 0x50 + o), state: 'PERMANENT' })
    }
  }
  const remote = bridged ? `10.${id}.0.2` : `10.${id}.2.5`
  const probes: Probe[] = [
    { kind: 'ping', from: 'n1-pod', to: remote },
    { kind: 'tcp', from: 'n1-pod', to: remote, port: 80 },
    { kind: 'ping', from: 'n1-pod', to: remote, size: podMtu, df: true },
    { kind: 'ping', from: 'n1-pod', to: remote, size: Math.min(podMtu, underlay - 50) + 1, df: true },
    { kind: 'ping', from: 'n1-pod', to: remote, size: podMtu, df: false },
    { kind: 'ping', from: 'n1', to: '192.168.50.2' },
    ...(bridged ? [] : [{ kind: 'ping' as const, from: 'n1', to: remote, size: vxMtu, df: true }, { kind: 'route' as const, from: 'n1', to: remote }]),
  ]
  return { name: `vxlan-${id}`, world: w, probes, params: `${bridged ? 'bridged' : 'routed'} underlay=${underlay} vxlan=${vxMtu} pod=${podMtu} forwarding=${fwd} fdb=${defaultFdb || bridged ? 'default' : 'per-vtep'}` }
}

/** Calico-style: pods with /32 and 169.254.1.1 as gateway, proxy ARP on the host ends. */
function calicoWorld(rng: Rng, id: number): RandomWorld {
  const fwd = chance(rng, 0.7)
  const hostDefault = chance(rng, 0.7)
  const proxyOn = chance(rng, 0.85)
  const rpf = oneOf(rng, [0, 0, 1, 2] as const)
  // A device's own rp_filter counts when larger than conf.all's.
  const devRpf = [oneOf(rng, [0, 0, 1, 2] as const), oneOf(rng, [0, 0, 1, 2] as const)]
  let w = addNetns(emptyWorld(), newNetns('host', 'host', { sysctl: { 'net.ipv4.ip_forward': fwd, 'net.ipv4.conf.all.rp_filter': rpf } }))
  // The host's uplink to a router netns, so it has an address and (maybe) a default route.
  w = addNetns(w, newNetns('gw', 'plain'))
  w = addVethPair(w, { netns: 'host', name: 'eth0', mac: mac(id, 0x80) }, { netns: 'gw', name: 'eth0', mac: mac(id, 0x81) })
  w = setLinkUp(w, 'host', 'eth0', true)
  w = setLinkUp(w, 'gw', 'eth0', true)
  w = addAddr(w, 'host', 'eth0', `172.31.${id}.10/24`)
  w = addAddr(w, 'gw', 'eth0', `172.31.${id}.1/24`)
  if (hostDefault) w = addRoute(w, 'host', route('default', { via: `172.31.${id}.1`, dev: 'eth0' }))
  for (const i of [1, 2]) {
    const pod = `pod${i}`
    const ip = `10.${id}.7.${i}`
    w = addNetns(w, newNetns(pod, 'pod'))
    w = addVethPair(w, { netns: 'host', name: `cali${i}`, mac: 'ee:ee:ee:ee:ee:ee' }, { netns: pod, name: 'eth0', mac: mac(id, 0x90 + i) })
    if (proxyOn) w = setLinkFlag(w, 'host', `cali${i}`, { proxyArp: true })
    if (devRpf[i - 1]) w = setLinkFlag(w, 'host', `cali${i}`, { rpFilter: devRpf[i - 1] })
    w = setLinkUp(w, 'host', `cali${i}`, true)
    w = setLinkUp(w, pod, 'eth0', true)
    w = addAddr(w, pod, 'eth0', `${ip}/32`)
    w = addRoute(w, pod, route('169.254.1.1', { dev: 'eth0' }))
    w = addRoute(w, pod, route('default', { via: '169.254.1.1', dev: 'eth0' }))
    w = addRoute(w, 'host', route(ip, { dev: `cali${i}` }))
    w = listen(w, pod, [{ proto: 'tcp', port: 80, app: 'web' }])
  }
  const probes: Probe[] = [
    { kind: 'ping', from: 'pod1', to: `10.${id}.7.2` },
    { kind: 'tcp', from: 'pod1', to: `10.${id}.7.2`, port: 80 },
    { kind: 'ping', from: 'pod1', to: `172.31.${id}.10` },
    { kind: 'ping', from: 'pod2', to: `172.31.${id}.1` },
    { kind: 'ping', from: 'host', to: `10.${id}.7.1` },
    { kind: 'route', from: 'host', to: `10.${id}.7.1` },
  ]
  return { name: `calico-${id}`, world: w, probes, params: `forwarding=${fwd} hostDefault=${hostDefault} proxyArp=${proxyOn} rp_filter=${rpf} cali rp_filter=${devRpf.join('/')}` }
}

/**
 * Policy routing: a router between two clients and two servers that both own V1 and V2 (on
 * lo), with random rules (selectors from/to/iif/fwmark/ipproto/dport/not; actions lookup,
 * goto, nop, blackhole, unreachable, prohibit; suppress_prefixlength), random routes in tables
 * 100 and 200 (some throw, unreachable or blackhole) and mangle marks, so which server answers,
 * or which error comes back, shows the rule and table the kernel used.
 */
function policyWorld(rng: Rng, id: number): RandomWorld {
  const v1 = `198.18.${id}.1`
  const v2 = `198.18.${id}.2`
  const mangle = oneOf(rng, ['none', 'udp', 'port81', 'both'] as const)
  const marks: string[] = []
  if (mangle === 'udp' || mangle === 'both') marks.push(`-A PREROUTING -s 10.${id}.2.2/32 -p udp -j MARK --set-xmark 0x1/0xffffffff`)
  if (mangle === 'port81' || mangle === 'both') marks.push('-A PREROUTING -p tcp -m tcp --dport 81 -j MARK --set-xmark 0x2/0xffffffff', '-A OUTPUT -p tcp -m tcp --dport 81 -j MARK --set-xmark 0x2/0xffffffff')
  const ruleset = marks.length > 0 ? parseIptablesSave(`*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${marks.join('\n')}\nCOMMIT\n`).ruleset : undefined
  const rpf = oneOf(rng, [0, 0, 1, 2] as const)
  let w = addNetns(emptyWorld(), newNetns('r', 'host', { sysctl: { 'net.ipv4.ip_forward': true, 'net.ipv4.conf.all.rp_filter': rpf }, ...(ruleset && { ruleset }) }))
  const ends = [['c1', 1], ['c2', 2], ['s1', 3], ['s2', 4]] as const
  for (const [name, k] of ends) {
    w = addNetns(w, newNetns(name, 'plain'))
    w = addVethPair(w, { netns: 'r', name: `r${name}`, mac: mac(id, 0xa0 + k * 2) }, { netns: name, name: 'eth0', mac: mac(id, 0xa1 + k * 2) })
    w = setLinkUp(w, 'r', `r${name}`, true)
    w = setLinkUp(w, name, 'eth0', true)
    w = addAddr(w, 'r', `r${name}`, `10.${id}.${k}.1/24`)
    w = addAddr(w, name, 'eth0', `10.${id}.${k}.2/24`)
    w = addRoute(w, name, route('default', { via: `10.${id}.${k}.1`, dev: 'eth0' }))
  }
  for (const sv of ['s1', 's2']) {
    w = addAddr(w, sv, 'lo', `${v1}/32`)
    w = addAddr(w, sv, 'lo', `${v2}/32`)
    w = listen(w, sv, [{ proto: 'tcp', port: 80, app: 'web' }, { proto: 'tcp', port: 81, app: 'web' }, { proto: 'udp', port: 5353, app: 'echo' }])
  }
  const toServer = (dst: string, table: Route['table'], sv: 's1' | 's2') => route(dst, { via: `10.${id}.${sv === 's1' ? 3 : 4}.2`, dev: `r${sv}`, table })
  w = addRoute(w, 'r', toServer(v1, 'main', 's1'))
  w = addRoute(w, 'r', toServer(v2, 'main', 's2'))
  const tableRoutes: string[] = []
  for (const table of [100, 200]) {
    for (const v of [v1, v2]) {
      const kind = oneOf(rng, ['s1', 's2', 's1', 's2', 'none', 'throw', 'unreachable', 'blackhole'] as const)
      if (kind === 'none') continue
      w = addRoute(w, 'r', kind === 's1' || kind === 's2' ? toServer(v, table, kind) : route(v, { type: kind, table }))
      tableRoutes.push(`${v}@${table}=${kind}`)
    }
    if (chance(rng, 0.3)) {
      w = addRoute(w, 'r', route('default', { via: `10.${id}.3.2`, dev: 'rs1', table }))
      tableRoutes.push(`default@${table}=s1`)
    }
  }
  const n = randomInt(rng, 1, 4)
  const prios = [...new Set(Array.from({ length: n }, () => randomInt(rng, 2, 60) * 5))].sort((a, b) => a - b)
  const rules: RoutingRule[] = prios.map((priority, i) => {
    const sel: { -readonly [K in keyof RoutingRule]?: RoutingRule[K] } = {}
    if (chance(rng, 0.4)) sel.from = oneOf(rng, [`10.${id}.1.2`, `10.${id}.2.2`, `10.${id}.0.0/16`, `10.${id}.3.1`])
    if (chance(rng, 0.3)) sel.to = oneOf(rng, [v1, v2])
    if (chance(rng, 0.2)) sel.iif = oneOf(rng, ['rc1', 'rc2', 'lo'])
    if (chance(rng, 0.25)) [sel.fwmark, sel.fwmask] = oneOf(rng, [[1, 0xffffffff], [2, 0xffffffff], [2, 2], [0, 3]] as const)
    if (chance(rng, 0.2)) sel.ipproto = oneOf(rng, ['tcp', 'udp'] as const)
    if (chance(rng, 0.15)) sel.dport = oneOf(rng, [{ from: 80, to: 80 }, { from: 81, to: 90 }])
    if (chance(rng, 0.15)) sel.not = true
    const later = prios.slice(i + 1)
    const action = oneOf(rng, ['lookup', 'lookup', 'lookup', 'lookup', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'] as const)
    if (action === 'goto') return { priority, ...sel, action, goto: later.length > 0 && chance(rng, 0.7) ? oneOf(rng, later) : 32766 }
    if (action !== 'lookup') {
      // With rp_filter on, a failing rule that could match the way back to a neighbour would
      // stop the router answering ARP, and what the neighbours then remember depends on the
      // kernel's neighbour timers (not simulated): such rules name a virtual address instead.
      if (rpf !== 0 && action !== 'nop') {
        delete sel.not
        sel.to = oneOf(rng, [v1, v2])
      }
      return { priority, ...sel, action }
    }
    return { priority, ...sel, action, table: oneOf(rng, [100, 200, 100, 'main'] as const), ...(chance(rng, 0.2) && { suppressPrefixlength: 0 }) }
  })
  const dropMain = chance(rng, 0.1)
  w = { ...w, netns: { ...w.netns, r: { ...w.netns.r!, rules: [DEFAULT_RULES[0]!, ...rules, ...(dropMain ? [] : [DEFAULT_RULES[1]!]), DEFAULT_RULES[2]!] } } }
  const probes: Probe[] = []
  for (const from of ['c1', 'c2', 'r']) {
    probes.push({ kind: 'tcp', from, to: v1, port: 80 }, { kind: 'tcp', from, to: v2, port: 81 }, { kind: 'udp', from, to: v1, port: 5353 })
  }
  probes.push({ kind: 'ping', from: 'c1', to: v2 }, { kind: 'ping', from: 'c2', to: v1 }, { kind: 'route', from: 'r', to: v1 }, { kind: 'route', from: 'r', to: v2 })
  const described = rules.map((r) => `${r.priority}: ${describeRule(r)}`).join('; ')
  return { name: `policy-${id}`, world: w, probes, params: `rp_filter=${rpf} mangle=${mangle} tables=${tableRoutes.join(',')} rules=${described}${dropMain ? ' (no main rule)' : ''}` }
}

/**
 * iptables on a router: random filter rules (matches on addresses, ports, protocol, ICMP type,
 * interfaces, marks; conntrack state only in the FORWARD DROP policy's RELATED,ESTABLISHED
 * rule; ACCEPT, DROP, REJECT with each --reject-with, RETURN,
 * jumps into a user chain, MARK), an optional FORWARD DROP policy, DNAT of a virtual address
 * (with a port change), SNAT or MASQUERADE on the way out and an INPUT rule on the router, so
 * the answer each client gets (who served it, the peer it saw, the error) shows the verdicts.
 */
function netfilterWorld(rng: Rng, id: number): RandomWorld {
  const c = `10.${id}.1.2`
  const s = `10.${id}.2.2`
  const s2 = `10.${id}.3.2`
  const vip = `10.${id}.9.9`
  let w = addNetns(emptyWorld(), newNetns('r', 'host', { sysctl: { 'net.ipv4.ip_forward': true } }))
  for (const [name, k] of [['c', 1], ['s', 2], ['s2', 3]] as const) {
    w = addNetns(w, newNetns(name, 'plain'))
    w = addVethPair(w, { netns: 'r', name: `r${name}`, mac: mac(id, 0xc0 + k * 2) }, { netns: name, name: 'eth0', mac: mac(id, 0xc1 + k * 2) })
    w = setLinkUp(w, 'r', `r${name}`, true)
    w = setLinkUp(w, name, 'eth0', true)
    w = addAddr(w, 'r', `r${name}`, `10.${id}.${k}.1/24`)
    w = addAddr(w, name, 'eth0', `10.${id}.${k}.2/24`)
    w = addRoute(w, name, route('default', { via: `10.${id}.${k}.1`, dev: 'eth0' }))
  }
  for (const sv of ['s', 's2']) w = listen(w, sv, [{ proto: 'tcp', port: 80, app: 'web' }, { proto: 'tcp', port: 81, app: 'web' }, { proto: 'udp', port: 5353, app: 'echo' }])
  w = listen(w, 'r', [{ proto: 'tcp', port: 22, app: 'sshd' }])
  const match = (): string => {
    const parts: string[] = []
    if (chance(rng, 0.3)) parts.push(oneOf(rng, [`-s ${c}/32`, `! -s ${c}/32`, `-s 10.${id}.0.0/16`]))
    if (chance(rng, 0.3)) parts.push(oneOf(rng, [`-d ${s}/32`, `-d ${s2}/32`, `! -d ${s}/32`]))
    if (chance(rng, 0.25)) parts.push(oneOf(rng, ['-i rc', '-o rs', '-i rc -o rs2', '! -o rs']))
    const proto = oneOf(rng, ['', '', 'tcp', 'udp', 'icmp'] as const)
    if (proto === 'tcp') parts.push(oneOf(rng, ['-p tcp', '-p tcp -m tcp --dport 80', '-p tcp -m tcp --dport 81', '-p tcp -m multiport --dports 80,81', '-p tcp -m tcp --dport 80:81']))
    if (proto === 'udp') parts.push(oneOf(rng, ['-p udp', '-p udp -m udp --dport 5353']))
    if (proto === 'icmp') parts.push(oneOf(rng, ['-p icmp', '-p icmp -m icmp --icmp-type 8', '-p icmp -m icmp --icmp-type 0']))
    // No conntrack state here: the engine's TCP is SYN and SYN-ACK, so a rule that treats the
    // handshake's ACK unlike its SYN (NEW accepted, ESTABLISHED refused) is a known gap.
    if (chance(rng, 0.15)) parts.push(oneOf(rng, ['-m mark --mark 0x1', '-m mark ! --mark 0x1/0x1']))
    return parts.join(' ')
  }
  const target = (spec: string, inUser: boolean): string => {
    const tcp = spec.includes('-p tcp')
    const rejects = ['icmp-port-unreachable', 'icmp-host-unreachable', 'icmp-net-unreachable', 'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited', ...(tcp ? ['tcp-reset'] : [])]
    const t = oneOf(rng, ['ACCEPT', 'DROP', 'REJECT', 'REJECT', 'MARK', 'JUMP', ...(inUser ? ['RETURN'] : [])] as const)
    if (t === 'REJECT') return `-j REJECT --reject-with ${oneOf(rng, rejects)}`
    if (t === 'MARK') return '-j MARK --set-xmark 0x1/0xffffffff'
    if (t === 'JUMP') return inUser ? '-j ACCEPT' : '-j PW-CHECK'
    return `-j ${t}`
  }
  const forward: string[] = []
  const policyDrop = chance(rng, 0.3)
  if (policyDrop) forward.push('-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
  for (let i = randomInt(rng, 1, 4); i > 0; i--) {
    const m = match()
    forward.push(`-A FORWARD ${m ? `${m} ` : ''}${target(m, false)}`.replace(/  +/g, ' '))
  }
  if (policyDrop) forward.push(`-A FORWARD -s ${c}/32 -j ACCEPT`, `-A FORWARD -d ${c}/32 -j ACCEPT`)
  const user: string[] = []
  for (let i = randomInt(rng, 1, 3); i > 0; i--) {
    const m = match()
    user.push(`-A PW-CHECK ${m ? `${m} ` : ''}${target(m, true)}`.replace(/  +/g, ' '))
  }
  const input = chance(rng, 0.5) ? [`-A INPUT -p tcp -m tcp --dport 22 ${oneOf(rng, ['-j REJECT --reject-with tcp-reset', '-j DROP', '-j REJECT --reject-with icmp-port-unreachable', '-s 10.0.0.0/8 -j ACCEPT'])}`.replace(/  +/g, ' ')] : []
  const dnatTo = oneOf(rng, [`${s}:80`, `${s2}:81`, `${s}`])
  const nat = [`-A PREROUTING -d ${vip}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${dnatTo}`]
  const out = oneOf(rng, ['none', 'masquerade', 'snat', 'masquerade-s2'] as const)
  if (out === 'masquerade') nat.push('-A POSTROUTING -o rs -j MASQUERADE')
  if (out === 'masquerade-s2') nat.push(`-A POSTROUTING -s ${c}/32 -o rs2 -j MASQUERADE`)
  if (out === 'snat') nat.push(`-A POSTROUTING -s ${c}/32 -o rs -j SNAT --to-source 10.${id}.2.1`)
  const text = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${nat.join('\n')}\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policyDrop ? 'DROP' : 'ACCEPT'} [0:0]\n:OUTPUT ACCEPT [0:0]\n:PW-CHECK - [0:0]\n${[...input, ...forward, ...user].join('\n')}\nCOMMIT\n`
  const parsed = parseIptablesSave(text)
  const bad = parsed.diagnostics.find((d) => d.severity === 'error')
  if (bad) throw new Error(`netfilterWorld ${id}: generated rules do not parse (line ${bad.line}: ${bad.message})\n${text}`)
  w = { ...w, netns: { ...w.netns, r: { ...w.netns.r!, netfilter: parsed.ruleset } } }
  const probes: Probe[] = [
    { kind: 'tcp', from: 'c', to: s, port: 80 },
    { kind: 'tcp', from: 'c', to: s, port: 81 },
    { kind: 'tcp', from: 'c', to: s2, port: 80 },
    { kind: 'udp', from: 'c', to: s, port: 5353 },
    { kind: 'udp', from: 'c', to: s2, port: 5353 },
    { kind: 'ping', from: 'c', to: s },
    { kind: 'ping', from: 'c', to: s2 },
    { kind: 'tcp', from: 'c', to: vip, port: 80 },
    { kind: 'tcp', from: 'c', to: `10.${id}.1.1`, port: 22 },
    { kind: 'ping', from: 's', to: c },
    { kind: 'tcp', from: 's2', to: s, port: 81 },
  ]
  return { name: `netfilter-${id}`, world: w, probes, params: `policy=${policyDrop ? 'DROP' : 'ACCEPT'} dnat=${dnatTo} out=${out} rules=${[...input, ...forward, ...user].join(' | ')}` }
}

const FAMILIES = [lanWorld, chainWorld, vxlanPairWorld, calicoWorld, policyWorld, netfilterWorld]

/**
 * `count` worlds from `seed`, cycling through the families.
 *
 * @example
 * randomWorlds(7, 8).map((r) => r.name) // ['lan-1', 'chain-2', 'vxlan-3', 'calico-4', …]
 */
export function randomWorlds(seed: number, count: number): RandomWorld[] {
  const rng = createRng(seed)
  return Array.from({ length: count }, (_, i) => FAMILIES[i % FAMILIES.length]!(rng, i + 1))
}
