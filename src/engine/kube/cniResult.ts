/**
 * CNI result validators, one per spec version we emit (SPEC.md "Result" section):
 * 1.0.0: ips entries are {address, gateway?, interface?} — the `version` field was removed;
 * 0.4.0: ips entries carry `version` "4"|"6" matching the address family.
 * Both: interfaces {name, mac?, sandbox?}, `interface` must index into interfaces,
 * routes {dst, gw?}, dns {nameservers?, domain?, search?, options?}.
 */
import { isIpv4 } from '../wire/addr.ts'

export type CniVersion = '1.0.0' | '0.4.0'

const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/

function isCidr(v: unknown): boolean {
  if (typeof v !== 'string') return false
  const m = CIDR.exec(v)
  return !!m && isIpv4(m[1]!) && Number(m[2]) <= 32
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Problems in a result for a version; empty when valid.
 *
 * @example
 * validateCniResult('1.0.0', JSON.parse(stdout)) // []
 */
export function validateCniResult(version: CniVersion, result: unknown): string[] {
  const errs: string[] = []
  if (!isObj(result)) return ['result is not a JSON object']
  const allowedTop = ['cniVersion', 'interfaces', 'ips', 'routes', 'dns']
  for (const k of Object.keys(result)) if (!allowedTop.includes(k)) errs.push(`unknown field "${k}"`)
  if (result.cniVersion !== version) errs.push(`cniVersion is ${JSON.stringify(result.cniVersion)}, expected "${version}"`)
  const ifaces = result.interfaces
  let nIfaces = 0
  if (ifaces !== undefined) {
    if (!Array.isArray(ifaces)) errs.push('interfaces must be an array')
    else {
      nIfaces = ifaces.length
      ifaces.forEach((i, n) => {
        if (!isObj(i)) return errs.push(`interfaces[${n}] must be an object`)
        if (typeof i.name !== 'string' || i.name === '') errs.push(`interfaces[${n}].name is required`)
        if (i.mac !== undefined && (typeof i.mac !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(i.mac))) errs.push(`interfaces[${n}].mac is not a MAC address`)
        if (i.sandbox !== undefined && typeof i.sandbox !== 'string') errs.push(`interfaces[${n}].sandbox must be a string`)
        for (const k of Object.keys(i)) if (!['name', 'mac', 'sandbox'].includes(k)) errs.push(`interfaces[${n}]: unknown field "${k}" in ${version}`)
      })
    }
  }
  const ips = result.ips
  if (ips !== undefined) {
    if (!Array.isArray(ips)) errs.push('ips must be an array')
    else
      ips.forEach((ip, n) => {
        if (!isObj(ip)) return errs.push(`ips[${n}] must be an object`)
        if (!isCidr(ip.address)) errs.push(`ips[${n}].address must be a CIDR like 10.244.1.2/24`)
        if (ip.gateway !== undefined && (typeof ip.gateway !== 'string' || !isIpv4(ip.gateway))) errs.push(`ips[${n}].gateway must be an IP address`)
        if (ip.interface !== undefined && (typeof ip.interface !== 'number' || !Number.isInteger(ip.interface) || ip.interface < 0 || ip.interface >= nIfaces)) errs.push(`ips[${n}].interface must index into interfaces (0..${nIfaces - 1})`)
        const allowed = version === '0.4.0' ? ['version', 'address', 'gateway', 'interface'] : ['address', 'gateway', 'interface']
        for (const k of Object.keys(ip)) if (!allowed.includes(k)) errs.push(`ips[${n}]: field "${k}" is not part of ${version}`)
        if (version === '0.4.0' && ip.version !== '4' && ip.version !== '6') errs.push(`ips[${n}].version must be "4" or "6" in 0.4.0`)
        if (version === '0.4.0' && ip.version === '6' && isCidr(ip.address)) errs.push(`ips[${n}].version "6" does not match an IPv4 address`)
      })
  }
  const routes = result.routes
  if (routes !== undefined) {
    if (!Array.isArray(routes)) errs.push('routes must be an array')
    else
      routes.forEach((r, n) => {
        if (!isObj(r)) return errs.push(`routes[${n}] must be an object`)
        if (!isCidr(r.dst)) errs.push(`routes[${n}].dst must be a CIDR`)
        if (r.gw !== undefined && (typeof r.gw !== 'string' || !isIpv4(r.gw))) errs.push(`routes[${n}].gw must be an IP address`)
        for (const k of Object.keys(r)) if (!['dst', 'gw'].includes(k)) errs.push(`routes[${n}]: field "${k}" is not part of ${version}`)
      })
  }
  const dns = result.dns
  if (dns !== undefined) {
    if (!isObj(dns)) errs.push('dns must be an object')
    else {
      for (const k of ['nameservers', 'search', 'options'] as const) if (dns[k] !== undefined && (!Array.isArray(dns[k]) || !dns[k].every((x) => typeof x === 'string'))) errs.push(`dns.${k} must be an array of strings`)
      if (dns.domain !== undefined && typeof dns.domain !== 'string') errs.push('dns.domain must be a string')
    }
  }
  return errs
}

/** Error result a plugin prints on failure (exit code 1 or more). */
export function cniError(version: string, code: number, msg: string, details?: string): string {
  return JSON.stringify({ cniVersion: version, code, msg, ...(details !== undefined && { details }) }, null, 4)
}

/** The plugins' answer to VERSION. */
export function versionResult(version: string): string {
  return JSON.stringify({ cniVersion: version, supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] })
}

/** JSON with object keys sorted, as Go marshals the map[string]interface{} libcni builds for stdin. */
export function sortedJson(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm)
    if (isObj(x)) return Object.fromEntries(Object.keys(x).sort().map((k) => [k, norm(x[k])]))
    return x
  }
  return JSON.stringify(norm(v))
}
