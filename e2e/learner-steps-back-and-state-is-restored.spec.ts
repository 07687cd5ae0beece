import { expect, test } from './fixtures.ts'

test('stepping back restores the neighbour and FDB tables: the learned ARP entry disappears', async ({ app }) => {
  await app.open('?s=ex1-bridge&v=tables')
  const learn = await app.step.toFirst({ kind: 'neigh-learn', netns: 'pod-a' })
  await expect(app.inspector.usedRows('neigh')).toHaveText(/10\.244\.1\.3 dev eth0 lladdr 02:00:00:00:0b:03 REACHABLE/)
  await expect(app.inspector.usedRows('neigh')).toContainText('learned by this step')
  await app.screenshot('06-arp-learned')

  // One step back: pod-a is still waiting for the answer.
  await app.step.back()
  expect(await app.step.frame()).toBe(learn - 1)
  await expect(app.inspector.table('neigh')).not.toContainText('lladdr 02:00:00:00:0b:03')
  await expect(app.inspector.table('neigh')).toContainText('10.244.1.3 dev eth0 INCOMPLETE')

  // Back to the very start: nothing learned, no neighbour entries, only the bridge's own FDB entries.
  await app.step.toStart()
  await expect(app.inspector.table('neigh')).toContainText('No neighbour entries yet')
  await app.inspector.open('tables')
  // pod-a has no bridge; look at the host's bridge FDB: the pods' MACs are not learned yet.
  await app.page.getByTestId('netns-picker').selectOption('host')
  await expect(app.inspector.table('fdb')).not.toContainText('02:00:00:00:0a:02')
  await app.step.toFirst({ kind: 'fdb-learn' })
  await expect(app.inspector.table('fdb')).toContainText('02:00:00:00:0a:02 dev veth-a master cni0')
})
