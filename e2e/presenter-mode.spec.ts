import { expect, test } from './fixtures.ts'

test('presenter mode: large type, panels hidden, clicker keys step, a laser pointer, Esc leaves', async ({ app, page }) => {
  await app.open()
  const narration = page.getByTestId('narration')
  const normalSize = await narration.evaluate((e) => parseFloat(getComputedStyle(e).fontSize))
  await page.keyboard.press('p')
  await expect(page.getByTestId('presenter-bar')).toBeVisible()
  expect((await app.snapshot()).presenter).toBe(true)
  // Panels hidden, type large.
  await expect(page.getByRole('tablist', { name: 'Inspector views' })).toHaveCount(0)
  await expect(page.getByTestId('scenario-picker')).toHaveCount(0)
  await expect(page.locator('.react-flow__minimap')).toBeHidden()
  expect(await narration.evaluate((e) => parseFloat(getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(normalSize * 1.5)

  // A clicker sends PageDown / PageUp.
  await page.keyboard.press('PageDown')
  await page.keyboard.press('PageDown')
  await page.keyboard.press('PageDown')
  await page.keyboard.press('PageUp')
  expect((await app.snapshot()).frame).toBe(2)

  // L: a red dot follows the mouse.
  await page.keyboard.press('l')
  await page.mouse.move(640, 300)
  const laser = page.getByTestId('laser')
  await expect(laser).toBeVisible()
  const box = await laser.boundingBox()
  expect(Math.abs(box!.x + box!.width / 2 - 640)).toBeLessThan(3)
  expect(Math.abs(box!.y + box!.height / 2 - 300)).toBeLessThan(3)
  await app.screenshot('presenter-laser')
  await page.keyboard.press('l')
  await expect(laser).toHaveCount(0)

  // At the end, the outcome shows over the graph.
  await page.keyboard.press('End')
  await expect(app.results).toBeVisible()
  await app.screenshot('presenter-end')

  await page.keyboard.press('Escape')
  await expect(page.getByTestId('presenter-bar')).toHaveCount(0)
  await expect(page.getByRole('tablist', { name: 'Inspector views' })).toBeVisible()
})
