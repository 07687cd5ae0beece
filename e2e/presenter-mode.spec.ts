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

test('presenter mode: the side-by-side comparison opens from the presenter bar; Esc closes it, a second Esc leaves', async ({ app, page }) => {
  // Scenario 07 compares Calico with flannel; past its checkpoints so stepping is never held.
  await app.open('?s=scn-07-pod-to-pod-calico-bgp')
  await app.step.to(30)
  await page.keyboard.press('p')
  const bar = page.getByTestId('presenter-bar')
  await expect(bar).toBeVisible()
  await bar.getByTestId('compare-open').click()
  const view = page.getByTestId('compare-view')
  await expect(view).toBeVisible()
  await expect(page.getByTestId('compare-column-right')).toContainText('flannel (VXLAN)')
  // A size up from the view's 16px, for the back row.
  expect(await view.evaluate((e) => parseFloat(getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(18)
  // The clicker still steps, the view follows.
  const before = await app.step.frame()
  await page.keyboard.press('PageDown')
  await expect.poll(() => app.step.frame()).toBe(before + 1)
  await app.screenshot('presenter-compare')
  // Esc closes the view only; presenter mode stays until the next Esc.
  await page.keyboard.press('Escape')
  await expect(view).toBeHidden()
  expect((await app.snapshot()).presenter).toBe(true)
  await expect(bar.getByTestId('compare-open')).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(bar).toBeHidden()

  // A scenario without a comparison shows no button in the bar.
  await app.open()
  await page.keyboard.press('p')
  await expect(page.getByTestId('presenter-bar')).toBeVisible()
  await expect(page.getByTestId('compare-open')).toHaveCount(0)
})
