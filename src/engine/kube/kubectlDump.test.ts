import { describe, expect, it } from 'vitest'
import { buildCluster } from './build.ts'
import { parseCluster } from './parseCluster.ts'
import { deriveEndpointSlices, lookupServiceTarget } from './services.ts'

/** The shape `kubectl get nodes,pods,deploy,svc,endpointslices -A -o yaml` prints (trimmed). */
const DUMP = `apiVersion: v1
items:
- apiVersion: v1
  kind: Node
  metadata: {name: cp, labels: {node-role.kubernetes.io/control-plane: ""}}
  spec: {podCIDR: 10.244.0.0/24, taints: [{effect: NoSchedule, key: node-role.kubernetes.io/control-plane}]}
  status:
    addresses: [{address: 192.168.56.11, type: InternalIP}, {address: cp, type: Hostname}]
    nodeInfo: {kubeletVersion: v1.31.2}
- apiVersion: v1
  kind: Node
  metadata: {name: w1}
  spec: {podCIDR: 10.244.1.0/24}
  status:
    addresses: [{address: 192.168.56.12, type: InternalIP}]
- apiVersion: v1
  kind: Pod
  metadata:
    name: coredns-7c65d6cfc9-abcde
    namespace: kube-system
    labels: {k8s-app: kube-dns, pod-template-hash: 7c65d6cfc9}
    ownerReferences: [{kind: ReplicaSet, name: coredns-7c65d6cfc9}]
  spec:
    nodeName: cp
    containers:
    - name: coredns
      image: registry.k8s.io/coredns/coredns:v1.11.3
      ports: [{containerPort: 53, name: dns, protocol: UDP}, {containerPort: 53, name: dns-tcp, protocol: TCP}, {containerPort: 9153, name: metrics, protocol: TCP}]
  status: {phase: Running, podIP: 10.244.0.3, conditions: [{type: Ready, status: "True"}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: kube-proxy-x7k2p, namespace: kube-system, labels: {k8s-app: kube-proxy}}
  spec:
    nodeName: w1
    hostNetwork: true
    containers: [{name: kube-proxy, image: registry.k8s.io/kube-proxy:v1.31.2}]
  status: {phase: Running, podIP: 192.168.56.12}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-5d9c7b-q2x9z, namespace: default, labels: {app: web, pod-template-hash: 5d9c7b}}
  spec:
    nodeName: w1
    containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, name: http}]}]
  status: {phase: Running, podIP: 10.244.1.7}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-5d9c7b-pend1, namespace: default, labels: {app: web, pod-template-hash: 5d9c7b}}
  spec:
    nodeName: w1
    containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, name: http}]}]
  status: {phase: Running, podIP: 10.244.1.9, conditions: [{type: Ready, status: "False"}]}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: default}
  spec:
    replicas: 2
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, name: http}]}]}
- apiVersion: v1
  kind: Service
  metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
  spec:
    clusterIP: 10.96.0.10
    selector: {k8s-app: kube-dns}
    ports: [{name: dns, port: 53, protocol: UDP, targetPort: 53}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}]
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec:
    clusterIP: 10.100.20.30
    selector: {app: web}
    ports: [{port: 80, targetPort: http}]
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata: {name: web-hand, namespace: default, labels: {kubernetes.io/service-name: web}}
  addressType: IPv4
  endpoints:
  - addresses: [10.244.1.7]
    conditions: {ready: true}
    nodeName: w1
  ports: [{name: "", port: 80, protocol: TCP}]
kind: List
metadata: {resourceVersion: ""}
`

describe('a kubectl get -o yaml dump', () => {
  const parsed = parseCluster(DUMP, { file: 'dump.yaml' })
  const r = buildCluster(parsed.desc, { seed: 9 })
  it('parses without complaint (taints, nodeInfo, ownerReferences are ignored)', () => {
    expect(parsed.diagnostics).toEqual([])
    expect(r.diagnostics).toEqual([])
  })
  it('keeps the pods it lists with their IPs: nothing extra is created for the Deployment or CoreDNS', () => {
    const ips = Object.fromEntries(r.cluster.pods.map((p) => [p.name, p.ip]))
    expect(ips).toEqual({ 'coredns-7c65d6cfc9-abcde': '10.244.0.3', 'kube-proxy-x7k2p': '192.168.56.12', 'web-5d9c7b-q2x9z': '10.244.1.7', 'web-5d9c7b-pend1': '10.244.1.9' })
    // hostNetwork pods get no netns and no CNI call
    expect(r.cluster.pods.find((p) => p.name === 'kube-proxy-x7k2p')!.netns).toBeUndefined()
    expect(r.cluster.cniInvocations.filter((i) => i.pod === 'kube-system/kube-proxy-x7k2p')).toEqual([])
    // host-local was asked for the recorded address (CNI_ARGS IP=…)
    expect(r.cluster.cniInvocations.find((i) => i.plugin === 'host-local' && i.pod === 'default/web-5d9c7b-q2x9z')!.env.CNI_ARGS).toContain('IP=10.244.1.7')
  })
  it('uses the given EndpointSlice as is (only 10.244.1.7); derives kube-dns from its selector', () => {
    const rules = r.cluster.rules.w1!.kubeProxy
    expect(rules).toContain('-j DNAT --to-destination 10.244.1.7:80')
    expect(rules).not.toContain('10.244.1.9')
    expect(rules).toContain('"kube-system/kube-dns:dns -> 10.244.0.3:53"')
  })
  it('without the hand-written slice, the controller lists the not-Ready pod with ready: false (kube-proxy skips it)', () => {
    const slices = deriveEndpointSlices({ ...r.cluster, staticEndpointSlices: [] })
    const web = slices.find((sl) => sl.metadata.labels?.['kubernetes.io/service-name'] === 'web')!
    expect(web.endpoints.map((e) => [e.addresses[0], e.conditions.ready])).toEqual([['10.244.1.7', true], ['10.244.1.9', false]])
    // targetPort "http" resolved against the pods' container port named http
    expect(web.ports).toEqual([{ port: 80, protocol: 'TCP' }])
  })
})

describe('lookupServiceTarget', () => {
  const { cluster } = buildCluster(parseCluster(DUMP).desc, { seed: 9 })
  it.each([
    ['default/web', 80, { ok: true, ip: '10.100.20.30', port: 80, protocol: 'TCP' }],
    ['web', undefined, { ok: true, ip: '10.100.20.30', port: 80, protocol: 'TCP' }], // one port: no need to name it
    ['kube-system/kube-dns', 'dns', { ok: true, ip: '10.96.0.10', port: 53, protocol: 'UDP' }],
  ] as const)('%s %s', (ref, port, want) => {
    expect(lookupServiceTarget(cluster, ref, port)).toEqual(want)
  })
  it('says what exists when it fails', () => {
    expect(lookupServiceTarget(cluster, 'kube-system/kube-dns')).toMatchObject({ ok: false, error: expect.stringContaining('dns=53/UDP, dns-tcp=53/TCP') as string })
    expect(lookupServiceTarget(cluster, 'default/nope', 80)).toMatchObject({ ok: false, error: expect.stringContaining('no Service default/nope') as string })
  })
})

describe('a recorded pod IP the node cannot give', () => {
  it('is replaced by the next free address, with a warning that names both', () => {
    const r = buildCluster(parseCluster(DUMP.replace('podIP: 10.244.1.7', 'podIP: 10.250.0.7')).desc, { seed: 9 })
    const pod = r.cluster.pods.find((p) => p.name === 'web-5d9c7b-q2x9z')!
    expect(pod.ip).toMatch(/^10\.244\.1\./)
    expect(r.diagnostics.find((d) => d.code === 'K8S008')?.message).toContain('10.250.0.7')
  })
})
