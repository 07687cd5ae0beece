/**
 * A world around a generated kube-proxy dump (genKubeProxyDump.ts), for tracing one packet
 * through it the way the tracer does for any world: a host netns holding the ruleset, a
 * client pod and the target Service's three backends on its cni0 bridge. Addresses follow the
 * generator: ClusterIP 10.96.(s>>8).(s&255):80, endpoints 10.244.x.y:8080 counted from 0; the
 * bridge and the client sit at 10.244.255.0/24 so they never collide with an endpoint.
 */
import type { World } from '../engine/model/types.ts'
import type { Ruleset } from '../engine/netfilter/types.ts'
import { loadWorldFile } from '../engine/world/worldFile.ts'

export function endpointIp(service: number, e: number, endpoints = 3): string {
  const i = service * endpoints + e
  return `10.${244 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`
}

export function clusterIp(service: number): string {
  return `10.96.${(service >> 8) & 255}.${service & 255}`
}

/** The world file text (no rules) for tracing to Service `service`. */
export function dumpWorldText(service: number, endpoints = 3): string {
  const pods = Array.from({ length: endpoints }, (_, e) => ({ name: `ep${e}`, ip: endpointIp(service, e, endpoints) }))
  const lines = [
    'apiVersion: packetwalk.dev/v1',
    'kind: World',
    'metadata: { name: bench-dump }',
    'netns:',
    '  - name: node',
    '    kind: host',
    '    sysctl: { net.ipv4.ip_forward: 1, net.bridge.bridge-nf-call-iptables: 1 }',
    '    links:',
    '      - { name: cni0, type: bridge, addrs: [10.244.255.1/16] }',
    '      - { name: vclient, type: veth, master: cni0, peer: { netns: client, name: eth0 } }',
    ...pods.map((p) => `      - { name: v${p.name}, type: veth, master: cni0, peer: { netns: ${p.name}, name: eth0 } }`),
    '  - name: client',
    '    kind: pod',
    '    links: [{ name: eth0, type: veth, addrs: [10.244.255.2/16], peer: { netns: node, name: vclient } }]',
    '    routes: [{ dst: default, via: 10.244.255.1, dev: eth0 }]',
    ...pods.flatMap((p) => [
      `  - name: ${p.name}`,
      '    kind: pod',
      `    links: [{ name: eth0, type: veth, addrs: [${p.ip}/16], peer: { netns: node, name: v${p.name} } }]`,
      '    routes: [{ dst: default, via: 10.244.255.1, dev: eth0 }]',
      '    listeners: [tcp/8080 web]',
    ]),
  ]
  return `${lines.join('\n')}\n`
}

/** The world with `ruleset` as the host's netfilter state. Throws if the world file is refused. */
export function dumpWorld(ruleset: Ruleset, service: number, endpoints = 3): World {
  const r = loadWorldFile(dumpWorldText(service, endpoints), { file: 'bench-dump.yaml' })
  const errors = r.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) throw new Error(`bench world: ${errors.map((d) => d.message).join('; ')}`)
  const node = r.world.netns.node!
  return { ...r.world, netns: { ...r.world.netns, node: { ...node, netfilter: ruleset } } }
}
