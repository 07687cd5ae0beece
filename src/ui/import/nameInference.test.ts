import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { importDumps } from '../../engine/import/importDump.ts'
import { folderOf, inferNodeNames, nextPasteName, prefillFor, uniqueName } from './nameInference.ts'

const CAPTURED = new URL('../../engine/import/fixtures/captured/', import.meta.url).pathname

describe('inferNodeNames', () => {
  it.each([
    // [text, folder, expected names]
    ['root@k8s-worker1:~# ip route\ndefault via 10.0.0.1 dev eth0\n', undefined, ['k8s-worker1:prompt']],
    ['[root@node-2 ~]# ip route\n', undefined, ['node-2:prompt']],
    ['controlplane:~$ iptables-save\n*nat\n', undefined, ['controlplane:prompt']],
    // The bundle header names the node (collect-node.sh prints `hostname`).
    ['### packetwalk-bundle v1 node=pwB-node1\n### cmd: ip -d addr\n', undefined, ['pwB-node1:bundle']],
    // A `hostname` output after a prompt that has no host in it.
    ['$ hostname\nworker-7\n$ ip route\ndefault via 10.0.0.1 dev eth0\n', undefined, ['worker-7:hostname']],
    // Two terminals in one paste: both nodes, in order.
    ['root@w1:~# ip route\ndefault via 10.0.0.1 dev eth0\nroot@w2:~# ip route\ndefault via 10.0.0.1 dev eth0\nroot@w1:~# ip neigh\n', undefined, ['w1:prompt', 'w2:prompt']],
    // A folder beats everything, as `packetwalk import node1/` does.
    ['root@w1:~# ip route\n', 'node1', ['node1:folder', 'w1:prompt']],
    // Bare output names nothing; `$ ip route` has no host.
    ['default via 10.0.0.1 dev eth0\n', undefined, []],
    ['$ ip route\ndefault via 10.0.0.1 dev eth0\n', undefined, []],
    // `sh-5.1#` is a shell, not a host.
    ['sh-5.1# ip route\n', undefined, []],
    // CRLF line ends from a Windows clipboard.
    ['root@k8s-worker1:~# ip route\r\ndefault via 10.0.0.1 dev eth0\r\n', undefined, ['k8s-worker1:prompt']],
  ])('%j (folder %s) → %j', (text, folder, expected) => {
    expect(inferNodeNames(text, folder !== undefined ? { folder } : {}).map((g) => `${g.name}:${g.from}`)).toEqual(expected)
  })

  it('agrees with the importer on the captured bundle and on a messy paste', () => {
    // Whatever the prefill says, the importer must call the node the same when left to itself.
    const bundle = readFileSync(`${CAPTURED}n1.bundle.txt`, 'utf8')
    const paste = `Hi, here is my node:\nroot@k8s-worker1:~# ip route\n${readFileSync(`${CAPTURED}n1.ip-route.txt`, 'utf8')}`
    for (const text of [bundle, paste]) {
      expect(inferNodeNames(text).map((g) => g.name)).toEqual(importDumps([{ name: 'x', text }]).nodes.map((n) => n.name))
    }
  })

  it('looks at the first lines only', () => {
    const text = `${'default via 10.0.0.1 dev eth0\n'.repeat(20)}root@late:~# ip route\n`
    expect(inferNodeNames(text, { maxLines: 10 })).toEqual([])
    expect(inferNodeNames(text, { maxLines: 30 })).toEqual([{ name: 'late', from: 'prompt' }])
  })

  propTest.prop([fc.string({ maxLength: 300 })])('never throws', (text) => {
    expect(() => inferNodeNames(text)).not.toThrow()
  })
})

describe('prefill', () => {
  it.each([
    [[], { value: '' }],
    [[{ name: 'w1', from: 'prompt' as const }], { value: 'w1', from: 'prompt' }],
    // Several nodes in one paste: the field stays empty so each block keeps its own node.
    [[{ name: 'w1', from: 'prompt' as const }, { name: 'w2', from: 'prompt' as const }], { value: '', several: ['w1', 'w2'] }],
    // A folder names every file in it, whatever their prompts say.
    [[{ name: 'node1', from: 'folder' as const }, { name: 'w1', from: 'prompt' as const }], { value: 'node1', from: 'folder' }],
  ])('%j → %j', (guesses, expected) => {
    expect(prefillFor(guesses)).toEqual(expected)
  })

  it.each([
    ['node1/ip-route.txt', 'node1'],
    ['dumps/node2/iptables-save.txt', 'node2'],
    ['ip-route.txt', undefined],
  ])('folderOf(%s) = %s', (path, folder) => {
    expect(folderOf(path)).toBe(folder)
  })

  it('labels new pastes and files uniquely', () => {
    expect(nextPasteName(['paste 1', 'paste 3'])).toBe('paste 2')
    expect(uniqueName('ip-route.txt', ['ip-route.txt', 'ip-route.txt (2)'])).toBe('ip-route.txt (3)')
  })
})
