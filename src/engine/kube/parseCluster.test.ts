import { describe, expect, it } from 'vitest'
import { test as fcTest, fc } from '@fast-check/vitest'
import { parseCluster, formatPath } from './parseCluster.ts'

const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: kind-worker
    managedFields: [{manager: kubelet}]
  spec:
    podCIDR: 10.244.1.0/24
  status:
    addresses:
    - {type: InternalIP, address: 192.168.56.21}
    - {type: Hostname, address: kind-worker}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec:
    selector: {app: web}
    ports:
    - {name: http, port: 80, targetPort: http}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata: {name: web-abc}
`

describe('parseCluster', () => {
  it('reads a kind: List as kubectl prints it, ignoring unknown fields and ReplicaSets', () => {
    const { desc, diagnostics } = parseCluster(LIST)
    expect(diagnostics).toEqual([])
    expect(desc.nodes[0]?.spec.podCIDR).toBe('10.244.1.0/24')
    expect(desc.nodes[0]?.status.addresses[0]).toEqual({ type: 'InternalIP', address: '192.168.56.21' })
    // targetPort by name is kept as a string; protocol defaults to TCP as the API server does.
    expect(desc.services[0]?.spec.ports[0]).toEqual({ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' })
    expect(desc.services[0]?.metadata.namespace).toBe('shop')
    expect(JSON.stringify(desc.nodes[0])).not.toContain('managedFields')
  })

  it('reads multi-document YAML, defaults the namespace and the ClusterConfig', () => {
    const { desc, diagnostics } = parseCluster(`kind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c}]\n---\napiVersion: packetwalk.dev/v1\nkind: ClusterConfig\ncni: {plugin: calico, mode: ipip}\n`)
    expect(diagnostics).toEqual([])
    expect(desc.pods[0]?.metadata.namespace).toBe('default')
    expect(desc.config.cni).toEqual({ plugin: 'calico', mode: 'ipip', asNumber: 64512, cniVersion: '1.0.0' })
    // Everything the document leaves out comes from the defaults.
    expect(desc.config.clusterCIDR).toBe('10.244.0.0/16')
    expect(desc.config.serviceCIDR).toBe('10.96.0.0/12')
    expect(desc.config.dns.clusterDomain).toBe('cluster.local')
  })

  it.each([
    // [yaml, line, col, message part]
    ['kind: Service\nmetadata: {name: x}\nspec:\n  ports:\n  - port: 80\n    targetPort: -1\n', 6, 17, 'spec.ports[0].targetPort'],
    ['apiVersion: packetwalk.dev/v1\nkind: ClusterConfig\ncni:\n  plugin: flannel\n  backend: wireguard\n', 5, 12, 'cni.backend'],
    ['kind: Node\nmetadata: {name: n1}\nspec: {podCIDR: 10.244.1.0/33}\n', 3, 17, 'spec.podCIDR'],
    ['---\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n', 4, 20, 'spec.containers'],
  ])('reports a bad field with its line and column (%#)', (yaml, line, col, part) => {
    const { diagnostics } = parseCluster(yaml, { file: 'c.yaml' })
    expect(diagnostics).toHaveLength(1)
    expect(diagnostics[0]).toMatchObject({ code: 'K8S004', severity: 'error', file: 'c.yaml', line, col })
    expect(diagnostics[0]?.message).toContain(part)
  })

  it('keeps the valid objects of a file that has a bad one', () => {
    const { desc, diagnostics } = parseCluster('kind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 99999}]}\n---\nkind: Service\nmetadata: {name: good}\nspec: {ports: [{port: 80}]}\n')
    expect(diagnostics.map((d) => d.code)).toEqual(['K8S004'])
    expect(desc.services.map((s) => s.metadata.name)).toEqual(['good'])
  })

  it('reports YAML syntax errors, unknown kinds, duplicates and a second ClusterConfig', () => {
    expect(parseCluster('kind: Pod\nmetadata: {name: [\n').diagnostics[0]).toMatchObject({ code: 'K8S001', line: expect.any(Number) as number })
    expect(parseCluster('apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n').diagnostics[0]).toMatchObject({ code: 'K8S003', severity: 'warning', line: 2 })
    const dup = parseCluster('kind: Namespace\nmetadata: {name: a}\n---\nkind: Namespace\nmetadata: {name: a}\n')
    expect(dup.diagnostics[0]).toMatchObject({ code: 'K8S005', line: 5 })
    const two = parseCluster('apiVersion: packetwalk.dev/v1\nkind: ClusterConfig\n---\napiVersion: packetwalk.dev/v1\nkind: ClusterConfig\ncni: {plugin: calico}\n')
    expect(two.diagnostics[0]?.code).toBe('K8S006')
    expect(two.desc.config.cni.plugin).toBe('flannel')
  })

  it('formats paths the way kubectl explains fields', () => {
    expect(formatPath(['items', 0, 'spec', 'ports', 1, 'targetPort'])).toBe('items[0].spec.ports[1].targetPort')
  })

  fcTest.prop([fc.string({ maxLength: 300 })])('never throws on arbitrary text', (text) => {
    const r = parseCluster(text)
    expect(Array.isArray(r.diagnostics)).toBe(true)
  })

  fcTest.prop([fc.array(fc.constantFrom('kind: Pod', 'metadata: {name: a}', 'spec:', '  containers: [{name: c}]', '---', 'items: [1, 2]', 'kind: List', '  - x', ': :', 'apiVersion: v1'), { maxLength: 12 })])('never throws on YAML-ish fragments', (lines) => {
    expect(() => parseCluster(lines.join('\n'))).not.toThrow()
  })
})
