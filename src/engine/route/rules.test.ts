import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { RoutingRule } from '../model/types.ts'
import { addRule, DEFAULT_RULES, defaultRulePriority, describeRule, findRule, isDefaultRules, parseRuleSpec, parseRuleWords, printRule } from './rules.ts'

/** A line of `ip rule show` read back into a rule (the test's own tiny splitter). */
function readLine(line: string): RoutingRule {
  const m = /^(\d+):\t(.*)$/.exec(line)
  if (!m) throw new Error(`not a rule line: ${line}`)
  const r = parseRuleWords(m[2]!.split(' '))
  if (!r.ok) throw new Error(`${line}: ${r.error}`)
  return { ...r.rule, priority: Number(m[1]) }
}

const rule = (priority: number, rest: Omit<RoutingRule, 'priority'>): RoutingRule => ({ priority, ...rest })

describe('printRule(parse(line)) is the line iproute2 6.1 printed', () => {
  // Every line below was printed by `ip rule show` on the kernel (6.18, iproute2 6.1) after the matching `ip rule add`.
  it.each([
    '0:\tfrom all lookup local',
    '99:\tfrom all lookup 7',
    '100:\tfrom 10.0.0.5 lookup 100',
    '200:\tnot from all to 10.1.0.0/16 fwmark 0x80/0xff iif d0 lookup 200',
    '300:\tfrom all ipproto tcp sport 1000 dport 80-90 lookup main suppress_prefixlength 0',
    '400:\tfrom 10.2.0.0/16 blackhole',
    '401:\tfrom 10.3.0.0/16 unreachable',
    '402:\tfrom all to 10.4.0.1 prohibit',
    '500:\tfrom all goto 32766',
    '501:\tfrom all nop',
    '502:\tfrom all oif d0 uidrange 0-1000 lookup 5',
    '503:\tfrom all tos 0x10 fwmark 0x7 lookup 6',
    '504:\tfrom all iif lo lookup default',
    '700:\tfrom all lookup [l3mdev-table]',
    '702:\tfrom all uidrange 5-5 lookup 5',
    '703:\tfrom all tos 0x04 lookup 5',
    '32766:\tfrom all lookup main',
    '32767:\tfrom all lookup default',
  ])('%s', (line) => {
    expect(printRule(readLine(line))).toBe(line)
  })

  it('drops what the printer adds that is not part of the rule', () => {
    // `[detached]`: iif names a device not in the netns; `proto static`: who added the rule; `realms 3`: a route realm.
    expect(describeRule(readLine('200:\tnot from all to 10.1.0.0/16 fwmark 0x80/0xff iif d0 [detached] lookup 200 proto static'))).toBe('not from all to 10.1.0.0/16 fwmark 0x80/0xff iif d0 lookup 200')
    expect(describeRule(readLine('600:\tfrom 10.9.0.0/16 lookup 9 realms 3'))).toBe('from 10.9.0.0/16 lookup 9')
  })
})

describe('parseRuleWords', () => {
  it.each([
    // `ip rule add` words: the same grammar as a shown line, plus `pref`, `table` and `type`.
    [['from', '10.0.0.5', 'lookup', '100', 'pref', '100'], { priority: 100, from: '10.0.0.5', action: 'lookup', table: 100 }],
    [['to', '10.0.0.0/8', 'table', '254'], { to: '10.0.0.0/8', action: 'lookup', table: 'main' }], // 254 is main
    [['from', '10.0.0.5/32', 'type', 'blackhole'], { from: '10.0.0.5', action: 'blackhole' }], // /32 prints without its length
    [['fwmark', '0x4000/0x4000', 'lookup', 'local'], { fwmark: 0x4000, fwmask: 0x4000, action: 'lookup', table: 'local' }],
    [['fwmark', '7', 'lookup', '6'], { fwmark: 7, fwmask: 0xffffffff, action: 'lookup', table: 6 }], // no mask = all bits
  ] as const)('%j', (words, expected) => {
    expect(parseRuleWords(words)).toEqual({ ok: true, rule: expected })
  })

  it.each([
    // The word index points at the bad word so callers can show its column.
    [['frm', '1.2.3.4', 'lookup', '5'], 0, 'unknown rule selector `frm`'],
    [['from', '1.2.3.x', 'lookup', '5'], 1, '`from 1.2.3.x`: expected an IPv4 address or prefix, or all'],
    [['lookup', 'foo'], 1, 'unknown table `foo`: expected main, local, default or a number'],
    [['from', '1.2.3.4'], 2, 'the rule has no action: add `lookup TABLE`, `goto PRIO`, `nop`, `blackhole`, `unreachable` or `prohibit`'],
    [['from'], 0, '`from` needs a value'],
  ] as const)('%j fails at word %i', (words, word, error) => {
    expect(parseRuleWords(words)).toEqual({ ok: false, word, error })
  })

  it('parseRuleSpec leaves the action out when the words do (ip rule del/show)', () => {
    expect(parseRuleSpec(['from', '1.2.3.4'])).toEqual({ ok: true, rule: { from: '1.2.3.4' } })
  })

  propTest.prop([fc.array(fc.oneof(fc.constantFrom('from', 'to', 'lookup', 'pref', 'fwmark', 'not', 'goto', 'type', 'blackhole', 'all', '10.0.0.0/8', '0x10/0xff', '7', 'main', 'sport', '1-2', 'l3mdev', '[l3mdev-table]'), fc.string()), { maxLength: 8 })])('never throws, and what it reads prints and reads back the same', (words) => {
    const r = parseRuleWords(words)
    if (!r.ok) return
    const printed = describeRule({ ...r.rule, priority: 1 }).split(' ')
    const again = parseRuleWords(printed)
    expect(again.ok && describeRule({ ...again.rule, priority: 1 })).toBe(printed.join(' '))
  })
})

describe('ip rule add / del on a rule list', () => {
  it('defaultRulePriority is one less than the second rule, as the kernel picked', () => {
    // Fresh netns: `ip rule add from 10.0.0.5 lookup 100` became 32765.
    expect(defaultRulePriority(DEFAULT_RULES)).toBe(32765)
    // With `100: from 10.0.0.5 lookup 100` second, the next one became 99.
    expect(defaultRulePriority([DEFAULT_RULES[0]!, rule(100, { action: 'lookup', table: 100 })])).toBe(99)
    // Second rule at priority 0 (two pref-0 rules): the kernel gave 0, even with a 100 further on.
    expect(defaultRulePriority([DEFAULT_RULES[0]!, rule(0, { action: 'lookup', table: 5 }), rule(100, { action: 'lookup', table: 8 })])).toBe(0)
  })

  it('inserts after every rule of the same priority, and refuses an identical rule', () => {
    const a = addRule(DEFAULT_RULES, { priority: 32766, from: '10.0.0.5', action: 'lookup', table: 9 })
    if (!a.ok) throw new Error('add failed')
    // Same priority as main: after it (the kernel inserts before the first higher priority).
    expect(a.rules.map((r) => printRule(r))).toEqual(['0:\tfrom all lookup local', '32766:\tfrom all lookup main', '32766:\tfrom 10.0.0.5 lookup 9', '32767:\tfrom all lookup default'])
    // `ip rule add from 1.2.3.4 lookup main pref 32766` twice → RTNETLINK answers: File exists.
    expect(addRule(a.rules, { priority: 32766, from: '10.0.0.5', action: 'lookup', table: 9 })).toEqual({ ok: false, error: 'File exists' })
    // No action: iproute2 sends `lookup main`; a different table is a different rule.
    const b = addRule(DEFAULT_RULES, { from: '1.2.3.4' })
    expect(b.ok && printRule(b.rule)).toBe('32765:\tfrom 1.2.3.4 lookup main')
  })

  it('findRule: the first rule matching every field given', () => {
    const rules = [...DEFAULT_RULES.slice(0, 1), rule(0, { from: '9.9.9.9', action: 'lookup', table: 9 }), rule(100, { from: '8.8.8.8', action: 'lookup', table: 8 }), ...DEFAULT_RULES.slice(1)]
    // `ip rule del lookup main` removed 32766 on the kernel.
    expect(findRule(rules, { table: 'main' })).toBe(3)
    // `ip rule del pref 0` removed `from all lookup local`, the first pref-0 rule.
    expect(findRule(rules, { priority: 0 })).toBe(0)
    // `ip rule del from 9.9.9.9 lookup 10`: No such file or directory.
    expect(findRule(rules, { from: '9.9.9.9', action: 'lookup', table: 10 })).toBe(-1)
    expect(findRule(rules, { from: '8.8.8.8' })).toBe(2)
  })

  it('isDefaultRules', () => {
    expect(isDefaultRules(undefined)).toBe(true)
    expect(isDefaultRules(DEFAULT_RULES.map((r) => ({ ...r, source: { file: 'x', line: 1 } })))).toBe(true) // where they came from does not matter
    expect(isDefaultRules(DEFAULT_RULES.slice(1))).toBe(false) // local rule deleted
  })
})
