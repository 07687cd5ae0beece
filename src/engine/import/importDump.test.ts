import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { importDumps } from './importDump.ts'
import { printImportSummary } from './summary.ts'
import { splitLines } from './text.ts'
import type { DumpInput, ImportResult } from './types.ts'

const CAPTURED = new URL('./fixtures/captured/', import.meta.url).pathname
const REAL = new URL('../../fixtures/real-dumps/', import.meta.url).pathname
const GOLDEN = new URL('./golden/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')

/** A folder as the CLI reads it: one input per file, the node named after the folder. */
function folder(dir: string, node = dir, only?: (f: string) => boolean): DumpInput[] {
  return readdirSync(REAL + dir)
    .sort()
    .filter((f) => only?.(f) ?? true)
    .map((f) => ({ name: f, text: readFileSync(`${REAL}${dir}/${f}`, 'utf8'), node }))
}
const files = (node: string, names: string[]): DumpInput[] => names.map((f) => ({ name: f, text: captured(f), node }))

/** Compare with the golden summary beside the tests; UPDATE_GOLDEN=1 rewrites it. */
function golden(name: string, r: ImportResult): void {
  const path = `${GOLDEN}${name}.summary.txt`
  const text = printImportSummary(r)
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text)
  expect(text).toBe(readFileSync(path, 'utf8'))
}

const MESSY = [
  "Hi, my pods can't reach kube-dns. Here is what I ran:",
  '```',
  'root@k8s-worker1:~# ip -c addr',
  captured('n1.ip-c-addr.txt').trimEnd().replace(/\n/g, '\r\n'),
  'root@k8s-worker1:~# ip route show',
  captured('n1.ip-route.txt').trimEnd().replace(/\n/g, '   \n'),
  'root@k8s-worker1:~# iptables-save | grep kube-dns',
  captured('n1.iptables-save.txt')
    .split('\n')
    .filter((l) => l.includes('kube-dns'))
    .join('\n'),
  'root@k8s-worker1:~# bridge fdb show dev flannel.1',
  captured('n1.bridge-fdb-flannel1.txt').trimEnd(),
  '```',
  'thanks!',
  '',
].join('\n')

describe('real dumps from other clusters (src/fixtures/real-dumps): golden summaries', () => {
  const cases: [string, () => DumpInput[]][] = [
    ['calico-bgp-kind-tkng', () => folder('calico-bgp-kind-tkng')],
    ['flannel-vxlan-kind-tkng', () => folder('flannel-vxlan-kind-tkng')],
    // The lab's outputs before and after installing flannel are two states of one node.
    ['flannel-vxlan-kubeadm-2025-cilium_lab', () => [...folder('flannel-vxlan-kubeadm-2025-cilium_lab', 'flannel-ctr-before', (f) => f.includes('before')), ...folder('flannel-vxlan-kubeadm-2025-cilium_lab', 'flannel-ctr', (f) => !f.includes('before'))]],
    ['flannel-k8s-2019-qifangsu-iptables-L', () => folder('flannel-k8s-2019-qifangsu-iptables-L')],
    ['flannel-kubeadm-iptables-L-zakaria', () => folder('flannel-kubeadm-iptables-L-zakaria')],
    ['ipvs-kind-tkng', () => folder('ipvs-kind-tkng')],
    ['nft-iptables-nft-kubeadm-saifsust', () => folder('nft-iptables-nft-kubeadm-saifsust')],
  ]
  it('covers every folder', () => {
    expect(cases.map(([n]) => n).sort()).toEqual(readdirSync(REAL).filter((f) => !f.endsWith('.md')).sort())
  })
  it.each(cases)('%s', (name, inputs) => {
    const r = importDumps(inputs())
    // Real output must be understood line for line.
    expect(r.notUnderstood).toEqual([])
    golden(name, r)
  })
})

describe('dumps captured on a real kernel (fixtures/captured): golden summaries', () => {
  const n1 = ['n1.ip-d-addr.txt', 'n1.ip-route.txt', 'n1.ip-neigh.txt', 'n1.bridge-fdb.txt', 'n1.bridge-d-link.txt', 'n1.iptables-save.txt', 'n1.conntrack-L.txt', 'n1.sysctl-a-grep.txt']
  const cases: [string, () => DumpInput[]][] = [
    ['captured-n1-bundle', () => [{ name: 'n1.bundle.txt', text: captured('n1.bundle.txt') }]],
    ['captured-n1-files', () => files('n1', n1)],
    ['captured-n1-json', () => files('n1', ['n1.ip-j-addr.txt', 'n1.ip-j-d-link.txt', 'n1.ip-jp-route.txt', 'n1.ip-j-neigh.txt', 'n1.bridge-j-fdb.txt'])],
    ['captured-n2-files', () => files('n2', ['n2.ip-addr.txt', 'n2.ip-d-link.txt', 'n2.ip-route.txt', 'n2.ip-neigh.txt', 'n2.bridge-fdb.txt', 'n2.bridge-link.txt', 'n2.iptables-save.txt', 'n2.iptables-legacy-save.txt'])],
    ['captured-n3-files', () => files('n3', ['n3.ip-addr.txt', 'n3.ip-d-link.txt', 'n3.ip-route.txt', 'n3.ip-neigh.txt', 'n3.bridge-fdb.txt'])],
    ['messy-paste', () => [{ name: 'paste', text: MESSY }]],
  ]
  it.each(cases)('%s', (name, inputs) => golden(name, importDumps(inputs())))
})

describe('what the import understood', () => {
  it('a flannel node: Services, endpoints with their probabilities, pods from veth/FDB/neighbour/DNAT', () => {
    const n = importDumps([{ name: 'b', text: captured('n1.bundle.txt') }]).nodes[0]!
    expect(n.name).toBe('pwB-node1')
    const svc = n.inferred.services.find((s) => s.name === 'kube-dns')!
    // `-m statistic --probability 0.5` then the last rule: 1/2 each.
    expect(svc).toMatchObject({ namespace: 'kube-system', portName: 'dns', protocol: 'udp', clusterIP: '10.96.0.10', port: 53 })
    expect(svc.endpoints.map((e) => [e.ip, e.port, e.probability])).toEqual([['10.244.1.3', 53, 0.5], ['10.244.2.2', 53, 0.5]])
    expect(n.inferred.services.find((s) => s.name === 'web')).toMatchObject({ nodePort: 30080, clusterIP: '10.96.45.10' })
    // 10.244.1.2: learned FDB entry on veth1a2b3c4d + neighbour with the same MAC on cni0.
    expect(n.inferred.pods.find((p) => p.ip === '10.244.1.2')).toMatchObject({ local: true, hostVeth: 'veth1a2b3c4d', mac: '0a:58:0a:f4:01:02' })
    // 10.244.1.200: the /32 route to its cali host end.
    expect(n.inferred.pods.find((p) => p.ip === '10.244.1.200')).toMatchObject({ local: true, hostVeth: 'cali1a2b3c4d5e6' })
    // 10.244.2.2 is only a DNAT target, in another node's pod CIDR.
    expect(n.inferred.pods.find((p) => p.ip === '10.244.2.2')).toMatchObject({ local: false, how: ['dnat'] })
    // The API server endpoint is the node's own address, not a pod.
    expect(n.inferred.pods.some((p) => p.ip === '192.168.50.11')).toBe(false)
    expect(n.inferred.clusterCidr?.value).toBe('10.244.0.0/16')
    expect(n.inferred.podCidr?.value).toBe('10.244.1.0/24')
    expect(n.inferred.remoteNodes).toMatchObject([{ ip: '192.168.50.12', podCidr: '10.244.2.0/24', vtepMac: '0a:58:0a:f4:02:00' }])
    expect(n.sysctls).toMatchObject({ 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true })
    expect(n.cniConfigs).toEqual([{ file: '/etc/cni/net.d/10-flannel.conflist', name: 'cbr0', types: ['flannel', 'portmap'] }])
  })

  it('cluster and pod CIDR from flannel and kube-proxy rules alone', () => {
    const r = importDumps(folder('flannel-vxlan-kubeadm-2025-cilium_lab', 'ctr', (f) => f === 'iptables-nat-S.txt'))
    const inf = r.nodes[0]!.inferred
    // `! -s 10.244.0.0/16 -d 10.96.0.10/32 … -j KUBE-MARK-MASQ` and flannel's MASQUERADE `-s 10.244.0.0/16 ! -d 224.0.0.0/4`.
    expect(inf.clusterCidr?.value).toBe('10.244.0.0/16')
    // `! -s 10.244.0.0/16 -d 10.244.0.0/24 -j RETURN`: traffic to this node's pods is not masqueraded.
    expect(inf.podCidr).toEqual({ value: '10.244.0.0/24', from: [{ file: 'iptables-nat-S.txt', line: 30 }] })
    // kube-dns endpoints 10.244.2.2/.3 are in the cluster CIDR but not this node's /24.
    expect(inf.pods.map((p) => [p.ip, p.local])).toEqual([['10.244.2.2', false], ['10.244.2.3', false]])
    expect(inf.services.map((s) => `${s.name}:${s.portName} ${s.endpoints.length}`)).toEqual(['kubernetes:https 1', 'kube-dns:dns 2', 'kube-dns:dns-tcp 2', 'kube-dns:metrics 2'])
  })

  it('the unsupported formats of the real dumps get the helpful message', () => {
    const r = importDumps([...folder('flannel-kubeadm-iptables-L-zakaria'), ...folder('nft-iptables-nft-kubeadm-saifsust'), ...folder('ipvs-kind-tkng')])
    expect(r.unsupported.map((u) => [u.file, u.format])).toEqual([
      ['iptables-filter-L.txt', 'iptables-L'],
      ['iptables-nat-L.txt', 'iptables-L'],
      ['nft-chain-KUBE-SERVICES-controlplane.txt', 'nft'],
      ['nft-chain-KUBE-SERVICES-node01.txt', 'nft'],
      ['ipvsadm-ln.txt', 'ipvsadm'],
    ])
    expect(r.unsupported[0]!.message).toContain('run `iptables-save` instead')
    expect(r.nodes.find((n) => n.name === 'ipvs-kind-tkng')!.inferred.kubeProxyMode?.value).toBe('ipvs')
  })

  it('a messy paste: prompts name the node, author lines are listed, the grep excerpt gives the Service', () => {
    const r = importDumps([{ name: 'paste', text: MESSY }])
    expect(r.nodes.map((n) => n.name)).toEqual(['k8s-worker1'])
    expect(r.notUnderstood.map((u) => u.text)).toEqual(["Hi, my pods can't reach kube-dns. Here is what I ran:", 'thanks!'])
    const n = r.nodes[0]!
    expect(n.interfaces.find((l) => l.name === 'cni0')!.addrs).toEqual([{ ip: '10.244.1.1', len: 24, scope: 'global' }])
    expect(n.routes.length).toBe(8)
    // `bridge fdb show dev flannel.1` prints no dev: the command gives it.
    expect(n.fdb.map((f) => f.dev)).toEqual(['flannel.1', 'flannel.1'])
    const dns = n.inferred.services.find((s) => s.name === 'kube-dns')!
    expect(dns.endpoints.map((e) => e.ip)).toEqual(['10.244.1.3', '10.244.2.2'])
    expect(Object.keys(n.chains)).toEqual(['nat'])
  })

  it('`iptables-save | grep KUBE-SERVICES` spans two tables: each part lands in its own', () => {
    const ex = captured('n1.iptables-save.txt').split('\n').filter((l) => l.includes('KUBE-SERVICES')).join('\n')
    const r = importDumps([{ name: 'p', text: `root@n1:~# iptables-save | grep KUBE-SERVICES\n${ex}\n` }])
    expect(r.notUnderstood).toEqual([])
    // The second `:KUBE-SERVICES - [0:0]` starts the nat part (KUBE-SVC-… jumps say nat).
    expect(r.nodes[0]!.chains.filter).toMatchObject({ FORWARD: 1, OUTPUT: 1, 'KUBE-SERVICES': 0 })
    expect(r.nodes[0]!.chains.nat).toMatchObject({ PREROUTING: 1, OUTPUT: 1, 'KUBE-SERVICES': 4 })
    expect(r.nodes[0]!.inferred.services.map((s) => s.clusterIP)).toEqual(['10.96.0.1', '10.96.45.10', '10.96.0.10'])
  })

  it('is plain JSON: it survives a round trip through JSON text unchanged', () => {
    const r = importDumps([{ name: 'b', text: captured('n1.bundle.txt') }, { name: 'p', text: MESSY }])
    expect(JSON.parse(JSON.stringify(r))).toEqual(r)
  })

  it('several nodes in one paste, and a folder name that overrides the prompt', () => {
    const text = `root@node1:~# ip route\n${captured('n1.ip-route.txt')}root@node2:~# ip route\n${captured('n2.ip-route.txt')}`
    expect(importDumps([{ name: 'p', text }]).nodes.map((n) => n.name)).toEqual(['node1', 'node2'])
    expect(importDumps([{ name: 'p', text, node: 'folder' }]).nodes.map((n) => n.name)).toEqual(['folder'])
  })

  it('a `hostname` output names the node of a paste without prompts', () => {
    const r = importDumps([{ name: 'p', text: `$ hostname\nk8s-w3\n$ ip route\n${captured('n1.ip-route.txt')}` }])
    expect(r.nodes.map((n) => [n.name, n.nameFrom])).toEqual([['k8s-w3', 'hostname']])
  })

  it('br_netfilter not loaded: sysctl cannot stat the key, so bridged traffic skips iptables', () => {
    const n = importDumps([{ name: 's', text: 'net.ipv4.ip_forward = 1\nsysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n' }]).nodes[0]!
    expect(n.sysctls).toEqual({ 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': false })
  })

  it('a legacy and an nf_tables ruleset for the same table: both are live in the kernel, the first read is kept and it says so', () => {
    const r = importDumps(files('n2', ['n2.iptables-save.txt', 'n2.iptables-legacy-save.txt']))
    expect(r.diagnostics.find((d) => d.code === 'IP014')).toBeDefined()
    expect(r.nodes[0]!.ruleset.tables.nat!.chains.POSTROUTING!.rules[0]!.raw).toContain('flanneld masq')
  })
})

describe('every line is accounted for exactly once', () => {
  function check(inputs: DumpInput[]): void {
    const r = importDumps(inputs)
    for (const input of inputs) {
      const n = splitLines(input.text).length
      const blocks = r.blocks.filter((b) => b.file === input.name)
      let next = 1
      for (const b of blocks) {
        expect(b.startLine).toBe(next)
        next = b.endLine + 1
      }
      expect(next - 1).toBe(n)
      const nu = r.notUnderstood.filter((u) => u.file === input.name).map((u) => u.line)
      expect(new Set(nu).size).toBe(nu.length)
      // A line not understood is never also part of a recognised-but-unsupported block.
      const unsupported = blocks.filter((b) => r.unsupported.some((u) => u.file === b.file && u.line === b.startLine))
      for (const line of nu) expect(unsupported.some((b) => line >= b.startLine && line <= b.endLine)).toBe(false)
    }
  }

  it('on every fixture', () => {
    for (const f of readdirSync(CAPTURED)) check([{ name: f, text: captured(f) }])
    check([{ name: 'paste', text: MESSY }])
  })

  const pool = [captured('n1.bundle.txt'), captured('n1.iptables-L.txt'), captured('n1.ip-jp-route.txt'), captured('n1.conntrack-L.txt'), captured('n1.iptables-nat-S.txt'), MESSY].join('\n').split('\n')
  propTest.prop([fc.array(fc.oneof(fc.constantFrom(...pool), fc.string({ maxLength: 30 })), { maxLength: 80 })], { numRuns: 60 })('on shuffled real lines and noise, without throwing', (lines) => {
    check([{ name: 'a', text: lines.join('\n') }, { name: 'b', text: lines.slice().reverse().join('\r\n') }])
  })
})
