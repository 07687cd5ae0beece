/** iptables-save parsing/printing: real dumps round-trip, refusals match iptables-restore, parsing never throws. */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseIptablesS, parseIptablesSave, printIptablesS, printIptablesSave } from './save.ts'

const REAL = new URL('../../fixtures/real-dumps/', import.meta.url).pathname
const FLOWS = new URL('../../fixtures/kube-proxy-flows/', import.meta.url).pathname

/** Every iptables-save (`*table … COMMIT`) and `iptables -S` file among the real dumps. */
function realDumps(): { path: string; kind: 'save' | 'S'; text: string }[] {
  const out: { path: string; kind: 'save' | 'S'; text: string }[] = []
  for (const dir of readdirSync(REAL, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue
    for (const f of readdirSync(REAL + dir.name)) {
      const text = readFileSync(`${REAL}${dir.name}/${f}`, 'utf8')
      if (/^\*(filter|nat|mangle|raw)$/m.test(text) && /^COMMIT$/m.test(text)) out.push({ path: `${dir.name}/${f}`, kind: 'save', text })
      else if (/^-P [A-Z]+ (ACCEPT|DROP)$/m.test(text)) out.push({ path: `${dir.name}/${f}`, kind: 'S', text })
    }
  }
  return out
}

const stripComments = (t: string) => t.split('\n').filter((l) => !l.startsWith('#')).join('\n')

function canRunIptables(): boolean {
  try {
    return process.getuid?.() === 0 && spawnSync('iptables-legacy-restore', ['--version']).status === 0 && spawnSync('ip', ['netns', 'list']).status === 0
  } catch {
    return false
  }
}

describe('real dumps', () => {
  const dumps = realDumps()
  it('finds the iptables-save and -S dumps', () => {
    expect(dumps.map((d) => d.kind).sort()).toEqual(['S', 'save'])
  })
  for (const d of dumps) {
    it(`print(parse(x)) == x for ${d.path} (comment lines aside)`, () => {
      const r = d.kind === 'save' ? parseIptablesSave(d.text) : parseIptablesS(d.text)
      expect(r.diagnostics).toEqual([])
      const printed = d.kind === 'save' ? printIptablesSave(r.ruleset) : printIptablesS(r.ruleset, 'nat')
      expect(printed).toBe(stripComments(d.text))
    })
  }
  const root = canRunIptables()
  it.skipIf(!root)('iptables-restore --test accepts every printed dump and kube-proxy fixture (throwaway netns)', () => {
    const ns = `pwA-test-${process.pid}`
    execFileSync('ip', ['netns', 'add', ns])
    try {
      const texts = [...dumps.map((d) => (d.kind === 'save' ? parseIptablesSave(d.text).ruleset : parseIptablesS(d.text).ruleset)), ...readdirSync(FLOWS).filter((f) => f.endsWith('.rules.txt')).map((f) => parseIptablesSave(readFileSync(FLOWS + f, 'utf8')).ruleset)].map((rs) => printIptablesSave(rs))
      for (const t of texts) {
        const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore', '--test'], { input: t })
        expect(`${r.status} ${String(r.stderr)}`, t).toBe('0 ')
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns])
    }
  })
  if (!root) it('iptables-restore --test check skipped: needs root, ip netns and iptables-legacy-restore', () => undefined)
})

describe('refusals like iptables-restore', () => {
  // Each case: input, expected code, line, col; the real tool's message is cited in the comment.
  const cases: [string, string, string, number, number][] = [
    // "Couldn't load target `NOPE':No such file or directory / Error occurred at line: 3"
    ['unknown jump target', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOPE\nCOMMIT\n', 'NF001', 3, 13],
    // The chain is declared after the rule: same refusal at line 3.
    ['chain declared after its use', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j FOO\n:FOO - [0:0]\nCOMMIT\n', 'NF001', 3, 13],
    // Kernel refuses at COMMIT: "iptables-restore: line 7 failed".
    ['jump loop reachable from INPUT', '*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -g B\n-A B -j A\nCOMMIT\n', 'NF002', 7, 1],
    // "iptables-restore: COMMIT expected at line 4"
    ['missing COMMIT', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n', 'NF003', 4, 1],
    // "iptables-restore: line 1 failed"
    ['rule before a table', '-A INPUT -j ACCEPT\n*filter\nCOMMIT\n', 'NF004', 1, 1],
    // "unable to initialize table 'bogus' / Error occurred at line: 1"
    ['unknown table', '*bogus\nCOMMIT\n', 'NF005', 1, 2],
    // "unknown option \"--bogus\""
    ['unknown option', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT --bogus 1 -j ACCEPT\nCOMMIT\n', 'NF006', 3, 10],
    // "Can't set policy `FOO' on `INPUT' line 2: Bad policy name"
    ['bad policy', '*filter\n:INPUT FOO [0:0]\nCOMMIT\n', 'NF009', 2, 8],
  ]
  it.each(cases)('%s', (_name, text, code, line, col) => {
    const r = parseIptablesSave(text, { file: 'x.rules' })
    const d = r.diagnostics.find((x) => x.severity === 'error')
    expect(d && { code: d.code, line: d.line, col: d.col, file: d.file }).toEqual({ code, line, col, file: 'x.rules' })
  })
  it('an unreachable loop is accepted, as the kernel does (only reachable rules are checked)', () => {
    expect(parseIptablesSave('*filter\n:A - [0:0]\n-A A -j A\nCOMMIT\n').diagnostics).toEqual([])
  })
  it('keeps everything that parsed around a bad line, and the line numbers with an offset', () => {
    const r = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOPE\n-A INPUT -s 10.0.0.0/8 -j DROP\nCOMMIT\n', { lineOffset: 100 })
    const rules = r.ruleset.tables.filter!.chains.INPUT!.rules
    expect(rules.map((x) => x.source?.line)).toEqual([103, 104])
    expect(rules[1]!.raw).toBe('-s 10.0.0.0/8 -j DROP')
    expect(r.diagnostics[0]!.line).toBe(103)
  })
  it('says iptables -L output is not iptables-save', () => {
    const r = parseIptablesSave(readFileSync(`${REAL}flannel-kubeadm-iptables-L-zakaria/iptables-filter-L.txt`, 'utf8'))
    expect(r.diagnostics.some((d) => d.code === 'NF004' || d.code === 'NF015')).toBe(true)
  })
  it('reads `[p:b] -A` counters of iptables-save -c and prints them back on request', () => {
    const text = '*filter\n:INPUT ACCEPT [5:100]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:60] -A INPUT -j ACCEPT\nCOMMIT\n'
    const r = parseIptablesSave(text)
    expect(r.ruleset.tables.filter!.chains.INPUT!.rules[0]!.counters).toEqual([3, 60])
    expect(printIptablesSave(r.ruleset, { counters: true })).toBe(text)
  })
})

describe('parser robustness', () => {
  it('never throws on arbitrary text and reports problems as diagnostics', () => {
    const words = fc.constantFrom('*filter', '*nat', 'COMMIT', ':INPUT ACCEPT [0:0]', ':X - [0:0]', '-A', '-I', '-N', 'INPUT', 'X', '-j', '-g', '!', '-s', '10.0.0.0/8', '-p', 'tcp', '--dport', '80', '-m', 'comment', '--comment', '"a b', 'statistic', '--mode', 'random', '--probability', '0.5', 'DNAT', '--to-destination', '1.2.3.4:80', 'MARK', '--set-xmark', '0x1/0x1', 'recent', '--set', '[1:2]', "'", '#')
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.array(words, { maxLength: 12 }).map((w) => w.join(' '))), { maxLength: 20 }), (lines) => {
        const text = lines.join('\n')
        const a = parseIptablesSave(text)
        const b = parseIptablesS(text)
        for (const d of [...a.diagnostics, ...b.diagnostics]) expect(d.code).toMatch(/^NF\d{3}$/)
        // What parsed prints and re-parses to the same text.
        const printed = printIptablesSave(a.ruleset)
        expect(printIptablesSave(parseIptablesSave(printed).ruleset)).toBe(printed)
      }),
      { numRuns: 300 },
    )
  })
})
