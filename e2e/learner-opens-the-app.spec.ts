import { expect, test } from './fixtures.ts'

test('a learner opens the app and the default demo is ready to play', async ({ app, page }) => {
  await app.open()
  await expect(page).toHaveTitle(/packetwalk/)
  const s = await app.snapshot()
  expect(s.scenario).toBe('ex2-vxlan')
  expect(s.frame).toBe(0)
  // The picker offers every built-in demo; the graph shows both nodes and the underlay.
  await expect(page.getByTestId('scenario-picker').locator('option')).toHaveCount(7)
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
