import { expect, test } from './fixtures.ts'

test('a what-if runs the scenario again and says what changed; the link keeps it', async ({ app, page }) => {
  await app.open('?s=scn-05-pod-to-pod-same-node')
  await app.pickWhatIf('forward-drop')
  await expect(page.getByTestId('whatif-changed')).toContainText(/\d+ outcomes? changed/)
  await page.getByTestId('whatif-changed').click()
  expect((await app.snapshot()).view).toBe('outcome')
  const changes = page.getByTestId('whatif-changes')
  await expect(changes).toContainText('What if: ')
  await expect(changes.locator('del').first()).toContainText('delivered')
  await expect(changes.locator('ins').first()).toContainText('dropped')
  // The file's expectations under this what-if are met too.
  const s = await app.snapshot()
  expect(s.results.met).toBe(s.results.total)
  await app.step.toEnd()
  await expect(page.getByTestId('mark-drop')).toBeVisible()
  await app.screenshot('what-if')

  await expect(page).toHaveURL(/[?&]w=forward-drop/)
  await page.reload()
  await app.ready()
  expect((await app.snapshot()).whatIf).toBe('forward-drop')

  // Back to the scenario as written.
  await app.pickWhatIf(null)
  await expect(page.getByTestId('whatif-changed')).toHaveCount(0)
  await expect(page).not.toHaveURL(/[?&]w=/)
})
