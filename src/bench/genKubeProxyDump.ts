/**
 * A kube-proxy-shaped iptables-save (the layout kube-proxy ≥ 1.26 writes, printed the way
 * iptables-save prints it: chain declarations, then each chain's rules together, built-in
 * chains first, user chains sorted): N ClusterIP services × E endpoints, each KUBE-SVC with
 * its masquerade rule and a statistic cascade, each KUBE-SEP with the hairpin `-s` masquerade
 * and the DNAT, a NodePort for every 10th service. Chain names are stable fake hashes (not
 * kube-proxy's SHA-256; the shape is what matters here).
 * Run: `npx tsx src/bench/genKubeProxyDump.ts 5000 > dump.txt`.
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
  const rules = new Map<string, string[]>()
  const add = (chain: string, ...specs: string[]) => {
    let list = rules.get(chain)
    if (!list) rules.set(chain, (list = []))
    for (const spec of specs) list.push(`-A ${chain} ${spec}`)
  }
  add('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  add('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  add('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
  add('KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000')
  add('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN', '-j MARK --set-xmark 0x4000/0x0', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully')
  add('KUBE-NODEPORTS')
  for (let s = 0; s < services; s++) {
    const name = `ns${s % 50}/svc${s}:http`
    const svc = `KUBE-SVC-${hash(`svc${s}`)}`
    const clusterIp = `10.96.${(s >> 8) & 255}.${s & 255}`
    add('KUBE-SERVICES', `-d ${clusterIp}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j ${svc}`)
    add(svc, `! -s 10.244.0.0/16 -d ${clusterIp}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`)
    if (s % 10 === 0) {
      const ext = `KUBE-EXT-${hash(`svc${s}`)}`
      add('KUBE-NODEPORTS', `-p tcp -m comment --comment "${name}" -m tcp --dport ${30000 + ((s / 10) % 2767)} -j ${ext}`)
      add(ext, `-m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`, `-j ${svc}`)
    }
    for (let e = 0; e < endpoints; e++) {
      const i = s * endpoints + e
      const ep = `10.${244 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`
      const sep = `KUBE-SEP-${hash(`svc${s}-ep${e}`)}`
      const left = endpoints - e
      // iptables-save prints the kernel's value: a u32 fraction of 2^31.
      const stat = left > 1 ? ` -m statistic --mode random --probability ${(Math.round(0x80000000 / left) / 0x80000000).toFixed(11)}` : ''
      add(svc, `-m comment --comment "${name} -> ${ep}:8080"${stat} -j ${sep}`)
      add(sep, `-s ${ep}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`, `-p tcp -m comment --comment "${name}" -m tcp -j DNAT --to-destination ${ep}:8080`)
    }
  }
  add('KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  const builtins = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']
  const users = [...rules.keys()].filter((c) => !builtins.includes(c)).sort()
  const order = [...builtins, ...users]
  const lines = ['*nat', ...order.map((c) => `:${c} ${builtins.includes(c) ? 'ACCEPT' : '-'} [0:0]`), ...order.flatMap((c) => rules.get(c) ?? []), 'COMMIT']
  return `${lines.join('\n')}\n`
}

if (process.argv[1]?.endsWith('genKubeProxyDump.ts')) {
  const n = Number(process.argv[2] ?? 5000)
  process.stdout.write(generateKubeProxyDump(n))
}
