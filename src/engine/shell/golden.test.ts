/**
 * The shell against the real tools: the commands of golden/capture.sh, typed in the same
 * order into a shell on an empty world, must print what the real commands printed
 * (golden/captured.txt), once the values that differ on every run are masked (see
 * golden/CAPTURED.md). Setup the script did without capturing is replayed as plain commands.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { emptyWorld } from '../model/ops.ts'
import { runLine } from './run.ts'
import type { ShellRun } from './run.ts'
import { createShell } from './state.ts'
import type { ShellState } from './state.ts'

interface Block {
  readonly cmd: string
  readonly rc: number
  readonly stdout: string
  readonly stderr: string
}

function parseCaptured(text: string): Block[] {
  const out: Block[] = []
  const re = /^### (.*)\nrc (\d+)\n>>> stdout\n([\s\S]*?)>>> stderr\n([\s\S]*?)<<<\n/gm
  for (const m of text.matchAll(re)) out.push({ cmd: m[1]!, rc: Number(m[2]), stdout: m[3]!, stderr: m[4]! })
  return out
}

const blocks = parseCaptured(readFileSync(new URL('./golden/captured.txt', import.meta.url), 'utf8'))
const errorBlocks = parseCaptured(readFileSync(new URL('./golden/captured-errors.txt', import.meta.url), 'utf8'))

/** Mask what differs on every run: MACs, times, ids, ports, sequence numbers. */
function mask(text: string): string {
  return text
    .replace(/\b(?!00:00:00:00:00:00|ff:ff:ff:ff:ff:ff|33:33:00:00:00:01|01:00:5e:00:00:01|02:00:00:00:)[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/g, 'MAC')
    .replace(/^\d\d:\d\d:\d\d\.\d{6} /gm, 'TS ')
    .replace(/time=\d+\.\d+ ms/g, 'time=T ms')
    .replace(/time \d+ms/g, 'time Nms')
    .replace(/rtt min\/avg\/max\/mdev = [\d./]+ ms/g, 'rtt min/avg/max/mdev = R ms')
    .replace(/\bid \d+,/g, 'id ID,')
    .replace(/\bid=\d+/g, 'id=ID')
    .replace(/(timer)\s+[\d.]+/g, '$1 T')
    .replace(/\b8000\.[0-9a-f:]+/g, '8000.ID')
    .replace(/after \d+ ms/g, 'after N ms')
    .replace(/\.\d{5}\b/g, '.PORT')
    .replace(/(seq|ack|val|ecr) \d+/g, '$1 N')
    .replace(/^(icmp|tcp|udp)( +)(\d+) (\d+) /gm, '$1$2$3 T ')
}

/** A shell that runs the capture script's commands; `check` pairs a command with its golden block. */
class Replay {
  state: ShellState = createShell(emptyWorld())
  private seed = 1
  private next = 0
  constructor(private readonly blocks: readonly Block[]) {}
  readonly checks: { cmd: string; actual: ShellRun; golden: Block; compare: 'all' | 'lastErrLine' | 'stdoutPrefix' }[] = []

  run(cmd: string): ShellRun {
    const r = runLine(this.state, cmd, { seed: this.seed++ })
    this.state = r.state
    return r
  }

  golden(cmd: string): Block {
    const i = this.blocks.findIndex((b, k) => k >= this.next && b.cmd === cmd)
    if (i < 0) throw new Error(`no golden block for ${cmd}`)
    this.next = i + 1
    return this.blocks[i]!
  }

  check(cmd: string, compare: 'all' | 'lastErrLine' = 'all'): void {
    const golden = this.golden(cmd)
    this.checks.push({ cmd, actual: this.run(cmd), golden, compare })
  }

  /** A tcpdump block: arm the capture on a copy of the shell, run the traffic, compare the packet lines. */
  capture(tcpdump: string, traffic: readonly string[], opts: { prefixLines?: number; skip?: boolean; from?: ShellState } = {}): void {
    const golden = this.golden(tcpdump)
    if (opts.skip) return
    let s = opts.from ?? this.state
    const out: string[] = []
    for (const cmd of [tcpdump.replace(/^ip netns exec (\S+) /, 'ip netns exec $1 '), ...traffic]) {
      const r = runLine(s, cmd, { seed: 999 })
      s = r.state
      for (const c of r.output) if (c.stream === 'stdout') out.push(...c.text.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{6} |^(ARP,|IP) /.test(l)))
    }
    const want = golden.stdout.split('\n').filter((l) => l !== '')
    const expected = opts.prefixLines !== undefined ? want.slice(0, opts.prefixLines) : want
    const actual = opts.prefixLines !== undefined ? out.slice(0, opts.prefixLines) : out
    this.checks.push({ cmd: tcpdump, actual: { state: s, stdout: `${actual.join('\n')}\n`, stderr: '', output: [], exitCode: 0, traces: [], changed: false }, golden: { ...golden, stdout: `${expected.join('\n')}\n`, stderr: '' }, compare: 'all' })
  }
}

const r = new Replay(blocks)
// ---- Exercise 1: two netns on a bridge
for (const c of ['ip netns add pwG-a', 'ip netns add pwG-b', 'ip netns list', 'ip netns add pwG-a', 'ip link add cni0 type bridge', 'ip link show cni0', 'ip link set cni0 up', 'ip addr add 10.244.1.1/24 dev cni0', 'ip addr show cni0', 'ip link add veth-a type veth peer name eth0 netns pwG-a', 'ip link add veth-b type veth peer name eth0-b', 'ip link set eth0-b netns pwG-b', 'ip netns list', 'ip netns exec pwG-b ip link set eth0-b name eth0', 'ip link set veth-a master cni0', 'ip link set veth-b master cni0']) r.check(c)
r.golden('ip link show') // the bridge took veth-a's MAC (lowest port MAC): not modelled, see below
r.check('bridge link')
for (const c of ['ip link set veth-a up', 'ip link set veth-b up', 'ip netns exec pwG-a ip link', 'ip netns exec pwG-a ip addr add 10.244.1.2/24 dev eth0', 'ip netns exec pwG-a ip link set eth0 up', 'ip netns exec pwG-a ip link set lo up', 'ip netns exec pwG-b ip addr add 10.244.1.3/24 dev eth0', 'ip netns exec pwG-b ip link set eth0 up', 'ip netns exec pwG-a ip addr', 'ip netns exec pwG-a ip route', 'ip netns exec pwG-a ip route add default via 10.244.1.1', 'ip netns exec pwG-a ip route add default via 10.244.1.1', 'ip netns exec pwG-a ip route', 'ip netns exec pwG-a ip -j route', 'ip link show', 'ip addr show', 'ip -br link', 'ip -br addr', 'ip -br addr show cni0', 'ip -d link show veth-a', 'ip -d link show cni0', 'ip -j addr show cni0', 'ip -j link show veth-a', 'bridge link', 'bridge link show dev veth-a', 'ip route']) r.check(c)
const beforePing = r.state
r.check('ip netns exec pwG-a ping -c 3 10.244.1.3')
r.capture('tcpdump -i cni0 -n icmp', ['ip netns exec pwG-a ping -c 3 10.244.1.3'], { prefixLines: 4, from: beforePing })
r.capture('tcpdump -i cni0 -n -e', ['ip netns exec pwG-a ping -c 3 10.244.1.3'], { from: beforePing })
r.capture('tcpdump -i veth-a -n arp or icmp', ['ip netns exec pwG-a ping -c 3 10.244.1.3'], { from: beforePing })
for (const c of ['ip netns exec pwG-a ip neigh', 'ip neigh', 'ip netns exec pwG-a ip neigh show dev eth0']) r.check(c)
r.golden('bridge fdb show dev veth-a') // the kernel's hash order of FDB entries differs
r.golden('bridge fdb show br cni0 | grep -v 33:33 | grep -v 01:00:5e')
for (const c of ['ip netns exec pwG-a ip route get 10.244.1.3', 'ip netns exec pwG-a ip route get 8.8.8.8', 'ip netns exec pwG-b ip route get 8.8.8.8', 'ip route get 10.244.1.3', 'ip neigh add 10.244.1.9 lladdr 02:00:00:00:00:09 dev cni0', 'ip neigh add 10.244.1.9 lladdr 02:00:00:00:00:09 dev cni0', 'ip neigh replace 10.244.1.9 lladdr 02:00:00:00:00:0a dev cni0', 'ip neigh show 10.244.1.9', 'bridge fdb add 02:00:00:00:00:0b dev veth-a master']) r.check(c)
r.golden('bridge fdb show dev veth-a')
r.check('bridge fdb del 02:00:00:00:00:0b dev veth-a master')
// ---- errors
for (const c of ['ip foo', 'ip link foo', 'ip link set nodev up', 'ip link show nodev', 'ip addr show dev nodev', 'ip link add cni0 type bridge', 'ip link add x0 type bogus', 'ip link del nodev', 'ip link set veth-a master veth-b', 'ip link show veth-a', 'ip link set veth-a master cni0', 'ip link set cni0 mtu 10', 'ip addr add 10.244.1.1/24 dev cni0', 'ip addr add 300.1.1.1/24 dev cni0', 'ip addr add 10.244.1.1/24', 'ip addr del 10.99.99.99/24 dev cni0', 'ip route add 10.9.0.0/16 via 10.9.9.9', 'ip route add 10.244.1.0/24 dev cni0', 'ip route del 10.77.0.0/16', 'ip route add 10.78.0.0/16 dev nodev', 'ip netns exec pwG-nope ip addr', 'ip netns exec pwG-a nosuchcmd', 'ip netns del pwG-nope']) r.check(c)
r.golden('nosuchcmd --help') // bash -c says "bash: line 1:"; checked in shell.test.ts
for (const c of ['ip link set veth-a netns pwG-nope', 'ip link add veth-z type veth peer name eth0 netns pwG-a', 'ip route get 300.1.1.1']) r.check(c)
// ---- ping outcomes
for (const c of ['ip netns exec pwG-a ping -c 2 10.244.1.9', 'ip netns exec pwG-a ping -c 2 10.244.1.77', 'ip netns exec pwG-b ping -c 1 8.8.8.8', 'ip netns exec pwG-a ping -c 2 -W 1 10.50.0.1', 'ip netns exec pwG-a ping -c 1 -s 1472 -M do 10.244.1.3', 'ip netns exec pwG-a ping -c 1 -s 1473 -M do 10.244.1.3', 'ip netns exec pwG-a ping -c 1 -s 100 10.244.1.3', 'ip netns exec pwG-a ping -c 1 10.244.1.1', 'ip netns exec pwG-a ping -c 1 127.0.0.1', 'ip netns exec pwG-a ping -c 1 nosuchhost', 'ip netns exec pwG-a ping']) r.check(c)
for (const c of ['ip netns add pwG-c', 'ip link add veth-c type veth peer name eth0 netns pwG-c', 'ip link set veth-c mtu 1400 up', 'ip addr add 10.244.2.1/24 dev veth-c', 'ip netns exec pwG-c ip link set eth0 mtu 1400 up', 'ip netns exec pwG-c ip addr add 10.244.2.2/24 dev eth0', 'ip netns exec pwG-c ip route add default via 10.244.2.1']) r.run(c)
for (const c of ['sysctl net.ipv4.ip_forward', 'ip netns exec pwG-a ping -c 1 -W 1 10.244.2.2', 'sysctl -w net.ipv4.ip_forward=1', 'sysctl net.ipv4.ip_forward', 'sysctl -n net.ipv4.ip_forward', 'sysctl net.ipv4.nope', 'sysctl -w net.ipv4.nope=1', 'sysctl -w net.ipv4.ip_forward']) r.check(c)
r.golden('sysctl net.bridge.bridge-nf-call-iptables') // 1 there because br_netfilter was loaded on that host
for (const c of ['ip netns exec pwG-a ping -c 2 10.244.2.2', 'ip netns exec pwG-a ping -c 2 -M do -s 1450 10.244.2.2', 'ip netns exec pwG-a ip route get 10.244.2.2', 'ip netns exec pwG-a ping -c 2 -s 1450 10.244.2.2']) r.check(c)
r.run('ip netns exec pwG-a ip route flush cache')
r.run('iptables -t nat -A POSTROUTING -s 10.244.1.0/24 -o veth-c -j MASQUERADE')
for (const c of ['ip netns exec pwG-a ping -c 1 10.244.2.2', 'conntrack -L', 'conntrack -L -p icmp']) r.check(c)
// ---- curl and nc (socat served tcp/80 and udp/5353 in pwG-b)
r.run('ip netns exec pwG-b socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:echo')
r.run('ip netns exec pwG-b socat UDP-RECVFROM:5353,fork SYSTEM:echo')
r.golden('ip netns exec pwG-a curl -s 10.244.1.3') // socat closed without a reply (exit 52)
r.check('ip netns exec pwG-a curl 10.244.1.3:81', 'lastErrLine')
r.check('ip netns exec pwG-a curl http://10.244.1.3:81/', 'lastErrLine')
r.check('ip netns exec pwG-a nc -vz 10.244.1.3 80')
r.check('ip netns exec pwG-a nc -vz 10.244.1.3 81')
r.golden('tcpdump -i cni0 -n tcp')
for (const c of ['ip netns exec pwG-a nc -uvz 10.244.1.3 53', 'ip netns exec pwG-a nc -uvz 10.244.1.3 5353', 'ip netns exec pwG-a nc -vz -w 1 10.50.0.1 80']) r.check(c)
r.check('ip netns exec pwG-a curl --connect-timeout 2 10.50.0.1', 'lastErrLine')
r.golden('ip netns exec pwG-a curl -m 2 10.50.0.1')
for (const c of ['ip netns exec pwG-a curl 10.244.1.9', 'ip netns exec pwG-b curl 8.8.8.8', 'ip netns exec pwG-a curl http://nosuchname:80/']) r.check(c, 'lastErrLine')
r.check('ip netns exec pwG-a nc -vz 10.244.1.9 80')
// ---- tcpdump's decoding of TCP and ICMP errors
r.run('ip route add blackhole 10.50.0.0/16')
r.capture('tcpdump -l -i cni0 -n tcp', ['ip netns exec pwG-a nc -vz 10.244.1.3 81'], { skip: true })
r.capture('tcpdump -l -i cni0 -n udp port 53', [], { skip: true })
r.capture('tcpdump -l -i veth-a -n icmp', ['ip netns exec pwG-a nc -uvz 10.244.1.3 9999', 'ip netns exec pwG-a ping -c 1 -M do -s 1450 10.244.2.2', 'ip netns exec pwG-a ping -c 1 -t 1 10.244.2.2', 'ip netns exec pwG-a ping -c 1 -W 1 10.60.0.1'])
for (const c of ['ip netns exec pwG-a curl 10.50.0.1']) r.check(c, 'lastErrLine')
for (const c of ['ip netns exec pwG-a nc -vz 10.50.0.1 80', 'ip netns exec pwG-a nc -vz -w 1 10.50.0.1 80']) r.check(c)
r.check('ip netns exec pwG-a curl --connect-timeout 1 10.50.0.1', 'lastErrLine')
for (const c of ['ip netns exec pwG-a ping -c 2 -W 1 10.50.0.1', 'tcpdump -i nodev', 'ip netns exec pwG-a conntrack -L']) r.check(c)
// ---- Exercise 2: VXLAN between two "nodes" in one host
for (const c of ['ip netns add pwG-n1', 'ip netns add pwG-n2', 'ip netns add pwG-p1', 'ip netns add pwG-p2', 'ip link add eth0 netns pwG-n1 type veth peer name eth0 netns pwG-n2', 'ip -n pwG-n1 addr add 192.168.1.10/24 dev eth0', 'ip -n pwG-n1 link set eth0 up', 'ip -n pwG-n2 addr add 192.168.1.20/24 dev eth0', 'ip -n pwG-n2 link set eth0 up']) r.run(c)
for (const c of ['ip netns exec pwG-n1 ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.1.10 dev eth0 nolearning', 'ip netns exec pwG-n2 ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.1.20 dev eth0', 'ip netns exec pwG-n1 ip link add vx1 type vxlan id 43 remote 192.168.1.20 dstport 8472 dev eth0', 'ip netns exec pwG-n1 ip -d link show vxlan0', 'ip netns exec pwG-n2 ip -d link show vxlan0', 'ip netns exec pwG-n1 ip -d link show vx1', 'ip netns exec pwG-n1 ip link add vx2 type vxlan id 44', 'ip netns exec pwG-n1 ip link add vx3 type vxlan dstport 4789', 'ip netns exec pwG-n1 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20', 'ip netns exec pwG-n2 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.10', 'ip netns exec pwG-n1 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20', 'ip netns exec pwG-n1 bridge fdb show dev vxlan0', 'ip netns exec pwG-n1 bridge fdb show']) r.check(c)
for (const i of [1, 2]) {
  for (const c of [`ip -n pwG-n${i} link add cni0 type bridge`, `ip -n pwG-n${i} link set cni0 up`, `ip -n pwG-n${i} addr add 10.244.${i}.1/24 dev cni0`, `ip -n pwG-n${i} link set vxlan0 up`, `ip -n pwG-n${i} link add veth-p type veth peer name eth0 netns pwG-p${i}`, `ip -n pwG-n${i} link set veth-p master cni0 up`, `ip -n pwG-p${i} addr add 10.244.${i}.2/24 dev eth0`, `ip -n pwG-p${i} link set eth0 up`, `ip -n pwG-p${i} route add default via 10.244.${i}.1`, `ip netns exec pwG-n${i} sysctl -qw net.ipv4.ip_forward=1`]) r.run(c)
}
r.check('ip netns exec pwG-n1 ip addr add 10.244.1.0/32 dev vxlan0')
r.run('ip -n pwG-n2 addr add 10.244.2.0/32 dev vxlan0')
r.check('ip netns exec pwG-n1 ip route add 10.244.2.0/24 dev vxlan0')
r.check('ip netns exec pwG-n1 ip route replace 10.244.2.0/24 via 10.244.2.0 dev vxlan0 onlink')
r.run('ip -n pwG-n2 route add 10.244.1.0/24 via 10.244.1.0 dev vxlan0 onlink')
r.check('ip netns exec pwG-n1 ip route')
r.check('ip netns exec pwG-n1 ip addr show vxlan0')
const beforeVxlanPing = r.state
r.check('ip netns exec pwG-p1 ping -c 2 10.244.2.2')
r.capture('ip netns exec pwG-n1 tcpdump -i eth0 -n', ['ip netns exec pwG-p1 ping -c 2 10.244.2.2'], { prefixLines: 8, from: beforeVxlanPing })
r.capture('ip netns exec pwG-n1 tcpdump -i vxlan0 -n -e', ['ip netns exec pwG-p1 ping -c 2 10.244.2.2'], { from: beforeVxlanPing })
r.golden('ip netns exec pwG-n1 ip neigh') // neighbour states (DELAY/REACHABLE) follow timers the tracer does not run
r.check('ip netns exec pwG-n1 bridge fdb show dev vxlan0')
r.check('ip netns exec pwG-p1 ping -c 1 -M do -s 1472 10.244.2.2')
r.golden('ip netns exec pwG-n1 tcpdump -i eth0 -n udp')
for (const c of ['ip netns del pwG-nope', 'ip netns del pwG-p2', 'ip netns exec pwG-n2 ip link show veth-p']) r.check(c)

// ---- golden/capture-errors.sh: errors checked in the order the real tools check them, and JSON
const e = new Replay(errorBlocks)
for (const c of ['ip netns add pwE-a', 'ip link add cni0 type bridge', 'ip link set cni0 up', 'ip addr add 10.244.1.1/24 dev cni0', 'ip link add veth-a type veth peer name eth0 netns pwE-a', 'ip link set veth-a master cni0', 'ip link set veth-a up', 'ip -n pwE-a addr add 10.244.1.2/24 dev eth0', 'ip -n pwE-a link set eth0 up', 'ip -n pwE-a link set lo up', 'ip -n pwE-a route add default via 10.244.1.1']) e.run(c)
for (const c of ['iptables -A FOO -j BOGUS', 'iptables -A FOO -j ACCEPT', 'iptables -A INPUT -j BOGUS', 'iptables -I FOO -j BOGUS', 'iptables -D FOO -j BOGUS', 'iptables -D FOO 1', 'iptables -R FOO 1 -j BOGUS', 'iptables -t nat -A FOO -p tcp --dport 80 -j DNAT --to-destination 10.244.1.3:80', 'iptables -t nat -A FOO -j KUBE-SVC-NOPE']) e.check(c)
for (const c of ['ip route show table foo', 'ip route show table 100', 'ip route show table main', 'ip route add 10.9.0.0/16 dev cni0 table foo', 'ip -j route show table foo', 'ip -j route show table 100', 'ip -j route show table local', 'ip -j route show table all']) e.check(c)
for (const c of ['bridge -j link', 'bridge -j link show dev veth-a', 'bridge -j -p link show dev veth-a', 'bridge -j fdb show dev veth-a', 'bridge -j -p fdb show dev veth-a']) e.check(c)
for (const c of ['ip link add vxlan0 type vxlan id 42 dstport 4789 local 10.244.1.1 nolearning', 'ip link add vx1 type vxlan id 43 remote 192.168.1.20 dstport 8472 dev cni0']) e.run(c)
for (const c of ['bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20 vni 100', 'bridge fdb show dev vxlan0', 'bridge -j fdb show dev vxlan0', 'bridge -j fdb show dev vx1', 'ip neigh add 10.244.1.9 lladdr 02:00:00:00:00:09 dev cni0', 'ip -j neigh show dev cni0', 'ip -j neigh', 'ip netns exec pwE-a ip -j route get 10.244.1.1', 'ip -j netns list', 'ip -j -br link', 'ip -j -br addr', 'ip -br -j addr show cni0', 'ip -j rule']) e.check(c)

describe('the shell prints what the real tools printed (golden/captured.txt, golden/captured-errors.txt)', () => {
  it('replays the capture scripts', () => {
    expect(r.checks.length).toBeGreaterThan(120)
    // every block of captured-errors.txt is compared
    expect(e.checks.length).toBe(errorBlocks.length)
  })
  it.each([...r.checks, ...e.checks].map((c, i) => [`${String(i + 1).padStart(3)} ${c.cmd}`, c] as const))('%s', (_name, c) => {
    // The exit status is part of the interface scripts rely on.
    expect(c.actual.exitCode, c.cmd).toBe(c.golden.rc)
    if (c.compare === 'lastErrLine') {
      // curl's progress meter (redirected output) ends in \r, so the message shares its last line.
      const last = (s: string) => (s.trimEnd().split('\n').pop() ?? '').replace(/^[\s\S]*?(curl: )/, '$1')
      expect(mask(last(c.actual.stderr))).toBe(mask(last(c.golden.stderr)))
      expect(mask(c.actual.stdout)).toBe(mask(c.golden.stdout))
      return
    }
    expect(mask(c.actual.stdout)).toBe(mask(c.golden.stdout))
    expect(mask(c.actual.stderr.replace(/^packetwalk: .*\n/gm, ''))).toBe(mask(c.golden.stderr))
  })
})
