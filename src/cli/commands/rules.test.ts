import { describe, expect, it } from 'vitest'
import { main } from '../main.ts'
import type { Io } from '../io.ts'

function io(files: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const fake: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (p) => files[p]!,
    isDirectory: () => false,
    listDir: () => [],
    exists: (p) => p in files,
  }
  return { fake, out: () => out.join(''), err: () => err.join('') }
}

const CLUSTER = `apiVersion: packetwalk.dev/v1
kind: ClusterConfig
nodeCount: 2
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: node2
  containers: [{name: nginx, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: 10.96.45.123
  selector: {app: web}
  ports: [{port: 80}]
`

describe('packetwalk rules kube-proxy', () => {
  it('prints the iptables-save text for the first node by default, and for --node', async () => {
    const a = io({ 'c.yaml': CLUSTER })
    expect(await main(['rules', 'kube-proxy', 'c.yaml'], a.fake)).toBe(0)
    expect(a.out()).toMatch(/^\*mangle\n/)
    expect(a.out()).toContain('-A KUBE-SERVICES -d 10.96.45.123/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-')
    expect(a.out()).not.toContain('FLANNEL-')
    const b = io({ 'c.yaml': CLUSTER })
    expect(await main(['rules', 'kube-proxy', 'c.yaml', '--node', 'node2'], b.fake)).toBe(0)
    // Without externalTrafficPolicy/internalTrafficPolicy Local, kube-proxy writes the same rules on every node.
    expect(b.out()).toBe(a.out())
    expect(b.err()).toBe('')
  })

  it('exits 2 with file, line, column and a hint for a bad field', async () => {
    const a = io({ 'c.yaml': CLUSTER.replace('ports: [{port: 80}]', 'ports: [{port: 80, targetPort: 0}]') })
    expect(await main(['rules', 'kube-proxy', 'c.yaml'], a.fake)).toBe(2)
    expect(a.err()).toContain('c.yaml:18:')
    expect(a.err()).toContain('K8S004')
    expect(a.err()).toContain('hint: a port number 1-65535 or a container port name')
  })

  it.each([
    [['rules', 'kube-proxy', 'c.yaml', '--node', 'nope'], 'no such node in c.yaml (nodes: node1, node2)'],
    [['rules', 'kube-proxy', 'missing.yaml'], 'missing.yaml: no such file or directory'],
    [['rules', 'flannel', 'c.yaml'], 'the only one is kube-proxy'],
    [['rules', 'kube-proxy'], 'missing CLUSTER'],
  ])('exits 2 for %j', async (argv, message) => {
    const a = io({ 'c.yaml': CLUSTER })
    expect(await main(argv, a.fake)).toBe(2)
    expect(a.err()).toContain(message)
  })
})
