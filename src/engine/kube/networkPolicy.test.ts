import { describe, expect, it } from 'vitest'
import { matchesSelector, peerPods, policiesFor, policyTypesOf, printSelector, resolvePolicyPort } from './networkPolicy.ts'
import { addCalicoPolicyRules, calicoPolicyChain } from './calicoPolicy.ts'
import { SaveText } from './iptablesText.ts'
import { NetworkPolicy } from './schema.ts'
import type { ClusterState, PodState } from './state.ts'

function p(name: string, ns: string, labels: Record<string, string>, ip: string, node = 'n1', ports: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' }[] = []): PodState {
  return { namespace: ns, name, uid: name, node, labels, hostNetwork: false, ip, ready: true, containers: [{ name: 'c', image: 'i', id: 'x', ports }], sandboxId: 's', netnsPath: '', pausePid: 1, netns: `${ns}/${name}`, hostVeth: `cali${name.padEnd(11, '0').slice(0, 11)}` }
}

const np = (spec: unknown, ns = 'default', name = 'pol') => NetworkPolicy.parse({ kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec })

const PODS = [
  p('web', 'default', { app: 'web' }, '10.244.0.10', 'n1', [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]),
  p('client', 'default', { app: 'client' }, '10.244.0.11'),
  p('mon', 'monitoring', { app: 'prom' }, '10.244.1.12', 'n2'),
  p('other', 'dev', { app: 'client' }, '10.244.1.13', 'n2'),
]
const STATE: Pick<ClusterState, 'pods' | 'namespaces'> = { pods: PODS, namespaces: [{ name: 'default', labels: {} }, { name: 'monitoring', labels: { team: 'ops' } }, { name: 'dev', labels: {} }] }

describe('selectors and peers', () => {
  it.each([
    [{}, { a: '1' }, true], // {} selects everything
    [{ matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }, true],
    [{ matchLabels: { app: 'web' } }, { app: 'db' }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, { tier: 'b' }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a'] }] }, {}, true], // NotIn matches a missing key
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { tier: 'x' }, false],
  ] as const)('%j selects %j: %s', (sel, labels, want) => {
    expect(matchesSelector(sel as never, labels)).toBe(want)
  })

  it('policyTypes default to Ingress, plus Egress when egress rules exist', () => {
    expect(policyTypesOf(np({ podSelector: {} }))).toEqual(['Ingress'])
    expect(policyTypesOf(np({ podSelector: {}, egress: [{}] }))).toEqual(['Ingress', 'Egress'])
    expect(policyTypesOf(np({ podSelector: {}, policyTypes: ['Egress'] }))).toEqual(['Egress'])
  })

  it('podSelector alone = same namespace; namespaceSelector alone = all pods there; both = intersection', () => {
    const pol = np({ podSelector: {} })
    expect(peerPods(STATE, pol, { podSelector: { matchLabels: { app: 'client' } } }).map((x) => x.name)).toEqual(['client'])
    expect(peerPods(STATE, pol, { namespaceSelector: { matchLabels: { team: 'ops' } } }).map((x) => x.name)).toEqual(['mon'])
    // kubernetes.io/metadata.name is set on every namespace
    expect(peerPods(STATE, pol, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dev' } }, podSelector: { matchLabels: { app: 'client' } } }).map((x) => x.name)).toEqual(['other'])
    expect(peerPods(STATE, pol, { ipBlock: { cidr: '10.0.0.0/8' } })).toEqual([])
  })

  it('named ports resolve against the pod; numbers and ranges as given', () => {
    expect(resolvePolicyPort({ protocol: 'TCP', port: 'http' }, PODS[0])).toEqual({ from: 8080, to: 8080 })
    expect(resolvePolicyPort({ protocol: 'UDP', port: 'http' }, PODS[0])).toBeUndefined()
    expect(resolvePolicyPort({ protocol: 'TCP', port: 8000, endPort: 8100 }, undefined)).toEqual({ from: 8000, to: 8100 })
    expect(printSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }] })).toBe('app=web,t in (a,b)')
  })

  it('policiesFor: same namespace, selecting the pod, of that type, by name', () => {
    const st = { networkPolicies: [np({ podSelector: { matchLabels: { app: 'web' } } }, 'default', 'b'), np({ podSelector: {} }, 'default', 'a'), np({ podSelector: {} }, 'dev', 'c')] }
    expect(policiesFor(st, PODS[0]!, 'Ingress').map((x) => x.metadata.name)).toEqual(['a', 'b'])
    expect(policiesFor(st, PODS[0]!, 'Egress')).toEqual([])
  })
})

describe('felix chains for one policy', () => {
  const policy = np({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }, { ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.9.0/24'] } }], ports: [{ port: 'http' }] }] }, 'default', 'web-in')
  const t = new SaveText()
  addCalicoPolicyRules(t, { ...STATE, networkPolicies: [policy] } as unknown as ClusterState, 'n1')
  const rules = t.print().split('\n').filter((l) => l.startsWith('-A '))
  const tw = rules.filter((l) => l.startsWith('-A cali-tw-caliweb00000000'))
  it('the workload chain: conntrack shortcuts, clear the accept mark, the policy, then the drop with felix\'s comment', () => {
    expect(tw).toEqual([
      '-A cali-tw-caliweb00000000 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A cali-tw-caliweb00000000 -m conntrack --ctstate INVALID -j DROP',
      '-A cali-tw-caliweb00000000 -j MARK --set-xmark 0x0/0x10000',
      '-A cali-tw-caliweb00000000 -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
      '-A cali-tw-caliweb00000000 -m mark --mark 0x0/0x20000 -j cali-pi-web-in',
      '-A cali-tw-caliweb00000000 -m mark --mark 0x10000/0x10000 -m comment --comment "Return if policy accepted" -j RETURN',
      '-A cali-tw-caliweb00000000 -m mark --mark 0x0/0x20000 -m comment --comment "Drop if no policies passed packet" -j DROP',
      '-A cali-tw-caliweb00000000 -j cali-pri-kns.default',
      '-A cali-tw-caliweb00000000 -m mark --mark 0x10000/0x10000 -m comment --comment "Return if profile accepted" -j RETURN',
      '-A cali-tw-caliweb00000000 -m comment --comment "Drop if no profiles matched" -j DROP',
    ])
  })
  it('the policy chain: one MARK per allowed peer with the named port resolved on the pod, the except ranges returned first', () => {
    const pi = rules.filter((l) => l.startsWith('-A cali-pi-web-in'))
    expect(pi).toEqual([
      '-A cali-pi-web-in -s 10.244.0.11/32 -d 10.244.0.10/32 -p tcp -m tcp --dport 8080 -m comment --comment "default/web-in ingress rule 1: pods app=client (default/client) to web" -j MARK --set-xmark 0x10000/0x10000',
      '-A cali-pi-web-in -m comment --comment "default/web-in ingress rule 1: ipBlock 192.168.0.0/16 except 192.168.9.0/24" -j cali-pi-web-in-0',
      '-A cali-pi-web-in -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-pi-web-in-0 -s 192.168.9.0/24 -m comment --comment "default/web-in ingress rule 1: except 192.168.9.0/24" -j RETURN',
      '-A cali-pi-web-in-0 -s 192.168.0.0/16 -d 10.244.0.10/32 -p tcp -m tcp --dport 8080 -m comment --comment "default/web-in ingress rule 1: ipBlock 192.168.0.0/16 except 192.168.9.0/24" -j MARK --set-xmark 0x10000/0x10000',
    ])
  })
  it('pods no policy selects fall through to the namespace profile, which allows', () => {
    const client = rules.filter((l) => l.startsWith('-A cali-tw-caliclient0000'))
    expect(client.some((l) => l.includes('Drop if no policies'))).toBe(false)
    expect(rules).toContain('-A cali-pri-kns.default -m comment --comment "profile kns.default: allow (no policy selects the pod)" -j MARK --set-xmark 0x10000/0x10000')
  })
  it('chain names stay within iptables\' 28 characters', () => {
    const long = np({ podSelector: {} }, 'default', 'allow-traffic-from-the-frontend-tier')
    const name = calicoPolicyChain('cali-pi-', long, new Set())
    expect(name.length).toBeLessThanOrEqual(28)
    expect(name.startsWith('cali-pi-allow-traffic')).toBe(true)
  })
})
