import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  encodeBase32, endpointChainName, externalChainName, firewallChainName, isServiceChainName, localChainName, portProtoHash, serviceChainName, servicePortName,
} from './names.ts'

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname

describe('encodeBase32', () => {
  // RFC 4648 §10 test vectors.
  it.each([
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ])('%j → %s', (text, want) => {
    expect(encodeBase32(utf8ToBytes(text))).toBe(want)
  })

  test.prop([fc.uint8Array({ maxLength: 64 })])('length is 8·ceil(n/5) and only the RFC alphabet', (bytes) => {
    const out = encodeBase32(bytes)
    expect(out.length).toBe(8 * Math.ceil(bytes.length / 5))
    expect(out).toMatch(/^[A-Z2-7]*=*$/)
  })
})

describe('servicePortName', () => {
  it.each([
    ['default', 'kubernetes', 'https', 'default/kubernetes:https'],
    // Unnamed port: no colon (kube-proxy before 1.9 printed a trailing colon, see the 2019 dump).
    ['default', 'web', '', 'default/web'],
    ['default', 'web', undefined, 'default/web'],
  ])('%s/%s port %j → %s', (ns, name, portName, want) => {
    expect(servicePortName(ns, name, portName)).toBe(want)
  })
})

describe('chain names', () => {
  it.each([
    // From the real dump flannel-vxlan-kubeadm-2025-cilium_lab and every kubeadm cluster.
    [serviceChainName('default/kubernetes:https', 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y'],
    [endpointChainName('default/kubernetes:https', 'tcp', '192.168.20.100:6443'), 'KUBE-SEP-U7HH75UFG3U5VGYY'],
    [serviceChainName('kube-system/kube-dns:dns', 'udp'), 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
    [serviceChainName('kube-system/kube-dns:dns-tcp', 'tcp'), 'KUBE-SVC-ERIFXISQEP7F7OF4'],
    [serviceChainName('kube-system/kube-dns:metrics', 'tcp'), 'KUBE-SVC-JD5MR3NA4I4DYORP'],
    // The protocol is lower-cased before hashing: TCP and tcp name the same chain.
    [serviceChainName('kube-system/kube-dns:dns-tcp', 'TCP'), 'KUBE-SVC-ERIFXISQEP7F7OF4'],
    // kube-proxy's own tests (fixtures/kube-proxy-flows): one hash, four prefixes.
    [serviceChainName('ns1/svc1:p80', 'tcp'), 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    [localChainName('ns1/svc1:p80', 'tcp'), 'KUBE-SVL-XPGD46QRK7WJZT7O'],
    [externalChainName('ns1/svc1:p80', 'tcp'), 'KUBE-EXT-XPGD46QRK7WJZT7O'],
    [firewallChainName('ns1/svc1:p80', 'tcp'), 'KUBE-FW-XPGD46QRK7WJZT7O'],
    [endpointChainName('ns1/svc1:p80', 'tcp', '10.180.2.1:80'), 'KUBE-SEP-ZX7GRIZKSNUQ3LAJ'],
  ])('%s', (got, want) => {
    expect(got).toBe(want)
  })

  test.prop([fc.string(), fc.constantFrom('tcp', 'udp', 'sctp')])('always prefix + 16 base32 characters, at most 28 (iptables chain name limit)', (spn, proto) => {
    const name = serviceChainName(spn, proto)
    expect(name).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/)
    expect(portProtoHash(spn, proto)).toBe(name.slice('KUBE-SVC-'.length))
    expect(endpointChainName(spn, proto, '10.0.0.1:80').length).toBeLessThanOrEqual(28)
  })

  it('recognises the per-Service chains only', () => {
    expect(['KUBE-SVC-X', 'KUBE-SVL-X', 'KUBE-EXT-X', 'KUBE-FW-X', 'KUBE-SEP-X'].every(isServiceChainName)).toBe(true)
    expect(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'FLANNEL-POSTRTG'].some(isServiceChainName)).toBe(false)
  })
})

/** A chain name seen in a fixture, and what its rule says it is for. */
interface Seen {
  readonly file: string
  readonly line: number
  readonly chain: string
  readonly expected: string
  readonly why: string
}

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? fixtureFiles(p) : /\.txt$/.test(n) ? [p] : []
  })
}

/** Split an iptables-save / -S rule into words, honouring double quotes. */
function words(line: string): string[] {
  return [...line.matchAll(/"((?:\\.|[^"\\])*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '')
}

function option(ws: readonly string[], name: string): string | undefined {
  const i = ws.indexOf(name)
  return i >= 0 ? ws[i + 1] : undefined
}

/** The comment of a rule; fixture quirk: unquoted multi-word comments run to the next option. */
function commentOf(ws: readonly string[]): string | undefined {
  const i = ws.indexOf('--comment')
  if (i < 0) return undefined
  const out: string[] = []
  for (const w of ws.slice(i + 1)) {
    if (w.startsWith('-') && out.length > 0) break
    out.push(w)
  }
  return out.join(' ')
}

const SERVICE_COMMENT = / (cluster IP|external IP|loadbalancer IP|health check node port)$/

/**
 * Every per-Service chain name a fixture shows next to the comment that names its Service
 * port, with the name kube-proxy's hash gives. Handles iptables-save and `-S` lines,
 * `iptables -L` listings (with and without counters); nft lines carry no comment and are
 * skipped.
 */
function scanFixture(file: string): Seen[] {
  const out: Seen[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  let listChain: string | undefined
  // KUBE-SEP chain → the Service port and protocol its DNAT rule serves (save format).
  const sepOwner = new Map<string, { spn: string; proto: string }>()
  for (const text of lines.filter((l) => l.startsWith('-A KUBE-SEP-'))) {
    const ws = words(text)
    const proto = option(ws, '-p')
    const c = commentOf(ws)
    if (option(ws, '-j') === 'DNAT' && proto && c !== undefined) sepOwner.set(ws[1] ?? '', { spn: c, proto })
  }
  lines.forEach((text, i) => {
    const line = i + 1
    const at = (chain: string, expected: string, why: string): void => {
      out.push({ file: file.slice(FIXTURES.length), line, chain, expected, why })
    }
    if (text.startsWith('-A ')) {
      const ws = words(text)
      const chain = ws[1] ?? ''
      const proto = option(ws, '-p')
      const target = option(ws, '-j')
      const c = commentOf(ws)
      if (chain.startsWith('KUBE-SEP-') && target === 'DNAT' && proto && c !== undefined) {
        at(chain, endpointChainName(c, proto, option(ws, '--to-destination') ?? ''), `DNAT ${proto} for ${c}`)
      }
      if (proto && c !== undefined && target && /^KUBE-(SVC|EXT|FW|SVL)-/.test(target)) {
        const spn = c.replace(SERVICE_COMMENT, '')
        at(target, target.replace(/[A-Z2-7]{16}$/, '') + portProtoHash(spn, proto), `jump from ${chain} for ${c}`)
      }
      if (/^KUBE-(SVC|SVL)-/.test(chain) && proto && c !== undefined && c.endsWith(' cluster IP')) {
        at(chain, chain.replace(/[A-Z2-7]{16}$/, '') + portProtoHash(c.replace(SERVICE_COMMENT, ''), proto), `masquerade rule for ${c}`)
      }
      const owner = target !== undefined ? sepOwner.get(target) : undefined
      if (/^KUBE-(SVC|SVL)-/.test(chain) && owner) {
        at(chain, chain.replace(/[A-Z2-7]{16}$/, '') + portProtoHash(owner.spn, owner.proto), `jump to ${target ?? ''}, an endpoint of ${owner.spn}`)
      }
      const fw = c?.match(/^(.*) traffic not accepted by (KUBE-FW-\w+)$/)
      if (fw?.[1] !== undefined && fw[2] !== undefined && proto) at(fw[2], firewallChainName(fw[1], proto), `KUBE-PROXY-FIREWALL for ${fw[1]}`)
      return
    }
    const header = text.match(/^Chain (\S+)/)
    if (header) {
      listChain = header[1]
      return
    }
    // `iptables -L` / `-nvL`: [pkts bytes] target prot opt [in out] source destination /* comment */ extra
    const m = text.match(/^\s*(?:\d+[KMG]?\s+\d+[KMG]?\s+)?(\S+)\s+(tcp|udp|sctp|all)\s+\S+\s+.*?\/\* (.*?) \*\/(.*)$/)
    if (!m) return
    const [, target = '', proto = '', c = '', rest = ''] = m
    const to = rest.match(/ to:(\S+)/)?.[1]
    if (target === 'DNAT' && listChain?.startsWith('KUBE-SEP-') && to !== undefined) at(listChain, endpointChainName(c, proto, to), `DNAT ${proto} for ${c}`)
    if (/^KUBE-(SVC|EXT|FW|SVL)-/.test(target) && proto !== 'all') {
      at(target, target.replace(/[A-Z2-7]{16}$/, '') + portProtoHash(c.replace(SERVICE_COMMENT, ''), proto), `jump from ${listChain ?? '?'} for ${c}`)
    }
  })
  return out
}

describe('the hash against every chain name in src/fixtures', () => {
  const seen = fixtureFiles(FIXTURES).flatMap(scanFixture)

  it('finds names to check in the real dumps and in kube-proxy’s own test rulesets', () => {
    const files = new Set(seen.map((s) => s.file.split('/')[0]))
    expect(files).toEqual(new Set(['real-dumps', 'kube-proxy-flows']))
    // Both eras: modern (`ns/svc:port`) and 2019 (`default/nginx-svc:` with a trailing colon).
    expect(seen.some((s) => s.chain === 'KUBE-SVC-R2VK7O5AFVLRAXSH')).toBe(true)
  })

  it('checks every per-Service chain name that appears anywhere in the fixtures', () => {
    const all = new Set(fixtureFiles(FIXTURES).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/KUBE-(?:SVC|SVL|EXT|FW|SEP)-[A-Z2-7]{16}/g)].map((m) => m[0])))
    const checked = new Set(seen.map((s) => s.chain))
    expect(all.size).toBe(45)
    expect([...all].filter((n) => !checked.has(n))).toEqual([])
  })

  it('names every chain exactly as kube-proxy did', () => {
    const wrong = seen.filter((s) => s.chain !== s.expected).map((s) => `${s.file}:${s.line} ${s.chain} ≠ ${s.expected} (${s.why})`)
    expect(wrong).toEqual([])
  })
})
