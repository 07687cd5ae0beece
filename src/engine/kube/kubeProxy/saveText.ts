/**
 * Writes rules the way `iptables-legacy-save` prints them after kube-proxy's
 * `iptables-restore`: per table, built-in chains first with their policy, then user chains
 * in strcmp order (libiptc keeps them sorted); each rule as `-A CHAIN`, then the address
 * matches in the fixed order `-s -d -i -o -p`, then `-m` matches in the order they were
 * given, then `-j` with the target's canonical options. Counters are all zero.
 *
 * Verified against iptables v1.8.9 (legacy) here: restoring kube-proxy's own text and saving
 * it again prints exactly this form (MARK --or-mark becomes --set-xmark X/X, REJECT gains
 * --reject-with icmp-port-unreachable, probabilities are quantised to 1/2^31).
 */
import { formatPrefix, parsePrefix } from '../../wire/addr.ts'
import { BUILTIN_CHAINS } from '../../netfilter/types.ts'
import type { TableName } from '../../netfilter/types.ts'

/** One rule before printing. `matches` are whole `-m module …` fragments, in kube-proxy's order. */
export interface SaveRule {
  readonly src?: { readonly cidr: string; readonly neg?: boolean }
  readonly dst?: { readonly cidr: string; readonly neg?: boolean }
  readonly proto?: string
  readonly matches: readonly string[]
  /** `-j TARGET [options]` without the `-j`; absent for a rule that only counts. */
  readonly target?: string
}

export class SaveTable {
  private readonly rules = new Map<string, string[]>()
  constructor(readonly name: TableName) {
    for (const chain of BUILTIN_CHAINS[name]) this.rules.set(chain, [])
  }

  /** Declare a chain (idempotent), as kube-proxy's `:CHAIN - [0:0]` line does. */
  chain(name: string): this {
    if (!this.rules.has(name)) this.rules.set(name, [])
    return this
  }

  has(name: string): boolean {
    return this.rules.has(name)
  }

  append(chain: string, rule: SaveRule): this {
    this.chain(chain)
    this.rules.get(chain)?.push(printRuleSpec(rule))
    return this
  }

  /** Insert at the top, unless an identical rule is already there (kube-proxy's EnsureRule Prepend). */
  ensurePrepend(chain: string, rule: SaveRule): this {
    this.chain(chain)
    const list = this.rules.get(chain) ?? []
    const text = printRuleSpec(rule)
    if (!list.includes(text)) list.unshift(text)
    return this
  }

  /** The table as iptables-save prints it, `*name` to `COMMIT`. */
  print(): string {
    const builtins: readonly string[] = BUILTIN_CHAINS[this.name]
    const user = [...this.rules.keys()].filter((c) => !builtins.includes(c)).sort(compareBytes)
    const lines = [`*${this.name}`]
    for (const c of builtins) lines.push(`:${c} ACCEPT [0:0]`)
    for (const c of user) lines.push(`:${c} - [0:0]`)
    for (const c of [...builtins, ...user]) for (const spec of this.rules.get(c) ?? []) lines.push(`-A ${c}${spec ? ` ${spec}` : ''}`)
    lines.push('COMMIT')
    return lines.join('\n') + '\n'
  }
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The part of a saved rule after `-A CHAIN`. */
export function printRuleSpec(rule: SaveRule): string {
  const parts: string[] = []
  if (rule.src) parts.push(`${rule.src.neg ? '! ' : ''}-s ${printAddr(rule.src.cidr)}`)
  if (rule.dst) parts.push(`${rule.dst.neg ? '! ' : ''}-d ${printAddr(rule.dst.cidr)}`)
  if (rule.proto) parts.push(`-p ${rule.proto}`)
  parts.push(...rule.matches)
  if (rule.target) parts.push(`-j ${rule.target}`)
  return parts.join(' ')
}

/** iptables-save always prints a prefix length and clears host bits: `10.96.0.1` → `10.96.0.1/32`. */
export function printAddr(cidr: string): string {
  return formatPrefix(parsePrefix(cidr))
}

/** `-m comment --comment "…"`: iptables-save always quotes, escaping `\` and `"`. */
export function comment(text: string): string {
  return `-m comment --comment "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** `-m tcp --dport 80` (or `-m udp`, `-m sctp`); without a port just the module. */
export function portMatch(proto: string, dport?: number): string {
  return dport === undefined ? `-m ${proto}` : `-m ${proto} --dport ${dport}`
}

/** A mark as iptables prints it: lower-case hex, no padding (`0x4000`). */
export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`
}

/**
 * The probability kube-proxy writes for the i-th of n remaining endpoints: 1/n with ten
 * decimals (Go `%0.10f`), e.g. `0.3333333333`.
 */
export function kubeProxyProbability(n: number): string {
  return (1 / n).toFixed(10)
}

/**
 * How iptables-save prints a `--probability` it was given: libxt_statistic stores
 * lround(2^31 × p) and prints that over 2^31 with `%.11f`, so kube-proxy's `0.3333333333`
 * comes back as `0.33333333349`.
 *
 * @example savedProbability('0.5000000000') // '0.50000000000'
 */
export function savedProbability(written: string): string {
  const stored = BigInt(Math.round(0x80000000 * Number(written)))
  return formatRatio(stored, 0x80000000n, 11)
}

/** stored/den with `digits` decimals, rounding half to even on the exact value (glibc printf). */
function formatRatio(num: bigint, den: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits)
  let q = (num * scale) / den
  const r = (num * scale) % den
  if (2n * r > den || (2n * r === den && q % 2n === 1n)) q += 1n
  const whole = q / scale
  const frac = (q % scale).toString().padStart(digits, '0')
  return `${whole}.${frac}`
}
