/**
 * Deployments → ReplicaSet → Pods, as the deployment and replicaset controllers do it:
 * the ReplicaSet is `<deployment>-<pod-template-hash>` (FNV-32a of the template, its
 * decimal digits mapped through Kubernetes' safe alphabet), pods are
 * `<replicaset>-<5 random safe characters>` labelled with pod-template-hash; scaling up
 * creates pods, scaling down deletes the newest first.
 * Simplification: no rolling updates (a template change is not modelled).
 */
import type { Ctx } from './ctx.ts'
import { emit } from './ctx.ts'
import { K8S_NAME_ALPHABET } from '../rng.ts'
import { matchesSelector } from './networkPolicy.ts'
import { startPod, stopPod } from './kubelet.ts'
import type { Deployment } from './schema.ts'
import type { DeploymentState, PodState } from './state.ts'

/** pod-template-hash: FNV-32a of the template, SafeEncodeString of its decimal digits. */
export function podTemplateHash(template: unknown): string {
  const text = JSON.stringify(template)
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return [...String(h)].map((d) => K8S_NAME_ALPHABET[d.charCodeAt(0) % K8S_NAME_ALPHABET.length]!).join('')
}

export function deploymentPods(ctx: Ctx, d: DeploymentState): PodState[] {
  const ns = d.deployment.metadata.namespace ?? 'default'
  return ctx.state.pods.filter((p) => p.namespace === ns && (p.owner?.deployment === d.deployment.metadata.name || (!p.owner && matchesSelector(d.deployment.spec.selector, p.labels))))
}

/** Create or update a Deployment's state and bring its pods to `replicas`. */
export function reconcileDeployment(ctx: Ctx, dep: Deployment): DeploymentState {
  const ns = dep.metadata.namespace ?? 'default'
  const hash = podTemplateHash(dep.spec.template)
  const existing = ctx.state.deployments.find((d) => d.deployment.metadata.name === dep.metadata.name && (d.deployment.metadata.namespace ?? 'default') === ns)
  const ds: DeploymentState = { deployment: dep, replicaSet: existing?.replicaSet ?? `${dep.metadata.name}-${hash}`, templateHash: existing?.templateHash ?? hash }
  ctx.state.deployments = existing ? ctx.state.deployments.map((d) => (d === existing ? ds : d)) : [...ctx.state.deployments, ds]
  if (!existing) emit(ctx, 'ReplicaSet', `deployment-controller creates ReplicaSet ${ns}/${ds.replicaSet} for Deployment ${ns}/${dep.metadata.name}`)
  const pods = deploymentPods(ctx, ds)
  const want = dep.spec.replicas
  if (pods.length < want) {
    emit(ctx, 'ReplicaSet', `replicaset-controller: ${ns}/${ds.replicaSet} has ${pods.length} of ${want} pods; creating ${want - pods.length}`)
    for (let i = pods.length; i < want; i++) {
      const name = `${ds.replicaSet}-${ctx.rng.pick(K8S_NAME_ALPHABET, 5)}`
      startPod(ctx, {
        namespace: ns,
        name,
        labels: { ...dep.spec.template.metadata.labels, 'pod-template-hash': ds.templateHash },
        hostNetwork: dep.spec.template.spec.hostNetwork,
        containers: dep.spec.template.spec.containers,
        ...(dep.spec.template.spec.nodeName !== undefined && { nodeName: dep.spec.template.spec.nodeName }),
        owner: { kind: 'ReplicaSet', name: ds.replicaSet, deployment: dep.metadata.name },
      })
    }
  } else if (pods.length > want) {
    emit(ctx, 'ReplicaSet', `replicaset-controller: ${ns}/${ds.replicaSet} has ${pods.length} of ${want} pods; deleting ${pods.length - want} (newest first)`)
    for (const p of pods.slice(want).reverse()) stopPod(ctx, p)
  }
  return ds
}
