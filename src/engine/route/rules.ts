/**
 * Policy routing rules (`ip rule`): one grammar for the words of `ip rule add …` and of a line
 * `ip rule show` prints, and the printer that writes a rule as iproute2 6.x does
 * (iprule.c print_rule: `PRIO:\tfrom SRC [to DST] [tos] [fwmark] [iif] [oif] [uidrange]
 * [ipproto] [sport] [dport] lookup TABLE [suppress_prefixlength N] | goto N | nop | TYPE`).
 */
import { canonicalDst } from '../model/ops.ts'
import type { RoutingRule } from '../model/types.ts'
import { isIpv4 } from '../wire/addr.ts'

/** The kernel's rules in a fresh netns. */
export const DEFAULT_RULES: readonly RoutingRule[] = [
  { priority: 0, action: 'lookup', table: 'local' },
  { priority: 32766, action: 'lookup', table: 'main' },
  { priority: 32767, action: 'lookup', table: 253 },
]

/** The rules a netns routes by: its own, or the three defaults. */
export function rulesOf(ns: { readonly rules?: readonly RoutingRule[] }): readonly RoutingRule[] {
  return ns.rules ?? DEFAULT_RULES
}

/** Whether a rule list is just the kernel's defaults (so lookups can skip policy routing). */
export function isDefaultRules(rules: readonly RoutingRule[] | undefined): boolean {
  if (!rules) return true
  if (rules.length !== 3) return false
  return rules.every((r, i) => {
    const d = DEFAULT_RULES[i]!
    return r.priority === d.priority && r.action === 'lookup' && r.table === d.table && describeSelector(r) === 'from all' && r.suppressPrefixlength === undefined
  })
}

/** A routing table as iproute2 names it: main, local, default (253) or its number. */
export function tableName(t: RoutingRule['table']): string {
  if (t === undefined) return 'main'
  if (t === 253) return 'default'
  return String(t)
}

/** iproute2's `%#llx`: `0x80`, but plain `0` for zero. */
function hex(n: number): string {
  return n === 0 ? '0' : `0x${(n >>> 0).toString(16)}`
}

/** rtnl_dsfield_n2a: `0x%02x`. */
function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`
}

/** An `l3mdev` rule looks up the VRF device's table; iproute2 prints it as `lookup [l3mdev-table]`. */
function isL3mdev(r: RoutingRule): boolean {
  return r.action === 'lookup' && r.table === undefined && r.unmodelled !== undefined && r.unmodelled.split(' ').includes('l3mdev')
}

function range(r: { readonly from: number; readonly to: number }): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`
}

function describeSelector(r: RoutingRule): string {
  const parts: string[] = []
  if (r.not) parts.push('not')
  parts.push('from', r.from ?? 'all')
  if (r.to !== undefined) parts.push('to', r.to)
  if (r.tos !== undefined) parts.push('tos', hex2(r.tos))
  if (r.fwmark !== undefined) parts.push('fwmark', r.fwmask === undefined || r.fwmask === 0xffffffff ? hex(r.fwmark) : `${hex(r.fwmark)}/${hex(r.fwmask)}`)
  if (r.iif !== undefined) parts.push('iif', r.iif)
  if (r.oif !== undefined) parts.push('oif', r.oif)
  if (r.uidrange !== undefined) parts.push('uidrange', `${r.uidrange.from}-${r.uidrange.to}`)
  if (r.ipproto !== undefined) parts.push('ipproto', r.ipproto)
  if (r.sport !== undefined) parts.push('sport', range(r.sport))
  if (r.dport !== undefined) parts.push('dport', range(r.dport))
  const unmodelled = isL3mdev(r) ? r.unmodelled!.split(' ').filter((w) => w !== 'l3mdev').join(' ') : r.unmodelled
  if (unmodelled) parts.push(unmodelled)
  return parts.join(' ')
}

/**
 * A rule without its priority, as `ip rule show` prints it after the tab.
 * @example describeRule({ priority: 100, from: '10.0.0.5', action: 'lookup', table: 100 }) // 'from 10.0.0.5 lookup 100'
 */
export function describeRule(r: RoutingRule): string {
  const parts = [describeSelector(r)]
  if (isL3mdev(r)) parts.push('lookup', '[l3mdev-table]')
  else if (r.action === 'lookup') {
    parts.push('lookup', tableName(r.table))
    if (r.suppressPrefixlength !== undefined) parts.push('suppress_prefixlength', String(r.suppressPrefixlength))
  } else if (r.action === 'goto') parts.push('goto', String(r.goto ?? 0))
  else parts.push(r.action)
  return parts.join(' ')
}

/** One line of `ip rule show`: `PRIO:\tRULE`. */
export function printRule(r: RoutingRule): string {
  return `${r.priority}:\t${describeRule(r)}`
}

export type RuleWordsResult = { readonly ok: true; readonly rule: Omit<RoutingRule, 'priority'> & { readonly priority?: number } } | { readonly ok: false; readonly error: string; readonly word: number }

const ACTION_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'nop'])

function parseTable(text: string): RoutingRule['table'] | undefined {
  if (text === 'main') return 'main'
  if (text === 'local') return 'local'
  if (text === 'default') return 253
  if (!/^\d+$/.test(text)) return undefined
  const n = Number(text)
  return n === 254 ? 'main' : n === 255 ? 'local' : n
}

function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16)
  if (/^\d+$/.test(text)) return Number(text)
  return undefined
}

function parseRange(text: string): { from: number; to: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text)
  if (!m) return undefined
  const from = Number(m[1])
  const to = m[2] === undefined ? from : Number(m[2])
  return from <= to && to <= 0xffffffff ? { from, to } : undefined
}

function parsePrefixArg(text: string): string | undefined {
  if (text === 'all' || text === 'default' || text === 'any') return undefined
  const ip = text.split('/')[0]!
  if (!isIpv4(ip)) return undefined
  try {
    return canonicalDst(text).replace(/\/32$/, '')
  } catch {
    return undefined
  }
}

/** A rule as a command gives it: priority and action may be left out (`ip rule del from 10.0.0.5`). */
export type RuleSpec = Omit<RoutingRule, 'priority' | 'action'> & { readonly priority?: number; readonly action?: RoutingRule['action'] }

export type RuleSpecResult = { readonly ok: true; readonly rule: RuleSpec } | { readonly ok: false; readonly error: string; readonly word: number }

/**
 * The words of one rule: `ip rule add` arguments (`from 10.0.0.5 lookup 100 pref 100`) or a
 * line of `ip rule show` without its `PRIO:` (`from all fwmark 0x80/0x80 lookup main`).
 * `[detached]` and `[unresolved]` flags are accepted and dropped. Errors name the word.
 * @example parseRuleWords(['from', '10.0.0.5', 'lookup', '100']) // { ok: true, rule: { from: '10.0.0.5', action: 'lookup', table: 100 } }
 */
export function parseRuleWords(words: readonly string[]): RuleWordsResult {
  const r = parseWords(words)
  if (!r.ok) return r
  const { action } = r.rule
  if (action === undefined) return { ok: false, error: 'the rule has no action: add `lookup TABLE`, `goto PRIO`, `nop`, `blackhole`, `unreachable` or `prohibit`', word: words.length }
  return { ok: true, rule: { ...r.rule, action } }
}

/**
 * The words of `ip rule add|del|show` as given: the action may be missing (`ip rule add`
 * then looks up main; `del` and `show` match any action).
 * @example parseRuleSpec(['from', '10.0.0.5']) // { ok: true, rule: { from: '10.0.0.5' } }
 */
export function parseRuleSpec(words: readonly string[]): RuleSpecResult {
  return parseWords(words)
}

function parseWords(words: readonly string[]): RuleSpecResult {
  const rule: { -readonly [K in keyof RoutingRule]?: RoutingRule[K] } = {}
  let action: RoutingRule['action'] | undefined
  const unmodelled: string[] = []
  const fail = (word: number, error: string): RuleSpecResult => ({ ok: false, error, word })
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const next = words[i + 1]
    const needs = (what: string): RuleSpecResult | undefined => (next === undefined ? fail(i, `\`${w}\` needs ${what}`) : undefined)
    if (w === 'not') {
      rule.not = true
      continue
    }
    if (w === '[detached]' || w === '[unresolved]') continue
    if (w === 'l3mdev') {
      unmodelled.push('l3mdev')
      action = action ?? 'lookup'
      continue
    }
    if ((w === 'lookup' || w === 'table') && next === '[l3mdev-table]') {
      if (!unmodelled.includes('l3mdev')) unmodelled.push('l3mdev')
      action = action ?? 'lookup'
      i++
      continue
    }
    if (ACTION_TYPES.has(w) || w === 'type') {
      const t = w === 'type' ? next : w
      if (w === 'type') i++
      if (t === undefined || !(ACTION_TYPES.has(t) || t === 'unicast')) return fail(i, `unknown rule type \`${t ?? ''}\`: expected blackhole, unreachable, prohibit or nop`)
      if (t !== 'unicast') action = t as RoutingRule['action']
      continue
    }
    const missing = needs('a value')
    if (missing) return missing
    const v = next!
    i++
    switch (w) {
      case 'from':
      case 'to': {
        const p = parsePrefixArg(v)
        if (p === undefined && v !== 'all' && v !== 'default' && v !== 'any') return fail(i, `\`${w} ${v}\`: expected an IPv4 address or prefix, or all`)
        if (p !== undefined) rule[w] = p
        break
      }
      case 'iif':
      case 'dev':
        rule.iif = v
        break
      case 'oif':
        rule.oif = v
        break
      case 'fwmark': {
        const [mark, mask] = v.split('/')
        const m = parseNumber(mark!)
        const k = mask === undefined ? 0xffffffff : parseNumber(mask)
        if (m === undefined || k === undefined) return fail(i, `\`fwmark ${v}\`: expected MARK or MARK/MASK (numbers, 0x… for hex)`)
        rule.fwmark = m >>> 0
        rule.fwmask = k >>> 0
        break
      }
      case 'tos':
      case 'dsfield': {
        const t = parseNumber(v)
        if (t === undefined) return fail(i, `\`${w} ${v}\`: expected a number`)
        rule.tos = t
        break
      }
      case 'ipproto': {
        const p = v === '6' ? 'tcp' : v === '17' ? 'udp' : v === '1' ? 'icmp' : v
        if (p !== 'tcp' && p !== 'udp' && p !== 'icmp') return fail(i, `\`ipproto ${v}\`: the engine models tcp, udp and icmp`)
        rule.ipproto = p
        break
      }
      case 'sport':
      case 'dport':
      case 'uidrange': {
        // iproute2 takes `sport 80` but insists on `uidrange N-M`.
        const r = w === 'uidrange' && !v.includes('-') ? undefined : parseRange(v)
        if (!r) return fail(i, `\`${w} ${v}\`: expected ${w === 'uidrange' ? 'N-M' : 'N or N-M'}`)
        rule[w] = r
        break
      }
      case 'lookup':
      case 'table': {
        const t = parseTable(v)
        if (t === undefined) return fail(i, `unknown table \`${v}\`: expected main, local, default or a number`)
        rule.table = t
        action = action ?? 'lookup'
        break
      }
      case 'goto': {
        const g = parseNumber(v)
        if (g === undefined) return fail(i, `\`goto ${v}\`: expected a priority`)
        rule.goto = g
        action = 'goto'
        break
      }
      case 'pref':
      case 'priority':
      case 'preference':
      case 'order': {
        const p = parseNumber(v)
        if (p === undefined) return fail(i, `\`${w} ${v}\`: expected a number`)
        rule.priority = p
        break
      }
      case 'suppress_prefixlength': {
        const s = parseNumber(v)
        if (s === undefined) return fail(i, `\`${w} ${v}\`: expected a number`)
        rule.suppressPrefixlength = s
        break
      }
      case 'proto':
      case 'protocol':
      case 'realms':
      case 'suppress_ifgroup':
        // Who added the rule / realms: no effect on the lookup (suppress_ifgroup: not simulated).
        if (w === 'suppress_ifgroup') unmodelled.push(`${w} ${v}`)
        break
      case 'tun_id':
      case 'nat':
      case 'map-to':
        unmodelled.push(`${w} ${v}`)
        break
      default:
        return fail(i - 1, `unknown rule selector \`${w}\``)
    }
  }
  if (action !== undefined && action !== 'lookup') delete rule.table
  return { ok: true, rule: { ...rule, ...(unmodelled.length > 0 && { unmodelled: unmodelled.join(' ') }), ...(action !== undefined && { action }) } }
}

/**
 * The priority `ip rule add` gives a rule without `pref` (kernel fib_default_rule_pref): one
 * less than the second rule's, when that is not 0; else 0.
 * @example defaultRulePriority(DEFAULT_RULES) // 32765
 */
export function defaultRulePriority(rules: readonly RoutingRule[]): number {
  const second = rules[1]
  return second !== undefined && second.priority > 0 ? second.priority - 1 : 0
}

function sameRange(a: RoutingRule['sport'], b: RoutingRule['sport']): boolean {
  return a === b || (a !== undefined && b !== undefined && a.from === b.from && a.to === b.to)
}

const SELECTOR_KEYS = ['from', 'to', 'iif', 'oif', 'fwmark', 'fwmask', 'tos', 'ipproto', 'unmodelled', 'goto', 'suppressPrefixlength'] as const

/** Whether two rules are the same rule apart from where they came from (the kernel's rule_exists). */
export function sameRule(a: RoutingRule, b: RoutingRule): boolean {
  return a.priority === b.priority && a.action === b.action && (a.table ?? 'main') === (b.table ?? 'main') && (a.not ?? false) === (b.not ?? false) && SELECTOR_KEYS.every((k) => a[k] === b[k]) && sameRange(a.sport, b.sport) && sameRange(a.dport, b.dport) && sameRange(a.uidrange, b.uidrange)
}

/**
 * `ip rule add`: the rule goes after every rule of its priority or lower, as the kernel
 * inserts it; without `pref` it takes defaultRulePriority. An identical rule is `File exists`
 * (iproute2 asks with NLM_F_EXCL); a missing action is `lookup main`, as iproute2 sends.
 * @example addRule(DEFAULT_RULES, { from: '10.0.0.5', action: 'lookup', table: 100 }) // { ok: true, rules: [0 local, 32765 from 10.0.0.5 lookup 100, 32766 main, 32767 default], rule }
 */
export function addRule(rules: readonly RoutingRule[], spec: RuleSpec): { readonly ok: true; readonly rules: RoutingRule[]; readonly rule: RoutingRule } | { readonly ok: false; readonly error: 'File exists' } {
  const priority = spec.priority ?? defaultRulePriority(rules)
  const rule: RoutingRule = spec.action === undefined ? { ...spec, priority, action: 'lookup', table: spec.table ?? 'main' } : { ...spec, priority, action: spec.action }
  if (rules.some((r) => sameRule(r, rule))) return { ok: false, error: 'File exists' }
  let at = rules.length
  for (let i = 0; i < rules.length; i++) {
    if (rules[i]!.priority > priority) {
      at = i
      break
    }
  }
  return { ok: true, rules: [...rules.slice(0, at), rule, ...rules.slice(at)], rule }
}

/**
 * The rule `ip rule del` removes (kernel rule_find): the first whose every field the command
 * gives is equal; what it leaves out matches anything. -1 when none does.
 * @example findRule(DEFAULT_RULES, { table: 'main' }) // 1
 */
export function findRule(rules: readonly RoutingRule[], spec: RuleSpec): number {
  return rules.findIndex(
    (r) =>
      (spec.priority === undefined || r.priority === spec.priority) &&
      (spec.action === undefined || r.action === spec.action) &&
      (spec.table === undefined || (r.table ?? 'main') === spec.table) &&
      SELECTOR_KEYS.every((k) => spec[k] === undefined || r[k] === spec[k]) &&
      (spec.sport === undefined || sameRange(r.sport, spec.sport)) &&
      (spec.dport === undefined || sameRange(r.dport, spec.dport)) &&
      (spec.uidrange === undefined || sameRange(r.uidrange, spec.uidrange)),
  )
}
