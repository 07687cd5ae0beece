import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { importDumps } from '../../engine/import/importDump.ts'
import { importToWorld } from '../../engine/import/toWorld.ts'
import { traceWorldAll } from '../../engine/trace.ts'
import { cidrContains } from '../../engine/wire/addr.ts'
import { anonymiseInputs, createAnonymiser } from './anonymise.ts'

const CAPTURED = new URL('../../engine/import/fixtures/captured/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')

const toInt = (ip: string) => ip.split('.').reduce((v, o) => v * 256 + Number(o), 0)
const fromInt = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.')
/** Leading bits two addresses share. */
const shared = (a: string, b: string) => {
  const x = (toInt(a) ^ toInt(b)) >>> 0
  return x === 0 ? 32 : Math.clz32(x)
}

describe('addresses', () => {
  const a = createAnonymiser('test-key')

  it.each([
    // [address, why it must come out unchanged]
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'the any address'],
    ['169.254.1.1', "Calico's link-local gateway: the CNI depends on it"],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'limited broadcast'],
    ['203.0.113.7', 'documentation range: already a placeholder'],
  ])('%s is kept (%s)', (ip) => {
    expect(a.ip(ip)).toBe(ip)
  })

  it.each([
    // [address, range it must stay in]
    ['10.244.1.7', '10.0.0.0/8'],
    ['172.18.0.2', '172.16.0.0/12'],
    ['192.168.50.11', '192.168.0.0/16'],
    ['100.64.3.9', '100.64.0.0/10'],
  ])('%s stays private (in %s) and keeps its last octet', (ip, range) => {
    const m = a.ip(ip)
    expect(cidrContains(range, m)).toBe(true)
    expect(m.split('.')[3]).toBe(ip.split('.')[3])
  })

  it('changes the middle of an address (else nothing would be hidden)', () => {
    // 16 keyed bits: the chance that both 10.244.1.7 and 192.168.50.11 keep their middle bits is 2^-20 or less.
    expect([a.ip('10.244.1.7'), a.ip('192.168.50.11')]).not.toEqual(['10.244.1.7', '192.168.50.11'])
  })

  it('keeps networks networks, and interface addresses their host bits', () => {
    // 10.244.0.0/16 has zero host bits: the placeholder does too. 10.244.1.1/24 is cni0's address, not a network.
    expect(a.cidr('10.244.0.0/16')).toMatch(/^10\.\d+\.0\.0\/16$/)
    expect(a.cidr('10.96.0.0/12')).toMatch(/^10\.\d+\.0\.0\/12$/)
    expect(a.cidr('10.244.1.1/24')).toBe(`${a.ip('10.244.1.1')}/24`)
    expect(a.cidr('10.244.1.0/24')).toBe(`${a.ip('10.244.1.0')}/24`)
  })

  propTest.prop([fc.nat(0xffffffff), fc.nat(0xffffffff)])('two addresses share exactly as many leading bits after as before', (x, y) => {
    const [p, q] = [fromInt(x >>> 0), fromInt(y >>> 0)]
    expect(shared(a.ip(p), a.ip(q))).toBe(shared(p, q))
  })

  propTest.prop([fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), fc.nat(0xffffffff)])('an address is in a CIDR exactly when its placeholder is in the CIDR’s placeholder', (net, len, x) => {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
    const cidr = `${fromInt((net & mask) >>> 0)}/${len}`
    const ip = fromInt(x >>> 0)
    expect(cidrContains(a.cidr(cidr), a.ip(ip))).toBe(cidrContains(cidr, ip))
  })

  it('depends on the key, and only on the key', () => {
    const ips = ['10.244.1.7', '192.168.50.11', '172.18.0.2', '8.8.8.8']
    expect(ips.map(createAnonymiser('test-key').ip)).toEqual(ips.map(a.ip))
    expect(ips.map(createAnonymiser('another key').ip)).not.toEqual(ips.map(a.ip))
  })
})

describe('MACs', () => {
  const a = createAnonymiser('test-key')
  it.each([
    ['00:00:00:00:00:00', "flannel's flood entry"],
    ['ff:ff:ff:ff:ff:ff', 'broadcast'],
    ['ee:ee:ee:ee:ee:ee', "Calico's fixed host-side MAC"],
    ['01:00:5e:00:00:fb', 'multicast'],
  ])('%s is kept (%s)', (mac) => {
    expect(a.mac(mac)).toBe(mac)
  })

  it("maps the CNI bridge plugin's 0a:58:<ip> MAC through the address map", () => {
    // 0a:58:0a:f4:01:02 is 10.244.1.2's MAC: its placeholder must embed 10.244.1.2's placeholder.
    const ip = a.ip('10.244.1.2').split('.').map((o) => Number(o).toString(16).padStart(2, '0'))
    expect(a.mac('0a:58:0a:f4:01:02')).toBe(`0a:58:${ip.join(':')}`)
  })

  it('gives other MACs distinct, locally administered placeholders', () => {
    const m = ['52:54:00:00:50:11', '52:54:00:00:50:12', '3e:dc:b8:0c:07:b6'].map(a.mac)
    for (const x of m) expect(x).toMatch(/^02(:[0-9a-f]{2}){5}$/)
    expect(new Set(m).size).toBe(3)
    expect(a.mac('52:54:00:00:50:11')).toBe(m[0])
  })
})

describe('names', () => {
  it.each([
    // [text, what must be gone, what must be there]
    ['root@k8s-worker1:~# ip route\n', 'k8s-worker1', 'root@node-1:~# ip route'],
    ['[alice@build-box-7 ~]# ip route\n', 'alice', '[user-1@node-1 ~]# ip route'],
    ['controlplane:~$ ip route\n', 'controlplane', 'node-1:~$ ip route'],
    ['### packetwalk-bundle v1 node=gke-prod-pool-1-abcd\n', 'gke-prod', 'node=node-1'],
    ['-A KUBE-SERVICES -d 10.96.45.10/32 -p tcp -m comment --comment "payments/checkout-api:http cluster IP" -j KUBE-SVC-ABCDEFGHIJKLMNOP\n', 'checkout', '"ns-1/svc-1:http cluster IP"'],
    ['search payments.svc.cluster.local svc.cluster.local cluster.local corp.acme.io\n', 'acme', 'search ns-1.svc.cluster.local svc.cluster.local cluster.local domain-1.example'],
  ])('%j', (text, gone, there) => {
    const out = anonymiseInputs([{ name: 'paste 1', text }], 'k').inputs[0]!.text
    expect(out).not.toContain(gone)
    expect(out).toContain(there)
  })

  it('keeps names that identify nothing: kube-system, kube-dns, root', () => {
    const text = 'root@w-1:~# iptables-save\n-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns" -j KUBE-SEP-IT2ZTR26TO4XFPTO\n'
    expect(anonymiseInputs([{ name: 'p', text }], 'k').inputs[0]!.text).toContain('"kube-system/kube-dns:dns"')
  })

  it('renames a host called like a word the dump uses only where it names the host', () => {
    // A node called "master": `master cni0` in ip link must survive, the prompt must not.
    const text = 'root@master:~# ip link\n5: veth1@if2: <UP> mtu 1450 master cni0 state UP\n'
    const out = anonymiseInputs([{ name: 'p', text }], 'k').inputs[0]!.text
    expect(out).toContain('root@node-1:~# ip link')
    expect(out).toContain('master cni0')
  })

  it('renames a node consistently across inputs, their names and node fields', () => {
    const r = anonymiseInputs(
      [
        { name: 'k8s-worker1.bundle.txt', text: '### packetwalk-bundle v1 node=k8s-worker1\n' },
        { name: 'paste 2', text: 'root@k8s-worker1:~# ip route\n', node: 'k8s-worker1' },
      ],
      'k',
    )
    expect(r.inputs.map((i) => [i.name, i.node])).toEqual([
      ['node-1.bundle.txt', undefined],
      ['paste 2', 'node-1'],
    ])
    expect(r.inputs[1]!.text).toBe('root@node-1:~# ip route\n')
  })

  it('replaces kube-proxy chain hashes consistently (they are hashes of Service names)', () => {
    const text = ':KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-TCOU7JCQXEZGVUNU\n'
    const out = anonymiseInputs([{ name: 'p', text }], 'k').inputs[0]!.text
    const names = out.match(/KUBE-SVC-[A-Z2-7]{16}/g)!
    expect(names).toHaveLength(2)
    expect(names[0]).toBe(names[1])
    expect(names[0]).not.toBe('KUBE-SVC-TCOU7JCQXEZGVUNU')
  })

  propTest.prop([fc.string({ maxLength: 400 })])('never throws on arbitrary text', (text) => {
    expect(() => anonymiseInputs([{ name: 'x', text }], 'k')).not.toThrow()
  })
})

describe('an anonymised dump is the same node', () => {
  const bundle = captured('n1.bundle.txt')
  const plain = importDumps([{ name: 'n1.bundle.txt', text: bundle }])
  const anon = anonymiseInputs([{ name: 'n1.bundle.txt', text: bundle }], 'share-key')
  const hidden = importDumps(anon.inputs)

  it('hides the addresses, MACs and the node name', () => {
    const text = anon.inputs[0]!.text
    for (const secret of ['192.168.50.11', '10.244.1.2 ', 'pwB-node1', '52:54:00:00:50:11', '10.96.45.10']) expect(text).not.toContain(secret)
    expect(anon.counts.addresses).toBeGreaterThan(20)
  })

  it('imports to the same shape: interfaces, routes, chains, pods, Services, nothing more not understood', () => {
    const shape = (r: typeof plain) =>
      r.nodes.map((n) => ({
        interfaces: n.interfaces.map((l) => `${l.name} ${l.kind} ${l.addrs.length}`),
        routes: n.routes.length,
        chains: Object.values(n.chains).map((c) => Object.keys(c).length),
        pods: n.inferred.pods.map((p) => `${p.local} ${p.how.join(',')} ${p.endpointOf?.length ?? 0}`),
        services: n.inferred.services.map((s) => `${s.protocol} ${s.port} ${s.endpoints.length}`),
        cni: n.inferred.cni?.value,
        podCidrLen: n.inferred.podCidr?.value.split('/')[1],
      }))
    expect(shape(hidden)).toEqual(shape(plain))
    expect(hidden.notUnderstood.length).toBe(plain.notUnderstood.length)
    expect(hidden.nodes[0]!.name).toBe('node-1')
  })

  it('traces the same: a ClusterIP packet reaches the same backends with the same odds', () => {
    // default/web 10.96.45.10:80 → two endpoints at 0.5 each; the anonymised Service must behave alike.
    const outcomes = (r: typeof plain) => {
      const w = importToWorld(r)
      const svc = r.nodes[0]!.inferred.services.find((s) => s.nodePort !== undefined)!
      const pod = r.nodes[0]!.inferred.pods.find((p) => p.local && p.hostVeth)!
      return traceWorldAll(w, { from: pod.ip, to: svc.clusterIP!, proto: 'tcp', dport: svc.port!, roundTrip: true }, { seed: 1, now: 0 })
        .map((o) => `${o.verdict} ${o.probability.toFixed(2)} ${o.reply?.verdict ?? '-'}`)
        .sort()
    }
    expect(outcomes(hidden)).toEqual(outcomes(plain))
  })
})
