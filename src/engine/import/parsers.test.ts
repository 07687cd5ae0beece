import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { parseBridgeLinkText, parseIpBrief, parseIpLinkText } from './parseIpLink.ts'
import { parseIpJsonText } from './parseIpJson.ts'
import { parseConntrackText, parseIpsetText, parseResolvConfText, parseSysctlText, parseCniConfText } from './parseMisc.ts'
import { importDumps } from './importDump.ts'
import { parseBridgeFdbText, parseIpNeighText, parseIpRouteText, parseIpRuleText } from './parseTables.ts'
import { splitLines } from './text.ts'
import { printIpNeigh, printRoute } from '../print/iproute2.ts'
import { newNetns } from '../model/ops.ts'
import { printRule } from '../route/rules.ts'
import type { NeighEntry } from '../model/types.ts'

const CAPTURED = new URL('./fixtures/captured/', import.meta.url).pathname
const lines = (text: string) => splitLines(text)
const file = (f: string) => lines(readFileSync(CAPTURED + f, 'utf8'))

describe('ip link / ip addr', () => {
  it('reads veth peers, bridge ports, vxlan attributes and addresses from `ip -d addr`', () => {
    const r = parseIpLinkText(file('n1.ip-d-addr.txt'), 'a')
    expect(r.bad).toEqual([])
    const by = Object.fromEntries(r.items.map((l) => [l.name, l]))
    // `veth1a2b3c4d@if2: … master cni0 … link-netns pwB-p1a`, then `veth` and `bridge_slave … hairpin on`.
    expect(by.veth1a2b3c4d).toMatchObject({ ifindex: 5, peerIfindex: 2, master: 'cni0', linkNetns: 'pwB-p1a', kind: 'veth', hairpin: true, mtu: 1450 })
    // `vxlan id 1 local 192.168.50.11 dev eth0 srcport 0 0 dstport 8472 nolearning`
    expect(by['flannel.1']!.vxlan).toEqual({ vni: 1, local: '192.168.50.11', dev: 'eth0', dstport: 8472, learning: false })
    expect(by['flannel.1']!.addrs).toEqual([{ ip: '10.244.1.0', len: 32, scope: 'global' }])
    // iproute2 prints ageing_time in centiseconds: 30000 → 300 s.
    expect(by.cni0).toMatchObject({ kind: 'bridge', bridge: { ageingTime: 300, stp: false, vlanFiltering: false }, addrs: [{ ip: '10.244.1.1', len: 24, scope: 'global' }] })
    expect(by.lo!.addrs).toEqual([{ ip: '127.0.0.1', len: 8, scope: 'host' }])
  })

  it('reads `ip -o addr` (records joined by backslashes) like `ip addr`', () => {
    const o = parseIpLinkText(file('n1.ip-o-addr.txt'), 'o')
    const a = parseIpLinkText(file('n1.ip-addr.txt'), 'a')
    const addrs = (items: typeof o.items) => Object.fromEntries(items.map((l) => [l.name, l.addrs]))
    expect(o.bad).toEqual([])
    expect(addrs(o.items)).toEqual(addrs(a.items))
  })

  it('reads a Calico tunl0 (iproute2 prints `ipip any remote any local any`) and a point-to-point ipip', () => {
    const text = `4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0 minmtu 0 maxmtu 0
    ipip any remote any local any ttl inherit nopmtudisc numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
    inet 10.244.190.128/32 scope global tunl0
       valid_lft forever preferred_lft forever
5: tun-server@NONE: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/ipip 198.51.100.10 peer 203.0.113.20 promiscuity 0
    ipip ipip remote 203.0.113.20 local 198.51.100.10 ttl 64 pmtudisc
`
    const r = parseIpLinkText(lines(text), 't')
    expect(r.bad).toEqual([])
    // `any` is no address; `@NONE` is no peer.
    expect(r.items[0]).toMatchObject({ name: 'tunl0', kind: 'ipip', linkType: 'ipip', addrs: [{ ip: '10.244.190.128', len: 32 }] })
    expect(r.items[0]!.ipip).toEqual({})
    expect(r.items[0]!.peerIfindex).toBeUndefined()
    expect(r.items[1]!.ipip).toEqual({ local: '198.51.100.10', remote: '203.0.113.20' })
  })

  it('reads `ip -br` link and addr', () => {
    const l = parseIpBrief(file('n1.ip-br-link.txt'), 'b').items
    const a = parseIpBrief(file('n1.ip-br-addr.txt'), 'b').items
    expect(l.find((x) => x.name === 'eth0')).toMatchObject({ peerIfindex: 3, mac: '52:54:00:00:50:11', operstate: 'UP' })
    // IPv6 addresses are skipped; the IPv4 one is kept.
    expect(a.find((x) => x.name === 'eth0')!.addrs).toEqual([{ ip: '192.168.50.11', len: 24, scope: 'global' }])
  })

  it('reads `bridge -d link`: the peer name after @, port state and hairpin', () => {
    const r = parseBridgeLinkText(file('n1.bridge-d-link.txt'), 'b')
    expect(r.items.map((x) => [x.name, x.peerName, x.master, x.portState, x.hairpin])).toEqual([
      ['veth1a2b3c4d', 'eth0', 'cni0', 'forwarding', true],
      ['veth5e6f7a8b', 'eth0', 'cni0', 'forwarding', true],
    ])
  })

  it('reports a line it cannot read and keeps the rest', () => {
    const r = parseIpLinkText(lines('2: eth0: <UP> mtu 1500 qdisc noqueue state UP\n    link/ether 52:54:00:00:50:11 brd ff:ff:ff:ff:ff:ff\n    inet 999.1.1.1/24 scope global eth0\ngarbage here\n'), 'x')
    expect(r.bad.map((l) => l.n)).toEqual([3, 4])
    expect(r.items[0]!.mac).toBe('52:54:00:00:50:11')
  })
})

describe('ip route', () => {
  it('reads every route type of a real table, with the kernel defaults iproute2 leaves out', () => {
    const r = parseIpRouteText(file('n1.ip-route.txt'), 'r')
    expect(r.bad).toEqual([])
    const by = Object.fromEntries(r.items.map((x) => [x.dst, x]))
    // No `proto` printed means boot; no `scope` printed means global.
    expect(by.default).toMatchObject({ type: 'unicast', via: '192.168.50.1', dev: 'eth0', proto: 'boot', scope: 'global', table: 'main', source: { file: 'r', line: 1 } })
    expect(by['10.97.0.0/16']).toMatchObject({ type: 'prohibit' })
    expect(by['10.98.0.0/16']).toMatchObject({ type: 'unreachable' })
    expect(by['10.99.0.0/16']).toMatchObject({ proto: 'static', metric: 100 })
    expect(by['10.244.1.200']).toMatchObject({ dev: 'cali1a2b3c4d5e6', scope: 'link' }) // a host route, printed without /32
    expect(by['10.244.2.0/24']).toMatchObject({ via: '10.244.2.0', dev: 'flannel.1', onlink: true })
    expect(by['192.168.50.0/24']).toMatchObject({ proto: 'kernel', scope: 'link', src: '192.168.50.11' })
  })

  it('reads the local table and skips IPv6 of `ip route show table all`', () => {
    const r = parseIpRouteText(file('n1.ip-route-table-all.txt'), 'r')
    expect(r.bad).toEqual([])
    expect(r.items.filter((x) => x.table === 'local').map((x) => `${x.type} ${x.dst}`)).toContain('broadcast 192.168.50.255')
    // 6 fe80::/64 + 7 local + 6 multicast ff00::/8 lines.
    expect(r.ipv6).toBe(19)
  })

  it('takes the first nexthop of a multipath route and says so', () => {
    const r = parseIpRouteText(file('n2.ip-route.txt'), 'r')
    const mp = r.items.find((x) => x.dst === '10.96.200.0/24')!
    expect(mp).toMatchObject({ via: '192.168.50.11', dev: 'eth0', proto: 'static' })
    expect(r.diagnostics.map((d) => d.code)).toContain('IP007')
  })

  it('reads Calico BGP routes: proto bird, blackhole for the block, /32 per pod', () => {
    const r = parseIpRouteText(file('n3.ip-route.txt'), 'r')
    expect(r.items.map((x) => `${x.type} ${x.dst} ${x.proto}`)).toEqual(['unicast default boot', 'unicast 10.244.1.0/24 bird', 'unicast 10.244.2.0/24 boot', 'blackhole 10.244.190.0/26 bird', 'unicast 10.244.190.1 boot', 'unicast 192.168.50.0/24 kernel'])
  })

  it('rejects a destination that is not a prefix, and reads mtu lock', () => {
    const r = parseIpRouteText(lines('10.0.0.0/33 dev eth0\n10.1.0.0/16 via 10.0.0.1 dev eth0 mtu lock 1400\n'), 'r')
    expect(r.bad.map((l) => l.n)).toEqual([1])
    expect(r.items[0]).toMatchObject({ dst: '10.1.0.0/16', mtu: 1400 })
  })
})

describe('print(parse(x)) gives back the real output', () => {
  // The engine's iproute2 printer (print/iproute2.ts) and this parser agree on every line.
  it.each(['n1.ip-route.txt', 'n3.ip-route.txt', 'p1a.ip-route.txt', 'p1c.ip-route.txt'])('%s', (f) => {
    const text = readFileSync(CAPTURED + f, 'utf8')
    expect(parseIpRouteText(lines(text), f).items.map((r) => `${printRoute(r)}\n`).join('')).toBe(text)
  })
  it.each(['n1.ip-neigh.txt', 'n2.ip-neigh.txt', 'n3.ip-neigh.txt'])('%s', (f) => {
    const text = readFileSync(CAPTURED + f, 'utf8')
    const neigh = parseIpNeighText(lines(text), f).items as NeighEntry[]
    expect(printIpNeigh({ ...newNetns('x', 'host'), neigh })).toBe(text)
  })
})

describe('ip neigh, bridge fdb, ip rule', () => {
  it('reads neighbour states and a FAILED entry without lladdr', () => {
    const r = parseIpNeighText(file('n1.ip-neigh.txt'), 'n')
    expect(r.bad).toEqual([])
    expect(r.items.map((x) => `${x.ip} ${x.dev} ${x.state}`)).toContain('10.244.2.0 flannel.1 PERMANENT')
    expect(r.items.find((x) => x.ip === '10.244.1.77')).toMatchObject({ state: 'FAILED', dev: 'cni0' })
    expect(r.items.find((x) => x.ip === '10.244.1.77')!.mac).toBeUndefined()
  })

  it('takes the device from the command when `ip neigh show dev cni0` leaves it out', () => {
    const r = parseIpNeighText(file('n1.ip-neigh-cni0.txt'), 'n', 'cni0')
    expect(new Set(r.items.map((x) => x.dev))).toEqual(new Set(['cni0']))
  })

  it('reads FDB flags: a bridge port\'s own address is local, a learned MAC is not permanent', () => {
    const r = parseBridgeFdbText(file('n1.bridge-fdb.txt'), 'f')
    expect(r.bad).toEqual([])
    expect(r.items.find((x) => x.mac === '0a:58:0a:f4:02:00')).toMatchObject({ dev: 'flannel.1', dst: '192.168.50.12', self: true, permanent: true })
    expect(r.items.find((x) => x.mac === '0a:58:0a:f4:01:02')).toMatchObject({ dev: 'veth1a2b3c4d', master: 'cni0', permanent: false })
    // `permanent` on a bridge port is the kernel's local entry (frames to it go up to the bridge).
    expect(r.items.find((x) => x.mac === '0a:58:0a:f4:01:01')).toMatchObject({ dev: 'cni0', master: 'cni0', local: true })
  })

  it('reads vlan entries (iproute2 prints `vlan N` after dev)', () => {
    // bridge fdb add 02:00:00:00:0a:0a dev vethvlan0 master vlan 10 static (kernel here lacks vlan_filtering)
    const r = parseBridgeFdbText(lines('02:00:00:00:0a:0a dev vethvlan0 vlan 10 master brv static\n'), 'f')
    expect(r.items[0]).toMatchObject({ vlan: 10, master: 'brv', permanent: true })
    expect(r.items[0]!.local).toBeUndefined() // `static` is user-added, not the port's own address
  })

  it('reads every ip rule, the defaults included, and prints each back as iproute2 did', () => {
    const text = readFileSync(CAPTURED + 'rules.ip-rule.txt', 'utf8')
    const r = parseIpRuleText(lines(text), 'r')
    expect(r.bad).toEqual([])
    // The printer drops only `[detached]` (d0 is not in the netns) and `proto static` (who added it).
    expect(r.items.map(printRule).join('\n') + '\n').toBe(text.replace(/ \[detached\]/g, '').replace(/ proto static/g, ''))
    expect(r.items[3]).toMatchObject({ priority: 200, not: true, to: '10.1.0.0/16', fwmark: 0x80, fwmask: 0xff, iif: 'd0', table: 200, source: { file: 'r', line: 4 } })
  })

  it('a rule line it cannot read is rejected at the bad word', () => {
    const r = parseIpRuleText(lines('0:\tfrom all lookup local\n100:\tfrom 10.0.0.5 frobnicate 3 lookup 100\n'), 'r')
    expect(r.items).toHaveLength(1)
    expect(r.bad.map((l) => l.n)).toEqual([2])
    // `100:\t` is 5 characters, `from 10.0.0.5 ` 14 more: `frobnicate` starts at column 20.
    expect(r.diagnostics[0]).toMatchObject({ code: 'IP001', line: 2, col: 20, message: 'unknown rule selector `frobnicate`' })
  })

  it('a table known only by its rt_tables name: IP011, and how to get the number', () => {
    const r = parseIpRuleText(lines('9:\tfrom all fwmark 0x200/0xf00 lookup cilium\n'), 'r')
    expect(r.items).toEqual([])
    // `9:\t` is 3 columns, `from all fwmark 0x200/0xf00 lookup ` 35 more: the name starts at 39.
    expect(r.diagnostics[0]).toMatchObject({ code: 'IP011', col: 39 })
    expect(r.diagnostics[0]!.hint).toContain('ip -N rule show')
  })

  it('skips `ip -6 rule` whole: its 0 and 32766 are the IPv6 list', () => {
    const r = parseIpRuleText(file('rules.ip-6-rule.txt'), 'r6')
    expect(r.items).toEqual([])
    expect(r.diagnostics[0]).toMatchObject({ code: 'IP006', message: '3 IPv6 rule(s) skipped: the engine models IPv4 only' })
    // Even the defaults alone, when the command says -6.
    expect(parseIpRuleText(lines('0:\tfrom all lookup local\n32766:\tfrom all lookup main\n'), 'r6', { ipv6: true }).items).toEqual([])
  })
})

describe('JSON forms give the same model as the text forms', () => {
  it('ip -j route = ip route, also pretty-printed', () => {
    const text = parseIpRouteText(file('n1.ip-route.txt'), 'r').items.map((r) => ({ ...r, source: undefined, raw: undefined }))
    for (const f of ['n1.ip-j-route.txt', 'n1.ip-jp-route.txt']) {
      const j = parseIpJsonText(file(f), 'j').items[0]!.routes.map((r) => ({ ...r, source: undefined, raw: undefined }))
      expect(j).toEqual(text)
    }
  })

  it('ip -j rule = ip rule', () => {
    const text = parseIpRuleText(file('rules.ip-rule.txt'), 'r').items.map((r) => ({ ...r, source: undefined }))
    const j = parseIpJsonText(file('rules.ip-j-rule.txt'), 'j')
    expect(j.diagnostics).toEqual([])
    expect(j.items[0]!.rules.map((r) => ({ ...r, source: undefined }))).toEqual(text)
  })

  it('ip -j -d link carries kinds and vxlan attributes', () => {
    const j = parseIpJsonText(file('n1.ip-j-d-link.txt'), 'j').items[0]!
    const by = Object.fromEntries(j.links.map((l) => [l.name, l]))
    expect(by['flannel.1']!.vxlan).toEqual({ vni: 1, local: '192.168.50.11', dev: 'eth0', dstport: 8472, learning: false })
    expect(by.veth1a2b3c4d).toMatchObject({ kind: 'veth', master: 'cni0', peerIfindex: 2, hairpin: true, portState: 'forwarding' })
  })

  it('ip -j addr, ip -j neigh and bridge -j fdb', () => {
    const a = parseIpJsonText(file('n1.ip-j-addr.txt'), 'j').items[0]!.links
    expect(a.find((l) => l.name === 'cni0')!.addrs).toEqual([{ ip: '10.244.1.1', len: 24, scope: 'global' }])
    const n = parseIpJsonText(file('n1.ip-j-neigh.txt'), 'j').items[0]!.neigh
    expect(n.find((x) => x.ip === '10.244.2.0')).toMatchObject({ dev: 'flannel.1', state: 'PERMANENT', mac: '0a:58:0a:f4:02:00' })
    const f = parseIpJsonText(file('n1.bridge-j-fdb.txt'), 'j').items[0]!.fdb
    expect(f.find((x) => x.mac === '0a:58:0a:f4:02:00')).toMatchObject({ dev: 'flannel.1', dst: '192.168.50.12', self: true, permanent: true })
  })
})

describe('conntrack -L', () => {
  const r = parseConntrackText(file('n1.conntrack-L.txt'), 'c')
  it('reads every IPv4 entry and skips the IGMP one', () => {
    // 21 lines: the summary, one `unknown` (IGMP) entry, 19 entries the engine models.
    expect(r.bad).toEqual([])
    expect(r.items.length).toBe(19)
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IP012'])
  })
  it('finds DNAT from the reply tuple (ClusterIP → endpoint) and SNAT (MASQUERADE)', () => {
    const dnat = r.items.find((x) => x.entry.orig.dst === '10.96.0.10' && x.entry.reply.src === '10.244.1.3')!
    // reply src 10.244.1.3 ≠ orig dst 10.96.0.10: the destination was translated.
    expect(dnat.entry.status).toEqual(['SEEN_REPLY', 'CONFIRMED', 'DNAT'])
    const tcp = r.items.find((x) => x.entry.orig.proto === 'tcp')!
    // reply dst 192.168.50.11 ≠ orig src 10.244.1.2, and the port changed (--random-fully).
    expect(tcp.entry).toMatchObject({ tcpState: 'ESTABLISHED', status: ['SEEN_REPLY', 'ASSURED', 'CONFIRMED', 'SNAT'], expires: 431_997_000 })
    expect(tcp.entry.reply).toEqual({ src: '192.168.50.12', dst: '192.168.50.11', proto: 'tcp', sport: 9000, dport: 2879 })
  })
  it('reads ICMP with the echo id as sport (netfilter/conntrack.ts convention) and UNREPLIED', () => {
    const icmp = r.items.find((x) => x.entry.orig.dst === '10.244.1.77')!.entry
    expect(icmp.orig).toEqual({ src: '10.244.1.1', dst: '10.244.1.77', proto: 'icmp', sport: 18912, dport: 0 })
    expect(icmp.status).toEqual(['UNREPLIED', 'CONFIRMED'])
  })
  it('reads /proc/net/nf_conntrack lines (ipv4 2 prefix, zone)', () => {
    const p = parseConntrackText(lines('ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0x4000 zone=3 use=2\n'), 'p')
    expect(p.items[0]!.entry).toMatchObject({ mark: 0x4000, zone: 3, tcpState: 'ESTABLISHED' })
  })
})

describe('ipset save / ipset list', () => {
  const IPSET = new URL('./fixtures/captured-calico-ipset/', import.meta.url).pathname
  const read = (f: string) => lines(readFileSync(IPSET + f, 'utf8'))
  it('both forms of the captured sets give the same sets, every line understood', () => {
    const save = parseIpsetText(read('ipset-save.txt'), 's')
    const list = parseIpsetText(read('ipset-list.txt'), 'l')
    expect(save.bad).toEqual([])
    expect(list.bad).toEqual([])
    expect(save.items).toEqual([
      { name: 'cali40masq-ipam-pools', type: 'hash:net', members: ['10.244.0.0/16'] },
      { name: 'cali40all-ipam-pools', type: 'hash:net', members: ['10.244.0.0/16'] },
    ])
    expect(list.items).toEqual(save.items)
  })
  it('keeps element options, skips IPv6 sets, and refuses an add before its create', () => {
    // Shapes real ipset 7.17 printed here: `nomatch`, `timeout`, a comment, an inet6 set.
    const r = parseIpsetText(lines('create a hash:net family inet hashsize 1024 maxelem 65536 timeout 0 comment bucketsize 12 initval 0x3a0c7c45\nadd a 10.1.0.0/16 timeout 0 comment "x y"\nadd a 10.0.0.0/8 timeout 0\nadd a 10.9.0.0/16 timeout 0 nomatch\ncreate six hash:net family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x3002edb0\nadd six fd00::/8\nadd b 1.2.3.4\n'), 'f')
    expect(r.items).toEqual([{ name: 'a', type: 'hash:net', members: ['10.1.0.0/16 timeout 0 comment "x y"', '10.0.0.0/8 timeout 0', '10.9.0.0/16 timeout 0 nomatch'] }])
    expect(r.bad.map((l) => l.n)).toEqual([7])
    expect(r.diagnostics.map((d) => d.message)).toEqual(['`add b` before `create b`', '1 IPv6 set(s) skipped: the engine models IPv4 only'])
  })
  it('a paste with prompts finds the listing between other outputs', () => {
    const text = `root@n1:~# ipset list\n${readFileSync(IPSET + 'ipset-list.txt', 'utf8')}root@n1:~# ip route\ndefault via 192.168.77.1 dev eth0\n`
    const node = importDumps([{ name: 'paste', text }]).nodes[0]!
    expect(node.ipsets?.map((x) => x.name)).toEqual(['cali40masq-ipam-pools', 'cali40all-ipam-pools'])
    expect(node.routes.map((r) => r.dst)).toEqual(['default'])
  })
})

describe('sysctl, resolv.conf, CNI config', () => {
  it('reads `key = value`, a missing key (module not loaded) and `cat /proc/sys/…`', () => {
    const r = parseSysctlText(lines('net.ipv4.ip_forward = 1\nsysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\nnet.ipv4.conf.flannel/1.rp_filter = 2\n'), 's')
    expect(r.items.map((x) => [x.key, x.value])).toEqual([
      ['net.ipv4.ip_forward', '1'],
      ['net.bridge.bridge-nf-call-iptables', undefined],
      // sysctl writes the dot of an interface name as a slash.
      ['net.ipv4.conf.flannel.1.rp_filter', '2'],
    ])
    expect(parseSysctlText(lines('1\n'), 's', 'net.ipv4.ip_forward').items[0]).toMatchObject({ key: 'net.ipv4.ip_forward', value: '1' })
  })
  it('reads a pod resolv.conf as kubelet writes it', () => {
    expect(parseResolvConfText(file('p1a.resolv.conf.txt'), 'r').items[0]).toMatchObject({ nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 })
  })
  it('reads plugin types of a conflist, including flannel\'s delegate', () => {
    const r = parseCniConfText(lines('{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"hairpinMode":true}},{"type":"portmap"}]}'), 'c')
    expect(r.items[0]).toMatchObject({ name: 'cbr0', types: ['flannel', 'portmap'] })
  })
})

describe('parsers are total', () => {
  const all = [parseIpLinkText, parseBridgeLinkText, parseIpBrief, parseIpRouteText, parseIpNeighText, parseBridgeFdbText, parseIpRuleText, parseIpJsonText, parseConntrackText, parseSysctlText, parseResolvConfText, parseCniConfText]
  propTest.prop([fc.string({ maxLength: 300 })])('never throw, and every line is either read or reported', (text) => {
    const ls = lines(text)
    for (const p of all) {
      const r = p(ls, 'x')
      for (const b of r.bad) expect(ls.some((l) => l.n === b.n)).toBe(true)
    }
  })
})
