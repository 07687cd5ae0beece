/**
 * Broken scenario files are rejected with messages a course author can act on: a stable
 * code, the line, the field path, and (where we can tell) what would work instead.
 * Table-driven: each case is a small file, the problem it contains, and the diagnostic we
 * expect for it.
 */
import { readFileSync } from 'node:fs'
import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { Diagnostic } from '../diagnostics.ts'
import { closestWord, parseScenario, runScenario, splitCommandLine } from './runner.ts'

const WORLD = readFileSync(new URL('../../../scenarios/worlds/bridge-two-pods.yaml', import.meta.url), 'utf8')
const CLUSTER = readFileSync(new URL('../../../scenarios/clusters/two-nodes-flannel.yaml', import.meta.url), 'utf8')
const FILES: Record<string, string> = { 'w.yaml': WORLD, 'c.yaml': CLUSTER }

/** A valid world scenario; `actions` (YAML lines, indented by 2) replaces its one action. */
function scenario(opts: { head?: string; actions?: string; tail?: string } = {}): string {
  return [
    'apiVersion: packetwalk.dev/v1', // line 1
    'kind: Scenario', // 2
    'metadata: { id: t, title: T, summary: S }', // 3
    opts.head ?? 'world: w.yaml', // 4
    'actions:', // 5
    opts.actions ?? '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    expect: { verdict: delivered }', // 6…
    ...(opts.tail !== undefined ? [opts.tail] : []),
  ].join('\n')
}

interface Want {
  readonly code: string
  readonly line?: number
  /** Substrings of the message (field path, what is wrong). */
  readonly message: readonly string[]
  readonly hint?: string
}

function first(ds: readonly Diagnostic[]): Diagnostic | undefined {
  return ds.find((d) => d.severity === 'error')
}

function expectDiagnostic(ds: readonly Diagnostic[], want: Want): void {
  const d = first(ds)
  expect(d, 'an error diagnostic').toBeDefined()
  expect(d!.code).toBe(want.code)
  if (want.line !== undefined) expect(d!.line).toBe(want.line)
  for (const m of want.message) expect(d!.message).toContain(m)
  if (want.hint !== undefined) expect(d!.hint ?? '').toContain(want.hint)
}

describe('parseScenario rejects broken files', () => {
  const cases: [string, string, Want][] = [
    ['an empty file', '', { code: 'SCN002', message: ['the file is empty'], hint: 'apiVersion: packetwalk.dev/v1' }],
    // The tab-less YAML error is reported where the parser stopped: line 3.
    ['a YAML syntax error', 'apiVersion: packetwalk.dev/v1\nkind: Scenario\nmetadata: { id: t, title: [oops }\n', { code: 'SCN001', line: 3, message: ['YAML syntax'] }],
    ['a wrong apiVersion', scenario().replace('packetwalk.dev/v1', 'packetwalk.dev/v2'), { code: 'SCN002', line: 1, message: ['apiVersion'] }],
    ['no actions', scenario({ actions: '' }), { code: 'SCN002', message: ['actions'] }],
    // A typo at the top level is an error (strict objects), with the closest known field.
    ['a misspelt top-level field', scenario({ tail: 'whatifs: []' }), { code: 'SCN002', line: 9, message: ['unknown field `whatifs`'], hint: 'did you mean `whatIfs`?' }],
    ['an unknown action kind', scenario({ actions: '  - title: ping\n    sned: { from: pod-a, to: 10.244.1.3 }' }), { code: 'SCN002', line: 7, message: ['actions[0]', 'unknown action `sned`'], hint: 'did you mean `send`?' }],
    ['two actions in one item', scenario({ actions: '  - title: two\n    send: { from: pod-a, to: 10.244.1.3 }\n    note: hello' }), { code: 'SCN002', line: 6, message: ['one action per list item', '`send` and `note`'], hint: 'split them' }],
    ['an action without a kind', scenario({ actions: '  - title: nothing' }), { code: 'SCN002', line: 6, message: ['this action does nothing'], hint: 'send, lookup' }],
    // Once the kind is known, the error is about that kind's own fields.
    ['a bad protocol', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3, proto: tcpp, port: 80 }' }), { code: 'SCN002', line: 7, message: ['actions[0].send.proto', '"tcpp" is not one of "tcp", "udp", "icmp"'], hint: 'did you mean "tcp"?' }],
    ['a missing title', scenario({ actions: '  - send: { from: pod-a, to: 10.244.1.3 }' }), { code: 'SCN002', line: 6, message: ['actions[0].title', 'missing'] }],
    ['a misspelt narration field', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    narations: []' }), { code: 'SCN002', line: 8, message: ['unknown field `narations`'], hint: 'did you mean `narration`?' }],
    ['an anchor with an unknown step kind', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    narration:\n      - { at: { kind: arp-requets }, text: hi }' }), { code: 'SCN002', line: 9, message: ['actions[0].narration[0].at.kind', '"arp-requets"'], hint: 'did you mean "arp-request"?' }],
    ['an anchor that is not one', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    narration:\n      - { at: middle, text: hi }' }), { code: 'SCN002', line: 9, message: ['"middle" is not an anchor'], hint: 'start, end, a step index' }],
    // Answers count from 0: answer 2 with two choices points past the end.
    ['a checkpoint answer out of range', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    expect: { verdict: delivered }\n    checkpoints:\n      - { at: start, question: Q, choices: [a, b], answer: 2, explain: E }' }), { code: 'SCN002', line: 10, message: ['answer 2 but only 2 choices'], hint: 'answers count from 0' }],
    ['both world and cluster', scenario({ head: 'world: w.yaml\ncluster: c.yaml' }), { code: 'SCN002', message: ['exactly one of `world` or `cluster`'] }],
    ['a when naming no what-if', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    expect: { verdict: delivered }\n    narration:\n      - { when: [nf-on], text: hi }' }), { code: 'SCN002', line: 10, message: ['no what-if called "nf-on"'], hint: '`default` means no what-if on' }],
    ['a what-if expecting a missing action', scenario({ tail: 'whatIfs:\n  - { id: x, label: X, description: D, expect: { "5": { verdict: dropped } } }' }), { code: 'SCN002', message: ['"5" is not an action index'], hint: 'use 0…0' }],
    ['a what-if swapping the cluster of a world scenario', scenario({ tail: 'whatIfs:\n  - { id: x, label: X, description: D, cluster: c.yaml }' }), { code: 'SCN002', line: 10, message: ['starts from a world file'], hint: 'use `world:`' }],
    ['a duplicate what-if id', scenario({ tail: 'whatIfs:\n  - { id: x, label: X, description: D }\n  - { id: x, label: Y, description: D }' }), { code: 'SCN002', line: 11, message: ['what-if "x" is defined twice'] }],
    ['an id with capitals', scenario().replace('id: t,', 'id: MyScenario,'), { code: 'SCN002', line: 3, message: ['metadata.id', 'lowercase letters, digits and dashes'] }],
    ['two YAML documents', `${scenario()}\n---\nkind: Service\n`, { code: 'SCN002', message: ['one document'], hint: 'cluster:' }],
    ['a bad container port', scenario({ head: 'cluster: c.yaml', actions: '  - title: start\n    startPod: { pod: default/x, containers: [{ name: a, ports: ["80/sctp"] }] }' }), { code: 'SCN002', line: 7, message: ['startPod'] }],
  ]

  it.each(cases)('%s', (_name, text, want) => {
    const r = parseScenario(text, { file: 'broken.yaml' })
    expect(r.scenario === undefined || r.diagnostics.some((d) => d.severity === 'error')).toBe(true)
    expectDiagnostic(r.diagnostics, want)
    expect(first(r.diagnostics)!.file).toBe('broken.yaml')
  })

  it('reports every problem, not just the first', () => {
    // Three independent mistakes in three actions: three diagnostics, on three lines.
    const text = scenario({ actions: ['  - title: a', '    sned: {}', '  - title: b', '    send: { from: pod-a, to: 10.244.1.3, proto: tcpp }', '  - title: c', '    note: hi', '    narations: []'].join('\n') })
    const errors = parseScenario(text).diagnostics.filter((d) => d.severity === 'error')
    expect(errors.map((d) => d.line)).toEqual([7, 9, 12])
  })

  it('accepts a valid file with no diagnostics', () => {
    const r = parseScenario(scenario())
    expect(r.diagnostics).toEqual([])
    expect(r.scenario?.actions).toHaveLength(1)
  })
})

describe('runScenario reports what only running reveals', () => {
  const run = (text: string, whatIfs: string[] = []) => {
    const p = parseScenario(text, { file: 'run.yaml' })
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    return runScenario(p.scenario!, { readFile: (rel) => FILES[rel], file: 'run.yaml', source: p.source }, { whatIfs })
  }
  const cases: [string, string, Want][] = [
    ['a missing world file', scenario({ head: 'world: nowhere.yaml' }), { code: 'SCN003', line: 4, message: ['cannot read world file nowhere.yaml'], hint: 'relative to the scenario file' }],
    ['an unknown source', scenario({ actions: '  - title: ping\n    send: { from: pod-z, to: 10.244.1.3 }\n    expect: { verdict: delivered }' }), { code: 'SCN004', line: 6, message: ['pod-z'] }],
    ['an anchor that matches no step', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    expect: { verdict: delivered }\n    narration:\n      - { at: { kind: encap }, text: hi }' }), { code: 'SCN005', line: 10, message: ['no step matches', 'encap'] }],
    ['a placeholder that names nothing', scenario({ actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    expect: { verdict: delivered }\n    narration:\n      - { text: "went to {{outcome.dnatt}}" }' }), { code: 'SCN006', line: 10, message: ['{{outcome.dnatt}}'], hint: '{{outcome.verdict|deliveredTo|dnat' }],
    ['a cluster action in a world scenario', scenario({ actions: '  - title: scale\n    scale: { deployment: default/x, replicas: 2 }' }), { code: 'SCN004', line: 6, message: ['needs a cluster scenario'] }],
    // The shell refuses the command (as `ip` would); unless the scenario expects the failure, that is an error.
    ['a shell command that fails', scenario({ actions: '  - title: cmd\n    commands: { netns: host, lines: [ip a, ip link set nodev up] }' }), { code: 'SCN004', line: 7, message: ['ip link set nodev up', 'Cannot find device "nodev"'] }],
    ['a command in a netns the world lacks', scenario({ actions: '  - title: cmd\n    commands: { netns: nowhere, lines: [ip a] }' }), { code: 'SCN004', line: 7, message: ['no netns called "nowhere"'] }],
    // iptables refuses the command; unless the scenario expects the failure, that is an error.
    ['an iptables command that fails', scenario({ actions: '  - title: bad rule\n    iptables: { netns: host, commands: ["iptables -t nat -A NOPE -j ACCEPT"] }' }), { code: 'SCN004', line: 7, message: ['iptables -t nat -A NOPE', 'No chain/target/match by that name'] }],
    ['a pod that does not exist', scenario({ head: 'cluster: c.yaml', actions: '  - title: del\n    deletePod: { pod: default/ghost }' }), { code: 'SCN004', line: 6, message: ['pod default/ghost not found'] }],
  ]

  it.each(cases)('%s', (_name, text, want) => {
    const r = run(text)
    expectDiagnostic(r.diagnostics, want)
  })

  it('an anchor missing only under a what-if says how to restrict it', () => {
    // The ping is dropped in the pod without br_netfilter? No: use ip_forward — the narration
    // anchors on `forward`, which a same-subnet ping never has; the hint mentions `when`.
    const text = scenario({
      actions: '  - title: ping\n    send: { from: pod-a, to: 10.244.1.3 }\n    expect: { verdict: delivered }\n    narration:\n      - { at: { kind: flood }, text: hi }',
      tail: 'whatIfs:\n  - { id: again, label: A, description: D, setup: [{ title: warm, send: { from: pod-a, to: 10.244.1.3 } }] }',
    })
    expect(run(text).diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    // With the caches warmed by the setup ping, nothing floods any more.
    const d = first(run(text, ['again']).diagnostics)
    expect(d?.code).toBe('SCN005')
    expect(d?.hint).toContain('when: [default]')
  })

  it('an expected failure is an expectation, not an error', () => {
    const text = scenario({ actions: '  - title: bad rule\n    iptables: { netns: host, commands: ["iptables -t nat -A NOPE -j ACCEPT"] }\n    expect: { exitCode: 1, output: ["No chain/target/match by that name"] }' })
    const r = run(text)
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    expect(r.results.every((x) => x.ok)).toBe(true)
  })

  it('an unknown what-if id is reported', () => {
    expectDiagnostic(run(scenario(), ['nope']).diagnostics, { code: 'SCN004', message: ['no what-if called "nope"'] })
  })
})

describe('helpers', () => {
  it.each([
    // [word, vocabulary, suggestion] — one or two typos away suggest; far-off words do not.
    ['sned', ['send', 'note'], 'send'],
    ['narations', ['narration', 'checkpoints'], 'narration'],
    ['Whatifs', ['whatIfs', 'world'], 'whatIfs'],
    ['banana', ['send', 'note'], undefined],
  ] as const)('closestWord(%s)', (word, words, want) => {
    expect(closestWord(word, words)).toBe(want)
  })

  it.each([
    // Quotes group words and disappear, as in a shell.
    ['iptables -t nat -L -n', ['iptables', '-t', 'nat', '-L', '-n']],
    ['-m comment --comment "kube-system/kube-dns:dns cluster IP" -j X', ['-m', 'comment', '--comment', 'kube-system/kube-dns:dns cluster IP', '-j', 'X']],
    ["-m comment --comment 'a \"b\"'", ['-m', 'comment', '--comment', 'a "b"']],
    ['a\\ b  ""', ['a b', '']],
  ] as const)('splitCommandLine(%s)', (line, want) => {
    expect(splitCommandLine(line)).toEqual(want)
  })
})

describe('parseScenario never throws', () => {
  it('on an alias to no anchor', () => {
    // `*!` made the YAML layer throw while converting the document (found by the property below);
    // readYaml now reports it for every file kind.
    expectDiagnostic(parseScenario('*!').diagnostics, { code: 'SCN001', message: ['Unresolved alias'], hint: 'anchor' })
  })

  prop.prop([fc.string({ maxLength: 400 })])('on arbitrary text', (text) => {
    const r = parseScenario(text)
    for (const d of r.diagnostics) expect(['SCN001', 'SCN002']).toContain(d.code)
  })

  const valid = scenario({ tail: 'whatIfs:\n  - { id: x, label: X, description: D, sysctl: [{ netns: host, key: net.ipv4.ip_forward, value: 0 }] }' }).split('\n')
  prop.prop([fc.array(fc.nat({ max: valid.length - 1 }), { maxLength: 4 })])('on a valid file with lines removed', (drop) => {
    const text = valid.filter((_, i) => !drop.includes(i)).join('\n')
    const r = parseScenario(text)
    // Either it still parses, or every problem carries a code and (when it has a path) a line.
    if (!r.scenario) expect(r.diagnostics.length).toBeGreaterThan(0)
    for (const d of r.diagnostics) expect(d.code).toMatch(/^SCN00[12]$/)
  })
})
