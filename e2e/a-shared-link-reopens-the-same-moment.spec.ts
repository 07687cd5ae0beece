import { expect, test } from './fixtures.ts'

test('the URL carries scenario, step and view; reloading lands on the same moment', async ({ app, page }) => {
  await app.open('?s=ex1-bridge')
  await app.step.forward(5)
  await app.inspector.open('packet')
  await expect(page).toHaveURL(/[?&]s=ex1-bridge&f=6&v=packet/)
  const before = await app.snapshot()

  await page.reload()
  await app.ready()
  const after = await app.snapshot()
  expect(after.scenario).toBe('ex1-bridge')
  expect(after.frame).toBe(5)
  expect(after.view).toBe('packet')
  expect(after.step).toEqual(before.step)
  await expect(page.getByTestId('tab-packet')).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByTestId('frame-counter')).toHaveText(`6 / ${after.total}`)
})

test('an unknown scenario in the URL says so and leaves the picker usable', async ({ app, page }) => {
  await page.goto('/?s=no-such-demo')
  await expect(page.getByTestId('error')).toContainText('No scenario called')
  await app.loadDemo('Exercise 1: ping across a bridge')
  await expect(page.getByTestId('error')).toHaveCount(0)
})
