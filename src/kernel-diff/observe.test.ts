import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { compareObservations, engineConntrackEntries, observationKey, observeEngine, parseConntrackEntries, parseProbeLines, socketErrno } from './observe.ts'
import { natTargets } from './probes.ts'
import { mergeSameWorlds } from './cases.ts'
import type { ConntrackEntry } from '../engine/netfilter/types.ts'
import { loadWorldFile } from '../engine/world/worldFile.ts'
import { readFileSync } from 'node:fs'
import type { Observation } from './observe.ts'
import { probeToSend } from './probes.ts'
import { randomWorlds } from './randomWorlds.ts'
import type { Probe } from '../engine/export/probe.ts'
import { exportScript } from '../engine/export/script.ts'
import { simulate } from '../engine/sim/simulate.ts'
import { bridgeWorld, vxlanWorld } from '../engine/sim/testWorlds.ts'
import { addRoute } from '../engine/model/ops.ts'
import type { World } from '../engine/model/types.ts'
import { spawnSync } from 'node:child_process'

/** What the engine says the sender saw for a probe in a world. */
function engine(w: World, p: Probe): Observation {
  const send = probeToSend(p)
  return observeEngine(p, w, send ? simulate(w, send, { seed: 5, now: 1000 }) : undefined)
}

describe('parseProbeLines', () => {
  it('reads tab-separated PW-PROBE lines and ignores everything else', () => {
    const text = [
      'up: 4 namespaces ready',
      'PW-PROBE\tping,from=a,to=10.0.0.2\tstatus=reply\tfrom=10.0.0.2\tttl=64',
      'PW-PROBE\ttcp,from=a,to=10.0.0.2,port=81\tstatus=error\terrno=ECONNREFUSED\tdetail=connect(5, AF=2 10.0.0.2:81, 16): Connection refused',
      'PW-PROBE\tbroken',
    ].join('\n')
    expect(parseProbeLines(text)).toEqual([
      { spec: 'ping,from=a,to=10.0.0.2', obs: { status: 'reply', from: '10.0.0.2', ttl: '64' } },
      { spec: 'tcp,from=a,to=10.0.0.2,port=81', obs: { status: 'error', errno: 'ECONNREFUSED', detail: 'connect(5, AF=2 10.0.0.2:81, 16): Connection refused' } },
    ])
  })
})

describe('socketErrno: which ICMP errors a socket reports (icmp_err_convert, tcp_v4_err, __udp4_lib_err)', () => {
  it.each([
    // TCP in SYN_SENT gives up on any unreachable or time exceeded...
    ['tcp', 3, 1, 'EHOSTUNREACH'],
    ['tcp', 3, 0, 'ENETUNREACH'],
    ['tcp', 3, 3, 'ECONNREFUSED'],
    ['tcp', 11, 0, 'EHOSTUNREACH'],
    // ...but fragmentation needed only lowers the path MTU.
    ['tcp', 3, 4, undefined],
    // A connected UDP socket reports hard errors only.
    ['udp', 3, 3, 'ECONNREFUSED'],
    ['udp', 3, 13, 'EHOSTUNREACH'],
    ['udp', 3, 1, undefined],
    ['udp', 11, 0, undefined],
  ] as const)('%s type %d code %d → %s', (proto, type, code, want) => {
    expect(socketErrno(proto, type, code)).toBe(want)
  })
})

describe('observeEngine: the sender\'s view of engine traces', () => {
  it.each<[string, () => World, Probe, Observation]>([
    // Same bridge: the echo reply comes from the address pinged.
    ['ping on a bridge', bridgeWorld, { kind: 'ping', from: 'pod-a', to: '10.244.1.3' }, { status: 'reply', from: '10.244.1.3' }],
    // The stand-in names its netns and the peer it saw (no NAT here).
    ['tcp to a listener', bridgeWorld, { kind: 'tcp', from: 'pod-a', to: '10.244.1.3', port: 80 }, { status: 'answer', 'served-by': 'pod-b', peer: '10.244.1.2' }],
    // RST from the kernel: connect() fails with ECONNREFUSED.
    ['tcp to a closed port', bridgeWorld, { kind: 'tcp', from: 'pod-a', to: '10.244.1.3', port: 81 }, { status: 'error', errno: 'ECONNREFUSED' }],
    // Port unreachable is a hard error for a connected UDP socket.
    ['udp to a closed port', bridgeWorld, { kind: 'udp', from: 'pod-a', to: '10.244.1.3', port: 9 }, { status: 'error', errno: 'ECONNREFUSED' }],
    // ARP fails at the sender: the kernel reports host unreachable to itself ("From 10.244.1.2").
    ['ping, no one has the address', bridgeWorld, { kind: 'ping', from: 'pod-a', to: '10.244.1.77' }, { status: 'icmp-error', from: '10.244.1.2', error: 'host-unreachable' }],
    ['tcp, no one has the address', bridgeWorld, { kind: 'tcp', from: 'pod-a', to: '10.244.1.77', port: 80 }, { status: 'error', errno: 'EHOSTUNREACH' }],
    // ...which a UDP socket ignores (not a hard error).
    ['udp, no one has the address', bridgeWorld, { kind: 'udp', from: 'pod-a', to: '10.244.1.77', port: 80 }, { status: 'timeout' }],
    // TTL 1 dies at node1, which answers from its address towards the pod (cni0).
    ['ttl 1 through a router', vxlanWorld, { kind: 'ping', from: 'node1-pod', to: '10.244.2.5', ttl: 1 }, { status: 'icmp-error', from: '10.244.1.1', error: 'ttl-exceeded' }],
    // Pod MTU 1450: a 1500-byte DF ping fails in sendmsg.
    ['oversized DF at the sender', vxlanWorld, { kind: 'ping', from: 'node1-pod', to: '10.244.2.5', size: 1500, df: true }, { status: 'local-error', errno: 'EMSGSIZE', mtu: '1450' }],
    // No route in the sender: connect() fails with ENETUNREACH.
    ['no route at the sender', () => vxlanWorld(), { kind: 'tcp', from: 'node1', to: '198.51.100.7', port: 80 }, { status: 'error', errno: 'ENETUNREACH' }],
    // A blackhole route at the sender: EINVAL.
    ['blackhole at the sender', () => addRoute(vxlanWorld(), 'node1-pod', { dst: '10.9.0.0/24', type: 'blackhole', table: 'main', scope: 'global', proto: 'boot' }), { kind: 'ping', from: 'node1-pod', to: '10.9.0.1' }, { status: 'local-error', errno: 'EINVAL' }],
    // `ip route get` from the FIB: the route, its device, gateway and the source the kernel picks.
    ['route get', vxlanWorld, { kind: 'route', from: 'node1', to: '10.244.2.5' }, { status: 'route', type: 'unicast', dev: 'flannel.1', via: '10.244.2.0', src: '10.244.1.0' }],
    ['route get, local', vxlanWorld, { kind: 'route', from: 'node1', to: '10.244.1.1' }, { status: 'route', type: 'local' }],
  ])('%s', (_name, world, probe, want) => {
    expect(engine(world(), probe)).toEqual(want)
  })
})

describe('compareObservations', () => {
  const ping: Probe = { kind: 'ping', from: 'a', to: '10.0.0.2' }
  const tcp: Probe = { kind: 'tcp', from: 'a', to: '10.0.0.2', port: 80 }
  const route: Probe = { kind: 'route', from: 'a', to: '10.0.0.2' }
  it.each<[string, Probe, Observation, Observation, boolean, string[]]>([
    // Extra kernel fields (ttl, detail) are informational.
    ['same reply', ping, { status: 'reply', from: '10.0.0.2', ttl: '63' }, { status: 'reply', from: '10.0.0.2' }, true, []],
    ['different status', ping, { status: 'timeout' }, { status: 'reply', from: '10.0.0.2' }, false, ['status: kernel=timeout engine=reply']],
    ['error from elsewhere', ping, { status: 'icmp-error', from: '10.0.0.1', error: 'ttl-exceeded' }, { status: 'icmp-error', from: '10.0.0.9', error: 'ttl-exceeded' }, false, ['from: kernel=10.0.0.1 engine=10.0.0.9']],
    // The peer's port is ephemeral: only the address counts (masquerade or not).
    ['peer port ignored', tcp, { status: 'answer', 'served-by': 'b', app: 'web', peer: '10.0.0.1:40000' }, { status: 'answer', 'served-by': 'b', peer: '10.0.0.1' }, true, []],
    ['other backend', tcp, { status: 'answer', 'served-by': 'b1', peer: '10.0.0.1:1' }, { status: 'answer', 'served-by': 'b2', peer: '10.0.0.1' }, false, ['served-by: kernel=b1 engine=b2']],
    ['masqueraded', tcp, { status: 'answer', 'served-by': 'b', peer: '192.168.1.10:1' }, { status: 'answer', 'served-by': 'b', peer: '10.0.0.1' }, false, ['peer: kernel=192.168.1.10 engine=10.0.0.1']],
    // `ip route get` shows lo for local addresses; the engine names the address's device.
    ['local route', route, { status: 'route', type: 'local', dev: 'lo', via: '', src: '10.0.0.2' }, { status: 'route', type: 'local' }, true, []],
    ['other gateway', route, { status: 'route', type: 'unicast', dev: 'eth0', via: '10.0.0.1', src: '10.0.0.5' }, { status: 'route', type: 'unicast', dev: 'eth0', via: '10.0.0.254', src: '10.0.0.5' }, false, ['via: kernel=10.0.0.1 engine=10.0.0.254']],
  ])('%s', (_name, probe, kernel, eng, ok, diffs) => {
    const c = compareObservations(probe, kernel, eng)
    expect(c.ok).toBe(ok)
    expect(c.diffs).toEqual(diffs)
  })
})

describe('random topologies', () => {
  it('the same seed gives the same worlds and probes', () => {
    expect(JSON.stringify(randomWorlds(42, 8))).toBe(JSON.stringify(randomWorlds(42, 8)))
    expect(JSON.stringify(randomWorlds(42, 4))).not.toBe(JSON.stringify(randomWorlds(43, 4)))
  })

  test.prop([fc.integer({ min: 1, max: 1_000_000 })], { numRuns: 5 })('any seed: every world exports to valid bash and the engine answers every probe', (seed) => {
    for (const r of randomWorlds(seed, 4)) {
      const text = exportScript(r.world, { prefix: 'pwX-' })
      expect(spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' }).status).toBe(0)
      for (const n of Object.keys(r.world.netns)) expect(text).toContain(`pw_netns_add "\${P}${n}"`)
      for (const p of r.probes) expect(engine(r.world, p).status).toMatch(/^(reply|answer|icmp-error|local-error|error|timeout|route)$/)
    }
  })
})

describe('conntrack: NAT bindings on both sides', () => {
  const kernel = [
    // A Service connection: DNAT to a backend, masqueraded (the reply goes to the node).
    'tcp 6 117 TIME_WAIT src=10.244.1.2 dst=10.96.0.10 sport=39412 dport=80 src=10.244.2.3 dst=10.244.1.1 sport=80 dport=6080 [ASSURED] mark=0 use=1',
    // No NAT: not compared (its TCP state depends on how the stand-in closes).
    'tcp 6 8 CLOSE src=10.244.1.2 dst=10.244.2.3 sport=40000 dport=9 src=10.244.2.3 dst=10.244.1.2 sport=9 dport=40000 mark=0 use=1',
    // UDP and ICMP live 30 s: not compared.
    'udp 17 27 src=10.244.1.2 dst=10.96.0.10 sport=5000 dport=53 src=10.244.2.4 dst=10.244.1.2 sport=53 dport=5000 mark=0 use=1',
  ].join(';')
  it('keeps the NAT-ed TCP entries, without ephemeral ports', () => {
    expect(parseConntrackEntries(kernel)).toEqual(['tcp 10.244.1.2 > 10.96.0.10:80 → 10.244.2.3:80 snat 10.244.1.1'])
  })
  it('describes the engine\'s entries the same way', () => {
    const e: ConntrackEntry = { id: 1, orig: { src: '10.244.1.2', dst: '10.96.0.10', proto: 'tcp', sport: 33333, dport: 80 }, reply: { src: '10.244.2.3', dst: '10.244.1.1', proto: 'tcp', sport: 80, dport: 1234 }, tcpState: 'SYN_RECV', status: ['SEEN_REPLY'], mark: 0, expires: 1 }
    const plain: ConntrackEntry = { ...e, id: 2, orig: { ...e.orig, dst: '10.244.2.3' }, reply: { ...e.reply, dst: '10.244.1.2', dport: 33333 } }
    expect(engineConntrackEntries([e, plain])).toEqual(parseConntrackEntries(kernel))
  })
})

describe('probes through Services', () => {
  it('finds the VIPs that nat rules point at', () => {
    const w = loadWorldFile(readFileSync(new URL('../../scenarios/worlds/clusterip-same-node.yaml', import.meta.url), 'utf8')).world
    // -A PREROUTING -d 10.96.1.100/32 -p tcp --dport 80 -j TEST-SVC
    expect(natTargets(w)).toEqual([{ netns: 'host', ip: '10.96.1.100', port: 80, proto: 'tcp' }])
  })

  it('an outcome key holds only the compared fields', () => {
    expect(observationKey('tcp', { status: 'answer', 'served-by': 'b', app: 'web', peer: '10.0.0.1:4000' })).toBe('answer served-by=b peer=10.0.0.1')
    expect(observationKey('ping', { status: 'timeout' })).toBe('timeout')
  })

  it('cases that build the same world are built once, with every probe', () => {
    const w = bridgeWorld()
    const merged = mergeSameWorlds([
      { name: 'a', origin: '', world: w, probes: [{ kind: 'ping', from: 'pod-a', to: '10.244.1.3' }, { kind: 'conntrack', netns: 'host' }] },
      { name: 'b', origin: '', world: bridgeWorld(), probes: [{ kind: 'tcp', from: 'pod-a', to: '10.244.1.3', port: 80 }] },
      { name: 'c', origin: '', world: vxlanWorld(), probes: [] },
    ])
    expect(merged.map((c) => c.name)).toEqual(['a + b', 'c'])
    // conntrack stays last: it reads the table after every other probe.
    expect(merged[0]!.probes.map((p) => p.kind)).toEqual(['ping', 'tcp', 'conntrack'])
  })
})
