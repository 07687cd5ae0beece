/**
 * A kube-proxy-shaped iptables-save (the layout kube-proxy ≥ 1.26 writes): N ClusterIP
 * services × E endpoints, each KUBE-SVC with its masquerade rule and a statistic cascade,
 * each KUBE-SEP with the hairpin `-s` masquerade and the DNAT, a NodePort for every 10th
 * service. Chain names are stable fake hashes (not kube-proxy's SHA-256; the shape is what
 * matters here). Run: `npx tsx src/bench/genKubeProxyDump.ts 5000 > dump.txt`.
 */

function hash(s: string): string {
  let h = 0x811c9dc5
  let g = 0x01000193
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
    g = Math.imul(g ^ s.charCodeAt(i), 0x5bd1e995) >>> 0
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let out = ''
  let x = BigInt(h) * 0x100000000n + BigInt(g)
  for (let i = 0; i < 16; i++) {
    out += alphabet[Number(x % 32n)]
    x /= 32n
  }
  return out
}

export function generateKubeProxyDump(services: number, endpoints = 3): string {
  const chains: string[] = []
  const rules: string[] = []
  const svcRules: string[] = []
  const npRules: string[] = []
  for (let s = 0; s < services; s++) {
    const name = `ns${s % 50}/svc${s}:http`
    const svc = `KUBE-SVC-${hash(`svc${s}`)}`
    const clusterIp = `10.96.${(s >> 8) & 255}.${s & 255}`
    chains.push(svc)
    svcRules.push(`-A KUBE-SERVICES -d ${clusterIp}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j ${svc}`)
    rules.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${clusterIp}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`)
    if (s % 10 === 0) {
      const ext = `KUBE-EXT-${hash(`svc${s}`)}`
      chains.push(ext)
      npRules.push(`-A KUBE-NODEPORTS -p tcp -m comment --comment "${name}" -m tcp --dport ${30000 + (s / 10) % 2767} -j ${ext}`)
      rules.push(`-A ${ext} -m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`, `-A ${ext} -j ${svc}`)
    }
    for (let e = 0; e < endpoints; e++) {
      const ep = `10.${244 + ((s * endpoints + e) >> 16)}.${((s * endpoints + e) >> 8) & 255}.${(s * endpoints + e) & 255}`
      const sep = `KUBE-SEP-${hash(`svc${s}-ep${e}`)}`
      chains.push(sep)
      const left = endpoints - e
      const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : ''
      rules.push(`-A ${svc} -m comment --comment "${name} -> ${ep}:8080"${stat} -j ${sep}`)
      rules.push(`-A ${sep} -s ${ep}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`, `-A ${sep} -p tcp -m comment --comment "${name}" -m tcp -j DNAT --to-destination ${ep}:8080`)
    }
  }
  svcRules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  const head = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]']
  const fixed = ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']
  const all = [...fixed, ...chains].sort()
  const body = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ...npRules,
    ...svcRules,
    ...rules,
  ]
  return `${[...head, ...all.map((c) => `:${c} - [0:0]`), ...body, 'COMMIT'].join('\n')}\n`
}

if (process.argv[1]?.endsWith('genKubeProxyDump.ts')) {
  const n = Number(process.argv[2] ?? 5000)
  process.stdout.write(generateKubeProxyDump(n))
}
