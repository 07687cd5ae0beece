import { describe, expect, it } from 'vitest'
import { answerQuery, clusterDnsResponder, printResolvConf, resolverQueries } from './dns.ts'
import { buildCluster } from './build.ts'
import { parseCluster } from './parseCluster.ts'

const RC = { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 }

describe('resolverQueries (glibc res_search)', () => {
  it.each([
    // short name: fewer dots than ndots → search list first, the name as is last
    ['web', ['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']],
    // 1 dot < 5: still searched first — why external names cost 4 queries in a pod
    ['example.com', ['example.com.default.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local', 'example.com']],
    // trailing dot: absolute, asked once
    ['web.default.svc.cluster.local.', ['web.default.svc.cluster.local']],
    // 4 dots < 5 (ndots edge): searched first
    ['web.default.svc.cluster.local', ['web.default.svc.cluster.local.default.svc.cluster.local', 'web.default.svc.cluster.local.svc.cluster.local', 'web.default.svc.cluster.local.cluster.local', 'web.default.svc.cluster.local']],
    // exactly 5 dots = ndots: as is first, then the search list
    ['a.b.c.d.e.f', ['a.b.c.d.e.f', 'a.b.c.d.e.f.default.svc.cluster.local', 'a.b.c.d.e.f.svc.cluster.local', 'a.b.c.d.e.f.cluster.local']],
  ])('%s', (name, expected) => {
    expect(resolverQueries(RC, name)).toEqual(expected)
  })

  it('ndots 1 with no search list (CoreDNS pods, dnsPolicy Default): the name only', () => {
    expect(resolverQueries({ search: [], ndots: 1 }, 'example.com')).toEqual(['example.com'])
  })

  it('prints resolv.conf as kubelet writes it', () => {
    expect(printResolvConf(RC)).toBe('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n')
  })
})

const CLUSTER = `apiVersion: packetwalk.dev/v1
kind: ClusterConfig
dns:
  upstream: 1.1.1.1
  records:
  - {name: example.com, data: 93.184.216.34}
  - {name: www.example.com, type: CNAME, data: example.com}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, ports: [{name: pg, containerPort: 5432}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: 10.96.45.123
  ports: [{name: http, port: 80}]
`

describe('answerQuery (CoreDNS kubernetes + forward)', () => {
  const { cluster } = buildCluster(parseCluster(CLUSTER).desc, { seed: 3 })
  const dbIps = cluster.pods.filter((p) => p.labels.app === 'db').map((p) => p.ip!)
  it.each([
    // Service A → its ClusterIP, authoritative
    [{ name: 'web.default.svc.cluster.local', type: 'A' }, 'NOERROR', ['10.96.45.123'], false],
    // kube-dns itself is the tenth address of the service CIDR
    [{ name: 'kube-dns.kube-system.svc.cluster.local.', type: 'A' }, 'NOERROR', ['10.96.0.10'], false],
    // SRV: priority weight port target
    [{ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' }, 'NOERROR', ['0 100 80 web.default.svc.cluster.local'], false],
    // pod records: the address is in the name (pods insecure)
    [{ name: '10-244-1-7.default.pod.cluster.local', type: 'A' }, 'NOERROR', ['10.244.1.7'], false],
    // PTR of a ClusterIP
    [{ name: '123.45.96.10.in-addr.arpa', type: 'PTR' }, 'NOERROR', ['web.default.svc.cluster.local'], false],
    // names in the zone that match nothing: NXDOMAIN (the search list's first tries)
    [{ name: 'web.svc.cluster.local', type: 'A' }, 'NXDOMAIN', [], false],
    [{ name: 'web.cluster.local', type: 'A' }, 'NXDOMAIN', [], false],
    [{ name: 'nope.default.svc.cluster.local', type: 'A' }, 'NXDOMAIN', [], false],
    // a namespace name has children: NODATA, not NXDOMAIN
    [{ name: 'default.svc.cluster.local', type: 'A' }, 'NOERROR', [], false],
    // outside the zone: forwarded to the upstream, answered from the static records
    [{ name: 'example.com', type: 'A' }, 'NOERROR', ['93.184.216.34'], true],
    [{ name: 'www.example.com', type: 'A' }, 'NOERROR', ['example.com', '93.184.216.34'], true],
    [{ name: 'unknown.test', type: 'A' }, 'NXDOMAIN', [], true],
  ] as const)('%j', (q, rcode, data, forwarded) => {
    const a = answerQuery(cluster, q)
    expect(a.rcode).toBe(rcode)
    expect(a.answers.map((x) => x.data)).toEqual(data)
    expect(a.forwarded).toBe(forwarded)
    expect(a.explain).not.toBe('')
  })

  it('headless Service: one A record per ready pod, SRV per endpoint', () => {
    const a = answerQuery(cluster, { name: 'db.default.svc.cluster.local', type: 'A' })
    expect(a.answers.map((x) => x.data).sort()).toEqual([...dbIps].sort())
    const srv = answerQuery(cluster, { name: '_pg._tcp.db.default.svc.cluster.local', type: 'SRV' })
    // two endpoints: weight 100/2 each, target is the dashed pod IP under the Service
    expect(srv.answers.map((x) => x.data).sort()).toEqual(dbIps.map((ip) => `0 50 5432 ${ip.replace(/\./g, '-')}.db.default.svc.cluster.local`).sort())
  })

  it('says what the cache would do and that upstream misses follow the configured rcode', () => {
    expect(answerQuery(cluster, { name: 'web.default.svc.cluster.local', type: 'A' }).explain).toContain('cache 30')
    const servfail = { ...cluster, dns: { ...cluster.dns, unknown: 'SERVFAIL' as const } }
    expect(answerQuery(servfail, { name: 'unknown.test', type: 'A' }).rcode).toBe('SERVFAIL')
  })
})

describe('clusterDnsResponder', () => {
  it('answers the tracer with answerQuery and says so for types it does not simulate', () => {
    const { cluster } = buildCluster(parseCluster(CLUSTER).desc, { seed: 3 })
    const respond = clusterDnsResponder(cluster)
    expect(respond('kube-system/coredns-x', { name: 'web.default.svc.cluster.local', type: 'A' }).answers[0]?.data).toBe('10.96.45.123')
    expect(respond('kube-system/coredns-x', { name: 'web.default.svc.cluster.local', type: 'MX' }).explain).toContain('not simulated')
  })
})
