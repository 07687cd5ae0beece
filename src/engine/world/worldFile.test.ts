import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadWorldFile } from './worldFile.ts'
import { simulate } from '../sim/simulate.ts'
import { renderTrace } from '../sim/render.ts'
import { bridgeWorld, vxlanWorld } from '../sim/testWorlds.ts'
import type { World } from '../model/types.ts'
import { printRule } from '../route/rules.ts'

const WORLDS = new URL('../../../scenarios/worlds/', import.meta.url).pathname
const load = (name: string) => loadWorldFile(readFileSync(`${WORLDS}${name}`, 'utf8'), { file: name })

/** Traces don't depend on route source lines, so compare rendered traces. */
function sameTraces(a: World, b: World, from: string, to: string): void {
  const x = simulate(a, { from, to, proto: 'icmp' }, { seed: 3 })
  const y = simulate(b, { from, to, proto: 'icmp' }, { seed: 3 })
  expect(renderTrace(x.steps).replace(/ \(line \d+\)/g, '')).toBe(renderTrace(y.steps).replace(/ \(line \d+\)/g, ''))
}

describe('world files', () => {
  it('bridge-two-pods.yaml builds the same world the builder does (same trace)', () => {
    const { world, diagnostics } = load('bridge-two-pods.yaml')
    expect(diagnostics).toEqual([])
    sameTraces(world, bridgeWorld(), 'pod-a', '10.244.1.3')
  })

  it('vxlan-two-nodes.yaml builds the same world the builder does', () => {
    const { world, diagnostics } = load('vxlan-two-nodes.yaml')
    expect(diagnostics).toEqual([])
    expect(world.nodes).toEqual(['node1', 'node2'])
    sameTraces(world, vxlanWorld(), 'node1-pod', '10.244.2.5')
  })

  it('kernel side effects appear: prefix route for an address on an up link, bridge port FDB entry', () => {
    const { world } = load('bridge-two-pods.yaml')
    expect(world.netns.host!.routes).toContainEqual(expect.objectContaining({ dst: '10.244.1.0/24', dev: 'cni0', proto: 'kernel', src: '10.244.1.1' }))
    expect(world.netns.host!.fdb).toContainEqual(expect.objectContaining({ dev: 'veth-a', master: 'cni0', local: true }))
  })

  it('reports a bad field with its line and column and keeps the rest', () => {
    const text = ['apiVersion: packetwalk.dev/v1', 'kind: World', 'netns:', '  - name: a', '    links:', '      - { name: eth0, type: veth, addrs: [10.0.0.300/24] }'].join('\n')
    const { diagnostics } = loadWorldFile(text, { file: 'bad.yaml' })
    expect(diagnostics).toHaveLength(1)
    expect(diagnostics[0]).toMatchObject({ code: 'WORLD002', file: 'bad.yaml', line: 6 })
    expect(diagnostics[0]!.message).toMatch(/netns\[0\]\.links\[0\]\.addrs\[0\]/)
  })

  it('a route through an unknown device is refused like iproute2 refuses it', () => {
    const text = ['apiVersion: packetwalk.dev/v1', 'kind: World', 'netns:', '  - name: a', '    routes:', '      - { dst: 10.0.0.0/8, dev: eth9 }'].join('\n')
    const { diagnostics } = loadWorldFile(text)
    expect(diagnostics[0]).toMatchObject({ code: 'WORLD003', line: 6, message: 'Cannot find device "eth9"' })
  })

  it('a veth whose peer points elsewhere is reported on both facts', () => {
    const text = [
      'apiVersion: packetwalk.dev/v1',
      'kind: World',
      'netns:',
      '  - name: a',
      '    links: [{ name: x, type: veth, peer: { netns: b, name: y } }]',
      '  - name: b',
      '    links: [{ name: y, type: veth, peer: { netns: a, name: z } }]',
    ].join('\n')
    const { diagnostics } = loadWorldFile(text)
    expect(diagnostics[0]?.code).toBe('WORLD005')
    expect(diagnostics[0]?.message).toMatch(/points at a\/z/)
  })

  it('YAML syntax errors carry the line; empty input says what a world file starts with', () => {
    expect(loadWorldFile('netns: [\n  - a').diagnostics[0]).toMatchObject({ code: 'WORLD001' })
    expect(loadWorldFile('').diagnostics[0]).toMatchObject({ code: 'WORLD006' })
  })
})

describe('iptables blocks in world files', () => {
  it('parse into the netns ruleset, with line numbers of the world file', () => {
    const text = [
      'apiVersion: packetwalk.dev/v1',
      'kind: World',
      'netns:',
      '  - name: a',
      '    iptables: |',
      '      *nat',
      '      :PREROUTING ACCEPT [0:0]',
      '      -A PREROUTING -d 10.96.1.100/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.5:80',
      '      COMMIT',
    ].join('\n')
    const { world, diagnostics } = loadWorldFile(text, { file: 'w.yaml' })
    expect(diagnostics).toEqual([])
    const rule = world.netns.a!.netfilter.tables.nat!.chains.PREROUTING!.rules[0]!
    expect(rule.target).toMatchObject({ kind: 'DNAT' })
    expect(rule.source).toEqual({ file: 'w.yaml', line: 8 }) // the -A line, counted in the world file
  })

  it('bad rules are reported at their line in the world file', () => {
    const text = ['apiVersion: packetwalk.dev/v1', 'kind: World', 'netns:', '  - name: a', '    iptables: |', '      *nat', '      -A NOPE -j ACCEPT', '      COMMIT'].join('\n')
    const { diagnostics } = loadWorldFile(text, { file: 'w.yaml' })
    expect(diagnostics[0]).toMatchObject({ file: 'w.yaml', line: 7 })
  })
})

describe('policy routing rules in world files', () => {
  const world = (rules: string[], routes = '') =>
    ['apiVersion: packetwalk.dev/v1', 'kind: World', 'netns:', '  - name: a', '    links: [{ name: eth0, type: phys, addrs: [10.0.0.2/24] }]', ...(routes ? ['    routes:', routes] : []), '    rules:', ...rules.map((r) => `      - ${r}`)].join('\n')

  it('are added to the three defaults as `ip rule add` adds them (no pref: one below the second rule)', () => {
    const { world: w, diagnostics } = loadWorldFile(world(['from 10.0.0.5 lookup 100 pref 100', 'fwmark 0x80/0xff lookup 200'], '      - { dst: default, via: 10.0.0.1, table: 100 }'))
    expect(diagnostics).toEqual([])
    // After `pref 100` is second, the kernel gives the next rule 99 (fib_default_rule_pref).
    expect(w.netns.a!.rules!.map((r) => printRule(r))).toEqual(['0:\tfrom all lookup local', '99:\tfrom all fwmark 0x80/0xff lookup 200', '100:\tfrom 10.0.0.5 lookup 100', '32766:\tfrom all lookup main', '32767:\tfrom all lookup default'])
    expect(w.netns.a!.rules![2]!.source).toEqual({ line: 9 }) // lines 6-7 are the route, 8 `rules:`
    expect(w.netns.a!.routes.find((r) => r.dst === 'default')).toMatchObject({ table: 100, via: '10.0.0.1' })
  })

  it('a netns without rules keeps the defaults (no rules field)', () => {
    const { world: w } = loadWorldFile(world([]).replace('    rules:', ''))
    expect(w.netns.a!.rules).toBeUndefined()
  })

  it('a bad word is reported at its own line and column, with what would work', () => {
    const { world: w, diagnostics } = loadWorldFile(world(['from 10.0.0.5 lokup 100', '"to 10.0.0.x prohibit"']), { file: 'r.yaml' })
    expect(diagnostics).toHaveLength(2)
    // `      - ` is 8 columns, `from 10.0.0.5 ` 14 more: `lokup` starts at column 23.
    expect(diagnostics[0]).toMatchObject({ code: 'WORLD002', file: 'r.yaml', line: 7, col: 23, message: 'rule "from 10.0.0.5 lokup 100": unknown rule selector `lokup`' })
    expect(diagnostics[0]!.hint).toMatch(/lookup TABLE/)
    // Quoted: the quote is skipped; `10.0.0.x` starts at column 13.
    expect(diagnostics[1]).toMatchObject({ line: 8, col: 13 })
    expect(w.netns.a!.rules).toBeUndefined() // nothing was added: the defaults
  })

  it('the same rule twice is refused as the kernel does', () => {
    const { diagnostics } = loadWorldFile(world(['from all lookup main pref 32766']))
    expect(diagnostics[0]).toMatchObject({ code: 'WORLD004', line: 7, message: 'RTNETLINK answers: File exists' })
  })
})
