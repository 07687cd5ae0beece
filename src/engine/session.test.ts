import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { NameError, lookup, resolveSource, resolveTarget } from './session.ts'
import { loadClusterText } from './kube/load.ts'
import { bridgeWorld } from './sim/testWorlds.ts'
import type { World } from './model/types.ts'

const cluster = (() => {
  const text = readFileSync(new URL('../../scenarios/clusters/flannel-3-nodes.yaml', import.meta.url), 'utf8')
  const r = loadClusterText(text, { seed: 1 })
  return { ...r.world!, cluster: r.cluster! } as World
})()

describe('names people use', () => {
  it('a pod ns/name is its netns; a bare pod name means the default namespace', () => {
    expect(resolveSource(cluster, 'default/client')).toBe('default/client')
    expect(resolveSource(cluster, 'client')).toBe('default/client')
    expect(() => resolveSource(cluster, 'default/nope')).toThrow(NameError)
  })

  it('a Service resolves to its ClusterIP and first port; a named or numbered port picks one', () => {
    const svc = cluster.cluster!.services.find((s) => s.metadata.name === 'nginx-svc')!
    expect(resolveTarget(cluster, 'default/nginx-svc')).toMatchObject({ ip: svc.spec.clusterIP, port: 80, proto: 'tcp' })
    expect(resolveTarget(cluster, 'kube-system/kube-dns:53')).toMatchObject({ ip: '10.96.0.10', port: 53 })
  })

  it('Services inferred from an imported node resolve without a cluster description', () => {
    const w: World = { ...bridgeWorld(), services: [{ namespace: 'default', name: 'kubernetes', portName: 'https', protocol: 'tcp', clusterIP: '10.96.0.1', port: 443 }] }
    expect(resolveTarget(w, 'default/kubernetes')).toMatchObject({ ip: '10.96.0.1', port: 443, proto: 'tcp' })
    expect(resolveTarget(w, 'default/kubernetes:https')).toMatchObject({ ip: '10.96.0.1', port: 443 })
    expect(() => resolveTarget(w, 'default/kubernetes:http')).toThrow(/no port http/)
  })

  it('an IP passes through with the port given', () => {
    expect(resolveTarget(bridgeWorld(), '10.244.1.3:80')).toEqual({ ip: '10.244.1.3', port: 80, explain: '10.244.1.3' })
  })
})

describe('lookup', () => {
  it('a short name goes through the search list and stops at the first answer', () => {
    const r = lookup(cluster, 'default/client', 'nginx-svc')
    expect(r.queries).toEqual(['nginx-svc.default.svc.cluster.local'])
    expect(r.answer).toBe(cluster.cluster!.services.find((s) => s.metadata.name === 'nginx-svc')!.spec.clusterIP)
    // Each query is a real UDP packet to the kube-dns ClusterIP.
    expect(r.segments[0]!.send).toMatchObject({ to: '10.96.0.10', proto: 'udp', dport: 53 })
  })

  it('an outside name costs every search domain first (ndots:5)', () => {
    const r = lookup(cluster, 'default/client', 'example.com')
    expect(r.queries).toEqual(['example.com.default.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local', 'example.com'])
  })
})
