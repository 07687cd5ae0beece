/**
 * Text views of a netns in the iproute2 / bridge tools' own formats, used for golden tests
 * and for operation diffs (one place, so a diff reads like the commands a learner would run):
 * `ip route` (kernel FIB dump order: by destination address, longer prefix first within
 * the same address), `ip neigh`, `bridge fdb show`, `ip -br link`/`ip -br addr`-like
 * lines, sysctls, listening sockets and the iptables-save rules.
 */
import type { Link, Netns, Route } from '../model/types.ts'
import { printBridgeFdb as printBridgeFdbText, printIpNeigh as printIpNeighText, printIpRoute as printIpRouteText, printRoute as printRouteLine } from '../print/iproute2.ts'

/** One `ip route` line (the engine's iproute2 printer, without its trailing space). */
export function printRoute(r: Route): string {
  return printRouteLine(r).trimEnd()
}

/** `ip route` (main table), lines without iproute2's trailing spaces. */
export function printIpRoute(ns: Netns): string {
  return trimLines(printIpRouteText(ns))
}

/** `ip neigh` */
export function printIpNeigh(ns: Netns): string {
  return trimLines(printIpNeighText(ns))
}

/** `bridge fdb show` without the kernel's multicast self entries (what was configured or learned), lines trimmed. */
export function printBridgeFdb(ns: Netns): string {
  return trimLines(printBridgeFdbText(ns, { multicast: false }))
}

function trimLines(text: string): string {
  return text.replace(/ +\n/g, '\n')
}

function linkDetail(l: Link): string {
  switch (l.kind) {
    case 'vxlan':
      return ` vxlan id ${l.vni}${l.local ? ` local ${l.local}` : ''}${l.dev ? ` dev ${l.dev}` : ''} dstport ${l.dstport}${l.learning ? '' : ' nolearning'}`
    case 'veth':
      return l.peer ? ` veth peer ${l.peer.netns}:${l.peer.name}` : ' veth'
    case 'bridge':
      return ' bridge'
    case 'ipip':
      return ' ipip'
    case 'phys':
      return l.segment ? ` segment ${l.segment}` : ''
    default:
      return ''
  }
}

/** One line per link: `3: cni0 mtu 1450 up mac … [master …] [hairpin] [proxy_arp] kind details`. */
export function printLinks(ns: Netns): string {
  return ns.links
    .map((l) => `${l.ifindex}: ${l.name} mtu ${l.mtu} ${l.up ? 'UP' : 'DOWN'} ${l.mac}${l.master ? ` master ${l.master}` : ''}${l.hairpin ? ' hairpin' : ''}${l.proxyArp ? ' proxy_arp' : ''}${l.noarp ? ' NOARP' : ''}${linkDetail(l)}\n`)
    .join('')
}

/** `ip -br addr`-like: `eth0 10.244.1.2/24`. */
export function printAddrs(ns: Netns): string {
  return ns.links
    .filter((l) => l.addrs.length > 0)
    .map((l) => `${l.name} ${l.addrs.map((a) => `${a.ip}/${a.len}`).join(' ')}\n`)
    .join('')
}

export function printSysctls(ns: Netns): string {
  return Object.entries(ns.sysctl).map(([k, v]) => `${k} = ${typeof v === 'boolean' ? (v ? 1 : 0) : v}\n`).join('')
}

export function printListeners(ns: Netns): string {
  return ns.listeners.map((l) => `${l.proto} ${l.addr ?? '0.0.0.0'}:${l.port} ${l.app}${l.dns ? ' (dns)' : ''}\n`).join('')
}

/** The sections an operation diff compares, per netns. */
export function printSections(ns: Netns, iptablesSave?: string): Record<string, string[]> {
  const lines = (t: string): string[] => t.split('\n').filter((l) => l !== '')
  return {
    links: lines(printLinks(ns)).map((l) => l.replace(/^\d+: /, '')),
    addrs: lines(printAddrs(ns)),
    routes: lines(printIpRoute(ns)),
    neigh: lines(printIpNeigh(ns)),
    fdb: lines(printBridgeFdb(ns)),
    rules: iptablesSave !== undefined ? lines(iptablesSave).filter((l) => l.startsWith('-A ')) : [],
  }
}
