import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildCluster, checkPodAddresses } from './build.ts'
import { calicoVethName } from './cni.ts'
import { printAddrs, printBridgeFdb, printIpNeigh, printIpRoute, printLinks, printSysctls } from './printers.ts'
import { printResolvConf } from './dns.ts'
import { printBgpStatus } from './calico.ts'
import { config, desc, kindNodes, pod, WEB } from './testClusters.ts'
import type { World } from '../model/types.ts'

const FIXTURES = new URL('../../fixtures/real-dumps/', import.meta.url).pathname
const GOLDEN = new URL('./golden/', import.meta.url).pathname

function fixture(path: string): string {
  return readFileSync(`${FIXTURES}${path}`, 'utf8')
}

/** Compare with a golden file (UPDATE_GOLDEN=1 rewrites it). */
function golden(name: string, text: string): void {
  const path = `${GOLDEN}${name}.txt`
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text)
  expect(text).toBe(readFileSync(path, 'utf8'))
}

const lines = (t: string) => t.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')
const macs = (t: string) => t.replace(/\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/g, '<mac>')

function dump(world: World, cluster: ReturnType<typeof buildCluster>['cluster']): string {
  const out: string[] = []
  for (const node of world.nodes) {
    const ns = world.netns[node]!
    out.push(`### ${node}`, '# ip link', printLinks(ns), '# ip addr', printAddrs(ns), '# ip route', printIpRoute(ns), '# ip neigh', printIpNeigh(ns), '# bridge fdb show', printBridgeFdb(ns), '# sysctl', printSysctls(ns))
    for (const p of cluster.pods.filter((x) => x.node === node && x.netns)) {
      const pns = world.netns[p.netns!]!
      out.push(`## pod ${p.netns!} (${p.ip ?? 'no IP'})`, printLinks(pns), printIpRoute(pns), printResolvConf(pns.resolvConf!))
    }
  }
  return out.join('\n')
}

const CNIS = {
  'flannel-vxlan': '{plugin: flannel, backend: vxlan}',
  'flannel-host-gw': '{plugin: flannel, backend: host-gw}',
  'calico-bgp': '{plugin: calico, mode: bgp}',
  'calico-ipip': '{plugin: calico, mode: ipip}',
} as const

function build(cni: string, body = WEB + pod('client', 'k8s-guide-worker2', { app: 'client' }, []), seed = 1) {
  return buildCluster(desc(config(cni) + kindNodes() + body), { seed })
}

describe.each(Object.entries(CNIS))('%s: a 3-node cluster', (name, cni) => {
  const r = build(cni)
  it('builds without diagnostics, every pod has a unique address in its node podCIDR', () => {
    expect(r.diagnostics).toEqual([])
    expect(checkPodAddresses(r.cluster)).toEqual([])
    expect(r.cluster.pods.filter((p) => !p.ip)).toEqual([])
  })
  it('each node iptables-save (kube-proxy + CNI) parses with the netfilter grammar, zero diagnostics', () => {
    for (const n of r.world.nodes) {
      expect(r.cluster.rules[n]!.diagnostics).toEqual([])
      expect(Object.keys(r.world.netns[n]!.netfilter.tables).sort()).toEqual(['filter', 'mangle', 'nat'])
    }
  })
  it('nodes have ip_forward=1 and bridge-nf-call-iptables=1 (kubeadm prerequisites)', () => {
    for (const n of r.world.nodes) expect(r.world.netns[n]!.sysctl).toMatchObject({ 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true })
  })
  it('is deterministic for a seed and differs for another', () => {
    expect(JSON.stringify(build(cni).world)).toBe(JSON.stringify(r.world))
    expect(JSON.stringify(build(cni, undefined, 2).world)).not.toBe(JSON.stringify(r.world))
  })
  it('matches the golden Linux state', () => {
    golden(`${name}-state`, dump(r.world, r.cluster))
  })
})

describe('flannel vxlan matches what flanneld writes on a real node', () => {
  const r = build(CNIS['flannel-vxlan'])
  const w2 = r.world.netns['k8s-guide-worker2']!
  it('ip route on k8s-guide-worker2 equals the tkng kind dump', () => {
    // Same nodes, IPs and podCIDRs as the fixture; one pod on the node, so cni0 exists.
    expect(lines(printIpRoute(w2))).toEqual(lines(fixture('flannel-vxlan-kind-tkng/ip-route.txt')))
  })
  it('PERMANENT neighbours and flannel.1 FDB entries have the fixture form, one per remote VTEP', () => {
    expect(lines(macs(printIpNeigh(w2)))).toEqual(lines(macs(fixture('flannel-vxlan-kind-tkng/ip-neigh-permanent.txt'))).sort())
    const fdb = lines(printBridgeFdb(w2)).filter((l) => l.includes('dev flannel.1')).map((l) => l.replace(' dev flannel.1', ''))
    expect(fdb.map(macs).sort()).toEqual(lines(macs(fixture('flannel-vxlan-kind-tkng/bridge-fdb-flannel1.txt'))).sort())
    // The neighbour's lladdr, the FDB MAC and the remote flannel.1's own MAC are the same VTEP MAC.
    const cp = r.world.netns['k8s-guide-control-plane']!.links.find((l) => l.name === 'flannel.1')!
    expect(printIpNeigh(w2)).toContain(`10.244.0.0 dev flannel.1 lladdr ${cp.mac} PERMANENT`)
    expect(printBridgeFdb(w2)).toContain(`${cp.mac} dev flannel.1 dst 172.18.0.3 self permanent`)
  })
  it('flannel.1 is vxlan id 1 dstport 8472 nolearning, mtu 1450, address <podCIDR>.0/32; cni0 has .1/24', () => {
    const links = printLinks(w2)
    expect(links).toMatch(/flannel\.1 mtu 1450 UP \S+ vxlan id 1 local 172\.18\.0\.2 dev eth0 dstport 8472 nolearning/)
    expect(printAddrs(w2)).toContain('flannel.1 10.244.2.0/32')
    expect(printAddrs(w2)).toContain('cni0 10.244.2.1/24')
  })
  it('FLANNEL-POSTRTG equals the kubeadm 2025 dump for the node with 10.244.0.0/24', () => {
    const want = lines(fixture('flannel-vxlan-kubeadm-2025-cilium_lab/iptables-nat-S.txt')).filter((l) => l.startsWith('-A FLANNEL-POSTRTG') || l.includes('-j FLANNEL-POSTRTG'))
    const got = lines(r.cluster.rules['k8s-guide-control-plane']!.save).filter((l) => l.startsWith('-A FLANNEL-POSTRTG') || l.includes('-j FLANNEL-POSTRTG'))
    expect(got).toEqual(want)
  })
  it('FLANNEL-FWD accepts the cluster CIDR both ways, after kube-proxy jumps in FORWARD (zakaria dump order)', () => {
    const save = lines(r.cluster.rules['k8s-guide-worker2']!.save)
    expect(save).toContain('-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT')
    expect(save).toContain('-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT')
    const fwd = save.filter((l) => l.startsWith('-A FORWARD')).map((l) => /-j (\S+)/.exec(l)![1])
    // iptables -L FORWARD in the zakaria dump: KUBE-PROXY-FIREWALL, KUBE-FORWARD, KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, FLANNEL-FWD
    expect(fwd).toEqual(['KUBE-PROXY-FIREWALL', 'KUBE-FORWARD', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'FLANNEL-FWD'])
  })
  it('subnet.env and the flannel conflist', () => {
    const node = r.cluster.nodes.find((n) => n.name === 'k8s-guide-worker2')!
    expect(node.flannel!.subnetEnv).toBe('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n')
    expect(node.cniConfFile).toBe('/etc/cni/net.d/10-flannel.conflist')
    expect(JSON.parse(node.cniConf)).toMatchObject({ name: 'cbr0', plugins: [{ type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } }, { type: 'portmap' }] })
  })
  it('a pod: eth0 /24 mtu 1450, default and cluster-CIDR routes via the cni0 gateway, kubelet resolv.conf', () => {
    const client = r.cluster.pods.find((p) => p.name === 'client')!
    const ns = r.world.netns[client.netns!]!
    expect(lines(printIpRoute(ns))).toEqual(['default via 10.244.2.1 dev eth0', '10.244.0.0/16 via 10.244.2.1 dev eth0', `10.244.2.0/24 dev eth0 proto kernel scope link src ${client.ip!}`])
    expect(ns.links.find((l) => l.name === 'eth0')!.mtu).toBe(1450)
    expect(printResolvConf(ns.resolvConf!)).toBe('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n')
    // the host end is a cni0 port with hairpin on
    expect(printLinks(r.world.netns['k8s-guide-worker2']!)).toContain(`${client.hostVeth!} mtu 1450 UP`)
    expect(r.world.netns['k8s-guide-worker2']!.links.find((l) => l.name === client.hostVeth)).toMatchObject({ master: 'cni0', hairpin: true })
  })
})

describe('flannel host-gw', () => {
  it('routes remote podCIDRs via the node IPs on eth0, no flannel.1, MTU 1500', () => {
    const r = build(CNIS['flannel-host-gw'])
    const ns = r.world.netns['k8s-guide-worker2']!
    expect(lines(printIpRoute(ns))).toEqual(['default via 172.18.0.1 dev eth0', '10.244.0.0/24 via 172.18.0.3 dev eth0', '10.244.1.0/24 via 172.18.0.4 dev eth0', '10.244.2.0/24 dev cni0 proto kernel scope link src 10.244.2.1', '172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.2'])
    expect(ns.links.some((l) => l.name === 'flannel.1')).toBe(false)
    expect(ns.links.find((l) => l.name === 'cni0')!.mtu).toBe(1500)
    expect(printIpNeigh(ns)).toBe('')
  })
})

describe('Calico matches what calico-node writes on a real node', () => {
  const blocks: [string, string, string] = ['10.244.175.0/24', '10.244.236.0/24', '10.244.190.0/24']
  const nodes = kindNodes(blocks).replace('172.18.0.3', '172.18.0.X').replace('172.18.0.2', '172.18.0.3').replace('172.18.0.X', '172.18.0.5')
  // tkng: worker2 = 172.18.0.3 (block .190), the others 172.18.0.4 (.175) and 172.18.0.5 (.236)
  const fixedNodes = nodes.replace('{type: InternalIP, address: 172.18.0.5}, {type: Hostname, address: k8s-guide-control-plane}', '{type: InternalIP, address: 172.18.0.4}, {type: Hostname, address: k8s-guide-control-plane}').replace('{type: InternalIP, address: 172.18.0.4}, {type: Hostname, address: k8s-guide-worker}', '{type: InternalIP, address: 172.18.0.5}, {type: Hostname, address: k8s-guide-worker}')
  const six = Array.from({ length: 6 }, (_, i) => pod(`p${i}`, 'k8s-guide-worker2', { app: 'p' }, [])).join('')
  const r = buildCluster(desc(config(CNIS['calico-bgp'], 'dns: {replicas: 1}\n') + fixedNodes + six), { seed: 1 })
  const w2 = r.world.netns['k8s-guide-worker2']!
  it('ip route on k8s-guide-worker2 has the tkng dump shape (bird routes, blackhole, /32 per pod on cali*)', () => {
    const norm = (t: string) => lines(t).map((l) => l.replace(/cali[0-9a-f]{11}/, 'caliX'))
    expect(r.diagnostics).toEqual([])
    expect(norm(printIpRoute(w2))).toEqual(norm(fixture('calico-bgp-kind-tkng/ip-route.txt')))
  })
  it('the cali host end: name from sha1(ns.pod), MAC ee:ee:ee:ee:ee:ee, proxy ARP, no address; the pod: /32 + 169.254.1.1', () => {
    const p0 = r.cluster.pods.find((p) => p.name === 'p0')!
    expect(p0.hostVeth).toBe(calicoVethName('default', 'p0'))
    expect(p0.hostVeth).toMatch(/^cali[0-9a-f]{11}$/)
    const host = w2.links.find((l) => l.name === p0.hostVeth)!
    expect(host).toMatchObject({ mac: 'ee:ee:ee:ee:ee:ee', proxyArp: true, addrs: [] })
    const ns = r.world.netns[p0.netns!]!
    expect(lines(printIpRoute(ns))).toEqual(['default via 169.254.1.1 dev eth0', '169.254.1.1 dev eth0 scope link'])
    expect(printAddrs(ns)).toContain(`eth0 ${p0.ip!}/32`)
  })
  it('BGP full mesh: 6 sessions, each node advertises its block', () => {
    expect(r.cluster.bgp!.sessions).toHaveLength(6)
    expect(r.cluster.bgp!.advertised).toEqual([
      { node: 'k8s-guide-control-plane', prefixes: ['10.244.175.0/24'] },
      { node: 'k8s-guide-worker', prefixes: ['10.244.236.0/24'] },
      { node: 'k8s-guide-worker2', prefixes: ['10.244.190.0/24'] },
    ])
    expect(printBgpStatus(r.cluster.bgp!, 'k8s-guide-worker2')).toContain('| 172.18.0.4    | node-to-node mesh | up    | 00:00:00 | Established |')
  })
  it('NetworkPolicy is enforced by Calico', () => {
    expect(r.cluster.policy).toMatchObject({ enforced: true, by: 'calico' })
  })
})

describe('Calico IPIP', () => {
  it('tunl0 with the first address of the block, remote blocks via tunl0 proto bird onlink, pod MTU 1480', () => {
    const r = build(CNIS['calico-ipip'])
    const ns = r.world.netns['k8s-guide-worker2']!
    expect(printAddrs(ns)).toContain('tunl0 10.244.2.0/32')
    expect(printLinks(ns)).toMatch(/tunl0 mtu 1480 UP \S+ NOARP ipip/)
    expect(lines(printIpRoute(ns))).toContain('10.244.0.0/24 via 172.18.0.3 dev tunl0 proto bird onlink')
    expect(lines(printIpRoute(ns))).toContain('blackhole 10.244.2.0/24 proto bird')
    // the tunnel took .0, so the first pod gets .1
    expect(r.cluster.pods.find((p) => p.name === 'client')!.ip).toBe('10.244.2.1')
    const client = r.cluster.pods.find((p) => p.name === 'client')!
    expect(r.world.netns[client.netns!]!.links.find((l) => l.name === 'eth0')!.mtu).toBe(1480)
  })
})

describe('built-ins and events', () => {
  const r = build(CNIS['flannel-vxlan'])
  it('kubernetes and kube-dns Services, two CoreDNS pods with DNS listeners and the node resolv.conf', () => {
    const svc = (n: string) => r.cluster.services.find((s) => s.metadata.name === n)!
    expect(svc('kubernetes').spec.clusterIP).toBe('10.96.0.1')
    expect(svc('kube-dns').spec.clusterIP).toBe('10.96.0.10')
    const dns = r.cluster.pods.filter((p) => p.labels['k8s-app'] === 'kube-dns')
    expect(dns).toHaveLength(2)
    const ns = r.world.netns[dns[0]!.netns!]!
    expect(ns.listeners).toEqual(expect.arrayContaining([{ proto: 'udp', port: 53, app: 'coredns', dns: true }, { proto: 'tcp', port: 53, app: 'coredns', dns: true }, { proto: 'tcp', port: 9153, app: 'coredns' }, { proto: 'tcp', port: 8080, app: 'coredns' }]))
    // dnsPolicy Default: CoreDNS resolves through the node's upstream, not through itself
    expect(ns.resolvConf).toEqual({ nameservers: ['8.8.8.8'], search: [], ndots: 1 })
    expect(r.cluster.dns.corefile).toContain('cache 30')
  })
  it('a pod starts as kubelet + containerd + CNI do it, in that order', () => {
    const key = `default/${r.cluster.pods.find((p) => p.name === 'client')!.name}`
    const kinds = r.events.filter((e) => e.pod === key).map((e) => e.kind)
    expect(kinds.slice(0, 2)).toEqual(['RunPodSandbox', 'CNI'])
    expect(kinds.indexOf('StartContainer')).toBeGreaterThan(kinds.lastIndexOf('CNI'))
  })
  it('flannel stores NetworkPolicy without enforcing it and says why', () => {
    expect(r.cluster.policy.enforced).toBe(false)
    expect(r.cluster.policy.reason).toContain('does not implement NetworkPolicy')
  })
  it('an external client sits on the underlay', () => {
    expect(r.world.netns.laptop).toMatchObject({ kind: 'client' })
    expect(printAddrs(r.world.netns.laptop!)).toBe('lo 127.0.0.1/8\neth0 172.18.0.100/16\n')
  })
  it('pods named after their ReplicaSet, labelled with pod-template-hash', () => {
    const web = r.cluster.pods.filter((p) => p.labels.app === 'web')
    expect(web).toHaveLength(2)
    for (const p of web) expect(p.name).toMatch(new RegExp(`^web-${p.labels['pod-template-hash']!}-[bcdfghjklmnpqrstvwxz2456789]{5}$`))
    expect(web[0]!.labels['pod-template-hash']).toMatch(/^[456789bcdf]{6,10}$/)
  })
})
