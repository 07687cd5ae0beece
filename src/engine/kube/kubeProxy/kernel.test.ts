/**
 * The generated text against the real thing: iptables v1.8 (legacy) in a throwaway network
 * namespace. Each golden file must pass `iptables-restore --test`, and restoring it then
 * running `iptables-save` must print it back unchanged (the kernel and libiptc agree with
 * our normal form). Needs root and iptables-legacy; skipped, with a warning, otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKubeProxyRules } from './generate.ts'
import { FLOW_CASES } from './flowCases.ts'
import { input, port, slice, svc } from './testBuilders.ts'
import { kubeProxyProbability, savedProbability } from './saveText.ts'

const GOLDEN = new URL('./golden/', import.meta.url).pathname
const FLOWS = new URL('../../../fixtures/kube-proxy-flows/', import.meta.url).pathname
const NETNS = `pwD1-golden-${process.pid}`

function hasLegacyIptables(): boolean {
  return process.getuid?.() === 0 && spawnSync('iptables-legacy-restore', ['--version']).status === 0 && spawnSync('ip', ['netns', 'list']).status === 0
}
const canRun = hasLegacyIptables()
if (!canRun) console.warn('kernel.test.ts: SKIPPED — needs root, iptables-legacy and ip netns; the golden files were not checked against the kernel')

function inNetns(cmd: string, args: string[], stdin?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NETNS, cmd, ...args], { input: stdin ?? '', encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** iptables-save text → table name → its lines (comment lines dropped); tables may come in any order. */
function tablesOf(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let cur: string[] | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue
    if (line.startsWith('*')) out.set(line.slice(1), (cur = []))
    cur?.push(line)
  }
  return out
}

/** Restore `text` as the whole state of its tables and return what iptables-save prints. */
function roundTrip(text: string): Map<string, string[]> {
  const restore = inNetns('iptables-legacy-restore', [], text)
  expect(restore.stderr).toBe('')
  expect(restore.status).toBe(0)
  return tablesOf(inNetns('iptables-legacy-save', []).stdout)
}

describe.skipIf(!canRun)('golden files through iptables-legacy in a network namespace', () => {
  beforeAll(() => {
    spawnSync('ip', ['netns', 'del', NETNS])
    execFileSync('ip', ['netns', 'add', NETNS])
  })
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NETNS])
  })

  const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.txt')).sort()

  it('has golden files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(11)
  })

  it.each(files)('%s: iptables-restore --test accepts it', (file) => {
    const r = inNetns('iptables-legacy-restore', ['--test'], readFileSync(GOLDEN + file, 'utf8'))
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it.each(files)('%s: restore then save prints it back unchanged', (file) => {
    const golden = readFileSync(GOLDEN + file, 'utf8')
    expect(roundTrip(golden)).toEqual(tablesOf(golden))
  })

  it('nfacct rules pass iptables-restore --test (the counters themselves need nfacct objects to commit)', () => {
    const text = generateKubeProxyRules(input([svc('default/web', { type: 'NodePort', clusterIP: '10.96.0.50', ports: [port('http', 80, 'TCP', { nodePort: 30080 })] })], [slice('default/web', ['10.244.1.5'], [['http', 8080]])], { nfacct: true }))
    const r = inNetns('iptables-legacy-restore', ['--test'], text)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('libxt_statistic stores and prints kube-proxy’s 1/n the way savedProbability says, for n = 1…64', () => {
    const ns = Array.from({ length: 64 }, (_, i) => i + 1)
    const rules = ns.map((n) => `-A KUBE-T -m statistic --mode random --probability ${kubeProxyProbability(n)} -j RETURN`)
    const saved = roundTrip(['*filter', ':KUBE-T - [0:0]', ...rules, 'COMMIT', ''].join('\n')).get('filter') ?? []
    const printed = saved.filter((l) => l.startsWith('-A KUBE-T')).map((l) => l.match(/--probability (\S+)/)?.[1])
    expect(printed).toEqual(ns.map((n) => savedProbability(kubeProxyProbability(n))))
  })

  // kube-proxy's expected rules, in the form kube-proxy writes them, printed back by
  // iptables-save, equal ours chain by chain (M01 is left out: its jump comments are unquoted).
  it.each(FLOW_CASES.filter(([name]) => !name.startsWith('M01')))('%s: the fixture as iptables-save prints it equals the generated chains', (name, inp) => {
    const fixture = readFileSync(`${FLOWS}${name}.rules.txt`, 'utf8')
    const saved = roundTrip(fixture)
    const generated = tablesOf(generateKubeProxyRules(inp))
    for (const table of tablesOf(fixture).keys()) {
      const kubeRules = (saved.get(table) ?? []).filter((l) => l.startsWith('-A KUBE-'))
      expect(kubeRules.length).toBeGreaterThan(0)
      expect({ table, rules: kubeRules }).toEqual({ table, rules: (generated.get(table) ?? []).filter((l) => l.startsWith('-A KUBE-') && kubeRules.some((k) => k.split(' ')[1] === l.split(' ')[1])) })
    }
  })
})
