/**
 * An operator pastes what their node printed, sees the node packetwalk rebuilt from it, and
 * traces a ClusterIP packet through the node's own kube-proxy chains to a DNAT target.
 */
import { captured, ImportPanel, importFixture, realDump } from './fixtures/import/importPage.ts'
import { expect, test } from './fixtures.ts'

test('a pasted collector bundle becomes a node; a ClusterIP packet is traced through its real chains to both DNAT targets', async ({ app, page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  await expect(page.getByTestId('import-collector-link')).toHaveAttribute('href', './collect-node.sh')
  await expect(page.getByTestId('import-collector-command')).toHaveText('sudo sh collect-node.sh > "$(hostname).bundle.txt"')

  // collect-node.sh's bundle, captured on a real kernel: node pwB-node1, flannel + kube-proxy.
  await imp.paste(captured('n1.bundle.txt'))
  await expect(imp.inputs).toHaveCount(1)
  // The name field is prefilled from the bundle header.
  await expect(page.getByTestId('import-node-name')).toHaveValue('pwB-node1')
  expect(await imp.read()).toMatch(/^Read 1 node \(pwB-node1\)/)

  const node = imp.node('pwB-node1')
  await expect(node.getByTestId('import-interfaces')).toContainText('flannel.1')
  await expect(node.getByTestId('import-interfaces')).toContainText('vxlan id 1 local 192.168.50.11 dev eth0 dstport 8472 nolearning')
  await expect(node.getByTestId('import-inferred')).toContainText('flannel (vxlan)')
  await expect(node.getByTestId('import-inferred')).toContainText('10.244.1.0/24')
  await expect(node.getByTestId('import-service').filter({ hasText: 'default/web:http' })).toContainText('10.96.45.10:80')
  // Where the pod CIDR came from: the bundle's own lines, shown as pasted.
  await node.getByTestId('import-inferred').getByRole('button', { name: /^← paste 1:/ }).first().click()
  await expect(node.getByTestId('import-from-lines').first()).toContainText('paste 1:274')
  await imp.screenshot('import-01-bundle-read')

  // The node drawn in the explainer.
  await page.getByTestId('import-show').click()
  await expect.poll(async () => (await app.snapshot()).scenario).toBe('imported-nodes')
  await expect(page.getByTestId('graph-netns-pwB-node1')).toBeVisible({ timeout: 15_000 })
  await imp.screenshot('import-02-node-drawn')

  // Back to the panel: trace pod 10.244.1.3 → default/web's ClusterIP, every outcome.
  await imp.enter()
  await imp.read()
  const outcomes = await imp.trace({ from: '10.244.1.3', to: '10.96.45.10', proto: 'tcp', port: '80', allOutcomes: true })
  // KUBE-SVC-XGLOHA7QRQ3V22RZ: two KUBE-SEP chains at 0.5 each (capture.sh loads those rules).
  await expect(outcomes).toHaveCount(2)
  await expect(outcomes.nth(0)).toContainText('50%')
  await expect(outcomes.nth(1)).toContainText('50%')
  const texts = await page.getByTestId('trace-outcome-text').allTextContents()
  expect(texts.map((t) => /DNAT → (\S+)/.exec(t)?.[1]).sort()).toEqual(['10.244.1.200:8080', '10.244.1.2:8080'])
  // The path through the node's own chains, with the bundle's line numbers.
  const path = outcomes.nth(0).getByTestId('trace-outcome-path')
  await expect(path).toContainText('PREROUTING nat KUBE-SERVICES')
  await expect(path).toContainText('KUBE-SVC-XGLOHA7QRQ3V22RZ')
  await expect(path).toContainText(/KUBE-SEP-WEB\d+ paste 1:\d+ → DNAT → 10\.244\.1\.(2|200):8080/)
  await imp.screenshot('import-03-all-outcomes')

  // Choosing an outcome plays its steps in the explainer.
  await outcomes.nth(0).getByTestId('trace-play').click()
  await expect.poll(async () => (await app.snapshot()).scenario).toBe('imported-trace')
  const s = await app.snapshot()
  expect(s.frames.some((f) => f.kind === 'nat')).toBe(true)
  await app.step.toFirst({ kind: 'nat' })
  await expect(page.getByTestId('step-explain')).toContainText(/DNAT|10\.244\.1\./)
  await imp.screenshot('import-04-trace-playing-dnat')

  // A reload reopens the same moment: the kept paste is read again and the trace rebuilt.
  const before = await app.snapshot()
  await page.reload()
  await expect.poll(async () => (await app.state())?.status, { timeout: 30_000 }).toBe('ready')
  const after = await app.snapshot()
  expect([after.scenario, after.frame, after.step?.kind]).toEqual(['imported-trace', before.frame, 'nat'])

  imp.expectNoRequestsElsewhere()
})

test('a messy terminal paste from a kubeadm node: prompts, several commands, a note; every line accounted for', async ({ page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  const dir = 'flannel-vxlan-kubeadm-2025-cilium_lab'
  const paste = [
    'Hi! pods on this node cannot reach services, here is what I ran:',
    'root@controlplane:~# ip link',
    realDump(`${dir}/ip-link.txt`).trimEnd(),
    'root@controlplane:~# ip route',
    realDump(`${dir}/ip-route.txt`).trimEnd(),
    'root@controlplane:~# iptables -t nat -S',
    realDump(`${dir}/iptables-nat-S.txt`).trimEnd(),
    '',
  ].join('\r\n')
  await imp.paste(paste)
  await expect(page.getByTestId('import-node-name')).toHaveValue('controlplane')
  expect(await imp.read()).toMatch(/^Read 1 node \(controlplane\)/)
  const node = imp.node('controlplane')
  await expect(node.getByTestId('import-chains')).toContainText('nat')
  await expect(node.getByTestId('import-inferred')).toContainText('flannel')
  // The note the author added is the one line not understood, with its line number.
  await expect(page.getByTestId('import-not-understood')).toContainText('paste 1:1')
  await expect(page.getByTestId('import-not-understood')).toContainText('Hi! pods on this node cannot reach services')
  imp.expectNoRequestsElsewhere()
})

test('a Calico-style node with its ipsets: the sets are listed, and a pod leaving the pools is masqueraded', async ({ page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  // Captured on a real kernel (src/engine/import/fixtures/captured-calico-ipset): felix's
  // nat-outgoing rule tests two ipsets; the outside host saw the node's address.
  const dir = 'captured-calico-ipset'
  const paste = [['ip -d link show', 'ip-d-link.txt'], ['ip addr', 'ip-addr.txt'], ['ip route', 'ip-route.txt'], ['iptables-save', 'iptables-save.txt'], ['ipset list', 'ipset-list.txt']]
    .map(([cmd, f]) => `root@node1:~# ${cmd}\n${importFixture(dir, f!)}`)
    .join('')
  await imp.paste(paste)
  expect(await imp.read()).toMatch(/^Read 1 node \(node1\)/)
  const node = imp.node('node1')
  const tables = node.getByTestId('import-tables')
  await tables.locator('summary').click()
  await expect(tables.locator('summary')).toContainText('ipsets (2)')
  await expect(tables).toContainText('ipset cali40all-ipam-pools hash:net: 10.244.0.0/16')
  const outcomes = await imp.trace({ from: '10.244.1.2', to: '192.168.77.1', proto: 'tcp', port: '9000', allOutcomes: false })
  await expect(outcomes).toHaveCount(1)
  await expect(page.getByTestId('trace-outcome-text')).toContainText(/MASQUERADE → 192\.168\.77\.10:\d+/)
  // 192.168.77.1 is not in the dump: the packet leaves the model there, and no answer is made up.
  await expect(page.getByTestId('trace-outcome-text')).toContainText('the answer is not traced (it would come from outside the input)')
  await imp.screenshot('import-05-calico-ipsets')
})
