import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importDumps } from '../../engine/import/importDump.ts'
import { importToWorld } from '../../engine/import/toWorld.ts'
import { assembler } from './chunked.ts'
import { isImportAck, isImportRequest, PROGRESS_EVERY_MS, runImport } from './protocol.ts'
import type { ImportDoneMessage, ImportMessage, ImportPayload, ImportProgressMessage } from './protocol.ts'

const CAPTURED = new URL('../../engine/import/fixtures/captured/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')

/** A clock that moves `step` ms per reading, so throttling is deterministic. */
const clock = (step: number) => {
  let t = 0
  return () => (t += step)
}

function run(inputs: { name: string; text: string; node?: string }[], opts: { anonymiseKey?: string; step?: number } = {}): ImportMessage[] {
  const posted: ImportMessage[] = []
  void runImport({ type: 'import', id: 7, inputs, ...(opts.anonymiseKey !== undefined && { anonymiseKey: opts.anonymiseKey }) }, (m) => posted.push(m), clock(opts.step ?? 1000))
  return posted
}

/** The payload as the page puts it back together from the `part` messages (through structuredClone, as postMessage). */
function payloadOf(posted: readonly ImportMessage[]): ImportPayload {
  const a = assembler()
  for (const m of posted) if (m.type === 'part') a.add(structuredClone(m.piece))
  return a.finish() as ImportPayload
}

const INPUTS = [
  { name: 'n1.ip-d-addr.txt', text: captured('n1.ip-d-addr.txt'), node: 'n1' },
  { name: 'n1.ip-route.txt', text: captured('n1.ip-route.txt'), node: 'n1' },
  { name: 'n1.iptables-save.txt', text: captured('n1.iptables-save.txt'), node: 'n1' },
]

describe('runImport with a pace (the worker waiting for the page)', () => {
  it('posts no further piece until the pace lets it, then finishes with every piece', async () => {
    const posted: ImportMessage[] = []
    let release: (() => void) | undefined
    const gate = new Promise<void>((r) => (release = r))
    // Hold the pieces after the second, as the worker does until the page acknowledges.
    const job = runImport({ type: 'import', id: 9, inputs: INPUTS }, (m) => posted.push(m), clock(1000), { big: 8, budget: 50 }, (sent) => (sent === 2 ? gate : undefined))
    await Promise.resolve()
    expect(posted.filter((m) => m.type === 'part')).toHaveLength(2)
    expect(posted.some((m) => m.type === 'done')).toBe(false)
    release!()
    await job
    const done = posted.find((m): m is ImportDoneMessage => m.type === 'done')!
    expect(done.parts).toBeGreaterThan(2)
    expect(posted.filter((m) => m.type === 'part')).toHaveLength(done.parts)
  })

  it('acks are told apart from requests', () => {
    expect(isImportAck({ type: 'ack', id: 1, received: 3 })).toBe(true)
    expect(isImportAck({ type: 'ack', id: 1 })).toBe(false)
    expect(isImportRequest({ type: 'ack', id: 1, received: 3 })).toBe(false)
  })
})

describe('runImport', () => {
  it('ends with exactly one done, after the parts carrying what importDumps and importToWorld give', () => {
    const posted = run(INPUTS)
    const ends = posted.filter((m) => m.type === 'done' || m.type === 'failed')
    expect(ends.map((m) => m.type)).toEqual(['done'])
    const done = ends[0] as ImportDoneMessage
    expect(done.id).toBe(7)
    // Every part comes before done, and done says how many there were.
    expect(posted.at(-1)).toBe(done)
    expect(posted.filter((m) => m.type === 'part')).toHaveLength(done.parts)
    // The worker adds nothing of its own: the same functions the CLI calls.
    const expected = importDumps(INPUTS)
    const world = importToWorld(expected)
    const payload = payloadOf(posted)
    expect(payload.world).toEqual(world)
    // Each node's ruleset is the world's (sent once): the dump's rules and the jumps the world assumes.
    expect(payload.result).toEqual({ ...expected, nodes: expected.nodes.map((n) => ({ ...n, ruleset: world.netns[n.name]!.netfilter })) })
    expect(payload.shown).toBeUndefined()
  })

  it('reports progress that only grows and ends at every line and block', () => {
    const progress = run(INPUTS).filter((m): m is ImportProgressMessage => m.type === 'progress')
    const lines = INPUTS.reduce((n, i) => n + i.text.split('\n').length - (i.text.endsWith('\n') ? 1 : 0), 0)
    expect(progress.length).toBeGreaterThan(3)
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.linesDone).toBeGreaterThanOrEqual(progress[i - 1]!.linesDone)
      expect(progress[i]!.blocksDone).toBeGreaterThanOrEqual(progress[i - 1]!.blocksDone)
    }
    const last = progress.at(-1)!
    // 'building' comes once everything is read: all lines, all blocks, all inputs.
    expect(last.stage).toBe('building')
    expect([last.linesDone, last.lines]).toEqual([lines, lines])
    expect(last.blocksDone).toBe(last.blocks)
    expect(last.inputsDone).toBe(3)
  })

  it(`throttles progress to one message per ${PROGRESS_EVERY_MS} ms`, () => {
    // A clock that moves 1 ms per reading: only the forced messages (start, building) and
    // one every 50 readings may go out.
    const slow = run(INPUTS, { step: 1 }).filter((m) => m.type === 'progress').length
    const fast = run(INPUTS, { step: 1000 }).filter((m) => m.type === 'progress').length
    expect(slow).toBeLessThan(fast)
    expect(slow).toBeGreaterThanOrEqual(2)
  })

  it('anonymises before reading when asked, and sends the texts it read', () => {
    const posted = run(INPUTS, { anonymiseKey: 'k' })
    const done = posted.find((m): m is ImportDoneMessage => m.type === 'done')!
    const payload = payloadOf(posted)
    expect(payload.shown).toHaveLength(3)
    expect(payload.shown![0]!.text).not.toContain('192.168.50.11')
    expect(JSON.stringify(payload.result)).not.toContain('192.168.50.11')
    expect(payload.result.nodes.map((n) => n.name)).toEqual(['node-1'])
    expect(done.anonymised!.addresses).toBeGreaterThan(5)
  })

  it('sends data that survives JSON (what the page may store) unchanged', () => {
    const payload = payloadOf(run([{ name: 'n1.bundle.txt', text: captured('n1.bundle.txt') }]))
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload)
  })

  it('turns an unexpected error into failed, never a throw', () => {
    const posted: ImportMessage[] = []
    const bad = { name: 'x', get text(): string { throw new Error('boom') } }
    expect(() => runImport({ type: 'import', id: 3, inputs: [bad] }, (m) => posted.push(m), clock(1))).not.toThrow()
    expect(posted.at(-1)).toEqual({ type: 'failed', id: 3, message: 'boom' })
  })
})

describe('isImportRequest', () => {
  it.each([
    [{ type: 'import', id: 1, inputs: [] }, true],
    [{ type: 'import', id: 1, inputs: [{ name: 'a', text: 'b', node: 'n', localIps: ['10.0.0.1'] }], anonymiseKey: 'k' }, true],
    [{ type: 'import', id: '1', inputs: [] }, false],
    [{ type: 'import', id: 1, inputs: [{ name: 'a' }] }, false],
    [{ type: 'import', id: 1, inputs: [{ name: 'a', text: 'b', node: 3 }] }, false],
    [{ type: 'import', id: 1, inputs: [], anonymiseKey: 5 }, false],
    [{ type: 'cancel', id: 1 }, false],
    [null, false],
    ['import', false],
  ])('%j → %s', (x, ok) => {
    expect(isImportRequest(x)).toBe(ok)
  })
})
