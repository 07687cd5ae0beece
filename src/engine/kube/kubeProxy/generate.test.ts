import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { generateKubeProxyRules, generateKubeProxyRuleset, LARGE_CLUSTER_ENDPOINTS, printKubeProxyRules } from './generate.ts'
import { GOLDEN_CASES } from './goldenCases.ts'
import { kubeProxyProbability, printRuleSpec, savedProbability } from './saveText.ts'
import type { SaveRule } from './saveText.ts'
import { input, port, slice, svc } from './testBuilders.ts'
import { FLOW_CASES, lb } from './flowCases.ts'
import { printIptablesSave } from '../../netfilter/save.ts'

const FLOWS = new URL('../../../fixtures/kube-proxy-flows/', import.meta.url).pathname

/** `table:chain` → the chain's rule lines (`-A …`) in order; declared chains map to []. */
function chainsOf(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let table = ''
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1)
    else if (line.startsWith(':')) out.set(`${table}:${line.slice(1).split(' ')[0] ?? ''}`, [])
    else if (line.startsWith('-A ')) out.get(`${table}:${line.split(' ')[1] ?? ''}`)?.push(line)
  }
  return out
}

function linesOf(text: string, pattern: RegExp): string[] {
  return text.split('\n').filter((l) => pattern.test(l))
}

describe('golden iptables-save files', () => {
  it.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    await expect(generateKubeProxyRules(c.input)).toMatchFileSnapshot(`./golden/${name}.txt`)
  })
})

describe('what the golden cases must show', () => {
  const text = (name: string): string => generateKubeProxyRules(GOLDEN_CASES.find((c) => c.name === name)!.input)

  it('ClusterIP with 2 endpoints: masquerade non-pod sources, then 1/2 for the first endpoint in ip:port order', () => {
    expect(linesOf(text('clusterip-2-endpoints'), /^-A KUBE-SVC-/)).toEqual([
      // `! -s` the cluster CIDR: only traffic from outside the pod network is masqueraded.
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
      // "10.244.0.7:8080" < "10.244.1.5:8080": endpoints are sorted as strings, not by node.
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.7:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-T2IEUACZRFGGXOE4',
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.5:8080" -j KUBE-SEP-AFGSLHOD2HFNCBX4',
    ])
  })

  it('three endpoints: 1/3 as iptables stores it (0.33333333349), then 1/2, then the rest; the terminating one gets nothing', () => {
    const t = text('three-endpoints-one-terminating')
    expect(linesOf(t, /^-A KUBE-SVC-.*statistic/).map((l) => l.match(/--probability (\S+)/)?.[1])).toEqual(['0.33333333349', '0.50000000000'])
    expect(t).not.toContain('10.244.2.11')
  })

  it('session affinity: recent --rcheck per endpoint before the cascade, recent --set in the SEP', () => {
    const t = text('session-affinity')
    expect(linesOf(t, /-m recent/)).toEqual([
      '-A KUBE-SEP-AFGSLHOD2HFNCBX4 -p tcp -m comment --comment "default/web:http" -m recent --set --name KUBE-SEP-AFGSLHOD2HFNCBX4 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.5:8080',
      '-A KUBE-SEP-T2IEUACZRFGGXOE4 -p tcp -m comment --comment "default/web:http" -m recent --set --name KUBE-SEP-T2IEUACZRFGGXOE4 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.0.7:8080',
      // 10800 s: the API default for sessionAffinityConfig.clientIP.timeoutSeconds.
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.7:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-T2IEUACZRFGGXOE4 --mask 255.255.255.255 --rsource -j KUBE-SEP-T2IEUACZRFGGXOE4',
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.5:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-AFGSLHOD2HFNCBX4 --mask 255.255.255.255 --rsource -j KUBE-SEP-AFGSLHOD2HFNCBX4',
    ])
  })

  it('NodePort (Cluster policy): KUBE-NODEPORTS → KUBE-EXT, which masquerades everything, then KUBE-SVC', () => {
    const c = chainsOf(text('nodeport'))
    expect(c.get('nat:KUBE-NODEPORTS')).toEqual(['-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-CDGGSHYLG3RE2FKL'])
    expect(c.get('nat:KUBE-EXT-CDGGSHYLG3RE2FKL')).toEqual([
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ',
      '-A KUBE-EXT-CDGGSHYLG3RE2FKL -j KUBE-SVC-CDGGSHYLG3RE2FKL',
    ])
    // The NodePort jump is the last KUBE-SERVICES rule: anything addressed to a local address.
    expect(c.get('nat:KUBE-SERVICES')?.at(-1)).toBe('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  })

  it('externalTrafficPolicy Local with a local endpoint: KUBE-EXT ends in KUBE-SVL, which holds only the local endpoint', () => {
    const c = chainsOf(text('etp-local-with-local-endpoint'))
    expect(c.get('nat:KUBE-EXT-CDGGSHYLG3RE2FKL')?.at(-1)).toBe('-A KUBE-EXT-CDGGSHYLG3RE2FKL -j KUBE-SVL-CDGGSHYLG3RE2FKL')
    expect(c.get('nat:KUBE-SVL-CDGGSHYLG3RE2FKL')).toEqual(['-A KUBE-SVL-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.7:8080" -j KUBE-SEP-T2IEUACZRFGGXOE4'])
    expect(c.get('filter:KUBE-EXTERNAL-SERVICES')).toEqual([])
  })

  it('externalTrafficPolicy Local without local endpoints: no KUBE-SVL, external traffic DROPped in filter', () => {
    const c = chainsOf(text('etp-local-without-local-endpoint'))
    expect(c.has('nat:KUBE-SVL-CDGGSHYLG3RE2FKL')).toBe(false)
    // Pods and the node itself still reach the Service through the short-circuit rules.
    expect(c.get('nat:KUBE-EXT-CDGGSHYLG3RE2FKL')?.map((l) => l.match(/--comment "([^"]+)"/)?.[1])).toEqual([
      'pod traffic for default/web:http external destinations',
      'masquerade LOCAL traffic for default/web:http external destinations',
      'route LOCAL traffic for default/web:http external destinations',
    ])
    expect(c.get('filter:KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -d 192.168.0.200/32 -p tcp -m comment --comment "default/web:http has no local endpoints" -m tcp --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP',
    ])
  })

  it('internalTrafficPolicy Local: the cluster IP jumps to KUBE-SVL and no KUBE-SVC exists', () => {
    const c = chainsOf(text('itp-local'))
    expect(c.get('nat:KUBE-SERVICES')?.[0]).toContain('-j KUBE-SVL-CDGGSHYLG3RE2FKL')
    expect(c.has('nat:KUBE-SVC-CDGGSHYLG3RE2FKL')).toBe(false)
    expect(c.get('nat:KUBE-SVL-CDGGSHYLG3RE2FKL')?.length).toBe(2) // masquerade + the one local endpoint
  })

  it('no endpoints: REJECT in filter for the cluster IP and the NodePort, and no nat chain for the Service', () => {
    const t = text('no-endpoints')
    expect(linesOf(t, /has no endpoints/)).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable',
      // Unnamed port: the comment is just ns/name.
      '-A KUBE-SERVICES -d 10.96.0.60/32 -p tcp -m comment --comment "default/api has no endpoints" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable',
      '-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "default/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    ])
    expect(t).not.toMatch(/KUBE-(SVC|SEP|EXT)-/)
  })

  it('headless Services get no rules: the text equals that of a cluster with no Services', () => {
    expect(text('headless')).toBe(generateKubeProxyRules(input([], [])))
  })

  it('load-balancer source ranges: KUBE-FW lets the ranges (and the VIP itself, since the node is in range) through', () => {
    const c = chainsOf(text('loadbalancer-source-ranges'))
    expect(c.get('nat:KUBE-FW-CDGGSHYLG3RE2FKL')).toEqual([
      '-A KUBE-FW-CDGGSHYLG3RE2FKL -s 203.0.113.0/25 -m comment --comment "default/web:http loadbalancer IP" -j KUBE-EXT-CDGGSHYLG3RE2FKL',
      '-A KUBE-FW-CDGGSHYLG3RE2FKL -s 192.168.0.0/24 -m comment --comment "default/web:http loadbalancer IP" -j KUBE-EXT-CDGGSHYLG3RE2FKL',
      '-A KUBE-FW-CDGGSHYLG3RE2FKL -s 198.51.100.10/32 -m comment --comment "default/web:http loadbalancer IP" -j KUBE-EXT-CDGGSHYLG3RE2FKL',
      '-A KUBE-FW-CDGGSHYLG3RE2FKL -m comment --comment "other traffic to default/web:http will be dropped by KUBE-PROXY-FIREWALL"',
    ])
    expect(c.get('filter:KUBE-PROXY-FIREWALL')).toEqual([
      '-A KUBE-PROXY-FIREWALL -d 198.51.100.10/32 -p tcp -m comment --comment "default/web:http traffic not accepted by KUBE-FW-CDGGSHYLG3RE2FKL" -m tcp --dport 80 -j DROP',
    ])
  })

  it('fixed plumbing matches a real node: jumps from the built-in chains in the order kubelet then kube-proxy leave them', () => {
    const c = chainsOf(text('headless'))
    expect(c.get('filter:INPUT')).toEqual([
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-A INPUT -j KUBE-FIREWALL',
    ])
    expect(c.get('nat:KUBE-POSTROUTING')).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ])
    expect(c.get('nat:KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000'])
    expect([...c.keys()].filter((k) => k.startsWith('mangle:'))).toEqual(['mangle:PREROUTING', 'mangle:INPUT', 'mangle:FORWARD', 'mangle:OUTPUT', 'mangle:POSTROUTING', 'mangle:KUBE-IPTABLES-HINT', 'mangle:KUBE-KUBELET-CANARY', 'mangle:KUBE-PROXY-CANARY'])
  })
})

describe('the real dump flannel-vxlan-kubeadm-2025-cilium_lab', () => {
  it('is reproduced byte for byte (nat table, kube-proxy rules) from its Services and endpoints', () => {
    const real = readFileSync(new URL('../../../fixtures/real-dumps/flannel-vxlan-kubeadm-2025-cilium_lab/iptables-nat-S.txt', import.meta.url), 'utf8')
    const gen = generateKubeProxyRules(
      input(
        [
          svc('default/kubernetes', { clusterIP: '10.96.0.1', ports: [port('https', 443, 'TCP', { targetPort: 6443 })] }),
          svc('kube-system/kube-dns', { clusterIP: '10.96.0.10', ports: [port('dns', 53, 'UDP'), port('dns-tcp', 53, 'TCP'), port('metrics', 9153, 'TCP')] }),
        ],
        [
          slice('default/kubernetes', ['192.168.20.100'], [['https', 6443]]),
          slice('kube-system/kube-dns', [{ ip: '10.244.2.3', node: 'flannel-w2' }, { ip: '10.244.2.2', node: 'flannel-w2' }], [['dns', 53, 'UDP'], ['dns-tcp', 53], ['metrics', 9153]]),
        ],
        { nodeName: 'flannel-ctr', nodeIPs: ['192.168.20.100'] },
      ),
    )
    const natRules = (t: string): string[] => {
      const nat = t.includes('*nat') ? t.slice(t.indexOf('*nat'), t.indexOf('COMMIT', t.indexOf('*nat'))) : t
      return linesOf(nat, /^-A /).filter((l) => !l.includes('FLANNEL'))
    }
    // Same rules in the same order; the Services' order in KUBE-SERVICES happens to be sorted there too.
    expect(natRules(gen)).toEqual(natRules(real))
  })
})

/**
 * kube-proxy's own expected output (fixtures/kube-proxy-flows, in the form kube-proxy
 * writes it) turned into iptables-save's form with the same rules saveText.ts follows:
 * addresses first, comments quoted, marks as --set-xmark, REJECT's default reject-with,
 * probabilities quantised. Unquoted multi-word comments (a fixture quirk) run to the next option.
 */
function kubeProxyLineToSaved(line: string): string {
  const ws = [...line.matchAll(/"((?:\\.|[^"\\])*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '')
  const chain = ws[1] ?? ''
  const rule: { src?: SaveRule['src']; dst?: SaveRule['dst']; proto?: string; matches: string[]; target?: string } = { matches: [] }
  let i = 2
  while (i < ws.length) {
    let w = ws[i++] ?? ''
    const neg = w === '!'
    if (neg) w = ws[i++] ?? ''
    if (w === '-s' || w === '-d') {
      const v = { cidr: ws[i++] ?? '', ...(neg && { neg: true }) }
      if (w === '-s') rule.src = v
      else rule.dst = v
    } else if (w === '-p') rule.proto = ws[i++]
    else if (w === '-m') rule.matches.push(`-m ${ws[i++] ?? ''}`)
    else if (w === '-j') {
      const target = ws.slice(i).join(' ')
      rule.target = target
        .replace(/^MARK --or-mark (\S+)$/, 'MARK --set-xmark $1/$1')
        .replace(/^MARK --xor-mark (\S+)$/, 'MARK --set-xmark $1/0x0')
        .replace(/^REJECT$/, 'REJECT --reject-with icmp-port-unreachable')
      break
    } else {
      const values: string[] = []
      while (i < ws.length && !(ws[i] ?? '').startsWith('-') && ws[i] !== '!') values.push(ws[i++] ?? '')
      let text = w === '--comment' ? `--comment "${values.join(' ')}"` : [w, ...values].join(' ')
      if (w === '--probability') text = `--probability ${savedProbability(values[0] ?? '')}`
      const last = rule.matches.length - 1
      rule.matches[last] = `${rule.matches[last] ?? ''} ${neg ? '! ' : ''}${text}`
    }
  }
  return `-A ${chain} ${printRuleSpec(rule)}`.trimEnd()
}

/** Tables and chains of a kube-proxy-flows ruleset, every rule in iptables-save form. */
function fixtureChains(name: string): Map<string, string[]> {
  const text = readFileSync(`${FLOWS}${name}.rules.txt`, 'utf8')
  return chainsOf(text.split('\n').map((l) => (l.startsWith('-A ') ? kubeProxyLineToSaved(l) : l)).join('\n'))
}

describe('kube-proxy’s own test rulesets (fixtures/kube-proxy-flows) regenerated from equivalent Services', () => {
  it.each(FLOW_CASES)('%s: every KUBE-* chain of the fixture has exactly the same rules', (name, inp) => {
    const want = fixtureChains(name)
    const got = chainsOf(generateKubeProxyRules(inp))
    const kubeChains = [...want.keys()].filter((k) => /:KUBE-/.test(k))
    expect(kubeChains.length).toBeGreaterThan(8)
    for (const key of kubeChains) expect({ chain: key, rules: got.get(key) }).toEqual({ chain: key, rules: want.get(key) })
  })

  it.each(FLOW_CASES)('%s: the same per-Service chain names, no more, no fewer', (name, inp) => {
    const perService = (m: Map<string, string[]>): string[] => [...m.keys()].filter((k) => /:KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(k)).sort()
    expect(perService(chainsOf(generateKubeProxyRules(inp)))).toEqual(perService(fixtureChains(name)))
  })
})

describe('probabilities', () => {
  it.each([
    // kube-proxy writes 1/n with %0.10f; libxt_statistic stores lround(2^31·p) and prints it over 2^31 with %.11f.
    [1, '1.0000000000', '1.00000000000'],
    [2, '0.5000000000', '0.50000000000'],
    [3, '0.3333333333', '0.33333333349'], // the value every real dump with 3 endpoints shows
    [4, '0.2500000000', '0.25000000000'],
    [5, '0.2000000000', '0.20000000019'],
    [6, '0.1666666667', '0.16666666651'],
    [7, '0.1428571429', '0.14285714272'],
    [10, '0.1000000000', '0.10000000009'],
  ])('1/%i is written %s and saved %s', (n, written, saved) => {
    expect(kubeProxyProbability(n)).toBe(written)
    expect(savedProbability(written)).toBe(saved)
  })
})

/** Lines of b not in a, and of a not in b (multiset difference), each sorted. */
function lineDiff(a: string, b: string): { added: string[]; removed: string[] } {
  const count = new Map<string, number>()
  for (const l of a.split('\n')) count.set(l, (count.get(l) ?? 0) + 1)
  const added: string[] = []
  for (const l of b.split('\n')) {
    const n = count.get(l) ?? 0
    if (n > 0) count.set(l, n - 1)
    else added.push(l)
  }
  const removed = [...count].flatMap(([l, n]) => Array<string>(n).fill(l))
  return { added: added.sort(), removed: removed.sort() }
}

describe('scaling a Deployment from 2 to 4 replicas', () => {
  const eps = ['10.244.1.5', '10.244.2.6', '10.244.3.7', '10.244.4.8']
  const at = (n: number): string => generateKubeProxyRules(input([svc('default/web', { clusterIP: '10.96.0.50', ports: [port('http', 80)] })], [slice('default/web', eps.slice(0, n), [['http', 8080]])]))

  it('adds exactly two KUBE-SEP chains with their rules and rewrites the cascade: 1/2 → 1/4, 1/3, 1/2', () => {
    const { added, removed } = lineDiff(at(2), at(4))
    const svcRule = (ip: string, p?: string): string =>
      `-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> ${ip}:8080"${p ? ` -m statistic --mode random --probability ${p}` : ''} -j KUBE-SEP-`
    expect(removed.length).toBe(2)
    expect(removed[0]).toContain(svcRule('10.244.1.5', '0.50000000000'))
    expect(removed[1]).toContain(svcRule('10.244.2.6'))
    expect(added.filter((l) => l.startsWith(':KUBE-SEP-')).length).toBe(2)
    const newSeps = added.filter((l) => l.startsWith('-A KUBE-SEP-'))
    expect(newSeps.map((l) => l.replace(/KUBE-SEP-\w+/, 'KUBE-SEP-X')).sort()).toEqual([
      '-A KUBE-SEP-X -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.3.7:8080',
      '-A KUBE-SEP-X -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.4.8:8080',
      '-A KUBE-SEP-X -s 10.244.3.7/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-X -s 10.244.4.8/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ',
    ])
    const svcLines = added.filter((l) => l.startsWith('-A KUBE-SVC-'))
    // Each endpoint ends up with 1/4: 1/4; 3/4·1/3; 3/4·2/3·1/2; the remainder.
    expect(svcLines.map((l) => l.slice(0, l.lastIndexOf('KUBE-SEP-') + 'KUBE-SEP-'.length))).toEqual([
      svcRule('10.244.1.5', '0.25000000000'),
      svcRule('10.244.2.6', '0.33333333349'),
      svcRule('10.244.3.7', '0.50000000000'),
      svcRule('10.244.4.8'),
    ])
    expect(added.length).toBe(2 + 4 + 4)
  })
})

describe('parsing the generated text back with the netfilter grammar', () => {
  it.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('%s: zero diagnostics and print(parse(text)) is the text', (_name, c) => {
    const { ruleset, diagnostics } = generateKubeProxyRuleset(c.input)
    expect(diagnostics).toEqual([])
    expect(printIptablesSave(ruleset)).toBe(generateKubeProxyRules(c.input))
  })

  it('keeps each rule’s raw text and its line in the generated text', () => {
    const c = GOLDEN_CASES.find((g) => g.name === 'kube-dns')!
    const text = generateKubeProxyRules(c.input)
    const rule = generateKubeProxyRuleset(c.input).ruleset.tables.nat?.chains['KUBE-SERVICES']?.rules[0]
    expect(rule?.source?.line).toBeDefined()
    expect(text.split('\n')[(rule?.source?.line ?? 0) - 1]).toBe(`-A KUBE-SERVICES ${rule?.raw ?? ''}`)
  })
})

describe('options', () => {
  const one = [svc('default/web', { type: 'NodePort', clusterIP: '10.96.0.50', ports: [port('http', 80, 'TCP', { nodePort: 30080 })] })]
  const eps = [slice('default/web', ['10.244.1.5'], [['http', 8080]])]

  it.each([
    // --masquerade-all: every packet to the cluster IP is marked, no `! -s`.
    [{ masqueradeAll: true }, '-A KUBE-SVC-CDGGSHYLG3RE2FKL -d 10.96.0.50/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ'],
    // Masquerade bit 15 → mark 0x8000 everywhere.
    [{ masqueradeBit: 15 }, '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000'],
    [{ masqueradeBit: 15 }, '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x8000/0x8000 -j ACCEPT'],
    // No --iptables-localhost-nodeports: 127/8 is excluded from the NodePort jump.
    [{ localhostNodePorts: false }, '-A KUBE-SERVICES ! -d 127.0.0.0/8 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'],
    // --nodeport-addresses primary: one jump per selected node address.
    [{ nodePortAddresses: ['primary'] }, '-A KUBE-SERVICES -d 192.168.0.2/32 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j KUBE-NODEPORTS'],
    // nfacct (kube-proxy ≥1.29 with nfnetlink_acct): counted INVALID drops and localhost NodePorts.
    [{ nfacct: true }, '-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP'],
    [{ nfacct: true }, '-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-CDGGSHYLG3RE2FKL'],
    [{ randomFully: false }, '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE'],
  ] as const)('%j → %s', (opts, line) => {
    expect(generateKubeProxyRules(input(one, eps, opts)).split('\n')).toContain(line)
  })

  it('without a cluster CIDR there is no masquerade rule in KUBE-SVC (kube-proxy cannot tell pod traffic)', () => {
    const t = generateKubeProxyRules({ ...input(one, eps), clusterCIDR: undefined })
    expect(linesOf(t, /^-A KUBE-SVC-/).length).toBe(1)
  })

  it('conntrack tcp_be_liberal: no INVALID drop', () => {
    expect(generateKubeProxyRules(input(one, eps, { conntrackTcpBeLiberal: true }))).not.toContain('--ctstate INVALID')
  })

  it('kubelet: false leaves out kubelet’s chains but keeps kube-proxy’s copy of the localnet rule', () => {
    const t = generateKubeProxyRules(input(one, eps, { kubelet: false }))
    expect(t).not.toMatch(/KUBELET-CANARY|IPTABLES-HINT/)
    expect(linesOf(t, /^-A KUBE-FIREWALL /).length).toBe(1)
    expect(linesOf(t, /^-A INPUT /).at(0)).toBe('-A INPUT -j KUBE-FIREWALL')
  })

  it(`more than ${LARGE_CLUSTER_ENDPOINTS} endpoints: per-endpoint comments are dropped (large cluster mode)`, () => {
    const ips = Array.from({ length: LARGE_CLUSTER_ENDPOINTS + 1 }, (_, i) => `10.${100 + Math.floor(i / 250)}.${i % 250}.1`)
    const t = generateKubeProxyRules(input([svc('default/big', { clusterIP: '10.96.0.99', ports: [port('', 80)] })], [slice('default/big', ips, [['', 80]])]))
    expect(linesOf(t, /^-A KUBE-SEP-/).every((l) => !l.includes('--comment'))).toBe(true)
    expect(linesOf(t, / -> /)).toEqual([])
    expect(printKubeProxyRules(input([], []))).toBe(generateKubeProxyRules(input([], [])))
  })
})

describe('invariants over random clusters', () => {
  const ip = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 254 })).map(([a, b]) => `10.244.${a}.${b}`)
  const ep = fc.record({ ip, node: fc.constantFrom('node1', 'node2'), ready: fc.boolean(), terminating: fc.boolean() })
  const service = fc.record({
    name: fc.constantFrom('web', 'api', 'db', 'cache'),
    type: fc.constantFrom<'ClusterIP' | 'NodePort' | 'LoadBalancer'>('ClusterIP', 'NodePort', 'LoadBalancer'),
    etp: fc.constantFrom<'Cluster' | 'Local'>('Cluster', 'Local'),
    itp: fc.constantFrom<'Cluster' | 'Local'>('Cluster', 'Local'),
    affinity: fc.boolean(),
    proto: fc.constantFrom<'TCP' | 'UDP'>('TCP', 'UDP'),
    eps: fc.array(ep, { maxLength: 6 }),
  })
  const cluster = fc.uniqueArray(service, { selector: (s) => s.name, maxLength: 4 }).map((list) =>
    input(
      list.map((s, i) =>
        svc(
          `default/${s.name}`,
          {
            type: s.type,
            clusterIP: `10.96.0.${10 + i}`,
            externalTrafficPolicy: s.etp,
            internalTrafficPolicy: s.itp,
            ...(s.affinity && { sessionAffinity: 'ClientIP' as const }),
            ports: [port('p', 80, s.proto, s.type === 'ClusterIP' ? {} : { nodePort: 30000 + i })],
          },
          s.type === 'LoadBalancer' ? lb(`198.51.100.${i + 1}`) : undefined,
        ),
      ),
      list.map((s) => slice(`default/${s.name}`, s.eps.map((e) => ({ ...e, serving: e.ready || e.terminating })), [['p', 8080, s.proto]])),
    ),
  )

  test.prop([cluster])('parses with zero diagnostics, and every jump target is a declared chain of the same table', (inp) => {
    const text = generateKubeProxyRules(inp)
    expect(generateKubeProxyRuleset(inp).diagnostics).toEqual([])
    const chains = chainsOf(text)
    let table = ''
    for (const line of text.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1)
      const target = line.match(/ -j (KUBE-\S+)/)?.[1]
      if (target !== undefined) expect(chains.has(`${table}:${target}`)).toBe(true)
    }
  })

  test.prop([cluster])('each KUBE-SVC/SVL cascade gives every endpoint 1/n (within the 2^-31 quantisation)', (inp) => {
    for (const [key, rules] of chainsOf(generateKubeProxyRules(inp))) {
      if (!/:KUBE-SV[CL]-/.test(key)) continue
      const cascade = rules.filter((r) => / -j KUBE-SEP-/.test(r) && !r.includes('-m recent'))
      let rest = 1
      const shares = cascade.map((r) => {
        const p = Number(r.match(/--probability (\S+)/)?.[1] ?? '1')
        const share = rest * p
        rest -= share
        return share
      })
      for (const s of shares) expect(s).toBeCloseTo(1 / cascade.length, 8)
    }
  })

  test.prop([cluster])('does not depend on the order of Services and EndpointSlices', (inp) => {
    const reversed = { ...inp, services: [...inp.services].reverse(), endpointSlices: [...inp.endpointSlices].reverse() }
    expect(generateKubeProxyRules(reversed)).toBe(generateKubeProxyRules(inp))
  })
})
