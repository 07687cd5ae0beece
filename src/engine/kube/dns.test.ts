import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { answerQuery, answerWithCache, cacheCaps, clusterDnsResponder, dnsCacheKey, kubernetesTtl, printResolvConf, resolverQueries } from './dns.ts'
import type { CachedDnsAnswer } from './dns.ts'
import { buildCluster } from './build.ts'
import { scaleDeployment } from './operations.ts'
import { parseCluster } from './parseCluster.ts'
import { corefile } from './builtins.ts'
import type { ClusterState } from './state.ts'
import type { Netns, World } from '../model/types.ts'
import { applyToNetns, worldAtStep } from '../sim/effects.ts'
import { traceWorld } from '../trace.ts'
import { lookup } from '../session.ts'
import type { SendSpec } from '../sim/trace.ts'

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
  - {name: short.example.com, data: 203.0.113.7, ttl: 2}
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

  it('a headless endpoint by name: the SRV targets resolve (CoreDNS names an endpoint without a hostname by its dashed IP)', () => {
    for (const ip of dbIps) {
      const a = answerQuery(cluster, { name: `${ip.replace(/\./g, '-')}.db.default.svc.cluster.local`, type: 'A' })
      expect(a.answers.map((x) => x.data)).toEqual([ip])
    }
    // Not an endpoint of db: NXDOMAIN.
    expect(answerQuery(cluster, { name: '10-9-9-9.db.default.svc.cluster.local', type: 'A' }).rcode).toBe('NXDOMAIN')
  })

  it('record TTLs are the Corefile\'s kubernetes ttl; upstream misses follow the configured rcode', () => {
    // kubeadm's Corefile sets `ttl 30` in the kubernetes block
    expect(answerQuery(cluster, { name: 'web.default.svc.cluster.local', type: 'A' }).answers[0]?.ttl).toBe(30)
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

describe('Corefile TTLs', () => {
  it.each([
    // kubeadm's Corefile: `ttl 30` in the kubernetes block, `cache 30`
    [corefile('cluster.local'), 30, { success: 30, denial: 30 }],
    // no ttl line: the kubernetes plugin's default, 5 s
    ['.:53 {\n    kubernetes cluster.local {\n       pods insecure\n    }\n    cache 30\n}\n', 5, { success: 30, denial: 30 }],
    // bare `cache`: 3600 s for answers, 1800 s for denials
    ['.:53 {\n    kubernetes cluster.local\n    cache\n}\n', 5, { success: 3600, denial: 1800 }],
    // no cache plugin at all
    ['.:53 {\n    kubernetes cluster.local\n    forward . /etc/resolv.conf\n}\n', 5, null],
  ])('%#', (text, ttl, caps) => {
    expect(kubernetesTtl(text)).toBe(ttl)
    expect(cacheCaps(text)).toEqual(caps)
  })
})

/** A cluster with a client pod and two CoreDNS replicas (kubeadm's default). */
const CACHE_CLUSTER = `${CLUSTER}---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: busybox}]}
`

function cacheWorld(): World {
  const r = buildCluster(parseCluster(CACHE_CLUSTER).desc, { seed: 3 })
  return { ...r.world, cluster: r.cluster }
}

function corednsNetns(w: World): [Netns, Netns] {
  const pods = w.cluster!.pods.filter((p) => p.labels['k8s-app'] === 'kube-dns')
  expect(pods).toHaveLength(2)
  return pods.map((p) => w.netns[p.netns!]!) as [Netns, Netns]
}

/** Apply what an answer stored to the pod's netns (what the tracer does with the step's effects). */
function kept(ns: Netns, a: CachedDnsAnswer): Netns {
  return a.effects.reduce(applyToNetns, ns)
}

describe('answerWithCache (CoreDNS cache plugin, one cache per pod)', () => {
  const w = cacheWorld()
  const c = w.cluster!
  const [a, b] = corednsNetns(w)
  const WEB = { name: 'web.default.svc.cluster.local', type: 'A' } as const
  const first = answerWithCache(c, a.name, a, WEB, 1_000)
  const warm = kept(a, first)

  it('a first question is answered by the kubernetes plugin and kept for min(ttl 30, cache 30) s', () => {
    expect(first.cache).toBe('stored')
    expect(first.ttl).toBe(30)
    expect(first.explain).toMatch(/^answered by the kubernetes plugin: Service default\/web has ClusterIP 10\.96\.45\.123; the cache of coredns-\S+ keeps this answer for 30 s$/)
    expect(warm.dnsCache?.[dnsCacheKey('WEB.default.svc.cluster.local.', 'a')]).toMatchObject({ rcode: 'NOERROR', ttl: 30, stored: 1_000, plugin: 'kubernetes' })
  })

  it.each([
    // 12 s later: 30 - 12 = 18 s left, and the record says so
    [13_000, 'hit', 18],
    // 29.999 s later: 29 whole seconds elapsed, 1 s left (plugin/cache truncates elapsed seconds)
    [30_999, 'hit', 1],
    // 30 s later: 0 left is expired: the kubernetes plugin answers again, a new 30 s entry
    [31_000, 'stored', 30],
    // long after: a miss
    [600_000, 'stored', 30],
  ] as const)('repeat at %i ms → %s with TTL %i', (now, cache, ttl) => {
    const r = answerWithCache(c, a.name, warm, WEB, now)
    expect(r.cache).toBe(cache)
    expect(r.ttl).toBe(ttl)
    expect(r.answers).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', ttl, data: '10.96.45.123' }])
    if (cache === 'hit') expect(r.explain).toContain(`answered from the cache of ${a.pod!.name} (TTL ${ttl} s left)`)
    else expect(r.explain).toMatch(/^answered by the kubernetes plugin/)
  })

  it('property: a repeat is a hit exactly while fewer than 30 whole seconds have passed, with 30 minus those seconds left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120_000 }), (elapsed) => {
        const r = answerWithCache(c, a.name, warm, WEB, 1_000 + elapsed)
        // elapsed < 30 000 ms ⇔ floor(elapsed / 1000) < 30 ⇔ TTL left > 0
        expect(r.cache).toBe(elapsed < 30_000 ? 'hit' : 'stored')
        expect(r.ttl).toBe(elapsed < 30_000 ? 30 - Math.floor(elapsed / 1000) : 30)
      }),
    )
  })

  it('the other replica has its own, empty cache: a miss', () => {
    const r = answerWithCache(c, b.name, b, WEB, 2_000)
    expect(r.cache).toBe('stored')
    expect(r.explain).toContain(`the cache of ${b.pod!.name} keeps`)
  })

  it('another type or name is another entry', () => {
    expect(answerWithCache(c, a.name, warm, { name: WEB.name, type: 'SRV' }, 2_000).cache).toBe('stored')
    expect(answerWithCache(c, a.name, warm, { name: 'db.default.svc.cluster.local', type: 'A' }, 2_000).cache).toBe('stored')
  })

  it('a Service deleted within the TTL: the cache still serves its ClusterIP (stale), NXDOMAIN once it expires', () => {
    const gone: ClusterState = { ...c, services: c.services.filter((s) => s.metadata.name !== 'web') }
    expect(answerQuery(gone, WEB).rcode).toBe('NXDOMAIN')
    const stale = answerWithCache(gone, a.name, warm, WEB, 11_000)
    expect(stale).toMatchObject({ cache: 'hit', stale: true, rcode: 'NOERROR', ttl: 20 })
    expect(stale.answers[0]?.data).toBe('10.96.45.123')
    expect(stale.explain).toContain('stale: the kubernetes plugin would now answer NXDOMAIN')
    expect(answerWithCache(gone, a.name, warm, WEB, 31_000)).toMatchObject({ cache: 'stored', rcode: 'NXDOMAIN' })
  })

  it.each([
    // NXDOMAIN from the kubernetes plugin: its SOA TTL is min(ttl 30, 300) = 30, capped at 30
    [{ name: 'nope.default.svc.cluster.local', type: 'A' }, 'NXDOMAIN', 30],
    // NODATA (a namespace name) is a denial too
    [{ name: 'default.svc.cluster.local', type: 'A' }, 'NOERROR', 30],
    // forwarded: the upstream's TTL 300 is capped by cache 30
    [{ name: 'example.com', type: 'A' }, 'NOERROR', 30],
    // forwarded with TTL 2: raised to the cache's minimum, 5 s
    [{ name: 'short.example.com', type: 'A' }, 'NOERROR', 5],
    // forwarded NXDOMAIN: kept for the cap (the upstream's SOA is not simulated)
    [{ name: 'unknown.test', type: 'A' }, 'NXDOMAIN', 30],
  ] as const)('%j is kept for %s %i s', (q, rcode, ttl) => {
    const r = answerWithCache(c, a.name, a, q, 0)
    expect(r).toMatchObject({ cache: 'stored', rcode, ttl })
    // every record of the first reply carries the cache duration (plugin/cache filterRRSlice)
    for (const rec of r.answers) expect(rec.ttl).toBe(ttl)
    const again = answerWithCache(c, a.name, kept(a, r), q, ttl * 1000 - 1)
    expect(again).toMatchObject({ cache: 'hit', rcode, ttl: 1 })
  })

  it('an upstream SERVFAIL is kept 5 s (the servfail default)', () => {
    const sf: ClusterState = { ...c, dns: { ...c.dns, unknown: 'SERVFAIL' } }
    const r = answerWithCache(sf, a.name, a, { name: 'unknown.test', type: 'A' }, 0)
    expect(r).toMatchObject({ cache: 'stored', rcode: 'SERVFAIL', ttl: 5 })
    expect(answerWithCache(sf, a.name, kept(a, r), { name: 'unknown.test', type: 'A' }, 5_000).cache).toBe('stored')
  })

  it('a Corefile without `ttl` in the kubernetes block: records carry the plugin default 5 s, kept 5 s', () => {
    const five: ClusterState = { ...c, dns: { ...c.dns, corefile: '.:53 {\n    kubernetes cluster.local {\n       pods insecure\n    }\n    cache 30\n}\n' } }
    const r = answerWithCache(five, a.name, a, WEB, 0)
    expect(r).toMatchObject({ cache: 'stored', ttl: 5 })
    expect(answerWithCache(five, a.name, kept(a, r), WEB, 5_000).cache).toBe('stored')
  })

  it('without a cache plugin in the Corefile nothing is kept', () => {
    const none: ClusterState = { ...c, dns: { ...c.dns, corefile: '.:53 {\n    kubernetes cluster.local {\n       ttl 30\n    }\n}\n' } }
    expect(answerWithCache(none, a.name, a, WEB, 0)).toMatchObject({ cache: 'none', effects: [] })
  })
})

describe('the cache through the tracer', () => {
  const w = cacheWorld()
  const [a, b] = corednsNetns(w)
  const q: SendSpec = { from: 'default/client', to: '10.96.0.10', proto: 'udp', dport: 53, dns: { name: 'web.default.svc.cluster.local', type: 'A' } }
  // kube-proxy's first KUBE-SEP rule (probability 0.5) taken → the first endpoint; not taken → the second
  // (each trace its own seed: a new random source port, so no conntrack entry pins the replica)
  const toFirst = { decide: () => true }
  const toSecond = { decide: () => false }
  const first = traceWorld(w, q, { ...toFirst, seed: 1, now: 1_000 })
  const served = first.outcome.deliveredNetns!
  const other = served === a.name ? b.name : a.name
  const dnsStep = (r: ReturnType<typeof traceWorld>) => r.steps.find((s) => s.kind === 'dns')!
  const replyTtl = (r: ReturnType<typeof traceWorld>) => {
    const h = [...r.steps].reverse().find((s) => s.kind === 'deliver' && s.flow === 'dns-reply')?.packet.headers.find((x) => x.kind === 'dns')
    return h?.kind === 'dns' ? h.answers.map((x) => x.ttl) : []
  }

  it('a miss stores an entry as an effect of the dns step; the world after the trace has it', () => {
    expect(dnsStep(first).explain).toContain('answered by the kubernetes plugin')
    expect(dnsStep(first).effects).toEqual([expect.objectContaining({ kind: 'dns-cache', netns: served, key: 'web.default.svc.cluster.local/A' })])
    expect(first.world.netns[served]?.dnsCache?.['web.default.svc.cluster.local/A']?.ttl).toBe(30)
    // stepping back: before the dns step the cache is empty, after it the entry is there
    const at = first.steps.indexOf(dnsStep(first))
    expect(worldAtStep(w, first.steps, at - 1).netns[served]?.dnsCache).toBeUndefined()
    expect(worldAtStep(w, first.steps, at).netns[served]?.dnsCache).toEqual(first.world.netns[served]?.dnsCache)
    expect(replyTtl(first)).toEqual([30])
  })

  it('the same replica 10.5 s later: answered from its cache, TTL 20 in the reply, no new effect', () => {
    const again = traceWorld(first.world, q, { ...toFirst, seed: 2, now: 11_500 })
    expect(again.outcome.deliveredNetns).toBe(served)
    expect(dnsStep(again).explain).toContain(`answered from the cache of ${first.world.netns[served]!.pod!.name} (TTL 20 s left)`)
    expect(dnsStep(again).effects).toBeUndefined()
    // 10.5 s elapsed between the two arrivals at CoreDNS: 10 whole seconds, 30 - 10 = 20
    expect(replyTtl(again)).toEqual([20])
    expect(again.outcome.reply?.verdict).toBe('delivered')
  })

  it('DNAT to the other replica: a miss there', () => {
    const elsewhere = traceWorld(first.world, q, { ...toSecond, seed: 3, now: 11_500 })
    expect(elsewhere.outcome.deliveredNetns).toBe(other)
    expect(dnsStep(elsewhere).explain).toContain('answered by the kubernetes plugin')
    expect(replyTtl(elsewhere)).toEqual([30])
  })

  it('after the TTL: a miss on the same replica', () => {
    const late = traceWorld(first.world, q, { ...toFirst, seed: 4, now: 31_500 })
    expect(dnsStep(late).explain).toContain('answered by the kubernetes plugin')
  })
})

describe('lookups served from the cache', () => {
  it('a headless Service scaled down within the TTL: the cached answer still lists the gone pod', () => {
    const w = cacheWorld()
    const first = lookup(w, 'default/client', 'db.default.svc.cluster.local.', { seed: 5, now: 0 })
    const before = first.segments[0]!.steps.find((s) => s.kind === 'dns')!
    expect(before.explain).toContain('answered by the kubernetes plugin')
    expect(first.ttl).toBe(30)
    const scaled = scaleDeployment({ world: first.world, cluster: first.world.cluster! }, { name: 'db' }, 1)
    const w2: World = { ...scaled.world, cluster: scaled.cluster }
    // the cache lives in the CoreDNS pods' netns, which scaling another deployment leaves alone
    const server = first.segments[0]!.outcome.deliveredNetns!
    expect(w2.netns[server]?.dnsCache?.['db.default.svc.cluster.local/A']).toBeDefined()
    const dbNow = scaled.cluster.pods.filter((p) => p.labels.app === 'db').map((p) => p.ip)
    expect(dbNow).toHaveLength(1)
    // same seed: the same source port and random choices, so the same CoreDNS replica
    // 7.5 s later: 30 - 7 = 23 s left
    const again = lookup(w2, 'default/client', 'db.default.svc.cluster.local.', { seed: 5, now: 7_500 })
    const step = again.segments[0]!.steps.find((s) => s.kind === 'dns')!
    expect(again.segments[0]!.outcome.deliveredNetns).toBe(server)
    expect(step.explain).toContain('(TTL 23 s left)')
    expect(again.ttl).toBe(23)
    expect(again.explain).toContain('(TTL 23 s)')
    expect(step.explain).toContain('stale: the kubernetes plugin would now answer NOERROR')
    const msg = again.segments[0]!.steps.findLast((s) => s.kind === 'deliver' && s.flow === 'dns-reply')!.packet.headers.find((h) => h.kind === 'dns')
    // two A records: the pod that is gone is still served for 23 more seconds
    expect(msg?.kind === 'dns' && msg.answers.map((x) => x.data).sort()).toEqual(first.world.cluster!.pods.filter((p) => p.labels.app === 'db').map((p) => p.ip).sort())
  })
})
