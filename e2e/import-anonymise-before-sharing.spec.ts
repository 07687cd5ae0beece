/**
 * Before sharing a screenshot, an operator turns on "anonymise": addresses, MACs and names
 * become stable placeholders everywhere (inputs, results, traces), and the rebuilt node still
 * behaves the same. Whatever is pasted is shown as text, never run as HTML.
 */
import { captured, ImportPanel } from './fixtures/import/importPage.ts'
import { expect, test } from './fixtures.ts'

test('anonymised: the node, its addresses and Services are placeholders, and a trace still finds both backends', async ({ page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  await imp.paste(captured('n1.bundle.txt'))
  await imp.read()
  await page.getByTestId('import-anonymise').check()
  expect(await imp.read()).toMatch(/^Read 1 node \(node-1\).*anonymised \d+ addresses, \d+ MACs, \d+ names/)

  const panel = await imp.panel.innerText()
  for (const secret of ['pwB-node1', '192.168.50.11', '10.96.45.10', '52:54:00:00:50:11', 'lab.example']) expect(panel, secret).not.toContain(secret)
  // The input is shown as the importer read it, read-only, and so is its node's name.
  await expect(page.getByTestId('import-input-preview')).toContainText('### packetwalk-bundle v1 node=node-1')
  await expect(page.getByTestId('import-node-name')).toHaveValue('node-1')
  await expect(page.getByTestId('import-node-name')).not.toBeEditable()
  // Same shape: flannel, a /24 pod CIDR, default/web still load-balances over two pods.
  await expect(imp.node('node-1').getByTestId('import-inferred')).toContainText('flannel (vxlan)')
  const web = imp.node('node-1').getByTestId('import-service').filter({ hasText: /^default\/svc-\d+:http/ })
  await expect(web).toHaveCount(1)
  await page.getByTestId('trace-to-pick').selectOption({ label: (await page.getByTestId('trace-to-pick').locator('option', { hasText: /^default\/svc-\d+:http — \S+:80\/tcp/ }).first().textContent())! })
  const outcomes = await imp.trace({ allOutcomes: true })
  await expect(outcomes).toHaveCount(2)
  await expect(outcomes.first()).toContainText('50%')
  await imp.screenshot('import-09-anonymised')

  // Turned off again: the real names come back (the stored paste was never changed).
  await page.getByTestId('import-anonymise').uncheck()
  expect(await imp.read()).toMatch(/^Read 1 node \(pwB-node1\)/)
  imp.expectNoRequestsElsewhere()
})

test('pasted text is shown as text, never as HTML', async ({ page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  const evil = ['root@w1:~# ip route', 'default via 10.0.0.1 dev eth0', '<img src=x onerror="window.__pwned=1">', '<b>bold</b> <script>window.__pwned=2</script>', ''].join('\n')
  await imp.paste(evil)
  await imp.read()
  const nu = page.getByTestId('import-not-understood')
  await expect(nu).toContainText('<img src=x onerror="window.__pwned=1">')
  await expect(nu).toContainText('<b>bold</b> <script>window.__pwned=2</script>')
  await expect(imp.panel.locator('img, b, script')).toHaveCount(0)
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
  imp.expectNoRequestsElsewhere()
})
