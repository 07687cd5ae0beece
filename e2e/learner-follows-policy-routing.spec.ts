import { expect, test } from './fixtures.ts'

test('policy routing: the rule that chose the table is marked, with the route it found', async ({ app }) => {
  await app.open('?s=scn-19-what-if-two-uplinks-policy-routing')
  const frames = (await app.snapshot()).frames
  // The third action (pod-b's connection): the first request send after the second one.
  const sends = frames.flatMap((f, i) => (f.kind === 'send' && f.flow === 'request' ? [i] : []))
  expect(sends.length).toBeGreaterThanOrEqual(3)
  await app.step.toFirst({ kind: 'route', netns: 'node', flow: 'request' }, sends[1])
  await expect(app.inspector.stepText).toContainText('rule 1536 (from 192.168.61.31 lookup 2)')
  await app.inspector.open('tables')
  // The node's rules, in priority order, with rule 1536 marked as the one that decided.
  const rules = app.inspector.table('rules')
  await expect(rules.locator('li')).toHaveCount(7)
  await expect(app.inspector.usedRows('rules')).toHaveCount(1)
  await expect(app.inspector.usedRows('rules')).toContainText('from 192.168.61.31 lookup 2')
  // And the route of table 2 it used.
  await expect(app.inspector.usedRows('routes')).toContainText('default via 192.168.61.1 dev eth1 table 2')
  await app.screenshot('19-policy-routing')
})
