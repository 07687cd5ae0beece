/** Stable diagnostic codes for cluster descriptions (area K8S). Never renumber; add at the end. */
export const K8S_CODES = {
  K8S001: 'YAML syntax error',
  K8S002: 'document is not a Kubernetes object',
  K8S003: 'kind not simulated',
  K8S004: 'invalid field',
  K8S005: 'duplicate object',
  K8S006: 'more than one ClusterConfig',
  K8S007: 'unknown node',
  K8S008: 'address not usable',
  K8S009: 'address pool exhausted',
  K8S010: 'named port not found',
  K8S011: 'not supported',
} as const
export type K8sCode = keyof typeof K8S_CODES
