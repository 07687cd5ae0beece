import type { Page } from '@playwright/test'
import type { ExplainerApp } from './app.ts'
import { expect, test } from './fixtures.ts'

/**
 * Press Play and let the clock run to the last frame, answering each checkpoint on the way
 * (rightly) and continuing, which resumes playing. Returns the checkpoints answered.
 */
async function playToEnd(app: ExplainerApp, page: Page): Promise<number> {
  const start = await app.snapshot()
  expect(start.frame, 'plays from the start').toBe(0)
  await page.getByTestId('btn-play').click()
  let answered = 0
  for (;;) {
    // Playing moves on by itself: wait for the end or for a question.
    await expect
      .poll(async () => {
        const s = await app.snapshot()
        return s.checkpoint !== null || (s.frame === s.total - 1 && !s.playing)
      }, { timeout: 60_000 })
      .toBe(true)
    const s = await app.snapshot()
    if (!s.checkpoint) return answered
    const right = s.checkpoints.find((c) => c.frame === s.checkpoint!.frame)!.answer
    await page.getByTestId('checkpoint-choice').nth(right).click()
    await expect(page.getByTestId('checkpoint-reveal')).toBeVisible()
    await page.getByTestId('checkpoint-continue').click()
    answered++
    await expect.poll(async () => (await app.snapshot()).playing).toBe(true)
  }
}

test('scenario 05 plays at 4× to its outcome; with FORWARD policy DROP it plays to the drops the file expects', async ({ app, page }) => {
  test.setTimeout(120_000)
  await app.open('?s=scn-05-pod-to-pod-same-node')
  await page.getByTestId('speed').selectOption('4')
  expect((await app.snapshot()).speed).toBe(4)

  const asked = await playToEnd(app, page)
  const written = await app.snapshot()
  expect(asked, 'the plain run asks its checkpoints').toBe(written.checkpoints.length)
  expect(written.frame).toBe(written.total - 1)
  await expect(page.getByTestId('results-count')).toHaveText(`${written.results.total} of ${written.results.total} met`)
  await app.inspector.open('outcome')
  const lines = app.results.locator('[data-testid="result-line"]')
  // As written, every ping and the TCP connection are delivered (scenarios/05: verdict delivered ×3).
  await expect(lines.filter({ hasText: /verdict: delivered$/ })).toHaveCount(3)
  await app.screenshot('played-05-as-written')

  // The what-if: same pods, FORWARD policy DROP with br_netfilter on. The file expects all three dropped in FORWARD.
  await app.pickWhatIf('forward-drop')
  await app.step.toStart()
  await playToEnd(app, page)
  const dropped = await app.snapshot()
  expect(dropped.frame).toBe(dropped.total - 1)
  expect(dropped.total, 'dropped packets make shorter traces').toBeLessThan(written.total)
  await expect(page.getByTestId('mark-drop')).toBeVisible()
  await expect(page.getByTestId('results-count')).toHaveText(`${dropped.results.total} of ${dropped.results.total} met`)
  await app.inspector.open('outcome')
  await expect(lines.filter({ hasText: /verdict: dropped$/ })).toHaveCount(3)
  await expect(lines.filter({ hasText: /dropReason: .*FORWARD/ })).toHaveCount(3)
  const changes = page.getByTestId('whatif-changes')
  await expect(changes.locator('li')).toHaveCount(3)
  await expect(changes.locator('del').first()).toContainText('delivered')
  await expect(changes.locator('ins').first()).toContainText('dropped')
  await app.screenshot('played-05-forward-drop')
})
