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

function tableName(t: RoutingRule['table']): string {
  if (t === undefined) return 'main'
  if (t === 253) return 'default'
  return String(t)
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`
}

function range(r: { readonly from: number; readonly to: number }): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`
}

function describeSelector(r: RoutingRule): string {
  const parts: string[] = []
  if (r.not) parts.push('not')
  parts.push('from', r.from ?? 'all')
  if (r.to !== undefined) parts.push('to', r.to)
  if (r.tos !== undefined) parts.push('tos', hex(r.tos))
  if (r.fwmark !== undefined) parts.push('fwmark', r.fwmask === undefined || r.fwmask === 0xffffffff ? hex(r.fwmark) : `${hex(r.fwmark)}/${hex(r.fwmask)}`)
  if (r.iif !== undefined) parts.push('iif', r.iif)
  if (r.oif !== undefined) parts.push('oif', r.oif)
  if (r.uidrange !== undefined) parts.push('uidrange', `${r.uidrange.from}-${r.uidrange.to}`)
  if (r.ipproto !== undefined) parts.push('ipproto', r.ipproto)
  if (r.sport !== undefined) parts.push('sport', range(r.sport))
  if (r.dport !== undefined) parts.push('dport', range(r.dport))
  if (r.unmodelled !== undefined) parts.push(r.unmodelled)
  return parts.join(' ')
}

/**
 * A rule without its priority, as `ip rule show` prints it after the tab.
 * @example describeRule({ priority: 100, from: '10.0.0.5', action: 'lookup', table: 100 }) // 'from 10.0.0.5 lookup 100'
 */
export function describeRule(r: RoutingRule): string {
  const parts = [describeSelector(r)]
  if (r.action === 'lookup') {
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

/**
 * The words of one rule: `ip rule add` arguments (`from 10.0.0.5 lookup 100 pref 100`) or a
 * line of `ip rule show` without its `PRIO:` (`from all fwmark 0x80/0x80 lookup main`).
 * `[detached]` and `[unresolved]` flags are accepted and dropped. Errors name the word.
 * @example parseRuleWords(['from', '10.0.0.5', 'lookup', '100']) // { ok: true, rule: { from: '10.0.0.5', action: 'lookup', table: 100 } }
 */
export function parseRuleWords(words: readonly string[]): RuleWordsResult {
  const rule: { -readonly [K in keyof RoutingRule]?: RoutingRule[K] } = {}
  let action: RoutingRule['action'] | undefined
  const unmodelled: string[] = []
  const fail = (word: number, error: string): RuleWordsResult => ({ ok: false, error, word })
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const next = words[i + 1]
    const needs = (what: string): RuleWordsResult | undefined => (next === undefined ? fail(i, `\`${w}\` needs ${what}`) : undefined)
    if (w === 'not') {
      rule.not = true
      continue
    }
    if (w === '[detached]' || w === '[unresolved]') continue
    if (w === 'l3mdev') {
      unmodelled.push('l3mdev')
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
        const r = parseRange(v)
        if (!r) return fail(i, `\`${w} ${v}\`: expected N or N-M`)
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
  if (action === undefined) return fail(words.length, 'the rule has no action: add `lookup TABLE`, `goto PRIO`, `nop`, `blackhole`, `unreachable` or `prohibit`')
  if (action !== 'lookup') delete rule.table
  return { ok: true, rule: { ...rule, ...(unmodelled.length > 0 && { unmodelled: unmodelled.join(' ') }), action } }
}
