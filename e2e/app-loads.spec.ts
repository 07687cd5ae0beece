import { expect, test } from '@playwright/test'

test('a learner opens the app and sees it render', async ({ page }) => {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text())
  })
  await page.goto('/')
  await expect(page.getByTestId('app')).toBeVisible()
  await expect(page).toHaveTitle(/packetwalk/)
  expect(errors).toEqual([])
})
