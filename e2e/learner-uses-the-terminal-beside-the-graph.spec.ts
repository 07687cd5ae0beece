import { expect, test } from './fixtures.ts'

test('the terminal mode: a command’s packets become frames the graph plays; the import mode opens and closes', async ({ app, page }) => {
  await app.open()
  await page.getByTestId('mode-terminal').click()
  await expect(page.getByTestId('terminal-mode')).toBeVisible()
  const term = page.locator('.xterm')
  await expect(term).toBeVisible({ timeout: 15_000 })
  await term.click()
  await page.keyboard.type('ip netns exec pod-a ping -c 1 10.244.1.3')
  await page.keyboard.press('Enter')
  await expect.poll(async () => (await app.snapshot()).scenario).toBe('shell:session')
  const s = await app.snapshot()
  expect(s.frames.some((f) => f.kind === 'arp-request' || f.kind === 'neigh-hit')).toBe(true)
  await expect(page.getByTestId('narration')).toContainText('$ ip netns exec pod-a ping')
  // A shell session is not written into the URL (a reload could not rebuild it).
  await expect(page).not.toHaveURL(/s=shell/)
  await app.screenshot('terminal')

  await page.getByTestId('mode-import').click()
  await expect(page.getByTestId('import-panel')).toBeVisible()
  await page.getByTestId('mode-explainer').click()
  await expect(page.getByTestId('import-panel')).toHaveCount(0)
  await expect(page.getByRole('tablist', { name: 'Inspector views' })).toBeVisible()
})
