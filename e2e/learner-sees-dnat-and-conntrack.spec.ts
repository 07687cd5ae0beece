import { expect, test } from './fixtures.ts'

test('a Service VIP: the DNAT rule that matched, the destination struck through, the conntrack entry', async ({ app, page }) => {
  await app.open('?s=clusterip-by-hand')
  const prerouting = await app.step.toFirst({ kind: 'netfilter', netns: 'host', flow: 'request' })

  // The token shows the old destination struck through and the new one.
  await expect(app.graph.token.locator('del')).toHaveText('10.96.1.100')
  await expect(app.graph.token.locator('ins')).toHaveText(/10\.244\.1\.[34]/)

  // iptables: PREROUTING in the host, the nat chain walk with the matched DNAT rule.
  await app.inspector.open('iptables')
  const chain = page.getByTestId('chain-nat-TEST-SVC')
  await expect(chain).toBeVisible()
  await expect(chain.locator('[data-status="matched"]')).toHaveCount(1)
  await expect(chain.locator('[data-status="matched"]')).toContainText('DNAT')
  await app.screenshot('08-dnat')

  // conntrack: the entry is unconfirmed at PREROUTING (not in the table yet, as in the kernel);
  // it is written when the packet leaves (POSTROUTING), and that step marks it.
  await app.inspector.open('conntrack')
  await expect(app.inspector.table('conntrack')).not.toContainText('dst=10.96.1.100')
  await app.step.toFirst({ kind: 'netfilter', netns: 'host', flow: 'request' }, prerouting)
  await expect(app.inspector.usedRows('conntrack')).toContainText('dst=10.96.1.100')
  await app.step.toEnd()
  await page.getByTestId('netns-picker').selectOption('host')
  await expect(app.inspector.table('conntrack')).toContainText('src=10.244.1.2 dst=10.96.1.100')
  await app.screenshot('09-conntrack')
})

test('a drop ends in a clear mark where it happened (ip_forward off)', async ({ app, page }) => {
  await app.open('?s=ip-forward-off')
  await app.step.toEnd()
  await expect(page.getByTestId('mark-drop')).toBeVisible()
  await app.graph.expectCurrent(app.graph.stack('node1'))
  await app.inspector.open('tables')
  await expect(app.inspector.usedRows('sysctl')).toHaveText(/net\.ipv4\.ip_forward = 0/)
  await app.screenshot('10-drop')
})

test('a cluster: DNS first, the Service chain view, and the camera follows the packet', async ({ app, page }) => {
  await app.open('?s=cluster-service&v=dns')
  await expect(page.getByTestId('inspector-dns')).toContainText('nginx-svc.default.svc.cluster.local')
  await expect(page.getByTestId('follow-toggle')).toHaveAttribute('aria-pressed', 'true')
  await app.step.toFirst({ kind: 'netfilter', flow: 'request', netns: 'node1' }, (await app.snapshot()).frames.findIndex((f) => f.kind === 'send' && f.flow === 'request'))
  await expect(page.locator('[data-testid^="graph-service-"]')).toHaveCount(2)
  await app.screenshot('11-cluster-follow')
})
