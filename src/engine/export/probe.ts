/**
 * Probes: the questions an exported script's `probe` part answers on the real kernel, in
 * one text form shared by the script (bash parses it) and its callers. A probe spec is
 * `KIND,key=value,…` with no spaces, e.g. `ping,from=pod-a,to=10.244.1.3,size=1500,df=1`;
 * the script answers each with one tab-separated line `PW-PROBE <spec> status=… key=value…`.
 */
import type { Ip } from '../wire/addr.ts'

export type Probe =
  /** `ping -c 1` from a netns; `size` is the IP total length, `df` sets or clears DF. */
  | { readonly kind: 'ping'; readonly from: string; readonly to: Ip; readonly size?: number; readonly df?: boolean; readonly ttl?: number }
  /** A TCP connect to the stand-in server, which answers with its netns and the peer it saw. */
  | { readonly kind: 'tcp'; readonly from: string; readonly to: Ip; readonly port: number }
  /** One UDP datagram to the stand-in echo, which answers like the TCP server. */
  | { readonly kind: 'udp'; readonly from: string; readonly to: Ip; readonly port: number }
  /** `ip route get TO` inside a netns. */
  | { readonly kind: 'route'; readonly from: string; readonly to: Ip }
  /** A query for `name` (type A unless `type` says SRV or PTR) sent to a DNS server. */
  | { readonly kind: 'dns'; readonly from: string; readonly server: Ip; readonly name: string; readonly port?: number; readonly type?: 'A' | 'SRV' | 'PTR' }
  /** A name looked up as programs do (`getent ahostsv4`: the netns's resolv.conf, its search list and ndots). */
  | { readonly kind: 'resolve'; readonly from: string; readonly name: string }
  /** `conntrack -L` in a netns. */
  | { readonly kind: 'conntrack'; readonly netns: string }
  /** Wait (no result line): lets the kernel's ICMP error rate limits refill between probes. */
  | { readonly kind: 'pause'; readonly seconds: number }

/** The key the script prints first on every result line. */
export const PROBE_LINE_TAG = 'PW-PROBE'

/**
 * The spec text for a probe (names may not contain `,` `=` or whitespace).
 *
 * @example
 * formatProbe({ kind: 'ping', from: 'pod-a', to: '10.244.1.3', size: 1500, df: true }) // 'ping,from=pod-a,to=10.244.1.3,size=1500,df=1'
 */
export function formatProbe(p: Probe): string {
  const kv: [string, string | number | boolean | undefined][] =
    p.kind === 'ping'
      ? [['from', p.from], ['to', p.to], ['size', p.size], ['df', p.df === undefined ? undefined : p.df ? 1 : 0], ['ttl', p.ttl]]
      : p.kind === 'tcp' || p.kind === 'udp'
        ? [['from', p.from], ['to', p.to], ['port', p.port]]
        : p.kind === 'route'
          ? [['from', p.from], ['to', p.to]]
          : p.kind === 'dns'
            ? [['from', p.from], ['server', p.server], ['name', p.name], ['port', p.port], ['type', p.type === 'A' ? undefined : p.type]]
            : p.kind === 'resolve'
              ? [['from', p.from], ['name', p.name]]
              : p.kind === 'pause'
              ? [['seconds', p.seconds]]
              : [['netns', p.netns]]
  return [p.kind, ...kv.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`)].join(',')
}

/** Names that fit a probe spec (and a stand-in's answer line). */
export function isProbeSafeName(name: string): boolean {
  return /^[A-Za-z0-9_.:/@+-]+$/.test(name)
}
