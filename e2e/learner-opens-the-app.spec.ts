import { expect, test } from './fixtures.ts'

test('a learner opens the app and the default demo is ready to play', async ({ app, page }) => {
  await app.open()
  await expect(page).toHaveTitle(/packetwalk/)
  const s = await app.snapshot()
  expect(s.scenario).toBe('ex2-vxlan')
  expect(s.frame).toBe(0)
  // The picker offers the built-in demos and the curriculum's scenario files; the graph shows both nodes and the underlay.
  await expect(page.getByTestId('scenario-picker').locator('optgroup[label="Built-in demos"] option')).toHaveCount(7)
  expect(await page.getByTestId('scenario-picker').locator('optgroup[label="Curriculum scenarios"] option').count()).toBeGreaterThan(0)
  await expect(page.getByTestId('graph-netns-node1')).toBeVisible()
  await expect(page.getByTestId('graph-segment-underlay')).toBeVisible()
  await expect(app.graph.token).toBeVisible()
  await expect(page.getByTestId('frame-counter')).toHaveText(`1 / ${s.total}`)
  await app.screenshot('01-start')
})

test('the dark theme keeps everything readable', async ({ app, page }) => {
  await app.open('?s=ex2-vxlan&f=21&v=packet')
  await page.getByTestId('theme-toggle').click()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  expect((await app.snapshot()).theme).toBe('dark')
  await app.screenshot('02-dark-encap')
})

test('a curriculum scenario file opens from the picker, with its own title and narration', async ({ app, page }) => {
  await app.open('?s=ex1-bridge')
  await page.getByTestId('scenario-picker').selectOption('scn-06-pod-to-pod-flannel-vxlan')
  await app.ready()
  await expect(page.getByTestId('scenario-picker').locator('option:checked')).toHaveText('Across nodes with flannel VXLAN')
  await expect(page.getByTestId('narration')).not.toBeEmpty()
  await app.step.toFirst({ kind: 'encap' })
  await expect(page.getByTestId('narration')).toContainText(/flannel\.1|VXLAN|8472/)
  await app.screenshot('12-curriculum-encap')
})
