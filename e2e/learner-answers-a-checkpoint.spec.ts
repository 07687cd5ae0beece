import { expect, test } from './fixtures.ts'

test('at a marked step playback stops and asks what happens next; an answer reveals the right one and why', async ({ app, page }) => {
  await app.open()
  const { checkpoints } = await app.snapshot()
  const at = checkpoints[0]!
  // Playing through: the clock stops at the question's frame (fast, to keep the test short).
  await page.getByTestId('speed').selectOption('4')
  await page.getByTestId('btn-play').click()
  await expect(app.checkpoint.dialog).toBeVisible({ timeout: 15_000 })
  let s = await app.snapshot()
  expect(s).toMatchObject({ frame: at.frame, playing: false, checkpoint: { frame: at.frame, chosen: null } })
  await expect(app.checkpoint.dialog).toContainText('What happens next?')
  await expect(app.checkpoint.choice(0)).toBeFocused()
  await app.screenshot('checkpoint-asks')

  // A wrong answer: it is marked, the right one is shown with the explanation.
  const wrong = at.answer === 0 ? 1 : 0
  await app.checkpoint.answer(wrong)
  await expect(app.checkpoint.choice(wrong)).toContainText('your answer')
  await expect(app.checkpoint.choice(at.answer)).toContainText('right answer')
  await expect(page.getByTestId('checkpoint-reveal')).toContainText('Not quite')
  await expect(page.getByTestId('checkpoint-continue')).toBeFocused()
  await app.screenshot('checkpoint-reveal')

  // Continue: on to the next step, playing again (the clock was running); not asked twice.
  await app.checkpoint.continue()
  s = await app.snapshot()
  expect(s.frame).toBeGreaterThan(at.frame)
  await page.getByTestId('btn-play').click() // pause wherever it got to
  await app.step.to(at.frame)
  await app.step.forward()
  await expect(app.checkpoint.dialog).toHaveCount(0)
  expect((await app.snapshot()).frame).toBe(at.frame + 1)
})

test('questions can be turned off, and stay off after a reload', async ({ app, page }) => {
  await app.open()
  const at = (await app.snapshot()).checkpoints[0]!.frame
  await app.step.to(at)
  await app.step.forward()
  await expect(app.checkpoint.dialog).toBeVisible()
  await page.getByTestId('checkpoints-off').click()
  await expect(app.checkpoint.dialog).toHaveCount(0)
  await expect(page.getByTestId('checkpoints-toggle')).toHaveAttribute('aria-pressed', 'false')

  await page.reload()
  await app.ready()
  expect((await app.snapshot()).checkpointsOn).toBe(false)
  await app.step.to(at)
  await app.step.forward()
  await expect(app.checkpoint.dialog).toHaveCount(0)
  expect((await app.snapshot()).frame).toBe(at + 1)
  // And on again from the playback bar.
  await page.getByTestId('checkpoints-toggle').click()
  expect((await app.snapshot()).checkpointsOn).toBe(true)
})
