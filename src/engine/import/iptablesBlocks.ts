/**
 * iptables text from a dump, read with the netfilter parser (netfilter/save.ts), plus what a
 * paste adds: `iptables -S` excerpts (`-S CHAIN`, `| grep`) name chains they do not declare,
 * so those are declared empty (a jump into them returns, which we say); the table of an
 * excerpt comes from the command (`-t nat`) or from what its rules do (DNAT, KUBE-SVC-… →
 * nat). Several outputs for one node are merged chain by chain; the later output of a chain
 * wins and says so.
 */
import type { Diagnostic } from '../diagnostics.ts'
import { parseIptablesS, parseIptablesSave, toDraft, fromDraft, isTableName } from '../netfilter/save.ts'
import { ensureKubeProxyJumps } from '../netfilter/kubeJumps.ts'
import type { Ruleset, TableName } from '../netfilter/types.ts'
import { BUILTIN_CHAINS } from '../netfilter/types.ts'
import type { Block } from './blocks.ts'
import { diag } from './parseCommon.ts'

export interface IptablesBlockOut {
  readonly ruleset: Ruleset
  readonly diagnostics: Diagnostic[]
  /** Input lines the parser could not use. */
  readonly badLines: Set<number>
  /** Built-in chains the text itself printed (`:PREROUTING ACCEPT [0:0]`, `-P INPUT ACCEPT`), as `table:chain`. */
  readonly declaredBuiltins: Set<string>
  /** Chains the excerpt jumps to or appends to without declaring them. */
  readonly synthesizedChains: string[]
}

const NAT_HINTS = /-j (?:DNAT|SNAT|MASQUERADE|REDIRECT)\b|KUBE-(?:SVC|SEP|SVL|EXT|FW|XLB|MARK-MASQ|POSTROUTING)\b|FLANNEL-POSTRTG|cali-nat-/
const MANGLE_HINTS = /-j (?:TPROXY|TOS|TTL|DSCP|CLASSIFY|TCPMSS)\b|cali-PREROUTING/

/** The table of `iptables -S` text that does not say: what its rules do, else which built-in chains it names. */
function guessExcerptTable(text: string): TableName {
  if (NAT_HINTS.test(text)) return 'nat'
  if (MANGLE_HINTS.test(text)) return 'mangle'
  const builtins = new Set<string>()
  for (const m of text.matchAll(/^-[PA] (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)\b/gm)) builtins.add(m[1]!)
  // As iptables' own tables have them: only nat has PREROUTING+POSTROUTING without FORWARD, only raw PREROUTING+OUTPUT alone.
  if (builtins.has('PREROUTING') || builtins.has('POSTROUTING')) {
    if (builtins.has('FORWARD')) return 'mangle'
    if (!builtins.has('POSTROUTING') && !builtins.has('INPUT')) return 'raw'
    return 'nat'
  }
  return 'filter'
}

/** Error diagnostics that mean "this line was not used"; loops and a missing COMMIT are about the table. */
function badLinesOf(diags: readonly Diagnostic[]): Set<number> {
  const bad = new Set<number>()
  for (const d of diags) if (d.severity === 'error' && d.line !== undefined && d.code !== 'NF002' && d.code !== 'NF003') bad.add(d.line)
  return bad
}

function declared(text: string, table: TableName | undefined): Set<string> {
  const out = new Set<string>()
  let cur: string | undefined = table
  for (const l of text.split('\n')) {
    const t = /^\*(\w+)/.exec(l)
    if (t) cur = t[1]
    const c = /^:(\S+) /.exec(l) ?? /^-P (\S+) /.exec(l)
    if (c && cur !== undefined) out.add(`${cur}:${c[1]}`)
  }
  return out
}

export function parseIptablesBlock(block: Block): IptablesBlockOut {
  const file = block.file
  const first = block.lines[0]
  const lineOffset = first ? first.n - 1 : 0
  const text = block.lines.map((l) => l.text).join('\n')
  if (block.format === 'iptables-save' && !block.lines.some((l) => /^\*\w+/.test(l.text))) {
    // An iptables-save excerpt without its `*table` line (`iptables-save | grep …`): read it
    // as `iptables -S` text, line for line, so line numbers stay the user's. A chain declared
    // a second time (KUBE-SERVICES is in filter and nat) starts the next table's part.
    const texts = block.lines.map((l) => saveLineAsS(l.text))
    const parts: number[] = [0]
    const seen = new Set<string>()
    texts.forEach((t, i) => {
      const m = /^-[NP] (\S+)/.exec(t)
      if (!m) return
      if (seen.has(m[1]!)) {
        parts.push(i)
        seen.clear()
      }
      seen.add(m[1]!)
    })
    let out: IptablesBlockOut | undefined
    for (let k = 0; k < parts.length; k++) {
      const from = parts[k]!
      const to = parts[k + 1] ?? texts.length
      const part = parseExcerpt(block, texts.map((t, i) => (i >= from && i < to ? t : '')), lineOffset)
      if (!out) out = part
      else {
        const m = mergeRulesets(out.ruleset, part.ruleset, part.declaredBuiltins)
        out = { ruleset: m.ruleset, diagnostics: [...out.diagnostics, ...part.diagnostics], badLines: new Set([...out.badLines, ...part.badLines]), declaredBuiltins: new Set([...out.declaredBuiltins, ...part.declaredBuiltins]), synthesizedChains: [...out.synthesizedChains, ...part.synthesizedChains] }
      }
    }
    return out!
  }
  if (block.format === 'iptables-save') {
    const r = parseIptablesSave(text, { file, lineOffset })
    return { ruleset: r.ruleset, diagnostics: r.diagnostics, badLines: badLinesOf(r.diagnostics), declaredBuiltins: declared(text, undefined), synthesizedChains: [] }
  }
  return parseExcerpt(block, block.lines.map((l) => l.text), lineOffset)
}

/** One iptables-save line as the `iptables -S` line that means the same (blank for COMMIT and comments). */
function saveLineAsS(t: string): string {
  const chain = /^:(\S+) (\S+) \[\d+:\d+\]$/.exec(t)
  if (chain) return chain[2] === '-' ? `-N ${chain[1]}` : `-P ${chain[1]} ${chain[2]}`
  if (/^COMMIT$|^#/.test(t)) return ''
  return t.replace(/^\[\d+:\d+\] /, '')
}

function parseExcerpt(block: Block, texts: readonly string[], lineOffset: number): IptablesBlockOut {
  const file = block.file
  const first = block.lines[0]
  const text = texts.join('\n')
  // iptables -S output or an excerpt of -A lines.
  const hinted = block.hint?.table
  const table: TableName = hinted !== undefined && isTableName(hinted) ? hinted : guessExcerptTable(text)
  const opts = { file, lineOffset, table }
  const undeclared = new Set<string>()
  const declaredChains = new Set<string>()
  for (const t of texts) {
    const n = /^-N (\S+)$/.exec(t)
    if (n) declaredChains.add(n[1]!)
  }
  const effectiveTable = table
  for (const t of texts) {
    const a = /^(?:\[\d+:\d+\] )?-A (\S+)/.exec(t)
    if (a && !declaredChains.has(a[1]!) && !(BUILTIN_CHAINS[effectiveTable] as readonly string[]).includes(a[1]!)) undeclared.add(a[1]!)
  }
  let r = parseIptablesS(withDeclared(text, undeclared), opts)
  // Jumps to chains the excerpt does not show: declare them and read again.
  const unknownTargets = new Set<string>()
  for (const t of Object.values(r.ruleset.tables)) {
    for (const c of Object.values(t?.chains ?? {})) for (const rule of c.rules) if (rule.target.kind === 'other' && rule.target.text === '') unknownTargets.add(rule.target.name)
  }
  if (unknownTargets.size > 0) {
    for (const n of unknownTargets) undeclared.add(n)
    r = parseIptablesS(withDeclared(text, undeclared), opts)
  }
  // `-A` lines without their table's `*table` header (an iptables-save excerpt) are fine here.
  const diagnostics = r.diagnostics.filter((d) => d.line === undefined || d.line <= lineOffset + block.lines.length)
  // Chains declared by us have no line of the user's: drop the source the parser gave them.
  if (undeclared.size > 0) {
    const d = toDraft(r.ruleset)
    for (const t of d.values()) for (const [name, c] of t.chains) if (undeclared.has(name)) delete c.source
    r = { ruleset: fromDraft(d), diagnostics: r.diagnostics }
  }
  const synthesizedChains = [...undeclared].sort()
  if (synthesizedChains.length > 0 && first) {
    diagnostics.push(diag('IP016', file, first, `excerpt: chain(s) ${synthesizedChains.join(', ')} not shown in full; rules seen are kept, jumps into chains not shown return at once`, { severity: 'info', hint: 'paste the whole `iptables-save` output to trace every chain' }))
  }
  return { ruleset: r.ruleset, diagnostics, badLines: badLinesOf(diagnostics), declaredBuiltins: declared(text, table), synthesizedChains }
}

/** -S text is checked only after every -N is read, so declarations can go at the end. */
function withDeclared(text: string, chains: ReadonlySet<string>): string {
  if (chains.size === 0) return text
  return `${text}\n${[...chains].map((c) => `-N ${c}`).join('\n')}`
}

/**
 * Merge a newly read ruleset into a node's: tables not seen yet are added; for a table seen
 * before, each chain of the new one replaces the old chain of that name (a later, fuller
 * output wins) and new chains are added.
 */
export function mergeRulesets(base: Ruleset, add: Ruleset, declaredBuiltins: ReadonlySet<string>): { ruleset: Ruleset; replaced: string[] } {
  if (Object.keys(base.tables).length === 0) return { ruleset: add, replaced: [] }
  const d = toDraft(base)
  const n = toDraft(add)
  const replaced: string[] = []
  for (const [name, t] of n) {
    const old = d.get(name)
    if (!old) {
      d.set(name, t)
      continue
    }
    for (const [cn, c] of t.chains) {
      const isBuiltin = (BUILTIN_CHAINS[name] as readonly string[]).includes(cn)
      // A built-in chain the excerpt did not print is an empty placeholder: keep the old one.
      if (isBuiltin && !declaredBuiltins.has(`${name}:${cn}`) && c.rules.length === 0) continue
      const prev = old.chains.get(cn)
      if (prev && prev.rules.length > 0 && c.rules.length === 0 && !isBuiltin) continue
      if (prev && prev.rules.length > 0) replaced.push(`${name} ${cn}`)
      old.chains.set(cn, c)
    }
  }
  return { ruleset: fromDraft(d), replaced }
}

/**
 * kube-proxy's jumps from built-in chains, added only where the dump did not print that
 * built-in chain at all (an excerpt of kube-proxy's own chains). A built-in chain the dump
 * shows without the jump stays as it is: that is the node's real state.
 */
export function completeKubeJumps(rs: Ruleset, declaredBuiltins: ReadonlySet<string>): { ruleset: Ruleset; added: string[] } {
  const r = ensureKubeProxyJumps(rs)
  if (r.added.length === 0) return r
  const d = toDraft(r.ruleset)
  const orig = toDraft(rs)
  const added: string[] = []
  for (const a of r.added) {
    const m = /^(\w+) (\S+) → (\S+)$/.exec(a)
    if (!m) continue
    const key = `${m[1]}:${m[2]}`
    if (declaredBuiltins.has(key)) {
      const t = d.get(m[1] as TableName)
      const o = orig.get(m[1] as TableName)?.chains.get(m[2]!)
      if (t && o) t.chains.set(m[2]!, o)
    } else added.push(a)
  }
  return { ruleset: fromDraft(d), added }
}
