/**
 * `ip rule` and `ip route show table N|all` against the real tools: golden/capture-rules.sh's
 * commands, typed in the same order into a shell on an empty world, print what iproute2 6.1.0
 * printed on Linux 6.18 (golden/captured-rules.txt), exit status included.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { emptyWorld } from '../model/ops.ts'
import { runLine } from './run.ts'
import { createShell } from './state.ts'

interface Block {
  readonly cmd: string
  readonly rc: number
  readonly stdout: string
  readonly stderr: string
}

const blocks: Block[] = [...readFileSync(new URL('./golden/captured-rules.txt', import.meta.url), 'utf8').matchAll(/^### (.*)\nrc (\d+)\n>>> stdout\n([\s\S]*?)>>> stderr\n([\s\S]*?)<<<\n/gm)].map((m) => ({ cmd: m[1]!, rc: Number(m[2]), stdout: m[3]!, stderr: m[4]! }))

/** Each captured command with what the shell printed for it, run in order after the script's uncaptured setup. */
function replay(): { block: Block; stdout: string; stderr: string; rc: number }[] {
  let state = createShell(emptyWorld())
  for (const c of ['ip link set lo up', 'ip link add v0 type veth peer name v1', 'ip link set v0 up', 'ip link set v1 up', 'ip addr add 10.0.0.2/24 dev v0']) state = runLine(state, c, { seed: 1 }).state
  return blocks.map((block) => {
    const r = runLine(state, block.cmd, { seed: 1 })
    state = r.state
    return { block, stdout: r.stdout, stderr: r.stderr, rc: r.exitCode }
  })
}

describe('ip rule prints what iproute2 printed (golden/captured-rules.txt)', () => {
  const runs = replay()
  it('every captured block is replayed', () => {
    expect(runs.length).toBe(68)
  })
  it.each(runs.map((r, i) => [`${String(i + 1).padStart(2)} ${r.block.cmd}`, r] as const))('%s', (_name, r) => {
    expect(r.rc).toBe(r.block.rc)
    expect(r.stdout).toBe(r.block.stdout)
    expect(r.stderr.replace(/^packetwalk: .*\n/gm, '')).toBe(r.block.stderr)
  })
})

describe('ip rule changes the netns the tracer routes by', () => {
  it('add puts the rule in the netns; deleting it again leaves the defaults (no rules of its own)', () => {
    let state = createShell(emptyWorld())
    state = runLine(state, 'ip netns add pwR-a', { seed: 1 }).state
    const add = runLine(state, 'ip -n pwR-a rule add fwmark 0x4000/0x4000 lookup 100', { seed: 1 })
    expect(add.exitCode).toBe(0)
    // No pref: one below main's 32766, as the kernel picked in a fresh netns.
    const ns = () => Object.values(state.world.netns).find((n) => n.name.endsWith('pwR-a'))!
    state = add.state
    expect(ns().rules?.map((r) => r.priority)).toEqual([0, 32765, 32766, 32767])
    expect(ns().rules?.[1]).toMatchObject({ fwmark: 0x4000, fwmask: 0x4000, action: 'lookup', table: 100 })
    state = runLine(state, 'ip -n pwR-a rule del pref 32765', { seed: 1 }).state
    expect(ns().rules).toBeUndefined()
  })
})
