/**
 * DNS as a pod sees it. `resolverQueries`: glibc's res_search — a name ending in a dot is
 * absolute (asked once, as is); a name with at least `ndots` dots is asked as is first,
 * then with each search domain; a shorter name goes through the search list first and is
 * asked as is last. `answerQuery`: CoreDNS with kubeadm's Corefile, per the Kubernetes DNS
 * specification (kubernetes/dns docs/specification.md): `<svc>.<ns>.svc.<zone>` A →
 * ClusterIP (headless: the ready endpoints), `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV,
 * `a-b-c-d.<ns>.pod.<zone>` A (`pods insecure`: no check), PTR for ClusterIPs and endpoint
 * IPs, NXDOMAIN for other names in the zone; everything else goes to `forward .` (the
 * upstream from the ClusterConfig, answered from its static records).
 * Simplifications: `cache 30` is noted, not simulated; no AAAA data (IPv4 cluster); no
 * search domains inherited from the node; no endpoint hostnames/subdomains.
 */
import type { ResolvConf } from '../model/types.ts'
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

const TTL = 30

function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`
}

/**
 * What CoreDNS answers for one question.
 *
 * @example
 * answerQuery(cluster, { name: 'web.default.svc.cluster.local', type: 'A' }).answers[0]?.data // '10.96.45.123'
 */
export function answerQuery(cluster: Pick<ClusterState, 'dns' | 'services' | 'endpointSlices' | 'namespaces' | 'pods' | 'config'>, q: DnsQuestion): DnsAnswer {
  const zone = cluster.dns.clusterDomain.toLowerCase().replace(/\.$/, '')
  const name = q.name.toLowerCase().replace(/\.$/, '')
  const cacheNote = ` (cache ${cluster.dns.cacheSeconds}: a repeat within ${cluster.dns.cacheSeconds}s would come from the cache; not simulated)`
  const nx = (why: string): DnsAnswer => ({ rcode: 'NXDOMAIN', answers: [], aa: true, explain: `${why}: NXDOMAIN from the kubernetes plugin (zone ${zone})${cacheNote}`, forwarded: false })
  const nodata = (why: string): DnsAnswer => ({ rcode: 'NOERROR', answers: [], aa: true, explain: `${why}: NOERROR with no ${q.type} records${cacheNote}`, forwarded: false })
  const ok = (answers: DnsRecord[], why: string): DnsAnswer => ({ rcode: 'NOERROR', answers, aa: true, explain: `${why}${cacheNote}`, forwarded: false })

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

/**
 * A DNS responder for the tracer: every netns with a `dns: true` listener (the CoreDNS pods)
 * answers with `answerQuery` over this cluster.
 *
 * @example
 * simulate(world, { from: 'default/client', to: '10.96.0.10', proto: 'udp', dport: 53, dns: { name: 'web', type: 'A' } }, { dns: clusterDnsResponder(cluster) })
 */
export function clusterDnsResponder(cluster: Pick<ClusterState, 'dns' | 'services' | 'endpointSlices' | 'namespaces' | 'pods' | 'config'>): (serverNetns: string, question: { name: string; type: string }) => DnsAnswer {
  return (_server, question) => {
    const type = (['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT'] as const).find((t) => t === question.type.toUpperCase())
    if (!type) return { rcode: 'NOERROR', answers: [], aa: true, explain: `query type ${question.type} is not simulated; empty answer`, forwarded: false }
    return answerQuery(cluster, { name: question.name, type })
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
