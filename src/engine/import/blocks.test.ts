import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { splitBlocks } from './blocks.ts'
import type { Block } from './blocks.ts'
import { parseCommand, parsePrompt } from './prompt.ts'
import { splitLines } from './text.ts'

const CAPTURED = new URL('./fixtures/captured/', import.meta.url).pathname
const REAL = new URL('../../fixtures/real-dumps/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')
const real = (f: string) => readFileSync(REAL + f, 'utf8')

/** `format[first-last]` per block, the way a reviewer reads a split. */
const shape = (blocks: readonly Block[]) => blocks.map((b) => `${b.format}[${b.lines[0]!.n}-${b.lines[b.lines.length - 1]!.n}]`)

describe('format detection on real output', () => {
  // Each file is one command's complete output, so it must be one block of that format.
  const cases: [string, string][] = [
    ['n1.ip-addr.txt', 'ip-link'],
    ['n1.ip-d-addr.txt', 'ip-link'],
    ['n1.ip-d-link.txt', 'ip-link'],
    ['n1.ip-link.txt', 'ip-link'],
    ['n1.ip-o-addr.txt', 'ip-link'],
    ['n1.ip-c-addr.txt', 'ip-link'], // colour escapes removed before detection
    ['n1.ip-br-addr.txt', 'ip-brief'],
    ['n1.ip-br-link.txt', 'ip-brief'],
    ['n1.ip-route.txt', 'ip-route'],
    ['n1.ip-c-route.txt', 'ip-route'],
    ['n1.ip-route-table-all.txt', 'ip-route'], // local table and IPv6 lines included
    ['n2.ip-route.txt', 'ip-route'], // tab-indented nexthop lines stay in the block
    ['n1.ip-route-get.txt', 'ip-route-get'], // `uid 0` and the `cache` line give it away
    ['n1.ip-neigh.txt', 'ip-neigh'],
    ['n1.ip-neigh-cni0.txt', 'ip-neigh'], // `ip neigh show dev cni0` prints no dev
    ['n1.bridge-fdb.txt', 'bridge-fdb'], // 33:33:… would pass for an IPv6 route if checked later
    ['n1.bridge-fdb-flannel1.txt', 'bridge-fdb'],
    ['n1.bridge-link.txt', 'bridge-link'],
    ['n1.bridge-d-link.txt', 'bridge-link'],
    ['n1.ip-j-addr.txt', 'ip-json'],
    ['n1.ip-j-d-link.txt', 'ip-json'],
    ['n1.ip-jp-route.txt', 'ip-json'], // pretty-printed over 45 lines
    ['n1.bridge-j-fdb.txt', 'ip-json'],
    ['n1.iptables-save.txt', 'iptables-save'],
    ['n1.iptables-S.txt', 'iptables-S'],
    ['n1.iptables-nat-S.txt', 'iptables-S'],
    ['n1.iptables-L.txt', 'iptables-L'],
    ['n1.iptables-nat-nvL.txt', 'iptables-L'], // -n -v --line-numbers, protocol printed as 0
    ['n1.nft-list-ruleset.txt', 'nft'],
    ['n1.conntrack-L.txt', 'conntrack'], // the "flow entries have been shown" line first
    ['n1.sysctl.txt', 'sysctl'],
    ['n1.sysctl-a-grep.txt', 'sysctl'],
    ['p1a.resolv.conf.txt', 'resolv-conf'],
    ['n2.iptables-save.txt', 'iptables-save'], // starts with the legacy-tables warning
  ]
  it.each(cases)('%s is one %s block', (file, format) => {
    const { blocks, lineCount } = splitBlocks(captured(file), file)
    expect(shape(blocks)).toEqual([`${format}[1-${lineCount}]`])
  })

  it('recognises the real dumps of other clusters, including the unsupported ones', () => {
    // Trailing blank lines of a file form their own blank block.
    expect(shape(splitBlocks(real('flannel-k8s-2019-qifangsu-iptables-L/iptables-nat-nL-before-svc.txt'), 'f').blocks)).toEqual(['iptables-L[1-89]', 'blank[90-92]'])
    expect(shape(splitBlocks(real('flannel-kubeadm-iptables-L-zakaria/iptables-nat-L.txt'), 'f').blocks)).toEqual(['iptables-L[1-109]'])
    expect(shape(splitBlocks(real('nft-iptables-nft-kubeadm-saifsust/nft-chain-KUBE-SERVICES-node01.txt'), 'f').blocks)).toEqual(['nft[1-7]'])
    expect(shape(splitBlocks(real('ipvs-kind-tkng/ipvsadm-ln.txt'), 'f').blocks)).toEqual(['ipvsadm[1-35]'])
    expect(shape(splitBlocks(real('calico-bgp-kind-tkng/ip-route.txt'), 'f').blocks)).toEqual(['ip-route[1-11]'])
    expect(shape(splitBlocks(real('flannel-vxlan-kubeadm-2025-cilium_lab/iptables-nat-S.txt'), 'f').blocks)).toEqual(['iptables-S[1-66]'])
  })

  it('says what to run instead of an unsupported format', () => {
    const l = splitBlocks(real('flannel-kubeadm-iptables-L-zakaria/iptables-filter-L.txt'), 'f').blocks[0]!
    expect(l.message).toMatch(/`iptables -L` output.*run `iptables-save` instead/)
    expect(splitBlocks(real('nft-iptables-nft-kubeadm-saifsust/nft-chain-KUBE-SERVICES-controlplane.txt'), 'f').blocks[0]!.message).toMatch(/nft list ruleset.*iptables-save/)
    expect(splitBlocks(real('ipvs-kind-tkng/ipvsadm-ln.txt'), 'f').blocks[0]!.message).toMatch(/IPVS mode/)
    expect(splitBlocks(captured('n1.ip-route-get.txt'), 'f').blocks[0]!.message).toMatch(/run `ip route`/)
  })
})

describe('prompts and commands as hints', () => {
  // [prompt line, host, command format]
  const prompts: [string, string | undefined, string | undefined][] = [
    ['root@k8s-worker1:~# iptables-save', 'k8s-worker1', 'iptables-save'],
    ['vagrant@flannel-w1:/tmp$ sudo ip -d link', 'flannel-w1', 'ip-link'],
    ['[root@node ~]# ip -d link', 'node', 'ip-link'],
    ['$ ip route show', undefined, 'ip-route'],
    ['# iptables -t nat -S', undefined, 'iptables-S'],
    ['controlplane:~$ iptables -t nat -L -n -v', 'controlplane', 'iptables-L'],
    ['node01 $ ip -j -p route', 'node01', 'ip-json'],
    ['root@w1:~# bridge fdb show dev flannel.1', 'w1', 'bridge-fdb'],
    ['root@w1:~# ip r get 10.96.0.1', 'w1', 'ip-route-get'],
    ['sh-5.1# conntrack -L', undefined, 'conntrack'],
    ['root@w1:~# cat /proc/sys/net/ipv4/ip_forward', 'w1', 'sysctl'],
    ['root@w1:~# ', 'w1', undefined], // a bare prompt still names the node
  ]
  it.each(prompts)('%s', (line, host, format) => {
    const p = parsePrompt(line)
    expect(p).toBeDefined()
    expect(p!.host).toBe(host)
    expect(p!.hint.format).toBe(format)
  })

  it('does not take iptables-save comments, resolv.conf comments or data lines for prompts', () => {
    for (const l of ['# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 06:41:51 2026', '# Completed on Mon Jul 14 13:12:21 2025', '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them', '# Generated by NetworkManager', 'eth0@if3         UP             192.168.50.11/24', '-A KUBE-SERVICES -j KUBE-NODEPORTS']) {
      expect(parsePrompt(l)).toBeUndefined()
    }
  })

  it('reads the table, device, sysctl key and filters from the command', () => {
    expect(parseCommand('iptables -t nat -S KUBE-SERVICES')).toMatchObject({ format: 'iptables-S', table: 'nat' })
    expect(parseCommand('sudo iptables-save | grep KUBE-SVC')).toMatchObject({ format: 'iptables-save', excerpt: true })
    expect(parseCommand('ip neigh show dev cni0')).toMatchObject({ format: 'ip-neigh', dev: 'cni0' })
    expect(parseCommand('cat /proc/sys/net/bridge/bridge-nf-call-iptables')).toMatchObject({ format: 'sysctl', sysctlKey: 'net.bridge.bridge-nf-call-iptables' })
    expect(parseCommand('ip netns exec cni-1234 ip route')).toMatchObject({ format: 'ip-route', netns: 'cni-1234' })
  })
})

describe('messy pastes', () => {
  it('splits a terminal session into outputs and names the node from the prompt', () => {
    const paste = ['root@k8s-worker1:~# ip route', captured('n1.ip-route.txt').trimEnd(), 'root@k8s-worker1:~# ip neigh', captured('n1.ip-neigh.txt').trimEnd(), ''].join('\n')
    const { blocks } = splitBlocks(paste, 'paste')
    expect(shape(blocks)).toEqual(['prompt[1-1]', 'ip-route[2-9]', 'prompt[10-10]', 'ip-neigh[11-18]'])
    expect(blocks.every((b) => b.node === 'k8s-worker1')).toBe(true)
  })

  it('separates outputs pasted one after another without prompts', () => {
    // route, neighbour and FDB lines each look like their own command's output.
    const paste = [captured('n1.ip-route.txt'), captured('n1.ip-neigh.txt'), captured('n1.bridge-fdb.txt'), captured('n1.sysctl.txt')].join('')
    expect(shape(splitBlocks(paste, 'p').blocks)).toEqual(['ip-route[1-8]', 'ip-neigh[9-16]', 'bridge-fdb[17-40]', 'sysctl[41-43]'])
  })

  it('keeps `iptables -S` of two tables apart (the second starts with -P again)', () => {
    const paste = captured('n1.iptables-S.txt') + captured('n1.iptables-nat-S.txt')
    expect(shape(splitBlocks(paste, 'p').blocks)).toEqual(['iptables-S[1-28]', 'iptables-S[29-85]'])
  })

  it('survives CRLF, colour codes, trailing spaces and lines an author added', () => {
    const paste = `Here is my node:\r\n$ ip -c route\r\n${captured('n1.ip-c-route.txt').replace(/\n/g, '   \r\n')}That's all, thanks!\r\n`
    const { blocks } = splitBlocks(paste, 'p')
    expect(shape(blocks)).toEqual(['unknown[1-1]', 'prompt[2-2]', 'ip-route[3-10]', 'unknown[11-11]'])
    expect(blocks[2]!.lines[0]!.text).toBe('default via 192.168.50.1 dev eth0')
  })

  it('keeps a grep excerpt of iptables-save (no `*table` line) as one block', () => {
    const excerpt = captured('n1.iptables-save.txt').split('\n').filter((l) => l.includes('KUBE-SVC-TCOU7JCQXEZGVUNU')).join('\n')
    const { blocks } = splitBlocks(`root@n1:~# iptables-save | grep KUBE-SVC-TCOU7JCQXEZGVUNU\n${excerpt}\n`, 'p')
    // The excerpt starts with the chain's `:KUBE-SVC-… - [0:0]` line, so it still looks like iptables-save.
    expect(blocks.map((b) => b.format)).toEqual(['prompt', 'iptables-save'])
    expect(blocks[1]!.hint?.excerpt).toBe(true)
  })

  it('names several nodes in one paste by their prompts', () => {
    const paste = `root@node1:~# ip route\n${captured('n1.ip-route.txt')}root@node2:~# ip route\n${captured('n2.ip-route.txt')}`
    const nodes = splitBlocks(paste, 'p').blocks.filter((b) => b.format === 'ip-route').map((b) => b.node)
    expect(nodes).toEqual(['node1', 'node2'])
  })

  it('reads a collector bundle section by section, the node named by its header', () => {
    const { blocks } = splitBlocks(captured('n1.bundle.txt'), 'b')
    expect(blocks.filter((b) => b.format !== 'bundle' && b.format !== 'blank').map((b) => b.format)).toEqual(['ip-link', 'ip-link', 'ip-route', 'ip-rule', 'ip-neigh', 'bridge-fdb', 'bridge-link', 'iptables-version', 'iptables-save', 'sysctl', 'sysctl', 'conntrack', 'resolv-conf', 'flannel-env', 'cni-conf'])
    expect(new Set(blocks.map((b) => b.node))).toEqual(new Set(['pwB-node1']))
  })

  it('a caller-given node name wins over prompts and bundle headers (a folder name)', () => {
    const { blocks } = splitBlocks(`root@other:~# ip route\n${captured('n1.ip-route.txt')}`, 'p', 'folder-node')
    expect(new Set(blocks.map((b) => b.node))).toEqual(new Set(['folder-node']))
  })
})

describe('total and exact', () => {
  /** Every line in exactly one block, blocks in order and contiguous. */
  function checkPartition(text: string): void {
    const { blocks, lineCount } = splitBlocks(text, 'x')
    let next = 1
    for (const b of blocks) {
      expect(b.lines.length).toBeGreaterThan(0)
      for (const l of b.lines) expect(l.n).toBe(next++)
    }
    expect(next - 1).toBe(lineCount)
    expect(lineCount).toBe(splitLines(text).length)
  }

  const realLines = [captured('n1.bundle.txt'), captured('n1.iptables-nat-nvL.txt'), captured('n1.ip-jp-route.txt'), real('ipvs-kind-tkng/ipvsadm-ln.txt'), captured('n1.nft-list-ruleset.txt')].join('\n').split('\n')

  propTest.prop([fc.string({ maxLength: 400 })])('never throws and covers every line of arbitrary text', (text) => {
    checkPartition(text)
  })

  propTest.prop([fc.array(fc.oneof(fc.constantFrom(...realLines), fc.string({ maxLength: 40 }), fc.constantFrom('', '{', '[', '}', ']', '[{"a":1', '$ ip route', '### cmd: ip neigh', 'root@x:~# iptables-save', '\r', '\x1b[36m')), { maxLength: 60 }), fc.constantFrom('\n', '\r\n', '\r')])(
    'never throws and covers every line of shuffled real output',
    (lines, eol) => {
      checkPartition(lines.join(eol))
    },
  )
})
