/**
 * `commands` actions: lines typed into the simulated shell in one netns become timeline
 * frames (one change frame per command, then the packets it sent), and their output, exit
 * status, world and packets meet the same expectations as every other action.
 * fixtures/shell-bridge-lab.yaml is Exercise 1 typed as commands.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario } from './runner.ts'
import type { ScenarioRun } from './runner.ts'
import type { ChangeSegment } from './timeline.ts'

const fixture = (name: string): string | undefined => {
  try {
    return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
  } catch {
    return undefined
  }
}

function run(text: string): ScenarioRun {
  const p = parseScenario(text, { file: 'lab.yaml' })
  expect(p.diagnostics).toEqual([])
  return runScenario(p.scenario!, { readFile: fixture, file: 'lab.yaml', source: p.source })
}

const lab = run(fixture('shell-bridge-lab.yaml')!)
const changes = (action: number): ChangeSegment[] => {
  const span = lab.spans.find((s) => s.action === action)!
  let frame = 0
  const out: ChangeSegment[] = []
  for (const seg of lab.timeline.segments) {
    const n = seg.kind === 'trace' ? Math.max(1, seg.steps.length) : 1
    if (seg.kind === 'change' && frame >= span.firstFrame && frame <= span.lastFrame) out.push(seg)
    frame += n
  }
  return out
}

describe('the shell-bridge-lab scenario', () => {
  it('replays without diagnostics and meets every expectation', () => {
    expect(lab.diagnostics).toEqual([])
    expect(lab.results.filter((r) => !r.ok)).toEqual([])
    // exitCode, output and two state checks (3 + 3 lines) for action 0; ping: 5 checks; the refusal: 3.
    expect(lab.results.length).toBeGreaterThanOrEqual(15)
  })

  it('makes one change frame per command, naming the netns and the line', () => {
    const texts = changes(0).map((s) => s.events[0]!.text)
    expect(texts).toHaveLength(14)
    expect(texts[0]).toBe('host# ip netns add a')
    expect(texts[13]).toBe('host# ip -br link')
  })

  it("a change frame's diff lists the lines the command added", () => {
    // `ip addr add 10.244.1.1/24 dev cni0` on an up bridge: the address and its prefix route.
    const addr = changes(0)[4]!
    expect(addr.diff).toEqual([{ netns: 'host', added: ['cni0 10.244.1.1/24', '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1'], removed: [] }])
    // `ip -br link` only printed: one frame, the world unchanged.
    const show = changes(0)[13]!
    expect(show.before).toBe(show.after)
    expect((show.events[0]!.detail as { stdout: string }).stdout).toContain('cni0             UP')
  })

  it('a ping is a change frame for the command, then its traces; narration anchors into them', () => {
    const span = lab.spans.find((s) => s.action === 1)!
    const segs = lab.timeline.segments.filter((s) => s.kind === 'trace')
    expect(segs.length).toBeGreaterThan(0)
    // {{outcome.verdict}} and {{exitCode}} come from the last packet and the command's status.
    const note = lab.notes.find((n) => n.action === 1)!
    expect(note.text).toBe('The echo request reaches b: delivered, exit 0.')
    expect(note.frame).toBeGreaterThan(span.firstFrame)
    expect(note.frame).toBeLessThanOrEqual(span.lastFrame)
  })

  it('a refused command stops the action and counts as expected when exitCode says so', () => {
    // The second line never runs: the action ends at the first failing command.
    expect(changes(2).map((s) => s.events[0]!.text)).toEqual(['host# ip link set veth-a master veth-b → exit 2'])
  })
})

describe('iptables actions run through the same path', () => {
  const world = 'apiVersion: packetwalk.dev/v1\nkind: Scenario\nmetadata: { id: t, title: T, summary: S }\nworld: empty-host.yaml\nactions:\n'
  it('one change frame per iptables command, with the rules and chains it changed', () => {
    const r = run(`${world}  - title: rules\n    iptables:\n      netns: host\n      commands: ["iptables -N TEST", "iptables -A TEST -j ACCEPT", "iptables -A TEST -j ACCEPT"]\n    expect: { exitCode: 0, state: [{ netns: host, contains: ["-A TEST -j ACCEPT"] }] }\n`)
    expect(r.diagnostics).toEqual([])
    expect(r.results.every((x) => x.ok)).toBe(true)
    const diffs = r.timeline.segments.map((s) => (s.kind === 'change' ? s.diff : undefined))
    // The first rule of an empty netns brings the filter table into iptables-save, built-in chains first;
    // the same rule appended twice is two lines.
    expect(diffs).toEqual([[{ netns: 'host', added: [':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':TEST - [0:0]'], removed: [] }], [{ netns: 'host', added: ['-A TEST -j ACCEPT'], removed: [] }], [{ netns: 'host', added: ['-A TEST -j ACCEPT'], removed: [] }]])
  })

  it('a line that is not iptables is refused before anything runs', () => {
    const p = parseScenario(`${world}  - title: rules\n    iptables: { netns: host, commands: ["iptables -N TEST", "ip link add x type bridge"] }\n`, { file: 'x.yaml' })
    const r = runScenario(p.scenario!, { readFile: fixture, file: 'x.yaml', source: p.source })
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['SCN002', 'only iptables commands run here, not "ip"']])
    expect(r.timeline.segments).toEqual([])
  })
})
