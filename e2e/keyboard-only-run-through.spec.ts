import { expect, test } from './fixtures.ts'

test('keyboard only: space, arrows, Home/End, +/- and the inspector tabs', async ({ app, page }) => {
  await app.open('?s=ex1-bridge')
  const total = (await app.snapshot()).total
  const kb = page.keyboard

  // Every control is reachable with Tab from the top of the page.
  const seen = new Set<string>()
  // (Back and Start are disabled on the first step, so they are skipped, as they should be.)
  const wanted = ['scenario-picker', 'theme-toggle', 'follow-toggle', 'tab-step', 'btn-play', 'btn-forward', 'btn-end', 'speed', 'scrubber']
  for (let i = 0; i < 120 && !wanted.every((w) => seen.has(w)); i++) {
    await kb.press('Tab')
    const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '')
    if (id) seen.add(id)
  }
  for (const id of wanted) expect(seen, id).toContain(id)

  await kb.press('End')
  expect((await app.snapshot()).frame).toBe(total - 1)
  await kb.press('Home')
  expect((await app.snapshot()).frame).toBe(0)
  for (let i = 0; i < 3; i++) await kb.press('ArrowRight')
  await kb.press('ArrowLeft')
  expect((await app.snapshot()).frame).toBe(2)
  // The hop list is announced to screen readers.
  await expect(page.getByTestId('live')).toContainText(`Step 3 of ${total}`)

  await kb.press('+')
  expect((await app.snapshot()).speed).toBe(1.5)
  await kb.press('-')
  await kb.press('-')
  expect((await app.snapshot()).speed).toBe(0.5)

  await kb.press(' ')
  expect((await app.snapshot()).playing).toBe(true)
  await kb.press(' ')
  expect((await app.snapshot()).playing).toBe(false)

  // Tab reaches the inspector tabs; arrows move between them.
  await page.getByTestId('tab-step').focus()
  await kb.press('ArrowRight')
  await expect(page.getByTestId('tab-packet')).toBeFocused()
  expect((await app.snapshot()).view).toBe('packet')
  await kb.press('End')
  expect((await app.snapshot()).view).toBe('hops')
  // Arrow keys on a tab move tabs, not the packet.
  expect((await app.snapshot()).frame).toBe(2)

  // The hop list marks the current step; Enter on a hop jumps there.
  const hops = page.getByTestId('hop-list')
  await expect(hops.locator('li[aria-current="step"]')).toHaveCount(1)
  await hops.getByRole('button').nth(5).focus()
  await kb.press('Enter')
  expect((await app.snapshot()).frame).toBe(5)

  await app.screenshot('07-keyboard-hops')
})
