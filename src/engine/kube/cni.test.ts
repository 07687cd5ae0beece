import { describe, expect, it } from 'vitest'
import { buildCluster } from './build.ts'
import { cniCheck, cniDel, cniVersionQuery, calicoVethName } from './cni.ts'
import { validateCniResult } from './cniResult.ts'
import type { CniVersion } from './cniResult.ts'
import { finish, newCtx } from './ctx.ts'
import { config, desc, kindNodes, pod } from './testClusters.ts'
import { delLink } from '../model/ops.ts'

function build(cni: string, version: CniVersion) {
  return buildCluster(desc(config(`${cni.slice(0, -1)}, cniVersion: "${version}"}`, 'dns: {replicas: 1}\n') + kindNodes() + pod('a', 'k8s-guide-worker') + pod('b', 'k8s-guide-worker')), { seed: 5 })
}

const CASES = [
  ['{plugin: flannel, backend: vxlan}', '1.0.0'],
  ['{plugin: flannel, backend: vxlan}', '0.4.0'],
  ['{plugin: calico, mode: bgp}', '1.0.0'],
  ['{plugin: calico, mode: ipip}', '0.4.0'],
] as const

describe.each(CASES)('CNI %s, cniVersion %s', (cni, version) => {
  const r = build(cni, version)
  const adds = r.cluster.cniInvocations.filter((i) => i.command === 'ADD')
  it('every ADD result (each plugin, delegated ones too) is valid for the version', () => {
    expect(adds.length).toBeGreaterThan(0)
    for (const inv of adds) {
      expect(inv.exitCode).toBe(0)
      expect(validateCniResult(version, JSON.parse(inv.stdout))).toEqual([])
    }
  })
  it('the runtime passes CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS (/var/run/netns/cni-<uuid>), CNI_IFNAME, CNI_PATH; the conflist plugin gets name and cniVersion on stdin', () => {
    const a = r.cluster.pods.find((p) => p.name === 'a')!
    const first = adds.find((i) => i.pod === 'default/a' && i.parent === undefined)!
    expect(first.env).toMatchObject({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: a.sandboxId, CNI_NETNS: a.netnsPath, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' })
    expect(a.netnsPath).toMatch(/^\/var\/run\/netns\/cni-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a.sandboxId).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.parse(first.stdin)).toMatchObject({ cniVersion: version, name: cni.includes('flannel') ? 'cbr0' : 'k8s-pod-network' })
    // chained plugins after the first get the previous result
    const chained = adds.find((i) => i.pod === 'default/a' && i.plugin === 'portmap')!
    expect((JSON.parse(chained.stdin) as { prevResult: unknown }).prevResult).toEqual(JSON.parse(first.stdout))
  })
  it('ips[].interface points at the eth0 entry that lives in the sandbox', () => {
    const first = adds.find((i) => i.pod === 'default/a' && i.parent === undefined)!
    const res = JSON.parse(first.stdout) as { interfaces: { name: string; sandbox?: string }[]; ips: { interface: number; address: string }[] }
    const iface = res.interfaces[res.ips[0]!.interface]!
    expect(iface).toMatchObject({ name: 'eth0', sandbox: r.cluster.pods.find((p) => p.name === 'a')!.netnsPath })
  })
  it('CHECK passes on a healthy pod and fails once the host veth is gone; VERSION lists the spec versions', () => {
    const ctx = newCtx(r.world, r.cluster)
    const a = ctx.state.pods.find((p) => p.name === 'a')!
    expect(cniCheck(ctx, a)).toEqual({ ok: true, errors: [] })
    ctx.world = delLink(ctx.world, a.node, a.hostVeth!)
    const bad = cniCheck(ctx, a)
    expect(bad.ok).toBe(false)
    const failed = ctx.state.cniInvocations.filter((i) => i.command === 'CHECK' && i.exitCode !== 0)
    expect(JSON.parse(failed[0]!.stdout)).toMatchObject({ cniVersion: version, code: 999 })
    expect(JSON.parse(cniVersionQuery(ctx, a.node, cni.includes('flannel') ? 'flannel' : 'calico'))).toEqual({ cniVersion: version, supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] })
  })
  it('DEL removes the veth pair and frees the address for the next pod', () => {
    const ctx = newCtx(r.world, r.cluster)
    const a = ctx.state.pods.find((p) => p.name === 'a')!
    cniDel(ctx, a)
    const out = finish(ctx)
    const host = out.world.netns[a.node]!
    expect(host.links.some((l) => l.name === a.hostVeth)).toBe(false)
    expect(out.world.netns[a.netns!]!.links.some((l) => l.name === 'eth0')).toBe(false)
    expect(host.routes.some((rt) => rt.dev === a.hostVeth)).toBe(false)
    const node = out.cluster.nodes.find((n) => n.name === a.node)!
    if (node.flannel) expect(node.flannel.ipam.reserved[a.ip!]).toBeUndefined()
    else expect(Object.values(node.calico!.block.allocations)).not.toContain(`k8s-pod-network.${a.sandboxId}`)
    // libcni runs DEL in reverse plugin order
    const dels = out.cluster.cniInvocations.filter((i) => i.command === 'DEL' && i.parent === undefined).map((i) => i.plugin)
    expect(dels[0]).not.toBe(cni.includes('flannel') ? 'flannel' : 'calico')
  })
})

describe('validateCniResult', () => {
  const good = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '0a:58:0a:f4:01:02', sandbox: '/var/run/netns/x' }], ips: [{ interface: 0, address: '10.244.1.2/24', gateway: '10.244.1.1' }], routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }], dns: {} }
  it.each([
    // 1.0.0 removed ips[].version
    ['1.0.0', { ...good, ips: [{ version: '4', address: '10.244.1.2/24' }] }, 'ips[0]: field "version" is not part of 1.0.0'],
    // 0.4.0 requires it
    ['0.4.0', { ...good, cniVersion: '0.4.0' }, 'ips[0].version must be "4" or "6" in 0.4.0'],
    ['1.0.0', { ...good, ips: [{ interface: 3, address: '10.244.1.2/24' }] }, 'ips[0].interface must index into interfaces (0..0)'],
    ['1.0.0', { ...good, ips: [{ address: '10.244.1.2' }] }, 'ips[0].address must be a CIDR like 10.244.1.2/24'],
    ['1.0.0', { ...good, cniVersion: '0.3.1' }, 'cniVersion is "0.3.1", expected "1.0.0"'],
    ['1.0.0', { ...good, routes: [{ gw: '10.244.1.1' }] }, 'routes[0].dst must be a CIDR'],
  ] as const)('%s rejects %j', (version, result, error) => {
    expect(validateCniResult(version, result)).toContain(error)
  })
  it('accepts a well-formed result', () => {
    expect(validateCniResult('1.0.0', good)).toEqual([])
  })
})

describe('calicoVethName', () => {
  it('is cali + 11 hex digits of sha1("<namespace>.<pod>")', () => {
    // sha1("default.nginx") = c440f4556937… (computed independently with sha1sum)
    expect(calicoVethName('default', 'nginx')).toBe('calic440f455693')
  })
})
