import { expect, test } from './fixtures.ts'

test('a broken file lists every problem with its line, and nothing else changes', async ({ app, page }) => {
  await app.open()
  const before = await app.snapshot()
  await app.files.pick('broken-lesson.yaml')
  await expect(app.problems).toBeVisible()
  await expect(app.problems.getByRole('heading')).toContainText('broken-lesson.yaml cannot be opened: 4 problems')
  const items = app.problems.getByTestId('problem')
  await expect(items).toHaveCount(4)
  // Each with file:line:col, the path of the field, the line itself and a hint.
  await expect(items.nth(0)).toContainText('broken-lesson.yaml:5:7')
  await expect(items.nth(0)).toContainText('metadata.id')
  await expect(items.nth(1)).toContainText('broken-lesson.yaml:11')
  await expect(items.nth(1)).toContainText('unknown action `sned`')
  await expect(items.nth(1)).toContainText('did you mean `send`?')
  await expect(items.nth(2)).toContainText('broken-lesson.yaml:13')
  await expect(items.nth(2)).toContainText('proto: icmpp')
  await expect(items.nth(3)).toContainText('`narations`')
  expect((await app.snapshot()).problems?.places).toEqual(['broken-lesson.yaml:5', 'broken-lesson.yaml:11', 'broken-lesson.yaml:13', 'broken-lesson.yaml:15'])
  await app.screenshot('broken-file')

  // Esc closes it; the scenario on screen is the one from before.
  await page.keyboard.press('Escape')
  await expect(app.problems).toHaveCount(0)
  const after = await app.snapshot()
  expect(after.scenario).toBe(before.scenario)
  expect(after.status).toBe('ready')
})
