/**
 * Kubernetes chain names, in one place: the fixed chains kube-proxy and kubelet create, and
 * the per-Service chains whose names kube-proxy derives by hashing. Rule of the module: a
 * name computed here is byte-for-byte the name a real node shows in `iptables-save`.
 *
 * kube-proxy (pkg/proxy/iptables/proxier.go, unchanged since 1.2 apart from new prefixes):
 * prefix + first 16 characters of base32(SHA-256(servicePortName + protocol [+ endpoint])),
 * with RFC 4648 base32 (the standard alphabet, upper case), protocol lower-case ("tcp") and
 * servicePortName `ns/name:port` (`ns/name` when the port has no name).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'

// Fixed chains (kube-proxy iptables mode).
export const KUBE_SERVICES = 'KUBE-SERVICES'
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES'
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS'
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING'
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ'
export const KUBE_FORWARD = 'KUBE-FORWARD'
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL'
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY'
// Chains kubelet owns (kube-proxy keeps a copy of KUBE-FIREWALL's localnet rule).
export const KUBE_FIREWALL = 'KUBE-FIREWALL'
export const KUBE_KUBELET_CANARY = 'KUBE-KUBELET-CANARY'
export const KUBE_IPTABLES_HINT = 'KUBE-IPTABLES-HINT'

// Per-Service chain prefixes.
export const SVC_PREFIX = 'KUBE-SVC-'
export const SVL_PREFIX = 'KUBE-SVL-'
export const EXT_PREFIX = 'KUBE-EXT-'
export const FW_PREFIX = 'KUBE-FW-'
export const SEP_PREFIX = 'KUBE-SEP-'

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * RFC 4648 §6 base32 with `=` padding, as Go's base32.StdEncoding prints it.
 *
 * @example encodeBase32(utf8ToBytes('foobar')) // 'MZXW6YTBOI======'
 */
export function encodeBase32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31]
  while (out.length % 8 !== 0) out += '='
  return out
}

/**
 * The name kube-proxy gives one port of a Service (Go's ServicePortName.String()).
 *
 * @example servicePortName('kube-system', 'kube-dns', 'dns-tcp') // 'kube-system/kube-dns:dns-tcp'
 */
export function servicePortName(namespace: string, name: string, portName: string | undefined): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`
}

function hash16(text: string): string {
  return encodeBase32(sha256(utf8ToBytes(text))).slice(0, 16)
}

/**
 * kube-proxy's portProtoHash: the 16 characters shared by a Service port's SVC/SVL/EXT/FW chains.
 *
 * @example portProtoHash('ns1/svc1:p80', 'tcp') // 'XPGD46QRK7WJZT7O'
 */
export function portProtoHash(spn: string, protocol: string): string {
  return hash16(spn + protocol.toLowerCase())
}

/**
 * KUBE-SVC-…: the Cluster-policy chain of a Service port.
 *
 * @example serviceChainName('default/kubernetes:https', 'tcp') // 'KUBE-SVC-NPX46M4PTMTKRN6Y'
 */
export function serviceChainName(spn: string, protocol: string): string {
  return SVC_PREFIX + portProtoHash(spn, protocol)
}

/**
 * KUBE-SVL-…: the Local-policy chain (node-local endpoints only). Same hash as KUBE-SVC-.
 *
 * @example localChainName('ns1/svc1:p80', 'tcp') // 'KUBE-SVL-XPGD46QRK7WJZT7O'
 */
export function localChainName(spn: string, protocol: string): string {
  return SVL_PREFIX + portProtoHash(spn, protocol)
}

/**
 * KUBE-EXT-…: where NodePort, externalIP and load-balancer traffic enters.
 *
 * @example externalChainName('ns1/svc1:p80', 'tcp') // 'KUBE-EXT-XPGD46QRK7WJZT7O'
 */
export function externalChainName(spn: string, protocol: string): string {
  return EXT_PREFIX + portProtoHash(spn, protocol)
}

/**
 * KUBE-FW-…: loadBalancerSourceRanges filtering.
 *
 * @example firewallChainName('ns1/svc1:p80', 'tcp') // 'KUBE-FW-XPGD46QRK7WJZT7O'
 */
export function firewallChainName(spn: string, protocol: string): string {
  return FW_PREFIX + portProtoHash(spn, protocol)
}

/**
 * KUBE-SEP-…: one endpoint of a Service port; `endpoint` is `ip:port` as kube-proxy joins it.
 *
 * @example endpointChainName('default/kubernetes:https', 'tcp', '192.168.20.100:6443') // 'KUBE-SEP-U7HH75UFG3U5VGYY'
 */
export function endpointChainName(spn: string, protocol: string, endpoint: string): string {
  return SEP_PREFIX + hash16(spn + protocol.toLowerCase() + endpoint)
}

/**
 * True for the per-Service chains kube-proxy creates and garbage-collects.
 *
 * @example isServiceChainName('KUBE-SEP-U7HH75UFG3U5VGYY') // true; 'KUBE-SERVICES' → false
 */
export function isServiceChainName(chain: string): boolean {
  return [SVC_PREFIX, SVL_PREFIX, EXT_PREFIX, FW_PREFIX, SEP_PREFIX].some((p) => chain.startsWith(p))
}
