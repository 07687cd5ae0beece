/**
 * The sysctl keys the shell knows. Five are simulated (they change what packets do):
 * net.ipv4.ip_forward (also as net.ipv4.conf.all.forwarding), net.bridge.bridge-nf-call-iptables,
 * net.ipv4.conf.all.rp_filter, net.ipv4.icmp_echo_ignore_all, net.ipv4.conf.all.route_localnet,
 * plus net.ipv4.conf.<if>.proxy_arp (the link's proxy ARP flag). Others that exist on a real
 * kernel read their defaults and accept writes, which are kept but change nothing (the shell
 * says so). Unknown keys fail like `sysctl` does ("cannot stat /proc/sys/…").
 */
import type { Sysctls, World } from '../model/types.ts'

const MODELLED: Readonly<Record<string, keyof Sysctls>> = {
  'net.ipv4.ip_forward': 'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding': 'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables': 'net.bridge.bridge-nf-call-iptables',
  'net.ipv4.conf.all.rp_filter': 'net.ipv4.conf.all.rp_filter',
  'net.ipv4.icmp_echo_ignore_all': 'net.ipv4.icmp_echo_ignore_all',
  'net.ipv4.conf.all.route_localnet': 'net.ipv4.conf.all.route_localnet',
}

/** Keys that exist on a real kernel but are not simulated, with their default values. */
export const UNMODELLED_DEFAULTS: Readonly<Record<string, string>> = {
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.bridge.bridge-nf-call-arptables': '1',
  'net.ipv4.conf.default.forwarding': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  'net.ipv4.conf.all.arp_ignore': '0',
  'net.ipv4.conf.all.arp_announce': '0',
  'net.ipv4.conf.all.proxy_arp': '0',
  'net.ipv4.conf.all.send_redirects': '1',
  'net.ipv4.conf.all.accept_redirects': '0',
  'net.ipv4.ip_default_ttl': '64',
  'net.ipv4.ip_local_port_range': '32768\t60999',
  'net.ipv4.ping_group_range': '0\t2147483647',
  'net.ipv4.tcp_syn_retries': '6',
  'net.ipv4.tcp_fin_timeout': '60',
  'net.ipv4.neigh.default.gc_thresh1': '128',
  'net.ipv6.conf.all.disable_ipv6': '0',
  'net.ipv6.conf.all.forwarding': '0',
  'net.core.somaxconn': '4096',
  'net.netfilter.nf_conntrack_max': '262144',
  'net.netfilter.nf_conntrack_count': '0',
  'net.netfilter.nf_conntrack_tcp_timeout_established': '432000',
  'net.netfilter.nf_conntrack_udp_timeout': '30',
}

function boolText(v: Sysctls[keyof Sysctls]): string {
  return typeof v === 'boolean' ? (v ? '1' : '0') : String(v)
}

/** Per-interface keys: net.ipv4.conf.<if>.<name>. */
function ifaceKey(key: string): { dev: string; name: string } | undefined {
  const m = /^net\.ipv4\.conf\.([^.]+(?:\.[0-9]+)?)\.([a-z_]+)$/.exec(key)
  if (!m || m[1] === 'all' || m[1] === 'default') return undefined
  return { dev: m[1]!, name: m[2]! }
}

const IFACE_DEFAULTS: Readonly<Record<string, string>> = { forwarding: '0', rp_filter: '0', proxy_arp: '0', route_localnet: '0', arp_ignore: '0', send_redirects: '1' }

/** Normalise `net/ipv4/ip_forward` to `net.ipv4.ip_forward`. */
export function sysctlKey(text: string): string {
  return text.replace(/\//g, '.').replace(/^\.+/, '')
}

/** The value `sysctl KEY` prints, or undefined for a key that does not exist. */
export function readSysctl(w: World, netns: string, files: Readonly<Record<string, string>>, keyText: string): string | undefined {
  const key = sysctlKey(keyText)
  const ns = w.netns[netns]
  if (!ns) return undefined
  const m = MODELLED[key]
  if (m) return boolText(ns.sysctl[m])
  const stored = files[`/proc/sys/${key.replace(/\./g, '/')}#${netns}`]
  if (stored !== undefined) return stored
  if (key in UNMODELLED_DEFAULTS) return key === 'net.netfilter.nf_conntrack_count' ? String(ns.conntrack.length) : UNMODELLED_DEFAULTS[key]
  const ik = ifaceKey(key)
  if (ik) {
    const l = ns.links.find((x) => x.name === ik.dev)
    if (!l || !(ik.name in IFACE_DEFAULTS)) return undefined
    if (ik.name === 'proxy_arp') return l.proxyArp ? '1' : '0'
    if (ik.name === 'forwarding') return ns.sysctl['net.ipv4.ip_forward'] ? '1' : '0'
    return IFACE_DEFAULTS[ik.name]
  }
  return undefined
}

/** All keys `sysctl -a` prints for a netns (simulated ones first, then the others). */
export function allSysctlKeys(w: World, netns: string): string[] {
  const ns = w.netns[netns]
  const perIf = (ns?.links ?? []).flatMap((l) => Object.keys(IFACE_DEFAULTS).map((k) => `net.ipv4.conf.${l.name}.${k}`))
  return [...new Set([...Object.keys(MODELLED), ...Object.keys(UNMODELLED_DEFAULTS), ...perIf])].sort()
}

export interface SysctlWrite {
  readonly world: World
  readonly files?: Record<string, string>
  readonly error?: 'ENOENT' | 'EINVAL'
  /** The key is real but not simulated: the value is kept and changes nothing. */
  readonly unmodelled?: boolean
}

/** `sysctl -w KEY=VALUE`. */
export function writeSysctl(w: World, netns: string, files: Readonly<Record<string, string>>, keyText: string, value: string): SysctlWrite {
  const key = sysctlKey(keyText)
  const ns = w.netns[netns]
  if (!ns) return { world: w, error: 'ENOENT' }
  const m = MODELLED[key]
  if (m) {
    const n = Number(value)
    if (!/^-?\d+$/.test(value)) return { world: w, error: 'EINVAL' }
    const v: Sysctls[keyof Sysctls] = m === 'net.ipv4.conf.all.rp_filter' ? (Math.max(0, Math.min(2, n)) as 0 | 1 | 2) : n !== 0
    return { world: { ...w, netns: { ...w.netns, [netns]: { ...ns, sysctl: { ...ns.sysctl, [m]: v } } } } }
  }
  const ik = ifaceKey(key)
  if (ik) {
    const l = ns.links.find((x) => x.name === ik.dev)
    if (!l || !(ik.name in IFACE_DEFAULTS)) return { world: w, error: 'ENOENT' }
    if (ik.name === 'proxy_arp') {
      const links = ns.links.map((x) => (x === l ? { ...x, proxyArp: value.trim() !== '0' } : x))
      return { world: { ...w, netns: { ...w.netns, [netns]: { ...ns, links } } } }
    }
  } else if (!(key in UNMODELLED_DEFAULTS)) return { world: w, error: 'ENOENT' }
  return { world: w, files: { ...files, [`/proc/sys/${key.replace(/\./g, '/')}#${netns}`]: value }, unmodelled: true }
}
