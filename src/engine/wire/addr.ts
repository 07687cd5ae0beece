/**
 * IPv4 and MAC address values. Addresses travel through the model as canonical strings
 * (`10.244.1.2`, `aa:bb:cc:00:00:01`) so traces stay readable JSON; hot paths convert to
 * unsigned 32-bit integers with these helpers. Parsing and validation lean on ipaddr.js.
 */
import ipaddr from 'ipaddr.js'

export type Ip = string
export type Mac = string

/** A parsed prefix: `net` is the network address as u32, `mask` the netmask as u32. */
export interface Prefix {
  readonly net: number
  readonly len: number
  readonly mask: number
}

export function isIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text)
}

/** u32 value of a dotted quad. Throws on malformed input; check with isIpv4 first. */
export function ipToInt(ip: Ip): number {
  const p = ip.split('.')
  if (p.length !== 4) throw new Error(`not an IPv4 address: ${ip}`)
  let v = 0
  for (const part of p) {
    const n = Number(part)
    if (!Number.isInteger(n) || n < 0 || n > 255 || part === '') throw new Error(`not an IPv4 address: ${ip}`)
    v = v * 256 + n
  }
  return v >>> 0
}

export function intToIp(v: number): Ip {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
}

/**
 * Parse `a.b.c.d/len`, a bare address (a /32) or `default` (0.0.0.0/0).
 * Host bits are cleared as the kernel does for routes.
 */
export function parsePrefix(text: string): Prefix {
  if (text === 'default' || text === 'any' || text === 'all') return { net: 0, len: 0, mask: 0 }
  const slash = text.indexOf('/')
  const ip = slash < 0 ? text : text.slice(0, slash)
  const lenText = slash < 0 ? '32' : text.slice(slash + 1)
  let len: number
  if (/^\d+$/.test(lenText)) len = Number(lenText)
  else if (isIpv4(lenText)) len = maskToLen(ipToInt(lenText))
  else throw new Error(`bad prefix length in ${text}`)
  if (len < 0 || len > 32) throw new Error(`bad prefix length in ${text}`)
  const mask = maskOf(len)
  return { net: (ipToInt(ip) & mask) >>> 0, len, mask }
}

export function tryParsePrefix(text: string): Prefix | undefined {
  try {
    return parsePrefix(text)
  } catch {
    return undefined
  }
}

function maskToLen(mask: number): number {
  let len = 0
  while (len < 32 && mask & (0x80000000 >>> len)) len++
  if (maskOf(len) !== mask >>> 0) throw new Error('non-contiguous netmask')
  return len
}

export function prefixContains(p: Prefix, ip: Ip | number): boolean {
  const v = typeof ip === 'number' ? ip : ipToInt(ip)
  return ((v & p.mask) >>> 0) === p.net
}

export function formatPrefix(p: Prefix): string {
  return `${intToIp(p.net)}/${p.len}`
}

/** `10.244.1.0/24` contains `10.244.1.7`. */
export function cidrContains(cidr: string, ip: Ip): boolean {
  return prefixContains(parsePrefix(cidr), ip)
}

/** The network address of `ip/len`. */
export function networkOf(ip: Ip, len: number): Ip {
  return intToIp((ipToInt(ip) & maskOf(len)) >>> 0)
}

export function broadcastOf(ip: Ip, len: number): Ip {
  return intToIp((ipToInt(ip) | ~maskOf(len)) >>> 0)
}

/** The n-th address inside a prefix (n = 1 gives `.1` of a /24). */
export function nthAddress(cidr: string, n: number): Ip {
  const p = parsePrefix(cidr)
  return intToIp((p.net + n) >>> 0)
}

export const BROADCAST_MAC: Mac = 'ff:ff:ff:ff:ff:ff'
export const ZERO_MAC: Mac = '00:00:00:00:00:00'

export function isMac(text: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)
}

export function normalizeMac(text: string): Mac {
  return text.toLowerCase()
}

/** A stable, locally administered unicast MAC derived from a seed string (FNV-1a). */
export function macFromSeed(seed: string): Mac {
  let h = 0x811c9dc5
  let h2 = 0x01000193
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0
    h2 = Math.imul(h2 ^ seed.charCodeAt(i), 0x811c9dc5) >>> 0
  }
  const b = [(((h >>> 24) & 0xfc) | 0x02) & 0xfe, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, (h2 >>> 8) & 255, h2 & 255]
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':')
}

export function isMulticastMac(mac: Mac): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1
}

/** Loopback 127.0.0.0/8. */
export function isLoopbackIp(ip: Ip): boolean {
  return ip.startsWith('127.')
}
