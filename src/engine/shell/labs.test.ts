/**
 * The DNS lab's faults, one by one: the lab's check fails on the world the fault builds and
 * passes after the commands a learner would type to fix it (in the shell, on node1).
 */
import { describe, expect, it } from 'vitest'
import { checkLab, DNS_FAULTS, labWorld, parseDnsFault } from './labs.ts'
import type { DnsFault } from './labs.ts'
import { runLine } from './run.ts'
import { createShell } from './state.ts'

/** The Service re-applied with the right selector; no clusterIP: apply keeps the Service's own (10.96.0.10). */
const KUBE_DNS_SERVICE = `kubectl apply -f - << 'EOF'
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: { k8s-app: kube-dns }
spec:
  selector: { k8s-app: kube-dns }
  ports:
  - { name: dns, port: 53, protocol: UDP, targetPort: 53 }
  - { name: dns-tcp, port: 53, protocol: TCP, targetPort: 53 }
  - { name: metrics, port: 9153, protocol: TCP, targetPort: 9153 }
EOF`

/** Per fault: the check that must fail at the start (why the lookup fails), and the fix. */
const CASES: readonly { fault: DnsFault; failing: string; fix: readonly string[] }[] = [
  // no CoreDNS pod runs, so kube-dns has no endpoint either
  { fault: 'coredns-scaled-to-zero', failing: 'CoreDNS pods are running', fix: ['kubectl scale deployment coredns -n kube-system --replicas=2'] },
  // CoreDNS runs, but the Service selects k8s-app=kubedns: the endpoint controller finds no pod
  { fault: 'kube-dns-no-endpoints', failing: 'the kube-dns Service has ready endpoints', fix: [KUBE_DNS_SERVICE] },
  // the ClusterIP is never DNATed on node1, so the query goes to the default route and dies
  { fault: 'kube-dns-rule-missing', failing: 'a lookup of "web" from the client pod gets the Service\'s ClusterIP (traced)', fix: ['iptables -t nat -I KUBE-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU'] },
  // the pod asks 10.96.0.11, which no Service owns
  { fault: 'wrong-nameserver', failing: 'a lookup of "web" from the client pod gets the Service\'s ClusterIP (traced)', fix: ['kubectl exec client -- sed -i s/10.96.0.11/10.96.0.10/ /etc/resolv.conf'] },
  // Calico enforces client-egress: only TCP 80 to the web pods may leave the client
  { fault: 'policy-blocks-dns', failing: 'a lookup of "web" from the client pod gets the Service\'s ClusterIP (traced)', fix: ['kubectl delete networkpolicy client-egress'] },
]

describe('DNS lab faults', () => {
  it('every fault has a case here', () => {
    expect(CASES.map((c) => c.fault).sort()).toEqual(DNS_FAULTS.map((f) => f.id).sort())
  })
  it.each(CASES.map((c) => [c.fault, c] as const))('%s: the check fails before the fix and passes after', (_f, c) => {
    const w = labWorld('dns-debug', { fault: c.fault })
    const before = checkLab('dns-debug', w)
    expect(before.done).toBe(false)
    expect(before.checks.filter((x) => !x.ok).map((x) => x.text)).toContain(c.failing)
    let state = createShell(w, { netns: 'node1' })
    c.fix.forEach((line, i) => {
      const r = runLine(state, line, { seed: i + 1 })
      expect(r.exitCode, `${line}\n${r.stderr}`).toBe(0)
      state = r.state
    })
    const after = checkLab('dns-debug', state.world)
    expect(after.checks.filter((x) => !x.ok)).toEqual([])
    expect(after.done).toBe(true)
  })
  it('reads a fault name from a URL or storage, and nothing else', () => {
    expect(parseDnsFault('kube-dns-no-endpoints')).toBe('kube-dns-no-endpoints')
    expect(parseDnsFault('nope')).toBeUndefined()
    expect(parseDnsFault(null)).toBeUndefined()
  })
})
