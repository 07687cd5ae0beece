/** Cluster descriptions shared by the kube tests (not part of the engine's public surface). */
import { parseCluster } from './parseCluster.ts'
import type { ClusterDesc } from './schema.ts'

/** The tkng kind cluster: three nodes on 172.18.0.0/16, podCIDRs as the fixtures show them. */
export function kindNodes(blocks: [string, string, string] = ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']): string {
  const nodes: [string, string, string][] = [
    ['k8s-guide-control-plane', '172.18.0.3', blocks[0]],
    ['k8s-guide-worker', '172.18.0.4', blocks[1]],
    ['k8s-guide-worker2', '172.18.0.2', blocks[2]],
  ]
  return nodes.map(([name, ip, cidr]) => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\nspec: {podCIDR: ${cidr}}\nstatus:\n  addresses: [{type: InternalIP, address: ${ip}}, {type: Hostname, address: ${name}}]\n---\n`).join('')
}

export function config(cni: string, extra = ''): string {
  return `apiVersion: packetwalk.dev/v1\nkind: ClusterConfig\ncni: ${cni}\nunderlay: {cidr: 172.18.0.0/16, gateway: 172.18.0.1}\nexternalClients: [{name: laptop, ip: 172.18.0.100}]\n${extra}---\n`
}

export function pod(name: string, node: string, labels: Record<string, string> = { app: name }, ports: number[] = [80]): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: ${JSON.stringify(labels)}}\nspec:\n  nodeName: ${node}\n  containers: [{name: app, ports: [${ports.map((p) => `{name: p${p}, containerPort: ${p}}`).join(', ')}]}]\n---\n`
}

export const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, ports: [{name: http, containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: 10.96.45.123
  selector: {app: web}
  ports: [{port: 80, targetPort: http, nodePort: 30080}]
---
`

export function desc(text: string): ClusterDesc {
  const r = parseCluster(text)
  if (r.diagnostics.length > 0) throw new Error(JSON.stringify(r.diagnostics))
  return r.desc
}

/** The flows clusters' policy: web pods admit the client pod and 172.18.0.0/16 except .100, on the named port http. */
export const WEB_ALLOW_CLIENT = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-allow-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}, {ipBlock: {cidr: 172.18.0.0/16, except: [172.18.0.100/32]}}]
    ports: [{port: http}]
---
`
