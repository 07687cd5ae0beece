/**
 * The fast path (fastRule.ts) against the general grammar: the same ruleset, key for key and
 * diagnostic for diagnostic, on every iptables-save fixture, on generated kube-proxy dumps and
 * on random lines near the kube-proxy shapes. And the fast path must actually be taken on
 * kube-proxy's lines, else these tests would pass while measuring nothing.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateKubeProxyDump } from '../../bench/genKubeProxyDump.ts'
import { parseAppendFast } from './fastRule.ts'
import type { FastTable } from './fastRule.ts'
import { findJumpLoop, parseIptablesSave, toDraft } from './save.ts'
import type { DraftTable } from './save.ts'
import type { Target } from './types.ts'

const SRC = new URL('../../', import.meta.url).pathname

/** Every iptables-save text among the fixtures, goldens and captured dumps. */
function saveFixtures(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith('.txt')) {
        const text = readFileSync(p, 'utf8')
        if (/^\*(filter|nat|mangle|raw)\s*$/m.test(text) && /^-A /m.test(text)) out.push({ path: p.slice(SRC.length), text })
      }
    }
  }
  for (const d of ['fixtures', 'engine/kube', 'engine/import/fixtures', 'engine/netfilter/golden']) walk(join(SRC, d))
  return out
}

/** Both paths, as JSON: key order and object shapes count too. */
function both(text: string): [string, string] {
  return [JSON.stringify(parseIptablesSave(text, { file: 'f' })), JSON.stringify(parseIptablesSave(text, { file: 'f', fastPath: false }))]
}

/** A table with the chains a line may name, for calling the fast path directly. */
function table(...names: string[]): FastTable<{ name: string }> {
  return { chains: new Map(names.map((n) => [n, { name: n }])), jumps: new Map<{ name: string }, Target>(), chainOf: new Map<Target, { name: string }>(), recent: [] }
}

const HEAD = '*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-A - [0:0]\n:KUBE-B - [0:0]\n'

describe('fast path = general path', () => {
  const fixtures = saveFixtures()
  it('finds the iptables-save fixtures (kube-proxy flows, goldens, captured and real dumps)', () => {
    // 5 kube-proxy flow fixtures, 11 kube-proxy goldens, the captured node dumps and more.
    expect(fixtures.length).toBeGreaterThanOrEqual(16)
  })
  it.each(fixtures.map((f) => [f.path, f.text] as const))('%s', (_path, text) => {
    const [fast, general] = both(text)
    expect(fast).toBe(general)
  })
  it.each([
    [200, 3],
    [30, 100],
    [50, 1],
  ])('a generated kube-proxy dump of %i services × %i endpoints', (services, endpoints) => {
    const [fast, general] = both(generateKubeProxyDump(services, endpoints))
    expect(fast).toBe(general)
  })

  it('takes the fast path for every rule kube-proxy writes, except those the general path has something to say about', () => {
    const texts = [generateKubeProxyDump(20, 3), ...fixtures.filter((f) => f.path.includes('kube-proxy-flows')).map((f) => f.text)]
    let taken = 0
    let declined = 0
    const silentlyDeclined: string[] = []
    for (const text of texts) {
      const chains = [...text.matchAll(/^:(\S+)/gm)].map((m) => m[1]!)
      const t = table(...chains)
      const decl = chains.map((c) => `:${c} - [0:0]`).join('\n')
      for (const line of text.split('\n').filter((l) => l.startsWith('-A '))) {
        if (parseAppendFast(line, t)) {
          taken++
          continue
        }
        declined++
        // Declined: fine when the general path reports on it (the unquoted multi-word comments in kube-proxy's own tests).
        if (parseIptablesSave(`*nat\n${decl}\n${line}\nCOMMIT\n`).diagnostics.length === 0) silentlyDeclined.push(line)
      }
    }
    expect(silentlyDeclined).toEqual([])
    // 386 lines: all but the 9 unquoted multi-word comments of the flow fixtures.
    expect(declined).toBe(9)
    expect(taken).toBeGreaterThan(350)
  })

  // Random lines near the kube-proxy shapes: a real rule with words inserted, dropped or replaced.
  const RULES = [
    '-d 10.96.0.10/32 -p tcp -m comment --comment "ns/svc:http cluster IP" -m tcp --dport 80 -j KUBE-B',
    '! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp -m comment --comment x -m udp --dport 53 -j KUBE-A',
    '-m comment --comment "a" -m statistic --mode random --probability 0.33333333349 -j KUBE-B',
    '-s 10.244.1.2/32 -m comment --comment n -j KUBE-A',
    '-p tcp -m comment --comment "n" -m tcp -j DNAT --to-destination 10.244.1.2:8080',
    '-m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-j MARK --set-xmark 0x4000/0x0',
    '-j MASQUERADE --random-fully',
    '-m addrtype --src-type LOCAL --dst-type UNICAST,LOCAL --limit-iface-in -j KUBE-A',
    '-m conntrack --ctstate INVALID -j DROP',
    '-p tcp -m multiport --dports 80,443 -j ACCEPT',
    '-i cni0 -o eth0 -j ACCEPT',
    '-p tcp -m tcp --dport 80 -m comment --comment x -j REJECT --reject-with icmp-port-unreachable',
    '-j MARK --or-mark 0x4000',
    '-p udp -j DNAT --to-destination 10.1.1.1:53',
    '-p tcp -j DNAT --to-destination\t10.1.1.1:80',
    '-p tcp -j DNAT --to-destination 10.1.1.1-10.1.1.3',
    '-g KUBE-B',
    '-p udp -g DNAT --to-destination 10.1.1.1:53',
    '-p tcp -m tcp --sport 1000:2000 --dport 80 -j ACCEPT',
    '-m conntrack --ctstate NEW,DNAT --ctstatus ASSURED -j KUBE-A',
    '-p udp -m multiport --sports 53,5353 --dports 1:1024 -j ACCEPT',
    '-m comment --comment "back\\\\slash" -j KUBE-A',
    '-m comment --comment "say \\"hi\\" twice" -j KUBE-A',
    '-i eth0 -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80',
    '-i eni+ -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
    '-m connmark ! --mark 0x80/0x80 -j KUBE-A',
  ]
  const WORDS = ['!', '-s', '-d', '-p', '-i', '-m', '-j', '-g', '-c', '--comment', '--dport', '--dports', '--mode', '--probability', '--mark', '--dst-type', '--ctstate', '--ctstatus', '--to-destination', '--random', '--set-xmark', '--every', '--restore-mark', '--save-mark', '--mask', '--nfmask', 'CONNMARK', 'connmark',
    '--sport', '--sports', '--src-type', '--limit-iface-out', '--persistent', 'tcp', 'udp', 'all', 'TCP', 'comment', 'statistic', 'recent', 'toString', 'ACCEPT', 'DNAT', 'LOG', 'KUBE-A', 'KUBE-NOPE', '10.0.0.0/8', '010.0.0.1', '10.0.0.1/033', '10.0.0.1:80', ':8080', '80', '65536', '1000:2000', 'http', 'nth', '-0', '2', '0x1/0x1', 'local', 'NEW,DNAT',
    '10.1.1.1:080', '10.1.1.1:65536', '10.1.1.1:000080', '10.1.1.1:', '10.1.1.1-10.1.1.5:80', '10.1.1.1:80-90', '10.1.1.1', '10.1.1.1:http',
    '"a b"', '""', '"x\\"y"', '"a\\\\b"', '"q\\" r"', "'q'", '"open', 'word', '--', '-', '\t']
  it('gives the same ruleset and diagnostics on random lines near the kube-proxy shapes', () => {
    const line = fc
      .tuple(fc.constantFrom(...RULES), fc.array(fc.tuple(fc.nat(30), fc.constantFrom('insert', 'drop', 'replace'), fc.constantFrom(...WORDS)), { maxLength: 3 }), fc.constantFrom('KUBE-A', 'KUBE-B', 'KUBE-NOPE'), fc.constantFrom(' ', '  ', '\t', ' \r'))
      .map(([rule, edits, chain, gap]) => {
        const ws = rule.split(' ')
        for (const [at, op, w] of edits) ws.splice(at % (ws.length + 1), op === 'insert' ? 0 : 1, ...(op === 'drop' ? [] : [w]))
        return `-A ${chain}${gap === ' \r' ? ' ' : gap}${ws.join(' ')}${gap === ' \r' ? '\r' : ''}`
      })
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
        const [fast, general] = both(`${HEAD}${lines.join('\n')}\nCOMMIT\n`)
        expect(fast).toBe(general)
      }),
      { numRuns: 1500 },
    )
  })
})

describe('what the fast path reads and what it leaves to the general path', () => {
  const t = table('KUBE-A', 'KUBE-B')
  // Each declined line is one the general path must see: it reports something or reads a form the fast path does not.
  const declined: [string, string][] = [
    ['unquoted multi-word comment (NF017 warning)', '-A KUBE-A -m comment --comment kubernetes service portals -j KUBE-B'],
    ['old negation form (NF011 warning)', '-A KUBE-A -s ! 10.0.0.0/8 -j KUBE-B'],
    ['escaped quote inside a comment', '-A KUBE-A -m comment --comment "a \\"b\\"" -j KUBE-B'],
    ['implicit protocol module (no -m tcp)', '-A KUBE-A -p tcp --dport 80 -j KUBE-B'],
    ['module not read by the fast path', '-A KUBE-A -m recent --rcheck --name x -j KUBE-B'],
    ['jump to an undeclared chain (NF001)', '-A KUBE-A -j KUBE-NOPE'],
    ['rule in an undeclared chain (NF001)', '-A KUBE-NOPE -j KUBE-A'],
    ['-c counters in the spec', '-A KUBE-A -c 1 2 -j KUBE-B'],
    ['a target with options it does not read', '-A KUBE-A -j LOG --log-prefix x'],
    ['DNAT with a port but no -p (NF007)', '-A KUBE-A -j DNAT --to-destination 10.0.0.1:80'],
    ['a bad address (NF007)', '-A KUBE-A -s 10.0.0.256 -j KUBE-B'],
    ['an option after the target', '-A KUBE-A -j KUBE-B -p tcp'],
    ['goto with target options (NF006 and NF001)', '-A KUBE-A -p udp -g DNAT --to-destination 10.1.1.1:53'],
    ['a tab inside a quoted value', '-A KUBE-A -m comment --comment "a\tb" -j KUBE-B'],
    ['non-ASCII text', '-A KUBE-A -m comment --comment "café" -j KUBE-B'],
  ]
  it.each(declined)('declines: %s', (_why, line) => {
    expect(parseAppendFast(line, t)).toBeUndefined()
  })

  it('reads a kube-proxy service rule into the grammar’s matches, in save order', () => {
    const r = parseAppendFast('-A KUBE-A -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-B', t)
    expect(r?.matches).toEqual([
      { kind: 'dst', neg: false, cidr: { text: '10.96.0.10/32', net: 0x0a60000a, mask: 0xffffffff } },
      { kind: 'proto', neg: false, proto: 'udp' },
      { kind: 'comment', text: 'kube-system/kube-dns:dns cluster IP' },
      { kind: 'dport', module: 'udp', neg: false, ports: [{ from: 53, to: 53 }] },
    ])
    // raw is the rule-spec as written, without `-A CHAIN`.
    expect(r?.raw).toBe('-d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-B')
  })
  it('quantizes a statistic probability as the kernel does (a u32 fraction of 2^31)', () => {
    const m = parseAppendFast('-A KUBE-A -m statistic --mode random --probability 0.33333333349 -j KUBE-B', t)?.matches[0]
    // 0.33333333349 × 2^31 = 715827882.9 → 715827883 / 2^31 = 0.33333333349…
    expect(m).toEqual({ kind: 'statistic', mode: 'random', probability: 715827883 / 0x80000000, neg: false, text: '--mode random --probability 0.33333333349' })
  })
  it('a host address without /32 gets the canonical /32 text; host bits are cleared', () => {
    const r = parseAppendFast('-A KUBE-A -s 10.0.0.1 -d 10.1.2.3/16 -j KUBE-B', t)
    expect(r?.matches.map((m) => (m.kind === 'src' || m.kind === 'dst' ? m.cidr.text : m.kind))).toEqual(['10.0.0.1/32', '10.1.0.0/16'])
  })
})

describe('names that are properties of Object.prototype', () => {
  // The grammar's tables have no prototype: these are unknown names, reported, never a crash.
  it.each([
    ['-m toString', 'NF018'],
    ['-p constructor', 'NF007'],
    ['-p tcp -m tcp --dport constructor', 'NF007'],
    ['-j constructor --x', 'NF001'],
  ])('%s → %s', (spec, code) => {
    const r = parseIptablesSave(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${spec}\nCOMMIT\n`)
    expect(r.diagnostics.map((d) => d.code)).toContain(code)
  })
})

describe('findJumpLoop = a plain depth-first walk', () => {
  // The reference: the walk iptables-restore's check amounts to (mark_source_chains), without the acyclic pre-check.
  function reference(t: DraftTable): string[] | undefined {
    const state = new Map<string, 'visiting' | 'done'>()
    const path: string[] = []
    const visit = (cn: string): string[] | undefined => {
      const s = state.get(cn)
      if (s === 'done') return undefined
      if (s === 'visiting') return [...path.slice(path.indexOf(cn)), cn]
      state.set(cn, 'visiting')
      path.push(cn)
      for (const r of t.chains.get(cn)?.rules ?? []) {
        if ((r.target.kind === 'jump' || r.target.kind === 'goto') && t.chains.has(r.target.chain)) {
          const loop = visit(r.target.chain)
          if (loop) return loop
        }
        if (r.matches.length === 0 && (r.target.kind === 'ACCEPT' || r.target.kind === 'DROP' || r.target.kind === 'RETURN')) break
      }
      path.pop()
      state.set(cn, 'done')
      return undefined
    }
    for (const b of ['INPUT', 'FORWARD', 'OUTPUT']) {
      if (!t.chains.has(b)) continue
      const loop = visit(b)
      if (loop) return loop
    }
    return undefined
  }
  it('finds the same loop (or none) on random jump graphs, reachable or not', () => {
    const chains = ['INPUT', 'A', 'B', 'C', 'D']
    const rule = fc.tuple(fc.constantFrom(...chains), fc.constantFrom('-j', '-g', '-j RETURN', '-s 10.0.0.1 -j ACCEPT', '-j ACCEPT'), fc.constantFrom('A', 'B', 'C', 'D', 'NOPE'))
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 10 }), (rules) => {
        const text = `*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n:C - [0:0]\n:D - [0:0]\n${rules.map(([from, how, to]) => `-A ${from} ${how}${how === '-j' || how === '-g' ? ` ${to}` : ''}`).join('\n')}\nCOMMIT\n`
        const d = toDraft(parseIptablesSave(text).ruleset).get('filter')!
        expect(findJumpLoop(d)).toEqual(reference(d))
      }),
      { numRuns: 1000 },
    )
  })
})
