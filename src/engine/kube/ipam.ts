/**
 * IP address management as the CNI IPAM plugins do it.
 * host-local (containernetworking/plugins): range = subnet .1 … broadcast-1, the gateway
 * (.1) is skipped, the search starts after `last_reserved_ip` and wraps around, an IP already
 * reserved is skipped, a container/ifname pair holds at most one IP, DEL frees its files but
 * leaves `last_reserved_ip` alone (so freed IPs are reused only after a wrap).
 * calico-ipam: ordinals of the node's affine block are handed out from the front of the
 * free list; released ordinals are appended to its back.
 * Simplification: one range, one block per node, IPv4 only.
 */
import { broadcastOf, intToIp, ipToInt, networkOf, parsePrefix, prefixContains } from '../wire/addr.ts'
import type { Ip } from '../wire/addr.ts'
import type { CalicoBlock, HostLocalStore } from './state.ts'

export function newHostLocalStore(network: string, subnet: string): HostLocalStore {
  const p = parsePrefix(subnet)
  const net = intToIp(p.net)
  return {
    dataDir: `/var/lib/cni/networks/${network}`,
    subnet: `${net}/${p.len}`,
    rangeStart: intToIp(p.net + 1),
    rangeEnd: intToIp(ipToInt(broadcastOf(net, p.len)) - 1),
    gateway: intToIp(p.net + 1),
    reserved: {},
  }
}

export type IpamResult<S> = { ok: true; store: S; ip: Ip } | { ok: false; store: S; error: string }

/** host-local ADD: reserve the next free address (or the requested one, `CNI_ARGS IP=`). */
export function allocateHostLocal(store: HostLocalStore, containerId: string, ifname: string, requested?: Ip): IpamResult<HostLocalStore> {
  for (const [ip, r] of Object.entries(store.reserved)) {
    if (r.containerId === containerId && r.ifname === ifname) return { ok: false, store, error: `${containerId} has been allocated to ${ip}, duplicate allocation is not allowed` }
  }
  const start = ipToInt(store.rangeStart)
  const end = ipToInt(store.rangeEnd)
  const gw = ipToInt(store.gateway)
  const take = (ip: Ip): IpamResult<HostLocalStore> => ({ ok: true, ip, store: { ...store, reserved: { ...store.reserved, [ip]: { containerId, ifname } }, lastReserved: ip } })
  if (requested !== undefined) {
    const v = ipToInt(requested)
    if (v < start || v > end || !prefixContains(parsePrefix(store.subnet), requested)) return { ok: false, store, error: `requested IP address ${requested} is not available in range set ${store.rangeStart}-${store.rangeEnd}` }
    if (store.reserved[requested] || v === gw) return { ok: false, store, error: `requested IP address ${requested} is not available in range set ${store.rangeStart}-${store.rangeEnd}` }
    return take(requested)
  }
  // The iterator starts right after the last reserved IP (or at rangeStart) and stops when it is back where it began.
  const last = store.lastReserved !== undefined ? ipToInt(store.lastReserved) : undefined
  const first = last === undefined || last < start || last >= end ? start : last + 1
  const size = end - start + 1
  for (let i = 0; i < size; i++) {
    const v = start + ((first - start + i) % size)
    if (v === gw) continue
    const ip = intToIp(v)
    if (store.reserved[ip]) continue
    return take(ip)
  }
  return { ok: false, store, error: `no IP addresses available in range set: ${store.rangeStart}-${store.rangeEnd}` }
}

/** host-local DEL: remove the files of this container/ifname; idempotent. */
export function releaseHostLocal(store: HostLocalStore, containerId: string, ifname: string): HostLocalStore {
  const reserved = Object.fromEntries(Object.entries(store.reserved).filter(([, r]) => !(r.containerId === containerId && r.ifname === ifname)))
  return { ...store, reserved }
}

export function newCalicoBlock(cidr: string): CalicoBlock {
  const p = parsePrefix(cidr)
  const size = 2 ** (32 - p.len)
  return { cidr: `${intToIp(p.net)}/${p.len}`, unallocated: Array.from({ length: size }, (_, i) => i), allocations: {} }
}

/** calico-ipam: the first free ordinal of the block, recorded under `handle`. */
export function allocateCalico(block: CalicoBlock, handle: string, requested?: Ip): IpamResult<CalicoBlock> {
  const base = parsePrefix(block.cidr).net
  let ord: number | undefined
  if (requested !== undefined) {
    const o = ipToInt(requested) - base
    if (!block.unallocated.includes(o)) return { ok: false, store: block, error: `requested IP ${requested} is not free in block ${block.cidr}` }
    ord = o
  } else ord = block.unallocated[0]
  if (ord === undefined) return { ok: false, store: block, error: `no more free affine blocks / addresses in ${block.cidr}` }
  const o = ord
  return { ok: true, ip: intToIp(base + o), store: { ...block, unallocated: block.unallocated.filter((x) => x !== o), allocations: { ...block.allocations, [String(o)]: handle } } }
}

export function releaseCalico(block: CalicoBlock, handle: string): CalicoBlock {
  const freed = Object.entries(block.allocations).filter(([, h]) => h === handle).map(([o]) => Number(o))
  if (freed.length === 0) return block
  return { ...block, unallocated: [...block.unallocated, ...freed], allocations: Object.fromEntries(Object.entries(block.allocations).filter(([, h]) => h !== handle)) }
}

/** The `/24` (or given length) of the cluster CIDR with this index: 10.244.0.0/16, 2 → 10.244.2.0/24. */
export function nthSubnet(clusterCIDR: string, index: number, len = 24): string {
  const p = parsePrefix(clusterCIDR)
  return `${intToIp((p.net + index * 2 ** (32 - len)) >>> 0)}/${len}`
}

export function subnetNetwork(cidr: string): Ip {
  const p = parsePrefix(cidr)
  return networkOf(intToIp(p.net), p.len)
}
