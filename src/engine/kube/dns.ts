/**
 * DNS as a pod sees it. `resolverQueries`: glibc's res_search — a name ending in a dot is
 * absolute (asked once, as is); a name with at least `ndots` dots is asked as is first,
 * then with each search domain; a shorter name goes through the search list first and is
 * asked as is last. `answerQuery`: CoreDNS with kubeadm's Corefile, per the Kubernetes DNS
 * specification (kubernetes/dns docs/specification.md): `<svc>.<ns>.svc.<zone>` A →
 * ClusterIP (headless: the ready endpoints, each also as `a-b-c-d.<svc>.<ns>.svc.<zone>`),
 * `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV,
 * `a-b-c-d.<ns>.pod.<zone>` A (`pods insecure`: no check), PTR for ClusterIPs and endpoint
 * IPs, NXDOMAIN for other names in the zone; everything else goes to `forward .` (the
 * upstream from the ClusterConfig, answered from its static records). Record TTLs are the
 * kubernetes plugin's `ttl` (kubeadm's Corefile: 30; the plugin's default: 5).
 * `answerWithCache`: the `cache` plugin in front of both, one cache per CoreDNS pod (its
 * netns), read and written at the simulated time `now` (plugin/cache: an entry lives for the
 * answer's lowest TTL, at most `cache N`, at least 5 s; a denial for its SOA's TTL; SERVFAIL
 * 5 s; a hit carries the TTL left, whole seconds, and stays a hit while that is above 0).
 * Simplifications: no AAAA data (IPv4 cluster); no search domains inherited from the node;
 * no endpoint hostnames/subdomains; no cache eviction (capacity 9984 is never reached here),
 * prefetch or serve_stale; a forwarded denial is kept for `cache N` (the upstream's SOA is not
 * simulated, assumed to allow at least that).
 */
import type { DnsCacheEntry, Netns, ResolvConf } from '../model/types.ts'
import type { Effect } from '../sim/trace.ts'
import type { DnsQuestion, DnsRecord } from '../wire/packet.ts'
import { cidrContains, isIpv4 } from '../wire/addr.ts'
import { isHeadless, readyEndpoints, svcKey } from './services.ts'
import type { ClusterState } from './state.ts'

/**
 * The names a glibc resolver asks, in order, until one answers (each assumed to fail).
 *
 * @example
 * resolverQueries({ nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 }, 'web')
 * // ['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']
 */
export function resolverQueries(rc: Pick<ResolvConf, 'search' | 'ndots'>, name: string): string[] {
  if (name === '' || name === '.') return []
  if (name.endsWith('.')) return [name.slice(0, -1)]
  const dots = [...name].filter((c) => c === '.').length
  const searched = rc.search.map((d) => `${name}.${d.replace(/\.$/, '')}`)
  return dots >= rc.ndots ? [name, ...searched] : [...searched, name]
}

export interface DnsAnswer {
  readonly rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED'
  readonly answers: DnsRecord[]
  /** Authoritative: answered from the cluster zone, not the upstream. */
  readonly aa: boolean
  readonly explain: string
  readonly forwarded: boolean
}

/** The `ttl` of the Corefile's kubernetes block (the plugin's default when absent: 5 s). */
export function kubernetesTtl(corefile: string): number {
  const block = /^\s*kubernetes\b[^\n{]*\{([^}]*)\}/m.exec(corefile)?.[1] ?? ''
  const ttl = /^\s*ttl\s+(\d+)\s*$/m.exec(block)?.[1]
  return ttl === undefined ? 5 : Math.min(Number(ttl), 3600)
}

/**
 * The `cache` plugin's caps from a Corefile: `cache N` caps both kinds at N seconds; a bare
 * `cache` uses 3600 (success) and 1800 (denial). `null`: no cache plugin.
 */
export function cacheCaps(corefile: string): { readonly success: number; readonly denial: number } | null {
  const m = /^\s*cache(?:\s+(\d+))?\s*(?:\{|$)/m.exec(corefile)
  if (!m) return null
  return m[1] === undefined ? { success: 3600, denial: 1800 } : { success: Number(m[1]), denial: Number(m[1]) }
}

type DnsCluster = Pick<ClusterState, 'dns' | 'services' | 'endpointSlices' | 'namespaces' | 'pods' | 'config'>

function recordTtl(cluster: Pick<ClusterState, 'dns'>): number {
  return kubernetesTtl(cluster.dns.corefile)
}

function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`
}

/**
 * What CoreDNS answers for one question.
 *
 * @example
 * answerQuery(cluster, { name: 'web.default.svc.cluster.local', type: 'A' }).answers[0]?.data // '10.96.45.123'
 */
export function answerQuery(cluster: DnsCluster, q: DnsQuestion): DnsAnswer {
  const zone = cluster.dns.clusterDomain.toLowerCase().replace(/\.$/, '')
  const name = q.name.toLowerCase().replace(/\.$/, '')
  const TTL = recordTtl(cluster)
  const nx = (why: string): DnsAnswer => ({ rcode: 'NXDOMAIN', answers: [], aa: true, explain: `${why}: NXDOMAIN from the kubernetes plugin (zone ${zone})`, forwarded: false })
  const nodata = (why: string): DnsAnswer => ({ rcode: 'NOERROR', answers: [], aa: true, explain: `${why}: NOERROR with no ${q.type} records`, forwarded: false })
  const ok = (answers: DnsRecord[], why: string): DnsAnswer => ({ rcode: 'NOERROR', answers, aa: true, explain: why, forwarded: false })

  if (name.endsWith('.in-addr.arpa') && q.type === 'PTR') {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.')
    const ip = parts.length === 4 ? parts.reverse().join('.') : ''
    if (isIpv4(ip)) {
      const svc = cluster.services.find((s) => s.spec.clusterIP === ip)
      if (svc) return ok([{ name, type: 'PTR', ttl: TTL, data: `${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}.svc.${zone}` }], `${ip} is the ClusterIP of Service ${svcKey(svc)}`)
      for (const s of cluster.services) {
        if (!isHeadless(s)) continue
        const ep = readyEndpoints(cluster, s).find((e) => e.ip === ip)
        if (ep) return ok([{ name, type: 'PTR', ttl: TTL, data: `${ip.replace(/\./g, '-')}.${s.metadata.name}.${s.metadata.namespace ?? 'default'}.svc.${zone}` }], `${ip} is an endpoint of headless Service ${svcKey(s)}`)
      }
      if (cidrContains(cluster.config.serviceCIDR, ip) || cidrContains(cluster.config.clusterCIDR, ip)) {
        // `fallthrough in-addr.arpa`: the kubernetes plugin passes the question on to forward.
        return forward(cluster, q, name, `${ip} is not a Service IP or endpoint; the kubernetes plugin falls through (fallthrough in-addr.arpa) to forward`)
      }
    }
    return forward(cluster, q, name, `${name} is outside the cluster zone`)
  }

  if (name !== zone && !name.endsWith(`.${zone}`)) return forward(cluster, q, name, `${name} is outside ${zone}`)
  const labels = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.')
  const nsExists = (ns: string): boolean => cluster.namespaces.some((n) => n.name === ns)

  // <svc>.<ns>.svc.<zone> and _port._proto.<svc>.<ns>.svc.<zone>
  if (labels.at(-1) === 'svc') {
    const rest = labels.slice(0, -1)
    if (rest.length === 1) return nsExists(rest[0]!) ? nodata(`${rest[0]!} is a namespace, not a Service`) : nx(`no namespace ${rest[0]!}`)
    // <endpoint>.<svc>.<ns>.svc.<zone>: a headless Service's endpoint by name (CoreDNS names an
    // endpoint without a hostname by its dashed IP, as in its SRV targets and PTRs).
    if (rest.length === 3) {
      const [host, svcName, ns] = rest as [string, string, string]
      const svc = cluster.services.find((s) => s.metadata.name === svcName && (s.metadata.namespace ?? 'default') === ns)
      const ep = svc && isHeadless(svc) ? readyEndpoints(cluster, svc).find((e) => e.ip.replace(/\./g, '-') === host) : undefined
      if (!svc || !ep) return nx(`${name} names no ready endpoint of a headless Service`)
      return q.type === 'A' ? ok([{ name, type: 'A', ttl: TTL, data: ep.ip }], `${host} is a ready endpoint of headless Service ${ns}/${svcName}`) : nodata(`${name} is an endpoint of ${ns}/${svcName}`)
    }
    if (rest.length === 2 || rest.length === 4) {
      const [svcName, ns] = rest.slice(-2) as [string, string]
      const svc = cluster.services.find((s) => s.metadata.name === svcName && (s.metadata.namespace ?? 'default') === ns)
      if (!svc) return nx(`no Service ${ns}/${svcName}`)
      const fqdn = `${svcName}.${ns}.svc.${zone}`
      if (rest.length === 4) {
        const [portLabel, protoLabel] = rest as [string, string]
        if (q.type !== 'SRV') return nodata(`${name} names a port of ${ns}/${svcName}`)
        const port = svc.spec.ports.find((p) => `_${p.name ?? ''}` === portLabel && `_${p.protocol.toLowerCase()}` === protoLabel)
        if (!port || !port.name) return nx(`Service ${ns}/${svcName} has no port named ${portLabel.slice(1)} over ${protoLabel.slice(1)}`)
        if (isHeadless(svc)) {
          const eps = readyEndpoints(cluster, svc)
          if (eps.length === 0) return nx(`headless Service ${ns}/${svcName} has no ready endpoints`)
          const w = Math.floor(100 / eps.length)
          return ok(eps.map((e) => ({ name, type: 'SRV' as const, ttl: TTL, data: `0 ${w} ${port.port} ${e.ip.replace(/\./g, '-')}.${fqdn}` })), `SRV for headless ${ns}/${svcName} port ${port.name}: one record per ready endpoint`)
        }
        return ok([{ name, type: 'SRV', ttl: TTL, data: `0 100 ${port.port} ${fqdn}` }], `SRV for ${ns}/${svcName} port ${port.name}/${port.protocol}: priority 0 weight 100 port ${port.port} target ${fqdn}`)
      }
      if (q.type === 'A') {
        if (isHeadless(svc)) {
          const eps = readyEndpoints(cluster, svc)
          if (eps.length === 0) return nx(`headless Service ${ns}/${svcName} has no ready endpoints`)
          return ok(eps.map((e) => ({ name, type: 'A' as const, ttl: TTL, data: e.ip })), `headless Service ${ns}/${svcName}: the A records are its ready pod IPs (${eps.map((e) => e.ip).join(', ')})`)
        }
        if (svc.spec.type === 'ExternalName') return nodata(`ExternalName Services answer with a CNAME (not simulated)`)
        return ok([{ name, type: 'A', ttl: TTL, data: svc.spec.clusterIP! }], `Service ${ns}/${svcName} has ClusterIP ${svc.spec.clusterIP!}`)
      }
      return nodata(`Service ${ns}/${svcName} exists`)
    }
    return nx(`${name} does not match <service>.<namespace>.svc.${zone}`)
  }

  // a-b-c-d.<ns>.pod.<zone>
  if (labels.at(-1) === 'pod' && labels.length === 3) {
    const ip = labels[0]!.replace(/-/g, '.')
    if (!isIpv4(ip)) return nx(`${labels[0]!} is not a dashed IPv4 address`)
    if (q.type !== 'A') return nodata(`pod record ${name}`)
    return ok([{ name, type: 'A', ttl: TTL, data: ip }], `pod record: the address is read from the name (pods insecure: CoreDNS does not check that a pod has ${ip})`)
  }
  return nx(`${name} is in the cluster zone but names no Service or pod`)
}

function forward(cluster: Pick<ClusterState, 'dns'>, q: DnsQuestion, name: string, why: string): DnsAnswer {
  const up = cluster.dns.upstream
  const recs = cluster.dns.records.filter((r) => r.name.toLowerCase().replace(/\.$/, '') === name)
  const answers: DnsRecord[] = []
  const direct = recs.filter((r) => r.type === q.type)
  if (direct.length > 0) answers.push(...direct.map((r) => ({ name, type: r.type, ttl: r.ttl, data: r.data })))
  else {
    const cname = recs.find((r) => r.type === 'CNAME')
    if (cname) {
      answers.push({ name, type: 'CNAME', ttl: cname.ttl, data: cname.data })
      const target = cname.data.toLowerCase().replace(/\.$/, '')
      for (const r of cluster.dns.records) if (r.name.toLowerCase().replace(/\.$/, '') === target && r.type === q.type) answers.push({ name: target, type: r.type, ttl: r.ttl, data: r.data })
    }
  }
  const base = `${why}: forward . /etc/resolv.conf sends it to the upstream ${up}`
  if (answers.length > 0) return { rcode: 'NOERROR', answers, aa: false, explain: `${base}, which answers ${answers.map((a) => `${a.type} ${a.data}`).join(', ')}`, forwarded: true }
  if (recs.length > 0) return { rcode: 'NOERROR', answers: [], aa: false, explain: `${base}, which has no ${q.type} record for ${name}`, forwarded: true }
  const rcode = cluster.dns.unknown
  return { rcode, answers: [], aa: false, explain: `${base}, which answers ${rcode} (no record configured for ${name})`, forwarded: true }
}

/** The key of a cache entry: CoreDNS hashes the lowercased name and the type (and the DO bit, never set here). */
export function dnsCacheKey(name: string, type: string): string {
  return `${name.toLowerCase().replace(/\.$/, '')}/${type.toUpperCase()}`
}

/** Seconds an entry stored at `stored` (ms) has left at `now` (ms): plugin/cache item.ttl, whole seconds elapsed. */
export function dnsCacheTtlLeft(entry: Pick<DnsCacheEntry, 'ttl' | 'stored'>, now: number): number {
  return entry.ttl - Math.floor((now - entry.stored) / 1000)
}

/** A cached answer still served at `now` (its TTL left is above 0), or undefined. */
export function lookupDnsCache(netns: Pick<Netns, 'dnsCache'>, q: { name: string; type: string }, now: number): DnsCacheEntry | undefined {
  const e = netns.dnsCache?.[dnsCacheKey(q.name, q.type)]
  return e && dnsCacheTtlLeft(e, now) > 0 ? e : undefined
}

/** What CoreDNS answered, and for a cache hit or a newly cached answer, the entry and the TTL left. */
export interface CachedDnsAnswer extends DnsAnswer {
  /** `hit`: served from this pod's cache; `stored`: answered by a plugin and kept; `none`: not cached. */
  readonly cache: 'hit' | 'stored' | 'none'
  /** TTL in the answer, seconds (for a hit: what was left). */
  readonly ttl?: number
  /** A hit that differs from what the plugins would answer now (the cluster changed since). */
  readonly stale?: boolean
  readonly effects: readonly Effect[]
}

/**
 * CoreDNS with its `cache` plugin: the answer from this pod's cache while an entry for the
 * question lives (with the TTL left), else the kubernetes or forward plugin's answer, kept in
 * the cache as an effect on the pod's netns (`dns-cache`).
 *
 * @example
 * const q = { name: 'web.default.svc.cluster.local', type: 'A' } as const
 * const first = answerWithCache(cluster, 'kube-system/coredns-a', netns, q, 0) // cache 'stored', ttl 30
 * const after = first.effects.reduce(applyToNetns, netns)
 * answerWithCache(cluster, 'kube-system/coredns-a', after, q, 12_000) // cache 'hit', ttl 18
 */
export function answerWithCache(cluster: DnsCluster, serverNetns: string, netns: Pick<Netns, 'dnsCache' | 'pod'> | undefined, q: DnsQuestion, now: number): CachedDnsAnswer {
  const pod = netns?.pod?.name ?? cluster.pods.find((p) => p.netns === serverNetns)?.name ?? serverNetns
  const caps = cacheCaps(cluster.dns.corefile)
  const hit = caps && netns ? lookupDnsCache(netns, q, now) : undefined
  if (hit) {
    const left = dnsCacheTtlLeft(hit, now)
    const fresh = answerQuery(cluster, q)
    const same = fresh.rcode === hit.rcode && [...fresh.answers.map((a) => a.data)].sort().join() === [...hit.answers.map((a) => a.data)].sort().join()
    const age = Math.floor((now - hit.stored) / 1000)
    const staleNote = same ? '' : `; stale: the ${fresh.forwarded ? 'forward' : 'kubernetes'} plugin would now answer ${fresh.rcode}${fresh.answers.length ? ` ${fresh.answers.map((a) => a.data).join(', ')}` : ''}, but the cache keeps serving the old answer until its TTL runs out`
    return {
      rcode: hit.rcode,
      answers: hit.answers.map((a) => ({ ...a, ttl: left })),
      aa: true,
      forwarded: false,
      explain: `answered from the cache of ${pod} (TTL ${left} s left): ${hit.rcode}${hit.answers.length ? ` ${hit.answers.map((a) => `${a.type} ${a.data}`).join(', ')}` : ''}, kept ${age} s ago when the ${hit.plugin} plugin answered${staleNote}`,
      cache: 'hit',
      ttl: left,
      ...(!same && { stale: true }),
      effects: [],
    }
  }
  const a = answerQuery(cluster, q)
  const plugin = a.forwarded ? 'forward' : 'kubernetes'
  const by = `answered by the ${plugin} plugin: ${a.explain}`
  const duration = caps ? cacheDuration(cluster, a, caps) : 0
  if (!caps || duration <= 0) return { ...a, explain: caps ? `${by}; not cached (${a.rcode} answers are not kept)` : by, cache: 'none', effects: [] }
  // plugin/cache WriteMsg: every record of the reply carries the cache duration as its TTL.
  const answers = a.answers.map((r) => ({ ...r, ttl: duration }))
  const entry: DnsCacheEntry = { name: q.name.toLowerCase().replace(/\.$/, ''), type: q.type, rcode: a.rcode, answers, ttl: duration, stored: now, plugin, explain: a.explain }
  return {
    ...a,
    answers,
    explain: `${by}; the cache of ${pod} keeps this ${a.rcode === 'NOERROR' && a.answers.length > 0 ? 'answer' : a.rcode === 'SERVFAIL' ? 'failure' : 'denial'} for ${duration} s`,
    cache: 'stored',
    ttl: duration,
    effects: [{ kind: 'dns-cache', netns: serverNetns, key: dnsCacheKey(q.name, q.type), entry }],
  }
}

/**
 * How long plugin/cache keeps an answer, seconds (computeTTL): the lowest TTL in the message
 * between 5 s and the cap; a denial's TTL is its SOA's (the kubernetes plugin: min(ttl, 300));
 * SERVFAIL 5 s (`servfail` default); REFUSED is not cached.
 */
function cacheDuration(cluster: Pick<ClusterState, 'dns'>, a: DnsAnswer, caps: { readonly success: number; readonly denial: number }): number {
  const clamp = (ttl: number, max: number) => Math.min(Math.max(ttl, 5), max)
  if (a.rcode === 'REFUSED') return 0
  if (a.rcode === 'SERVFAIL') return 5
  if (a.rcode === 'NXDOMAIN' || a.answers.length === 0) {
    // Simplification: the upstream's SOA is not simulated; its TTL is taken to be at least the cap.
    return clamp(a.forwarded ? caps.denial : Math.min(recordTtl(cluster), 300), caps.denial)
  }
  return clamp(Math.min(...a.answers.map((r) => r.ttl)), caps.success)
}

/**
 * A DNS responder for the tracer: every netns with a `dns: true` listener (the CoreDNS pods)
 * answers with `answerWithCache` over this cluster, reading and writing that pod's cache at the
 * time the query arrives (without `at`, no cache: `answerQuery`).
 *
 * @example
 * simulate(world, { from: 'default/client', to: '10.96.0.10', proto: 'udp', dport: 53, dns: { name: 'web', type: 'A' } }, { dns: clusterDnsResponder(cluster) })
 */
export function clusterDnsResponder(cluster: DnsCluster): (serverNetns: string, question: { name: string; type: string }, at?: { readonly now: number; readonly netns: Netns }) => DnsAnswer & { readonly effects?: readonly Effect[] } {
  return (server, question, at) => {
    const type = (['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT'] as const).find((t) => t === question.type.toUpperCase())
    if (!type) return { rcode: 'NOERROR', answers: [], aa: true, explain: `query type ${question.type} is not simulated; empty answer`, forwarded: false }
    if (!at) return answerQuery(cluster, { name: question.name, type })
    return answerWithCache(cluster, server, at.netns, { name: question.name, type }, at.now)
  }
}

/** The PTR name of an IPv4 address. */
export function ptrName(ip: string): string {
  return reverseName(ip)
}

/** `/etc/resolv.conf` text. */
export function printResolvConf(rc: ResolvConf): string {
  return `${rc.search.length ? `search ${rc.search.join(' ')}\n` : ''}${rc.nameservers.map((n) => `nameserver ${n}\n`).join('')}options ndots:${rc.ndots}\n`
}
