/**
 * Cluster files for the benchmarks, in the format `packetwalk trace` and the app read
 * (Kubernetes objects plus a packetwalk ClusterConfig): 3 flannel/VXLAN nodes, Deployments
 * with a Service each, and a client pod on node1. Pure text generation, no engine imports.
 */

export interface BenchCluster {
  readonly text: string
  /** Workload pods (the Deployments' replicas plus the client); the builder adds CoreDNS. */
  readonly pods: number
  /** The Service to trace to, as `ns/name`. */
  readonly service: string
}

/**
 * `deployments` Deployments of `replicas` pods each, a Service per Deployment, one client pod.
 * @example generateCluster(1, 100).service // 'default/app-0'
 */
export function generateCluster(deployments: number, replicas: number, nodes = 3): BenchCluster {
  const docs = [`apiVersion: packetwalk.dev/v1\nkind: ClusterConfig\ncni: { plugin: flannel, backend: vxlan }\nnodeCount: ${nodes}`]
  for (let d = 0; d < deployments; d++) {
    docs.push(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        `metadata: { name: app-${d}, namespace: default }`,
        'spec:',
        `  replicas: ${replicas}`,
        `  selector: { matchLabels: { app: app-${d} } }`,
        '  template:',
        `    metadata: { labels: { app: app-${d} } }`,
        '    spec: { containers: [{ name: web, image: nginx, ports: [{ containerPort: 80 }] }] }',
      ].join('\n'),
      [
        'apiVersion: v1',
        'kind: Service',
        `metadata: { name: app-${d}, namespace: default }`,
        'spec:',
        `  selector: { app: app-${d} }`,
        '  ports: [{ port: 80, targetPort: 80 }]',
      ].join('\n'),
    )
  }
  docs.push('apiVersion: v1\nkind: Pod\nmetadata: { name: client, namespace: default, labels: { app: client } }\nspec: { nodeName: node1, containers: [{ name: c, image: busybox }] }')
  return { text: `${docs.join('\n---\n')}\n`, pods: deployments * replicas + 1, service: 'default/app-0' }
}
