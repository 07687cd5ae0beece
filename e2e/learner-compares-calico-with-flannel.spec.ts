import { expect, test } from './fixtures.ts'

test('scenario 07 beside flannel: both columns, the VXLAN difference explained, stepping moves both, Esc closes', async ({ app, page }) => {
  await app.open('?s=scn-07-pod-to-pod-calico-bgp')
  // Past the file's checkpoints (frames 2 and 25), so playing below is never held by a question.
  await app.step.to(30)
  await expect(page.getByTestId('compare-open')).toBeVisible()
  await app.screenshot('compare-button-in-strip')
  await page.getByTestId('compare-open').click()
  const view = page.getByTestId('compare-view')
  await expect(view).toBeVisible()
  await expect(page.getByTestId('compare-column-left')).toContainText('Calico (BGP)')
  await expect(page.getByTestId('compare-column-left')).toContainText('playing')
  await expect(page.getByTestId('compare-column-right')).toContainText('flannel (VXLAN)')
  // Hops only flannel takes are marked, VXLAN first among them.
  await expect(view.locator('[data-testid="compare-row"][data-tag="encap"]').first()).toHaveAttribute('data-status', 'right-only')
  const encap = view.locator('[data-testid="compare-difference"][data-tag="encap"]')
  await expect(encap).toContainText('VXLAN encapsulation')
  await expect(encap).toContainText('UDP 8472')

  // The keyboard steps the explainer, and the current hop is marked in the view.
  const before = await app.step.frame()
  await page.keyboard.press('ArrowRight')
  await expect.poll(() => app.step.frame()).toBe(before + 1)
  await expect(view.locator('[aria-current="step"]')).toHaveCount(1)
  // Playing goes on inside the view: the marked hop follows the explainer's frame.
  await page.getByTestId('compare-play').click()
  await expect.poll(() => app.step.frame(), { timeout: 10_000 }).toBeGreaterThan(before + 1)
  await page.getByTestId('compare-play').click()
  expect((await app.snapshot()).playing).toBe(false)
  const step = (await app.snapshot()).step!
  await expect(view.locator('[aria-current="step"]')).toContainText(step.explain)

  // Picking the difference shows where it is and why.
  await encap.click()
  await expect(page.getByTestId('compare-why')).toContainText(/outer 192\.168\.1\.\d+ → 192\.168\.1\.\d+, UDP 8472, VXLAN VNI 1/)
  await page.getByTestId('compare-next-difference').click()
  await expect(page.getByTestId('compare-why')).toBeVisible()
  await app.screenshot('compare-calico-flannel')

  await page.keyboard.press('Escape')
  await expect(view).toHaveCount(0)
  await expect(page.getByTestId('compare-open')).toBeFocused()
})

test('with the flannel what-if on, flannel is the side that plays; dark theme reads too', async ({ app, page }) => {
  await app.open('?s=scn-07-pod-to-pod-calico-bgp&w=flannel')
  expect((await app.snapshot()).whatIf).toBe('flannel')
  await app.step.toFirst({ kind: 'encap', flow: 'request' })
  await page.getByTestId('compare-open').click()
  await expect(page.getByTestId('compare-column-right')).toContainText('playing')
  await expect(page.getByTestId('compare-column-left')).not.toContainText('playing')
  // The current step is flannel's encapsulation: Calico has no such hop on that row.
  const current = page.locator('[data-testid="compare-row"].is-current')
  await expect(current).toHaveAttribute('data-tag', 'encap')
  await expect(current.locator('td').nth(2)).toHaveAttribute('aria-current', 'step')
  await expect(page.getByTestId('compare-why')).toContainText('VXLAN encapsulation')
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'))
  await app.screenshot('compare-flannel-playing-dark')
  await page.getByTestId('compare-close').click()
  await expect(page.getByTestId('compare-view')).toHaveCount(0)
})
