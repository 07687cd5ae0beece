import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { main } from '../main.ts'
import type { Io } from '../io.ts'
import { loadDumpInputs } from './import.ts'

const CAPTURED = new URL('../../engine/import/fixtures/captured/', import.meta.url).pathname
const REAL = new URL('../../fixtures/real-dumps/', import.meta.url).pathname
const captured = (f: string) => readFileSync(CAPTURED + f, 'utf8')

/** A file system of `path → text`; folders are the paths with children. */
function io(files: Record<string, string>, stdin?: string) {
  const out: string[] = []
  const err: string[] = []
  const isDir = (p: string) => Object.keys(files).some((f) => f.startsWith(`${p.replace(/\/+$/, '')}/`))
  const fake: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (p) => {
      if (p === '-' && stdin !== undefined) return stdin
      const t = files[p]
      if (t === undefined) throw new Error(`EACCES: permission denied, open '${p}'`)
      return t
    },
    isDirectory: isDir,
    listDir: (p) => [...new Set(Object.keys(files).filter((f) => f.startsWith(`${p.replace(/\/+$/, '')}/`)).map((f) => f.slice(p.replace(/\/+$/, '').length + 1).split('/')[0]!))].sort(),
    exists: (p) => p === '-' || p in files || isDir(p),
  }
  return { fake, out: () => out.join(''), err: () => err.join('') }
}

describe('packetwalk import', () => {
  it('--json prints nodes, notUnderstood, unsupported and diagnostics; a folder is one node named after it', async () => {
    const t = io({ 'dumps/worker2/ip-route.txt': readFileSync(`${REAL}calico-bgp-kind-tkng/ip-route.txt`, 'utf8'), 'dumps/worker2/notes.txt': 'my own notes\n' })
    expect(await main(['import', 'dumps/worker2', '--json'], t.fake)).toBe(0)
    const j = JSON.parse(t.out()) as { nodes: { name: string; inferred: { pods: unknown[] } }[]; notUnderstood: { file: string; line: number; text: string }[]; unsupported: unknown[]; diagnostics: unknown[] }
    expect(Object.keys(j)).toEqual(['nodes', 'notUnderstood', 'unsupported', 'diagnostics'])
    expect(j.nodes.map((n) => n.name)).toEqual(['worker2'])
    expect(j.nodes[0]!.inferred.pods).toHaveLength(6)
    // Exit 0 even with a line it did not understand; the line is listed with file:line.
    expect(j.notUnderstood).toEqual([{ file: 'dumps/worker2/notes.txt', line: 1, text: 'my own notes' }])
  })

  it('a folder of folders is one node per subfolder', () => {
    const t = io({ 'c/n1/route': captured('n1.ip-route.txt'), 'c/n2/route': captured('n2.ip-route.txt') })
    expect(loadDumpInputs(['c'], t.fake).world.nodes).toEqual(['n1', 'n2'])
  })

  it('reads stdin (-), takes --node for it, and prints a readable summary with the assumptions', async () => {
    const t = io({}, captured('n1.ip-route.txt'))
    expect(await main(['import', '-', '--node', 'w7'], t.fake)).toBe(0)
    expect(t.out()).toContain('node w7 (name from input; stdin)')
    expect(t.out()).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink')
    expect(t.out()).toContain('when traced (assumptions):')
  })

  it('a collector bundle names its node', () => {
    const t = io({ 'n1.bundle.txt': captured('n1.bundle.txt') })
    const { result, world } = loadDumpInputs(['n1.bundle.txt'], t.fake)
    expect(result.nodes.map((n) => n.name)).toEqual(['pwB-node1'])
    expect(Object.keys(world.netns)).toContain('pod-10.244.1.2')
  })

  it('unsupported formats are listed with the command to run instead', async () => {
    const t = io({ 'L.txt': readFileSync(`${REAL}flannel-kubeadm-iptables-L-zakaria/iptables-nat-L.txt`, 'utf8') })
    expect(await main(['import', 'L.txt'], t.fake)).toBe(0)
    expect(t.out()).toMatch(/L\.txt:1: iptables-L: this is `iptables -L` output.*run `iptables-save` instead/)
  })

  it('--local-ip and --sysctl reach the world', () => {
    const t = io({ 'save.txt': captured('n1.iptables-save.txt') })
    const { world } = loadDumpInputs(['save.txt'], t.fake, { node: 'n1', localIps: ['192.168.50.11'], sysctls: ['net.bridge.bridge-nf-call-iptables=0'] })
    expect(world.netns.n1!.links.find((l) => l.name === 'eth0')!.addrs[0]!.ip).toBe('192.168.50.11')
    expect(world.netns.n1!.sysctl['net.bridge.bridge-nf-call-iptables']).toBe(false)
  })

  it('exit 2 for a missing or unreadable input and for bad flags, with the reason on stderr', async () => {
    const t = io({})
    expect(await main(['import', 'nope.txt'], t.fake)).toBe(2)
    expect(t.err()).toContain('nope.txt: no such file or directory')
    const u = io({ 'a.txt': 'x' })
    const denied: Io = {
      ...u.fake,
      readFile: () => {
        throw new Error('EACCES: permission denied')
      },
    }
    expect(await main(['import', 'a.txt'], denied)).toBe(2)
    expect(u.err()).toContain('a.txt: cannot read (EACCES: permission denied)')
    expect(await main(['import', 'a.txt', '--local-ip', '10.0.0.300'], io({ 'a.txt': 'x' }).fake)).toBe(2)
    expect(await main(['import', 'a.txt', '--sysctl', 'net.ipv4.tcp_foo=1'], io({ 'a.txt': 'x' }).fake)).toBe(2)
    expect(await main(['import'], io({}).fake)).toBe(2)
  })
})
