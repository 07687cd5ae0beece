/**
 * What every kubeadm cluster has before the user adds anything: the `default/kubernetes`
 * Service (first address of the service CIDR, endpoint = the API server on the first node,
 * port 6443) and CoreDNS (Deployment kube-system/coredns, label k8s-app=kube-dns, Service
 * kube-dns at the tenth address with ports dns 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP),
 * plus the Corefile kubeadm writes.
 */
import { intToIp, parsePrefix } from '../wire/addr.ts'
import type { Deployment, EndpointSlice, Service } from './schema.ts'

export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3'

export function nthServiceIp(serviceCIDR: string, n: number): string {
  return intToIp(parsePrefix(serviceCIDR).net + n)
}

export function kubernetesService(serviceCIDR: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: nthServiceIp(serviceCIDR, 1), ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }], sessionAffinity: 'None' },
  }
}

export function kubernetesEndpointSlice(apiServerIp: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [apiServerIp], conditions: { ready: true } }],
    ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
  }
}

export function kubeDnsService(serviceCIDR: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: nthServiceIp(serviceCIDR, 10),
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
        { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
      ],
      sessionAffinity: 'None',
    },
  }
}

export function coreDnsDeployment(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      replicas,
      selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      template: {
        metadata: { labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          hostNetwork: false,
          containers: [
            {
              name: 'coredns',
              image: COREDNS_IMAGE,
              ports: [
                { name: 'dns', containerPort: 53, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
  }
}

/** The Corefile kubeadm installs (ConfigMap kube-system/coredns). */
export function corefile(clusterDomain: string): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`
}
