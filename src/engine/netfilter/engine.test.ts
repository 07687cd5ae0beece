/** Grammar, evaluation, conntrack, hooks and the enumerator: small table-driven cases. */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseRuleSpec, printRuleSpec } from './grammar.ts'
import { tokenizeLine } from './tokenize.ts'
import { parseIptablesSave, printIptablesSave } from './save.ts'
import { bindNat, lookupConntrack, lookupRelated, newConntrackEntry, printConntrackL, updateOnPacket, gcConntrack } from './conntrack.ts'
import { needsConntrack, processHook } from './hooks.ts'
import type { NfEnv, NfPacket } from './hooks.ts'
import { enumerateOutcomes } from './enumerate.ts'
import { runNodeFlow } from '../sim/nodeFlow.ts'
import { explainMiss } from './eval.ts'
import type { Netns } from '../model/types.ts'
import type { Ruleset } from './types.ts'

const spec = (s: string) => parseRuleSpec(tokenizeLine(s).tokens)

describe('rule-spec grammar', () => {
  // [written, printed as iptables-save would]
  const cases: [string, string][] = [
    ['-p tcp --dport 80 -j ACCEPT', '-p tcp -m tcp --dport 80 -j ACCEPT'], // implicit -m tcp
    ['-s 10.0.0.1 -j DROP', '-s 10.0.0.1/32 -j DROP'], // hosts print with /32
    ['-s 10.1.2.3/8 -j DROP', '-s 10.0.0.0/8 -j DROP'], // host bits cleared
    ['! -s 10.0.0.0/8 -j RETURN', '! -s 10.0.0.0/8 -j RETURN'],
    ['-s ! 10.0.0.0/8 -j RETURN', '! -s 10.0.0.0/8 -j RETURN'], // old negation form
    ['-m comment --comment kubernetes service portals -j KUBE-SERVICES', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
    ['-m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-X', '-m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-X'],
    ['-m statistic --mode random --probability 0.3333333333 -j X', '-m statistic --mode random --probability 0.33333333349 -j X'], // kernel u32 fraction
    ['-j MARK --or-mark 0x4000', '-j MARK --set-xmark 0x4000/0x4000'],
    ['-j MARK --xor-mark 0x4000', '-j MARK --set-xmark 0x4000/0x0'],
    ['-j REJECT', '-j REJECT --reject-with icmp-port-unreachable'],
    ['-m tcp -p tcp -d 172.30.0.41 --dport 80 -m comment --comment x -j KUBE-SVC-X', '-d 172.30.0.41/32 -p tcp -m tcp --dport 80 -m comment --comment x -j KUBE-SVC-X'],
    ['-m recent --name KUBE-SEP-X --set -j DNAT --to-destination 10.0.0.1:80 -p tcp', '-p tcp -m recent --set --name KUBE-SEP-X --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.0.0.1:80'],
    ['-m nfacct --nfacct-name foo -j ACCEPT', '-m nfacct --nfacct-name foo -j ACCEPT'], // unknown module kept as text
  ]
  it.each(cases)('%s', (written, printed) => {
    const r = spec(written)
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([])
    expect(printRuleSpec(r.matches, r.target)).toBe(printed)
  })
  it('an unknown match is kept with an assumption, an unknown target is a chain or other', () => {
    const r = spec('-m nfacct --nfacct-name foo -j TPROXY --on-port 1')
    expect(r.matches[0]).toEqual({ kind: 'unknown', module: 'nfacct', text: '--nfacct-name foo', assumption: 'match' })
    expect(r.target).toEqual({ kind: 'other', name: 'TPROXY', text: '--on-port 1' })
  })
  it('reports the column of the bad word', () => {
    const r = spec('-s 10.0.0.300 -j ACCEPT')
    expect(r.problems[0]).toMatchObject({ code: 'NF007', col: 4 })
  })
})

function env(over: Partial<NfEnv> = {}): NfEnv {
  return { now: 0, decide: () => true, random: () => 0.5, addrType: (ip) => (ip === '192.168.0.2' ? 'LOCAL' : 'UNICAST'), masqueradeSource: () => '192.168.0.2', ...over }
}

function netns(rs: Ruleset): Netns {
  return { name: 'n', kind: 'host', links: [], routes: [], neigh: [], fdb: [], sysctl: { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true, 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.icmp_echo_ignore_all': false, 'net.ipv4.conf.all.route_localnet': false }, netfilter: rs, ipsets: {}, conntrack: [], recent: {}, counters: {}, listeners: [], nextIfindex: 2 }
}

const SVC = parseIptablesSave(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SEP-A - [0:0]
:KUBE-SEP-B - [0:0]
:KUBE-SEP-C - [0:0]
:KUBE-SVC-X - [0:0]
-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-X
-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE
-A KUBE-SEP-A -p udp -m udp -j DNAT --to-destination 10.244.1.3:53
-A KUBE-SEP-B -p udp -m udp -j DNAT --to-destination 10.244.2.3:53
-A KUBE-SEP-C -p udp -m udp -j DNAT --to-destination 10.244.3.3:53
-A KUBE-SVC-X -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A
-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B
-A KUBE-SVC-X -j KUBE-SEP-C
COMMIT
`).ruleset

const query: NfPacket = { src: '10.244.1.2', dst: '10.96.0.10', proto: 'udp', sport: 40000, dport: 53, len: 60, mark: 0, inIface: 'cni0' }

describe('processHook', () => {
  it('a netns without tables accepts and tracks nothing', () => {
    const n = netns({ tables: {} })
    const r = processHook(n, 'PREROUTING', query, env())
    expect(r.netns).toBe(n)
    expect(r.step.notes).toEqual(['no netfilter rules in this netns'])
    expect(r.packet.ct).toBeUndefined()
  })
  it('DNATs the first packet, confirms at POSTROUTING, and un-DNATs the reply without walking nat', () => {
    let n = netns(SVC)
    const pre = processHook(n, 'PREROUTING', query, env({ decide: () => true }))
    // probability 1/3 taken → first endpoint
    expect(pre.packet.dst).toBe('10.244.1.3')
    expect(pre.netns.conntrack).toEqual([]) // unconfirmed
    const post = processHook(pre.netns, 'POSTROUTING', { ...pre.packet, outIface: 'cni0' }, env())
    n = post.netns
    expect(n.conntrack).toHaveLength(1)
    expect(n.conntrack[0]!.status).toContain('DNAT')
    // The reply from the endpoint: conntrack finds it, no nat chains walked, src rewritten back at POSTROUTING.
    const reply: NfPacket = { src: '10.244.1.3', dst: '10.244.1.2', proto: 'udp', sport: 53, dport: 40000, len: 80, mark: 0 }
    const rpre = processHook(n, 'PREROUTING', reply, env({ now: 10 }))
    expect(rpre.packet.ct?.dir).toBe('reply')
    expect(rpre.step.chains.filter((c) => c.table === 'nat')).toEqual([])
    const rpost = processHook(rpre.netns, 'POSTROUTING', rpre.packet, env({ now: 10 }))
    expect([rpost.packet.src, rpost.packet.sport]).toEqual(['10.96.0.10', 53])
    expect(rpost.nat[0]?.kind).toBe('un-DNAT')
    expect(rpost.netns.conntrack[0]!.status).toContain('SEEN_REPLY')
  })
  it('a masqueraded connection gets its reply destination rewritten back at PREROUTING', () => {
    const out: NfPacket = { src: '10.244.1.2', dst: '8.8.8.8', proto: 'udp', sport: 5000, dport: 53, len: 60, mark: 0, outIface: 'eth0' }
    const pre = processHook(netns(SVC), 'PREROUTING', out, env())
    const post = processHook(pre.netns, 'POSTROUTING', pre.packet, env())
    expect(post.packet.src).toBe('192.168.0.2')
    const reply: NfPacket = { src: '8.8.8.8', dst: '192.168.0.2', proto: 'udp', sport: 53, dport: 5000, len: 80, mark: 0 }
    const r = processHook(post.netns, 'PREROUTING', reply, env())
    expect([r.packet.dst, r.packet.dport, r.nat[0]?.kind]).toEqual(['10.244.1.2', 5000, 'un-SNAT'])
  })
  it('a DROP means no confirm', () => {
    const rs = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n').ruleset
    const pre = processHook(netns(rs), 'PREROUTING', query, env())
    const fwd = processHook(pre.netns, 'FORWARD', pre.packet, env())
    expect(fwd.verdict).toBe('DROP')
    expect(fwd.netns.conntrack).toEqual([])
    expect(fwd.step.chains[0]!.exit).toBe('end of chain: policy DROP')
  })
  it('NOTRACK in raw leaves the packet UNTRACKED', () => {
    const rs = parseIptablesSave('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK\nCOMMIT\n').ruleset
    const r = processHook(netns(rs), 'PREROUTING', query, env())
    expect(r.packet.ct?.state).toBe('UNTRACKED')
  })
  it('REJECT returns the reject type', () => {
    const rs = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n').ruleset
    const r = processHook(netns(rs), 'FORWARD', { ...query, proto: 'tcp' }, env())
    expect([r.verdict, r.rejectWith]).toEqual(['REJECT', 'tcp-reset'])
  })
  it('a masquerade source port already in use picks another one', () => {
    const n0 = netns(SVC)
    const send = (n: Netns, src: string) => {
      const pre = processHook(n, 'PREROUTING', { src, dst: '8.8.8.8', proto: 'udp', sport: 5000, dport: 53, len: 60, mark: 0 }, env())
      return processHook(pre.netns, 'POSTROUTING', pre.packet, env({ random: () => 0.25 }))
    }
    const a = send(n0, '10.244.1.2')
    const b = send(a.netns, '10.244.1.9')
    expect(a.packet.sport).toBe(5000) // free: kept
    expect(b.packet.sport).not.toBe(5000) // 192.168.0.2:5000 → 8.8.8.8:53 is taken
  })
})

describe('CONNMARK and -m connmark (xt_connmark), as Linux 6.18 with iptables 1.8.9 did them', () => {
  // What iptables-save printed after `iptables -t mangle -A …` with --set-xmark, --restore-mark
  // --mask, --save-mark, --set-mark (with and without a mask), -m connmark [!] --mark, --and-mark,
  // --or-mark, --restore-mark, --save-mark --nfmask/--ctmask and --xor-mark, in that order.
  const SAVED = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80
-A PREROUTING -i eni+ -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80
-A OUTPUT -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A OUTPUT -j CONNMARK --set-xmark 0x5/0xffffffff
-A OUTPUT -j CONNMARK --set-xmark 0x5/0xf
-A OUTPUT -m connmark --mark 0x80/0x80 -j ACCEPT
-A OUTPUT -m connmark ! --mark 0x1 -j CONNMARK --set-xmark 0x0/0xffffff0f
-A OUTPUT -j CONNMARK --set-xmark 0x3/0x3
-A OUTPUT -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A OUTPUT -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf
-A OUTPUT -j CONNMARK --set-xmark 0x3/0x0
COMMIT
`
  it('reads what iptables-save prints and prints it back', () => {
    const r = parseIptablesSave(SAVED)
    expect(r.diagnostics).toEqual([])
    expect(printIptablesSave(r.ruleset)).toBe(SAVED)
  })
  it('reads the command-line forms as libxt_CONNMARK does (the same xmark pairs iptables-save showed)', () => {
    const t = (spec: string) => parseRuleSpec(tokenizeLine(spec).tokens).target
    expect(t('-j CONNMARK --set-mark 0x5')).toEqual({ kind: 'CONNMARK', op: 'set', value: 5, mask: 0xffffffff })
    expect(t('-j CONNMARK --and-mark 0xf0')).toEqual({ kind: 'CONNMARK', op: 'set', value: 0, mask: 0xffffff0f })
    expect(t('-j CONNMARK --or-mark 0x3')).toEqual({ kind: 'CONNMARK', op: 'set', value: 3, mask: 3 })
    expect(t('-j CONNMARK --restore-mark --mask 0x80')).toEqual({ kind: 'CONNMARK', op: 'restore', nfmask: 0x80, ctmask: 0x80 })
    expect(parseRuleSpec(tokenizeLine('-j CONNMARK').tokens).problems.map((p) => p.code)).toEqual(['NF013'])
  })
  // Checked with counters on Linux: after MARK 0x33 and --save-mark --mask 0xf0 the connection
  // held 0x30; a reply's --restore-mark --nfmask 0xff --ctmask 0xff gave it mark 0x30.
  const RS = parseIptablesSave(`*mangle
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -p tcp -j MARK --set-xmark 0x33/0xffffffff
-A OUTPUT -p tcp -j CONNMARK --save-mark --nfmask 0xf0 --ctmask 0xf0
-A PREROUTING -p tcp -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff
COMMIT
`).ruleset
  it('save-mark keeps the masked packet mark on the connection; restore-mark gives it to the reply', () => {
    const syn: NfPacket = { src: '10.9.0.1', dst: '10.9.0.2', proto: 'tcp', sport: 40000, dport: 82, len: 60, mark: 0, tcpFlags: ['SYN'] }
    const out = processHook(netns(RS), 'OUTPUT', syn, env())
    expect(out.packet.mark).toBe(0x33)
    expect(out.packet.ct?.entry.mark).toBe(0x30)
    const post = processHook(out.netns, 'POSTROUTING', { ...out.packet, outIface: 'xe' }, env())
    expect(post.netns.conntrack[0]!.mark).toBe(0x30)
    const synack: NfPacket = { src: '10.9.0.2', dst: '10.9.0.1', proto: 'tcp', sport: 82, dport: 40000, len: 60, mark: 0, tcpFlags: ['SYN', 'ACK'] }
    const back = processHook(post.netns, 'PREROUTING', synack, env())
    expect(back.packet.mark).toBe(0x30)
  })
  it('a new connection starts with mark 0 whatever the packet carries (raw MARK 5: -m connmark --mark 0 matched)', () => {
    const rs = parseIptablesSave('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j MARK --set-xmark 0x5/0xffffffff\nCOMMIT\n*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m connmark --mark 0x0 -j MARK --set-xmark 0x9/0xffffffff\nCOMMIT\n').ruleset
    const r = processHook(netns(rs), 'OUTPUT', { src: '10.9.0.1', dst: '10.9.0.2', proto: 'tcp', sport: 40000, dport: 80, len: 60, mark: 0, tcpFlags: ['SYN'] }, env())
    expect(r.packet.ct?.entry.mark).toBe(0)
    expect(r.packet.mark).toBe(9)
  })
})

describe('conntrack', () => {
  const tuple = fc.record({ src: fc.ipV4(), dst: fc.ipV4(), sport: fc.integer({ min: 1, max: 65535 }), dport: fc.integer({ min: 1, max: 65535 }), proto: fc.constantFrom('tcp' as const, 'udp' as const) })
  it('un-NAT inverts NAT: a reply to the translated packet comes back to the original sender', () => {
    fc.assert(
      fc.property(tuple, fc.ipV4(), fc.integer({ min: 1, max: 65535 }), fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (t, dip, dport, sip, sport) => {
        let e = newConntrackEntry(1, t, 0)!
        e = bindNat(bindNat(e, 'dst', dip, dport), 'src', sip, sport)
        // The packet as it left (after DNAT and SNAT) …
        const sent = { src: sip, dst: dip, sport, dport }
        // … and its reply, which must match the reply tuple …
        const reply = { src: sent.dst, dst: sent.src, proto: t.proto, sport: sent.dport, dport: sent.sport }
        const found = lookupConntrack([e], reply, 0)
        expect(found?.dir).toBe(t.src === t.dst && t.sport === t.dport ? found?.dir : 'reply')
        // … and un-NATed (dst at PREROUTING, src at POSTROUTING) becomes the inverse of the original.
        const back = { src: e.orig.dst, dst: e.orig.src, sport: e.orig.dport, dport: e.orig.sport }
        expect(back).toEqual({ src: t.dst, dst: t.src, sport: t.dport, dport: t.sport })
      }),
    )
  })
  it('expires on the injected clock: udp 30 s; a flow still going 2 s after it began becomes a 120 s stream', () => {
    let e = newConntrackEntry(1, { src: 'a', dst: 'b', proto: 'udp', sport: 1, dport: 2 }, 0)!
    expect(gcConntrack([e], 29_999)).toHaveLength(1)
    expect(gcConntrack([e], 30_000)).toHaveLength(0)
    // A DNS-like answer 1 s later: replied, but not yet a stream (udp_packet's stream_ts = start + 2 s).
    e = updateOnPacket(e, 'reply', { src: 'b', dst: 'a', proto: 'udp', sport: 2, dport: 1 }, 1000)
    expect([e.expires, e.status.includes('ASSURED')]).toEqual([31_000, false])
    // Traffic at 3 s: a stream now, 120 s and ASSURED.
    e = updateOnPacket(e, 'orig', { src: 'a', dst: 'b', proto: 'udp', sport: 1, dport: 2 }, 3000)
    expect([e.expires, e.status.includes('ASSURED')]).toEqual([123_000, true])
  })
  it('tcp: SYN_SENT 120 s, ESTABLISHED 5 days after the handshake', () => {
    let e = newConntrackEntry(1, { src: 'a', dst: 'b', proto: 'tcp', sport: 1, dport: 2, tcpFlags: ['SYN'] }, 0)!
    expect([e.tcpState, e.expires]).toEqual(['SYN_SENT', 120_000])
    e = updateOnPacket(e, 'reply', { src: 'b', dst: 'a', proto: 'tcp', sport: 2, dport: 1, tcpFlags: ['SYN', 'ACK'] }, 1)
    e = updateOnPacket(e, 'orig', { src: 'a', dst: 'b', proto: 'tcp', sport: 1, dport: 2, tcpFlags: ['ACK'] }, 2)
    expect([e.tcpState, e.expires, e.status.includes('ASSURED')]).toEqual(['ESTABLISHED', 432_000_002, true])
  })
  it('an ICMP error quoting a tracked packet is RELATED', () => {
    const e = newConntrackEntry(1, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1000, dport: 53 }, 0)!
    const err = { src: '10.0.0.2', dst: '10.0.0.1', proto: 'icmp' as const, icmpType: 3, icmpQuoted: { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sport: 1000, dport: 53 } }
    expect(lookupRelated([e], err, 1)?.entry.id).toBe(1)
  })
  it('an ICMP error about an untranslated connection keeps its addresses; about a DNATed one, it is translated', () => {
    // Host unreachable from the bridge 10.244.1.1 about 10.244.1.2 → 10.96.1.100:80. Checked on
    // Linux: with an empty DNAT chain, tcpdump shows "10.244.1.1 > 10.244.1.2: ICMP host 10.96.1.100 unreachable".
    const plain = newConntrackEntry(1, { src: '10.244.1.2', dst: '10.96.1.100', proto: 'tcp', sport: 40000, dport: 80, tcpFlags: ['SYN'] }, 0)!
    const err: NfPacket = { src: '10.244.1.1', dst: '10.244.1.2', proto: 'icmp', icmpType: 3, icmpCode: 1, icmpQuoted: { src: '10.244.1.2', dst: '10.96.1.100', proto: 'tcp', sport: 40000, dport: 80 }, len: 56, mark: 0 }
    const n = { ...netns(SVC), conntrack: [{ ...plain, status: ['CONFIRMED' as const] }] }
    const out = processHook(n, 'OUTPUT', err, env())
    const post = processHook(out.netns, 'POSTROUTING', out.packet, env())
    expect([post.packet.src, post.packet.dst]).toEqual(['10.244.1.1', '10.244.1.2'])
    expect(post.nat).toEqual([])
    // The same error about a DNATed connection is rewritten to look like it came from the VIP side.
    const dnat = bindNat(plain, 'dst', '10.244.2.3', 80)
    const err2: NfPacket = { ...err, icmpQuoted: { src: '10.244.1.2', dst: '10.244.2.3', proto: 'tcp', sport: 40000, dport: 80 } }
    const n2 = { ...netns(SVC), conntrack: [{ ...dnat, status: [...dnat.status, 'CONFIRMED' as const] }] }
    const out2 = processHook(n2, 'OUTPUT', err2, env())
    const post2 = processHook(out2.netns, 'POSTROUTING', out2.packet, env())
    expect(post2.packet.icmpQuoted?.dst).toBe('10.96.1.100')
  })
  it('a netns with only a plain filter table does not track connections; a ctstate rule turns tracking on', () => {
    const plainFilter = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s 10.244.1.0/24 -j ACCEPT\nCOMMIT\n').ruleset
    const r = processHook(netns(plainFilter), 'PREROUTING', query, env())
    expect(r.packet.ct).toBeUndefined()
    expect(needsConntrack(plainFilter)).toBe(false)
    const stateful = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n').ruleset
    expect(needsConntrack(stateful)).toBe(true)
    expect(processHook(netns(stateful), 'PREROUTING', query, env()).packet.ct?.state).toBe('NEW')
  })
  it('prints conntrack -L lines like conntrack-tools 1.4.7', () => {
    const e = bindNat(newConntrackEntry(1, { src: '10.244.1.2', dst: '10.96.0.10', proto: 'udp', sport: 40001, dport: 53 }, 0)!, 'dst', '10.244.2.3', 53)
    // Captured: "udp      17 28 src=10.244.1.2 dst=10.96.0.10 sport=40001 dport=53 [UNREPLIED] src=10.244.2.3 dst=10.244.1.2 sport=53 dport=40001 mark=0 use=1"
    expect(printConntrackL([e], 1500)).toBe('udp      17 28 src=10.244.1.2 dst=10.96.0.10 sport=40001 dport=53 [UNREPLIED] src=10.244.2.3 dst=10.244.1.2 sport=53 dport=40001 mark=0 use=1\n')
  })
})

describe('enumerateOutcomes', () => {
  it('a 3-endpoint service gives three DNAT targets at 1/3 each, summing to 1', () => {
    const outs = enumerateOutcomes((decide) => runNodeFlow(SVC, ['192.168.0.2'], { src: '10.244.1.2', dst: '10.96.0.10', proto: 'udp', dport: 53 }, decide).dnat)
    expect(outs.map((o) => o.result)).toEqual(['10.244.1.3:53', '10.244.2.3:53', '10.244.3.3:53'])
    for (const o of outs) expect(o.probability).toBeCloseTo(1 / 3, 8)
    expect(outs.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12)
  })
  it('skips branches of probability 0 and 1', () => {
    expect(enumerateOutcomes((d) => [d(1, 'a'), d(0, 'b')]).map((o) => o.result)).toEqual([[true, false]])
  })
})

describe('long chains', () => {
  it('the -d index gives the same verdict and records skipped rules as miss runs a viewer can explain', () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-T - [0:0]', '-A PREROUTING -j KUBE-SERVICES']
    for (let i = 0; i < 200; i++) lines.push(`-A KUBE-SERVICES -d 10.96.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport 80 -j ${i === 150 ? 'KUBE-SVC-T' : 'RETURN'}`)
    lines.push('-A KUBE-SVC-T -p tcp -j DNAT --to-destination 10.244.9.9:8080', 'COMMIT', '')
    const rs = parseIptablesSave(lines.join('\n')).ruleset
    const r = processHook(netns(rs), 'PREROUTING', { src: '10.244.1.2', dst: '10.96.0.150', proto: 'tcp', sport: 1, dport: 80, len: 60, mark: 0 }, env())
    expect(r.packet.dst).toBe('10.244.9.9')
    const walk = r.step.chains.find((c) => c.chain === 'KUBE-SERVICES')!
    expect(walk.rules.map((x) => x.index)).toEqual([151])
    expect(walk.missRuns).toEqual([{ from: 1, to: 150 }])
    const rule = rs.tables.nat!.chains['KUBE-SERVICES']!.rules[0]!
    expect(explainMiss(rule, { src: '10.244.1.2', dst: '10.96.0.150', proto: 'tcp', sport: 1, dport: 80, len: 60, mark: 0, ctState: 'NEW', ctStatus: [] })).toBe('-d 10.96.0.0/32 ≠ 10.96.0.150')
  })
})

describe('-m set: ipset membership', () => {
  // Calico's nat-outgoing: masquerade pod traffic leaving the IP pools (felix writes exactly this).
  const NAT_OUTGOING = parseIptablesSave(`*nat
:POSTROUTING ACCEPT [0:0]
:cali-nat-outgoing - [0:0]
-A POSTROUTING -j cali-nat-outgoing
-A cali-nat-outgoing -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully
COMMIT
`).ruleset
  const sets = {
    'cali40masq-ipam-pools': { name: 'cali40masq-ipam-pools', type: 'hash:net', members: ['10.244.0.0/16'] },
    // A wider pool with an exception carved out (ipset's `nomatch`: the most specific entry decides).
    'cali40all-ipam-pools': { name: 'cali40all-ipam-pools', type: 'hash:net', members: ['10.244.0.0/16', '10.244.9.0/24 nomatch'] },
  }
  /** A pod's packet forwarded out of eth0: PREROUTING (conntrack sees it first), then nat POSTROUTING. */
  const post = (n: Netns, dst: string) => {
    const pre = processHook(n, 'PREROUTING', { src: '10.244.1.2', dst, proto: 'tcp', sport: 40000, dport: 443, len: 60, mark: 0, inIface: 'cali1' }, env())
    return processHook(pre.netns, 'POSTROUTING', { ...pre.packet, outIface: 'eth0' }, env())
  }
  const masq = (n: Netns, dst: string) => post(n, dst).nat.some((c) => c.kind === 'MASQUERADE')

  it('masquerades a pod leaving the pools, not one talking to another pod, and honours nomatch', () => {
    const n = { ...netns(NAT_OUTGOING), ipsets: sets }
    expect(masq(n, '8.8.8.8')).toBe(true) // src in masq pools, dst outside all pools
    expect(masq(n, '10.244.2.5')).toBe(false) // dst inside the pools
    expect(masq(n, '10.244.9.7')).toBe(true) // inside 10.244.0.0/16 but the /24 nomatch wins: not in the set
  })

  it('hash:ip,port and list:set members', () => {
    const rs = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set kube-all dst,dst -j DROP\nCOMMIT\n').ruleset
    const n = { ...netns(rs), ipsets: { 'kube-all': { name: 'kube-all', type: 'list:set', members: ['kube-pp'] }, 'kube-pp': { name: 'kube-pp', type: 'hash:ip,port', members: ['10.96.0.10,udp:53'] } } }
    const q = (dport: number, proto: 'udp' | 'tcp') => processHook(n, 'INPUT', { ...query, proto, dport }, env()).verdict
    expect(q(53, 'udp')).toBe('DROP')
    expect(q(53, 'tcp')).toBe('ACCEPT') // the member is udp:53
    expect(q(54, 'udp')).toBe('ACCEPT')
  })

  it("a set the input does not list: assumed empty, and the trace says so", () => {
    const r = post(netns(NAT_OUTGOING), '8.8.8.8')
    // `--match-set cali40masq-ipam-pools src` fails (assumed not in it): no MASQUERADE.
    expect(r.nat).toEqual([])
    expect(r.notSimulated.join('\n')).toMatch(/--match-set cali40masq-ipam-pools: the set's members are not in the input \(add `ipset save`\); assumed not in the set/)
  })
})
