/**
 * public/collect-node.sh: POSIX sh, every tool guarded, and its output (captured on a real
 * kernel by fixtures/capture.sh, and produced live here when running as root) imports with
 * every line understood.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importDumps } from './importDump.ts'
import { importToWorld } from './toWorld.ts'

const SCRIPT = new URL('../../../public/collect-node.sh', import.meta.url).pathname
const CAPTURED = new URL('./fixtures/captured/', import.meta.url).pathname
const script = readFileSync(SCRIPT, 'utf8')

describe('collect-node.sh as a script', () => {
  it('parses as POSIX sh (dash, Debian\'s /bin/sh)', () => {
    const r = spawnSync('sh', ['-n', SCRIPT], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('runs every node tool through `run` (which checks `command -v`) or after its own `command -v`', () => {
    // Lines that call a tool directly, outside `run "…"` and without a guard, would print
    // "not found" on a node without it.
    const tool = /(^|[\s;(|&])(ip|bridge|iptables(-\w+)*|ipvsadm|nft|conntrack|sysctl)\s/
    const direct = script
      .split('\n')
      .filter((l) => !/^\s*#/.test(l) && tool.test(l))
      .filter((l) => !/^\s*run "/.test(l) && !/command -v/.test(l))
    expect(direct).toEqual([])
  })

  it('writes a header with the node name and section markers the importer reads', () => {
    expect(script).toContain('echo "### packetwalk-bundle v1 node=$node"')
    expect(script).toContain('echo "### cmd: $1"')
    expect(script).toContain('echo "### file: $f"')
  })
})

describe('a bundle from a real node (fixtures/captured/n1.bundle.txt)', () => {
  const r = importDumps([{ name: 'n1.bundle.txt', text: readFileSync(`${CAPTURED}n1.bundle.txt`, 'utf8') }])
  it('is understood line for line', () => {
    expect(r.notUnderstood).toEqual([])
    expect(r.unsupported).toEqual([])
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([])
  })
  it('carries the node name, the iptables backend, flannel\'s subnet.env and the CNI config', () => {
    const n = r.nodes[0]!
    expect(n).toMatchObject({ name: 'pwB-node1', nameFrom: 'bundle', iptablesBackend: 'nf_tables' })
    expect(n.flannelEnv).toMatchObject({ FLANNEL_NETWORK: '10.244.0.0/16', FLANNEL_SUBNET: '10.244.1.1/24' })
    // subnet.env is the strongest evidence for both CIDRs.
    expect(n.inferred.clusterCidr?.from).toEqual([{ file: 'n1.bundle.txt', line: 274 }])
    expect(n.cniConfigs?.[0]?.types).toEqual(['flannel', 'portmap'])
    expect(n.resolvConf).toMatchObject({ nameservers: ['192.168.50.1'], search: ['lab.example'] })
    // `sysctl -a | grep …proxy_arp` sets the cali host end's flag.
    expect(n.interfaces.find((l) => l.name === 'cali1a2b3c4d5e6')?.proxyArp).toBe(true)
    expect(importToWorld(r).nodes).toEqual(['pwB-node1'])
  })
})

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('ip', ['-V']).status === 0 && spawnSync('unshare', ['--version']).status === 0

describe('the collector run live in a throwaway netns', () => {
  it.skipIf(!isRoot)('prints a bundle the importer understands completely (needs root; skipped otherwise)', () => {
    const ns = `pwB-col${process.pid}`
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0)
    try {
      spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
      const out = spawnSync('ip', ['netns', 'exec', ns, 'unshare', '--uts', 'sh', '-c', `hostname pwB-collect && sh '${SCRIPT}'`], { encoding: 'utf8' })
      expect(out.status).toBe(0)
      const r = importDumps([{ name: 'live.bundle', text: out.stdout }])
      expect(r.notUnderstood).toEqual([])
      const n = r.nodes[0]!
      expect(n.name).toBe('pwB-collect')
      expect(n.interfaces.find((l) => l.name === 'lo')).toMatchObject({ kind: 'loopback', addrs: [{ ip: '127.0.0.1', len: 8, scope: 'host' }] })
      expect(n.formats).toContain('iptables-version')
    } finally {
      spawnSync('ip', ['netns', 'del', ns])
    }
  })
})
