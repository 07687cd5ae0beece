import { expect, test } from './fixtures.ts'

test('keyboard only: Tab reaches every control, keys play and step, the question is answered by keyboard', async ({ app, page }) => {
  await app.open()
  const total = (await app.snapshot()).total
  const kb = page.keyboard

  // Every control is reachable with Tab, in reading order: top bar, what the scenario is about,
  // the graph's controls, the inspector, playback.
  const order: string[] = []
  // (Back and Start are disabled on the first step, so they are skipped, as they should be.)
  const wanted = ['scenario-picker', 'open-file', 'mode-explainer', 'mode-import', 'mode-terminal', 'presenter-on', 'download-script', 'theme-toggle', 'scenario-summary', 'follow-toggle', 'tab-step', 'btn-play', 'btn-forward', 'btn-end', 'checkpoints-toggle', 'speed', 'scrubber']
  for (let i = 0; i < 120 && !wanted.every((w) => order.includes(w)); i++) {
    await kb.press('Tab')
    const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '')
    // Focus is always visible: an outline on whatever has it.
    if (id) {
      if (!order.includes(id)) order.push(id)
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)
      expect(outline, `${id} shows focus`).not.toBe('none')
    }
  }
  for (const id of wanted) expect(order, id).toContain(id)
  const pos = (id: string) => order.indexOf(id)
  expect(pos('scenario-picker')).toBeLessThan(pos('tab-step'))
  expect(pos('tab-step')).toBeLessThan(pos('btn-play'))

  await kb.press('End')
  expect((await app.snapshot()).frame).toBe(total - 1)
  await kb.press('Home')
  expect((await app.snapshot()).frame).toBe(0)
  for (let i = 0; i < 3; i++) await kb.press('ArrowRight')
  await kb.press('ArrowLeft')
  expect((await app.snapshot()).frame).toBe(2)
  // Each step is announced to screen readers.
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

  // The question: focus moves into it; arrows/Tab and Enter answer; Enter continues.
  const cp = (await app.snapshot()).checkpoints[0]!
  await page.getByTestId('scrubber').focus()
  await page.getByTestId('scrubber').fill(String(cp.frame))
  await page.getByTestId('btn-forward').focus()
  await kb.press('Enter')
  await expect(app.checkpoint.dialog).toBeVisible()
  await expect(app.checkpoint.choice(0)).toBeFocused()
  for (let i = 0; i < cp.answer; i++) await kb.press('Tab')
  await expect(app.checkpoint.choice(cp.answer)).toBeFocused()
  await kb.press('Enter')
  await expect(page.getByTestId('checkpoint-reveal')).toContainText('Right')
  await expect(page.getByTestId('checkpoint-continue')).toBeFocused()
  await kb.press('Enter')
  await expect(app.checkpoint.dialog).toHaveCount(0)
  expect((await app.snapshot()).frame).toBe(cp.frame + 1)
  await expect(page.getByTestId('btn-forward')).toBeFocused()

  // Tab reaches the inspector tabs; arrows move between them.
  await page.getByTestId('tab-step').focus()
  await kb.press('ArrowRight')
  await expect(page.getByTestId('tab-packet')).toBeFocused()
  expect((await app.snapshot()).view).toBe('packet')
  await kb.press('End')
  expect((await app.snapshot()).view).toBe('outcome')
  await kb.press('ArrowLeft')
  expect((await app.snapshot()).view).toBe('hops')
  // Arrow keys on a tab move tabs, not the packet.
  expect((await app.snapshot()).frame).toBe(cp.frame + 1)

  // The hop list mirrors the animation: it marks the current step; Enter on a hop jumps there.
  const hops = page.getByTestId('hop-list')
  await expect(hops.locator('li[aria-current="step"]')).toHaveCount(1)
  await hops.getByRole('button').nth(5).focus()
  await kb.press('Enter')
  expect((await app.snapshot()).frame).toBe(5)
  await expect(hops.locator('li').nth(5)).toHaveAttribute('aria-current', 'step')

  await app.screenshot('07-keyboard-hops')
})
