import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { exportScript, fdbArgs, neighArgs, routeArgs, ruleCommands, shellQuote } from './script.ts'
import { formatProbe } from './probe.ts'
import { loadWorldFile } from '../world/worldFile.ts'
import { bridgeWorld, vxlanWorld } from '../sim/testWorlds.ts'
import { addLink, addNetns, emptyWorld, newNetns, setLinkMtu } from '../model/ops.ts'
import type { FdbEntry, Netns, Route, World } from '../model/types.ts'
import { buildCluster } from '../kube/build.ts'
import { config, desc, kindNodes, WEB } from '../kube/testClusters.ts'

const ROOT = new URL('../../../', import.meta.url).pathname
const GOLDEN = new URL('./golden/', import.meta.url).pathname

function golden(name: string, text: string): void {
  const path = `${GOLDEN}${name}`
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text)
  expect(text).toBe(readFileSync(path, 'utf8'))
}

/** `bash -n`: the script parses (nothing runs). */
function bashSyntax(text: string): string {
  const r = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' })
  return r.status === 0 ? 'ok' : r.stderr
}

function worldFile(name: string): World {
  const r = loadWorldFile(readFileSync(`${ROOT}scenarios/worlds/${name}.yaml`, 'utf8'), { file: `${name}.yaml` })
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return r.world
}

describe('exportScript: the example worlds', () => {
  it('the syntax check can fail', () => {
    expect(bashSyntax('if true; then\n')).not.toBe('ok')
  })

  for (const name of ['bridge-two-pods', 'vxlan-two-nodes']) {
    it(`${name}: golden script, valid bash`, () => {
      const text = exportScript(worldFile(name), { prefix: 'pw-', title: name })
      expect(bashSyntax(text)).toBe('ok')
      golden(`${name}.sh`, text)
    })
  }

  it('every namespace the script makes carries the prefix, and down removes the same list', () => {
    const text = exportScript(worldFile('vxlan-two-nodes'), { prefix: 'pwT-' })
    // One variable holds the prefix; every netns reference is built from it.
    expect(text).toMatch(/^P=\$\{PW_PREFIX:-pwT-\}$/m)
    const adds = [...text.matchAll(/^ {2}(?:pw_netns_add|pw_segment) ("\$\{P\}\S+)/gm)].map((m) => m[1]!)
    expect(adds).toEqual(['"${P}node1"', '"${P}node1-pod"', '"${P}node2"', '"${P}node2-pod"', '"${P}seg.underlay"'])
    // Every `ip -n`/`bridge -n`/`ip netns exec` names a prefixed netns.
    for (const m of text.matchAll(/(?:ip|bridge) -n (\S+)/g)) expect(m[1]).toMatch(/^"(\$\{P\}|\$1|\$5|\$P\$from|\$ns)/)
    expect(text).toMatch(/^ALL_NETNS=\("\$\{NETNS\[@\]\}" "\$\{P\}seg\.underlay"\)$/m)
  })

  it('nothing touches the host: no command outside `ip -n`/`ip netns exec` changes links or routes', () => {
    const text = exportScript(worldFile('vxlan-two-nodes'))
    expect(text).not.toMatch(/^\s*ip (link|addr|route|neigh) /m)
    expect(text).not.toMatch(/^\s*bridge (fdb|link) /m)
    expect(text).not.toMatch(/^\s*sysctl /m)
  })
})

describe('exportScript: what it writes for each part of the model', () => {
  it('recreates MACs, MTUs, bridge ageing (centiseconds) and VXLAN options from the model', () => {
    const text = exportScript(vxlanWorld())
    // ageing_time is in centiseconds: 300 s → 30000.
    expect(text).toContain('ip -n "${P}node1" link add cni0 address 02:00:00:00:c1:01 mtu 1450 type bridge ageing_time 30000')
    expect(text).toContain('ip -n "${P}node1" link add flannel.1 address 02:00:00:00:f1:01 mtu 1450 type vxlan id 1 local 192.168.1.10 dstport 8472 dev eth0 nolearning')
    expect(text).toContain('pw_nic "${P}node1" eth0 02:00:00:00:e1:01 1500 "${P}seg.underlay" p1')
    // Permanent neighbour and VXLAN FDB entries: what flanneld programs.
    expect(text).toContain('ip -n "${P}node1" neigh replace 10.244.2.0 lladdr 02:00:00:00:f2:02 dev flannel.1 nud permanent')
    expect(text).toContain('bridge -n "${P}node1" fdb append 02:00:00:00:f2:02 dev flannel.1 dst 192.168.1.20 self permanent')
    // Kernel routes (prefix routes of addresses) are not written; the onlink route is.
    expect(text).not.toMatch(/route add 10\.244\.1\.0\/24 dev cni0/)
    expect(text).toContain('ip -n "${P}node1" route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink')
  })

  it('a VXLAN MTU above the underlay MTU - 50 is made by raising the underlay while the device is created', () => {
    // The kernel refuses (or clamps) a VXLAN MTU over dev MTU - 50; the model can have one when eth0 was cut later.
    let w = vxlanWorld()
    w = setLinkMtu(w, 'node1', 'eth0', 1400)
    const text = exportScript(w)
    const lines = text.split('\n')
    const i = lines.findIndex((l) => l.includes('"${P}node1" link add flannel.1'))
    expect(lines[i - 1]).toBe('  ip -n "${P}node1" link set eth0 mtu 1500')
    expect(lines[i + 1]).toBe('  ip -n "${P}node1" link set eth0 mtu 1400')
  })

  it('sysctls are set per netns before any link exists; bridge-nf-call-iptables is set where bridges are', () => {
    const text = exportScript(bridgeWorld({ brNf: true }))
    const sysctl = text.indexOf('pw_sysctl "${P}host" net/ipv4/ip_forward 1')
    const firstLink = text.indexOf('link add')
    expect(sysctl).toBeGreaterThan(0)
    expect(sysctl).toBeLessThan(text.indexOf('  ip -n "${P}host" link add'))
    expect(firstLink).toBeGreaterThan(0)
    expect(text).toContain('pw_bridge_nf "${P}host" 1')
  })

  it('stand-ins: a TCP server per listener, a UDP echo per address, dnsmasq for DNS listeners', () => {
    let w = bridgeWorld()
    const podB = w.netns['pod-b']!
    w = { ...w, netns: { ...w.netns, 'pod-b': { ...podB, listeners: [...podB.listeners, { proto: 'udp', port: 5353, app: 'echo' }, { proto: 'udp', port: 53, app: 'coredns', dns: true }] } } }
    const text = exportScript(w, { dnsRecords: [{ name: 'web.default.svc.cluster.local', ip: '10.96.0.10' }] })
    expect(text).toContain('pw_tcp_server "${P}pod-b" pod-b 80 nginx')
    // One UDP socket per address of pod-b (10.244.1.3 and 127.0.0.1).
    expect(text).toContain('pw_udp_server "${P}pod-b" pod-b 5353 echo 10.244.1.3')
    expect(text).toContain('pw_udp_server "${P}pod-b" pod-b 5353 echo 127.0.0.1')
    expect(text).toContain('pw_dns_server "${P}pod-b" 53 cluster.local web.default.svc.cluster.local,10.96.0.10')
    expect(bashSyntax(text)).toBe('ok')
  })

  it('the DNS stand-in of a cluster answers what CoreDNS does: A, headless A, pod A without PTR, SRV, PTR', () => {
    const text = `${config('{plugin: flannel, backend: vxlan}')}${kindNodes()}${WEB}apiVersion: v1\nkind: Service\nmetadata: {name: web-pods}\nspec:\n  clusterIP: None\n  selector: {app: web}\n  ports: [{name: http, port: 80}]\n---\n`
    const built = buildCluster(desc(text), { seed: 11 })
    const script = exportScript({ ...built.world, cluster: built.cluster })
    const line = script.split('\n').find((l) => l.includes('pw_dns_server "'))!
    const eps = built.cluster.pods.filter((p) => p.name.startsWith('web-')).map((p) => p.ip!).sort()
    expect(eps).toHaveLength(2)
    const dashed = (ip: string) => ip.replace(/\./g, '-')
    const rev = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`
    // The ClusterIP: A and PTR to the Service name; web's port has no name, so no SRV (the spec names SRV by port name).
    expect(line).toContain(' web.default.svc.cluster.local,10.96.45.123')
    expect(line).not.toContain('._tcp.web.default.svc')
    // kubernetes' port is named https: SRV priority 0, weight 100, the Service name as target.
    expect(line).toContain(' srv=_https._tcp.kubernetes.default.svc.cluster.local,kubernetes.default.svc.cluster.local,443,0,100')
    expect(line).toContain(' ptr=123.45.96.10.in-addr.arpa,web.default.svc.cluster.local')
    for (const ip of eps) {
      // Headless: an A record per ready endpoint, SRV per endpoint (weight 100/2), PTR to a-b-c-d.<svc>.
      expect(line).toContain(` web-pods.default.svc.cluster.local,${ip}`)
      expect(line).toContain(` srv=_http._tcp.web-pods.default.svc.cluster.local,${dashed(ip)}.web-pods.default.svc.cluster.local,80,0,50`)
      expect(line).toContain(` ptr=${rev(ip)},${dashed(ip)}.web-pods.default.svc.cluster.local`)
      // ... and the endpoint by name, the SRV target (A only: its PTR is the line above).
      expect(line).toContain(` a=${dashed(ip)}.web-pods.default.svc.cluster.local,${ip}`)
      // A pod record answers A only: CoreDNS has no PTR for a pod IP (it falls through to forward).
      expect(line).toContain(` a=${dashed(ip)}.default.pod.cluster.local,${ip}`)
    }
    expect(bashSyntax(script)).toBe('ok')
  })

  it('iptables rules are loaded with iptables-restore in the netns, as iptables-save prints them', () => {
    const text = exportScript(worldFile('bridge-two-pods-forward-drop'))
    expect(text).toMatch(/ip netns exec "\$\{P\}host" "\$IPT_RESTORE" <<'PW_RULES'\n\*filter\n/)
    expect(text).toContain('IPT_RESTORE=iptables-legacy-restore')
  })

  it('netns names become file names (pods are ns/name), device names are quoted, a bad prefix is refused', () => {
    let w = addNetns(emptyWorld(), newNetns('default/web-1', 'pod'))
    w = addNetns(w, newNetns('default_web-1', 'pod'))
    w = addLink(w, 'default/web-1', { kind: 'bridge', name: "br'0", ageingTime: 300 })
    const text = exportScript(w)
    // `/` cannot be in a netns name; a clash gets a suffix.
    expect(text).toContain(`ip -n "\${P}default_web-1" link add 'br'\\''0'`)
    expect(text).toContain('pw_netns_add "${P}default_web-1_2"')
    expect(bashSyntax(text)).toBe('ok')
    expect(() => exportScript(w, { prefix: 'a b' })).toThrow(/prefix/)
  })
})

describe('the lines for routes, neighbours and FDB entries', () => {
  const r = (x: Partial<Route>): Route => ({ dst: '10.0.0.0/24', type: 'unicast', table: 'main', scope: 'link', proto: 'boot', ...x })
  it.each([
    // Kernel routes appear by themselves when an address is added.
    [r({ proto: 'kernel', dev: 'eth0', src: '10.0.0.2' }), undefined],
    // A dev route has scope link by default: nothing to say.
    [r({ dev: 'eth0' }), '10.0.0.0/24 dev eth0'],
    // A gateway route is scope global by default; proto boot is iproute2's default.
    [r({ dst: 'default', via: '10.0.0.1', dev: 'eth0', scope: 'global' }), 'default via 10.0.0.1 dev eth0'],
    [r({ dst: '10.244.2.0/24', via: '10.244.2.0', dev: 'flannel.1', onlink: true, scope: 'global' }), '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink'],
    [r({ type: 'blackhole', scope: 'global' }), 'blackhole 10.0.0.0/24'],
    [r({ dev: 'eth0', proto: 'bird', metric: 20, mtu: 1400, src: '10.0.0.9' }), '10.0.0.0/24 dev eth0 src 10.0.0.9 proto bird metric 20 mtu 1400'],
    [r({ dev: 'eth0', scope: 'host' }), '10.0.0.0/24 dev eth0 scope host'],
  ])('route %#', (route, want) => {
    expect(routeArgs(route)).toBe(want)
  })

  it.each([
    [{ ip: '10.0.0.1', dev: 'eth0', mac: '02:00:00:00:00:01', state: 'PERMANENT' as const }, '10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent'],
    // A learned entry is recreated STALE: used at once, confirmed by the kernel on first use.
    [{ ip: '10.0.0.1', dev: 'eth0', mac: '02:00:00:00:00:01', state: 'REACHABLE' as const }, '10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0 nud stale'],
    // Nothing to recreate without a MAC.
    [{ ip: '10.0.0.1', dev: 'eth0', state: 'INCOMPLETE' as const }, undefined],
  ])('neigh %#', (n, want) => {
    expect(neighArgs(n)).toBe(want)
  })

  const ns = { links: [{ kind: 'veth', name: 'veth-a', mac: '02:00:00:00:0a:01' }, { kind: 'bridge', name: 'cni0', mac: '02:00:00:00:01:01' }] } as unknown as Netns
  it.each([
    // A VXLAN device's own entry: MAC → remote VTEP.
    [{ mac: '02:00:00:00:f2:02', dev: 'flannel.1', dst: '192.168.1.20', self: true, permanent: true }, '02:00:00:00:f2:02 dev flannel.1 dst 192.168.1.20 self permanent'],
    [{ mac: '00:00:00:00:00:00', dev: 'vx0', dst: '10.0.0.2', vni: 7, self: true, permanent: true }, '00:00:00:00:00:00 dev vx0 dst 10.0.0.2 vni 7 self permanent'],
    // A port's own MAC is added by the kernel when the port joins.
    [{ mac: '02:00:00:00:0a:01', dev: 'veth-a', master: 'cni0', permanent: true, local: true }, undefined],
    // A configured forwarding entry is `static` (the kernel's `permanent` means "local").
    [{ mac: '02:00:00:00:0b:01', dev: 'veth-a', master: 'cni0', permanent: true }, '02:00:00:00:0b:01 dev veth-a master static'],
    // Learned entries are learned again.
    [{ mac: '02:00:00:00:0b:01', dev: 'veth-a', master: 'cni0', permanent: false, updated: 5 }, undefined],
  ])('fdb %#', (f, want) => {
    expect(fdbArgs(ns, f as FdbEntry)).toBe(want)
  })

  it.each([
    ['pod-a', 'pod-a'],
    ['a b', "'a b'"],
    ["it's", `'it'\\''s'`],
  ])('shellQuote(%s)', (s, want) => {
    expect(shellQuote(s)).toBe(want)
  })
})

describe('probe specs', () => {
  it.each([
    [{ kind: 'ping', from: 'pod-a', to: '10.244.1.3' } as const, 'ping,from=pod-a,to=10.244.1.3'],
    [{ kind: 'ping', from: 'pod-a', to: '10.244.1.3', size: 1500, df: true, ttl: 1 } as const, 'ping,from=pod-a,to=10.244.1.3,size=1500,df=1,ttl=1'],
    [{ kind: 'tcp', from: 'a', to: '10.0.0.1', port: 80 } as const, 'tcp,from=a,to=10.0.0.1,port=80'],
    [{ kind: 'dns', from: 'a', server: '10.96.0.10', name: 'web.default.svc.cluster.local' } as const, 'dns,from=a,server=10.96.0.10,name=web.default.svc.cluster.local'],
    // type A is the default and not written; SRV and PTR are.
    [{ kind: 'dns', from: 'a', server: '10.96.0.10', name: 'web.default.svc.cluster.local', type: 'A' } as const, 'dns,from=a,server=10.96.0.10,name=web.default.svc.cluster.local'],
    [{ kind: 'dns', from: 'a', server: '10.96.0.10', name: '10.0.96.10.in-addr.arpa', type: 'PTR' } as const, 'dns,from=a,server=10.96.0.10,name=10.0.96.10.in-addr.arpa,type=PTR'],
    [{ kind: 'resolve', from: 'a', name: 'web' } as const, 'resolve,from=a,name=web'],
    [{ kind: 'pause', seconds: 1.1 } as const, 'pause,seconds=1.1'],
  ])('formatProbe %#', (p, want) => {
    expect(formatProbe(p)).toBe(want)
  })
})

describe('exportScript: policy routing rules', () => {
  const rules = (yaml: string[]) => {
    const r = loadWorldFile(['apiVersion: packetwalk.dev/v1', 'kind: World', 'netns:', '  - name: a', '    links: [{ name: eth0, type: phys, addrs: [10.0.0.2/24] }]', '    routes: [{ dst: default, via: 10.0.0.1, table: 100 }]', '    rules:', ...yaml.map((x) => `      - ${x}`)].join('\n'))
    expect(r.diagnostics).toEqual([])
    return r.world
  }

  it('the defaults write nothing; other rules are added with their priority, in list order', () => {
    expect(ruleCommands({})).toEqual([])
    const w = rules(['from 10.0.0.5 lookup 100 pref 100', 'not to 10.1.0.0/16 fwmark 0x80/0xff iif d0 lookup 200', 'from 10.2.0.0/16 blackhole pref 400'])
    // No pref on the second: the kernel's pick (one below the second rule, 100) is written out, and it sorts first.
    expect(ruleCommands(w.netns.a!)).toEqual(['add not from all to 10.1.0.0/16 fwmark 0x80/0xff iif d0 lookup 200 pref 99', 'add from 10.0.0.5 lookup 100 pref 100', 'add from 10.2.0.0/16 blackhole pref 400'])
  })

  it('a default rule the netns lacks is deleted first; the route of table 100 is added with its table', () => {
    const w = rules(['from 10.0.0.5 lookup 100 pref 100'])
    const a = w.netns.a!
    const world = { ...w, netns: { a: { ...a, rules: a.rules!.filter((r) => r.priority !== 32767) } } }
    // Run on the kernel (prefix pwT1e-): `ip rule show` then printed exactly this list.
    expect(ruleCommands(world.netns.a)).toEqual(['del pref 32767 lookup default', 'add from 10.0.0.5 lookup 100 pref 100'])
    const text = exportScript(world, { prefix: 'pwT1e-' })
    expect(bashSyntax(text)).toBe('ok')
    expect(text).toContain('  ip -n "${P}a" route add default via 10.0.0.1 dev eth0 table 100\n  ip -n "${P}a" rule del pref 32767 lookup default\n  ip -n "${P}a" rule add from 10.0.0.5 lookup 100 pref 100\n')
  })
})
