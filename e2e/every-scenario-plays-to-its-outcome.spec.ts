import { expect, test } from './fixtures.ts'

test('every scenario in scenarios/ loads, plays to its end and shows its outcome, every expectation met', async ({ app, page }) => {
  test.setTimeout(120_000)
  await app.open()
  const ids = await page.getByTestId('scenario-picker').locator('option[value^="scn-"]').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
  expect(ids.length).toBeGreaterThanOrEqual(19)
  for (const id of ids) {
    // Opened and run (its graph lays out meanwhile, in the worker: waiting for each would only add time).
    if ((await app.snapshot()).scenario !== id) await app.loadScenario(id, { graph: false })
    // Jump to the end: the last step, and the expected outcome checked.
    await page.getByTestId('btn-end').click()
    const s = await app.snapshot()
    expect(s.frame, id).toBe(s.total - 1)
    await expect(app.results, id).toBeVisible()
    expect(s.results.total, `${id} states expectations`).toBeGreaterThan(0)
    await expect(page.getByTestId('results-count'), id).toHaveText(`${s.results.total} of ${s.results.total} met`)
    await expect(app.results.locator('[data-testid="result-group"][data-ok="false"]'), id).toHaveCount(0)
    if (id === 'scn-08-clusterip-service') {
      // Each expectation, ✓ or ✗, in the Outcome tab.
      await page.getByTestId('results-details').click()
      await expect(app.results.locator('[data-testid="result-line"]').first()).toBeVisible()
      await expect(app.results.locator('[data-testid="result-line"][data-ok="false"]')).toHaveCount(0)
      await app.ready()
      await app.screenshot('end-clusterip-results')
      await app.inspector.open('step')
    }
  }
  // The last one's graph is drawn too.
  await app.ready()
})

test('what a scenario does not simulate is shown with it', async ({ app, page }) => {
  await app.open('?s=scn-08-clusterip-service')
  const box = page.getByTestId('not-simulated-scenario')
  await expect(box).toContainText('Not simulated (1)')
  await box.locator('summary').click()
  await expect(box).toContainText('minSyncPeriod')
  // Clicking elsewhere folds it away again.
  await page.getByTestId('frame-counter').click()
  await expect(box).not.toHaveAttribute('open')
  await app.inspector.open('outcome')
  await expect(page.getByTestId('not-simulated-list')).toContainText('minSyncPeriod')
})
