/**
 * `trace --round-trip --json`: an ICMP error that comes back to the sender fills `reply` as a
 * RST does (CLI.md: `reply` is `{ verdict, dropReason }`, null without --round-trip).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main, nodeIo } from './main.ts'
import type { Io } from './io.ts'
import { icmpErrorReply } from './reply.ts'
import type { TraceStep } from '../engine/sim/trace.ts'
import type { Packet } from '../engine/wire/packet.ts'

const WORLDS = new URL('../../scenarios/worlds/', import.meta.url).pathname

async function trace(args: string[]): Promise<{ verdict: string; dnat: string | null; reply: { verdict: string; dropReason: string | null; matchesRequest?: boolean } | null }[]> {
  let stdout = ''
  let stderr = ''
  const io: Io = { ...nodeIo, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }
  const code = await main(['trace', ...args, '--json'], io)
  expect(stderr).toBe('')
  expect(code).toBe(0)
  return (JSON.parse(stdout) as { outcomes: [] }).outcomes
}

/** lab-service-vip with its Service turned into UDP 53 → web:5353, where nothing listens. */
function udpServiceWorld(): string {
  const text = readFileSync(`${WORLDS}lab-service-vip.yaml`, 'utf8').replace('-A PREROUTING -d 10.96.1.100/32 -p tcp -m tcp --dport 80 -j TEST-SVC', '-A PREROUTING -d 10.96.1.100/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.244.1.5:5353')
  expect(text).toContain('--dport 53 -j DNAT')
  const path = join(mkdtempSync(join(tmpdir(), 'packetwalk-reply-')), 'udp-service.yaml')
  writeFileSync(path, text)
  return path
}

describe('trace --round-trip: ICMP errors fill reply', () => {
  const vxlan = `${WORLDS}vxlan-two-nodes.yaml`
  const table: { name: string; args: string[]; verdict: string; reply: object | null }[] = [
    // The case: node2-pod answers udp/81 with port unreachable, which crosses the tunnel back to node1-pod's socket.
    { name: 'closed UDP port across VXLAN', args: [vxlan, '--from', 'node1-pod', '--to', '10.244.2.5:81', '--proto', 'udp', '--round-trip'], verdict: 'rejected', reply: { verdict: 'delivered', dropReason: null, matchesRequest: true } },
    // Same through --all-outcomes (one outcome: no random choice on this path).
    { name: 'the same with --all-outcomes', args: [vxlan, '--from', 'node1-pod', '--to', '10.244.2.5:81', '--proto', 'udp', '--round-trip', '--all-outcomes'], verdict: 'rejected', reply: { verdict: 'delivered', dropReason: null } },
    // The contract: no --round-trip, no reply, whatever came back.
    { name: 'without --round-trip reply stays null', args: [vxlan, '--from', 'node1-pod', '--to', '10.244.2.5:81', '--proto', 'udp'], verdict: 'rejected', reply: null },
    // The TCP counterpart the engine already fills: RST reaches the client.
    { name: 'closed TCP port: the RST is the reply (unchanged)', args: [vxlan, '--from', 'node1-pod', '--to', '10.244.2.5:81', '--proto', 'tcp', '--round-trip'], verdict: 'rejected', reply: { verdict: 'delivered', dropReason: null, matchesRequest: true } },
    // An open port: the engine's reply, untouched.
    { name: 'open TCP port: the SYN-ACK is the reply (unchanged)', args: [vxlan, '--from', 'node1-pod', '--to', '10.244.2.5:80', '--proto', 'tcp', '--round-trip'], verdict: 'delivered', reply: { verdict: 'delivered', dropReason: null, matchesRequest: true } },
  ]
  for (const t of table) {
    it(t.name, async () => {
      const [o, ...rest] = await trace(t.args)
      expect(rest).toEqual([])
      expect(o!.verdict).toBe(t.verdict)
      if (t.reply === null) expect(o!.reply).toBeNull()
      else expect(o!.reply).toMatchObject(t.reply)
    })
  }

  it('a DNATed UDP Service to a closed port: the error comes back un-NATed and matches the request', async () => {
    // conntrack translates the error (nf_nat_icmp_reply_translation): from 10.96.1.100, quoting client → 10.96.1.100:53.
    const [o] = await trace([udpServiceWorld(), '--from', 'client', '--to', '10.96.1.100:53', '--proto', 'udp', '--round-trip'])
    expect(o).toMatchObject({ verdict: 'rejected', dnat: '10.244.1.5:5353', reply: { verdict: 'delivered', dropReason: null, matchesRequest: true } })
  })
})

describe('icmpErrorReply', () => {
  const send: Packet = { headers: [{ kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, df: true, id: 1, proto: 'udp', length: 40 }, { kind: 'udp', sport: 40000, dport: 81 }] }
  const error = (quoted: { src: string; dst: string; sport: number; dport: number }): Packet => ({ headers: [{ kind: 'ipv4', src: '10.0.0.2', dst: '10.0.0.1', ttl: 64, df: false, id: 2, proto: 'icmp', length: 68 }, { kind: 'icmp', type: 3, code: 3, quoted: { ...quoted, proto: 'udp' } }] })
  const step = (kind: TraceStep['kind'], flow: TraceStep['flow'], packet: Packet, explain = ''): TraceStep => ({ kind, flow, netns: 'a', packet, explain, t: 0 })
  const q = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 81 }

  it('no ICMP error flow: nothing to say (the engine’s reply stands)', () => {
    expect(icmpErrorReply([step('send', 'request', send)])).toBeUndefined()
  })

  it('an error lost on the way back is a dropped reply with the step’s reason', () => {
    // The error is dropped by a router between them: the socket never hears of it.
    const steps = [step('send', 'request', send), step('icmp-error', 'icmp-error', error(q)), step('drop', 'icmp-error', error(q), 'FORWARD policy DROP')]
    expect(icmpErrorReply(steps)).toEqual({ verdict: 'dropped', dropReason: 'ICMP error lost: FORWARD policy DROP', matchesRequest: false })
  })

  it('an error quoting another flow does not match the request', () => {
    // The quoted source port is not the socket's: it is delivered, but not as this request's answer.
    const steps = [step('send', 'request', send), step('deliver', 'icmp-error', error({ ...q, sport: 1 }))]
    expect(icmpErrorReply(steps)).toEqual({ verdict: 'delivered', dropReason: null, matchesRequest: false })
  })
})
