/**
 * `iptables` commands replayed against goldens captured from the real iptables-legacy 1.8.9
 * (golden/capture-iptables.sh: each line of golden/iptables-commands.list, in order, in a
 * fresh network namespace; stdout, stderr and exit status verbatim).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EMPTY_RULESET } from './types.ts'
import type { Ruleset } from './types.ts'
import { printIptablesL, runIptables, runIptablesRestore, runIptablesSave } from './command.ts'
import { tokenizeLine } from './tokenize.ts'

const GOLDEN = new URL('./golden/iptables-commands.txt', import.meta.url).pathname

interface Block { cmd: string; rc: number; stdout: string; stderr: string }

function readGolden(): Block[] {
  const blocks: Block[] = []
  let cur: Block | undefined
  let into: 'stdout' | 'stderr' | undefined
  for (const line of readFileSync(GOLDEN, 'utf8').split('\n')) {
    if (line.startsWith('### iptables ')) cur = { cmd: line.slice(13), rc: -1, stdout: '', stderr: '' }
    else if (!cur) continue
    else if (line.startsWith('rc ') && into === undefined) cur.rc = Number(line.slice(3))
    else if (line === '>>> stdout') into = 'stdout'
    else if (line === '>>> stderr') into = 'stderr'
    else if (line === '<<<') {
      blocks.push(cur)
      cur = undefined
      into = undefined
    } else if (into) cur[into] += `${line}\n`
  }
  return blocks
}

describe('iptables commands against the real tool', () => {
  const blocks = readGolden()
  it('read every golden block', () => {
    expect(blocks.length).toBeGreaterThan(80)
  })
  let rs: Ruleset = EMPTY_RULESET
  for (const [i, b] of blocks.entries()) {
    it(`${i + 1}: iptables ${b.cmd}`, () => {
      const argv = tokenizeLine(b.cmd).tokens.map((t) => t.text)
      const r = runIptables(rs, argv)
      rs = r.ruleset
      expect({ rc: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({ rc: b.rc, stdout: b.stdout, stderr: b.stderr })
    })
  }
})

describe('iptables-restore / iptables-save', () => {
  it('restores, then saves the same text', () => {
    const text = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\nCOMMIT\n'
    const r = runIptablesRestore(EMPTY_RULESET, text)
    expect(r.exitCode).toBe(0)
    expect(runIptablesSave(r.ruleset).stdout).toBe(text)
  })
  it('refuses a jump to an unknown chain like the real tool and keeps the old rules', () => {
    // Real: "iptables-restore v1.8.9 (legacy): Couldn't load target `NOPE':No such file or directory" … "Error occurred at line: 3", exit 2.
    const r = runIptablesRestore(EMPTY_RULESET, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOPE\nCOMMIT\n')
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain("Couldn't load target `NOPE'")
    expect(r.stderr).toContain('Error occurred at line: 3')
    expect(r.ruleset).toBe(EMPTY_RULESET)
  })
  it('says COMMIT expected at the line after the end, as the real tool does', () => {
    const r = runIptablesRestore(EMPTY_RULESET, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n')
    expect(r.stderr).toBe('iptables-restore: COMMIT expected at line 4\n')
    expect(r.exitCode).toBe(1)
  })
  it('--noflush adds to a table instead of replacing it', () => {
    const a = runIptablesRestore(EMPTY_RULESET, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n').ruleset
    const b = runIptablesRestore(a, '*filter\n-A INPUT -j DROP\nCOMMIT\n', { noflush: true }).ruleset
    expect(b.tables.filter?.chains.INPUT?.rules.map((r) => r.target.kind)).toEqual(['ACCEPT', 'DROP'])
    const c = runIptablesRestore(a, '*filter\n-A INPUT -j DROP\nCOMMIT\n').ruleset
    expect(c.tables.filter?.chains.INPUT?.rules.map((r) => r.target.kind)).toEqual(['DROP'])
  })
  it('-L -v shows live counters from the netns', () => {
    const rs = runIptables(EMPTY_RULESET, ['-A', 'INPUT', '-j', 'ACCEPT']).ruleset
    const out = printIptablesL(rs, 'filter', { verbose: true, numeric: true, counters: { 'filter:INPUT:1': [3, 180], 'filter:INPUT:policy': [123456, 7000000] } })
    // 123456 packets → "123K", 7000000 bytes → "7000K" (xtables_print_num rounds to K above 99999).
    expect(out.split('\n')[0]).toBe('Chain INPUT (policy ACCEPT 123K packets, 7000K bytes)')
    expect(out.split('\n')[2]).toBe('    3   180 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           ')
  })
})
