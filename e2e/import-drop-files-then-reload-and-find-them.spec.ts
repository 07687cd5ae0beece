/**
 * An operator drops the files they saved from two nodes (one folder each), names the nodes,
 * reloads the page the next day, and finds every input still there. A format packetwalk
 * recognises but cannot read yet (`nft list ruleset`, `iptables -L`) says which command to run.
 */
import { captured, ImportPanel, realDump } from './fixtures/import/importPage.ts'
import { expect, test } from './fixtures.ts'

test('dropped files from two node folders become two nodes, and survive a reload', async ({ page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  await imp.drop([
    { name: 'ip-d-addr.txt', text: captured('n1.ip-d-addr.txt'), path: 'node1/ip-d-addr.txt' },
    { name: 'ip-route.txt', text: captured('n1.ip-route.txt'), path: 'node1/ip-route.txt' },
    { name: 'iptables-save.txt', text: captured('n1.iptables-save.txt'), path: 'node1/iptables-save.txt' },
    { name: 'ip-neigh.txt', text: captured('n1.ip-neigh.txt'), path: 'node1/ip-neigh.txt' },
    { name: 'bridge-fdb.txt', text: captured('n1.bridge-fdb.txt'), path: 'node1/bridge-fdb.txt' },
    { name: 'ip-addr.txt', text: captured('n2.ip-addr.txt'), path: 'node2/ip-addr.txt' },
    { name: 'ip-route.txt', text: captured('n2.ip-route.txt'), path: 'node2/ip-route.txt' },
  ])
  await expect(imp.inputs).toHaveCount(7)
  // Each file's node is its folder, as `packetwalk import node1/ node2/` names them.
  const names = await page.getByTestId('import-node-name').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))
  expect(names).toEqual(['node1', 'node1', 'node1', 'node1', 'node1', 'node2', 'node2'])
  expect(await imp.read()).toMatch(/^Read 2 nodes \(node1, node2\)/)
  await expect(imp.node('node2').getByTestId('import-interfaces')).toContainText('vethc0ffee01')

  // A trace crosses from node1 to node2 over their real addresses: kube-dns has an endpoint on each.
  const outcomes = await imp.trace({ from: '10.244.1.2', to: '10.96.0.10', proto: 'udp', port: '53', allOutcomes: true })
  await expect(outcomes).toHaveCount(2)
  await expect(outcomes.filter({ hasText: 'DNAT → 10.244.2.2:53' })).toContainText('through the overlay')
  await imp.screenshot('import-05-two-nodes-cross-node')

  // Rename node2 by hand, then reload: inputs, names and the result come back.
  await page.getByTestId('import-node-name').nth(6).fill('worker-b')
  await expect(page.getByTestId('import-node-name').nth(5)).toHaveValue('node2')
  await page.reload()
  await imp.enter()
  await expect(imp.inputs).toHaveCount(7)
  const after = await page.getByTestId('import-node-name').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))
  expect(after).toEqual(['node1', 'node1', 'node1', 'node1', 'node1', 'node2', 'worker-b'])
  await expect(page.getByTestId('import-input-text').nth(1)).toHaveValue(captured('n1.ip-route.txt'))
  expect(await imp.read()).toMatch(/^Read 3 nodes/)

  // Cleared on purpose: gone after a reload too.
  await page.getByTestId('import-clear').click()
  await page.getByTestId('import-clear-confirm').click()
  await expect(imp.inputs).toHaveCount(0)
  await page.reload()
  await imp.enter()
  await expect(page.getByTestId('import-empty')).toBeVisible()
  imp.expectNoRequestsElsewhere()
})

test('nft list ruleset and iptables -L are recognised and say what to run instead', async ({ page }) => {
  const imp = new ImportPanel(page)
  await imp.open()
  await imp.paste(`root@n1:~# nft list ruleset\n${captured('n1.nft-list-ruleset.txt')}`)
  await imp.paste(realDump('flannel-kubeadm-iptables-L-zakaria/iptables-nat-L.txt'))
  await imp.read()
  const unsupported = page.getByTestId('import-unsupported')
  await expect(unsupported).toContainText('this is `nft list ruleset` output')
  await expect(unsupported).toContainText('`iptables-save` prints the same rules in a form it reads')
  await expect(unsupported).toContainText('this is `iptables -L` output')
  await expect(unsupported).toContainText('run `iptables-save` instead')
  await expect(unsupported).toContainText('paste 1:2')
  await imp.screenshot('import-06-unsupported')
  imp.expectNoRequestsElsewhere()
})
