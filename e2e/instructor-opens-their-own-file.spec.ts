import { expect, test } from './fixtures.ts'

test('an instructor’s file opens from the picker with its world file, and survives a reload', async ({ app, page }) => {
  await app.open()
  await app.files.pick('classroom-lesson.yaml', 'classroom-world.yaml')
  await expect.poll(async () => (await app.snapshot()).scenario).toBe('file-classroom-lesson')
  await app.ready()
  await expect(page.getByTestId('scenario-picker').locator('option:checked')).toHaveText('Week 3: ada pings linus')
  await expect(page.getByTestId('scenario-picker').locator('optgroup[label="Your files"] option')).toHaveCount(1)
  await expect(page.getByTestId('graph-netns-ada')).toBeVisible()
  await expect(page.getByTestId('narration')).toContainText('ada wants to reach')
  await app.step.toEnd()
  await expect(page.getByTestId('results-count')).toHaveText('4 of 4 met')
  await app.screenshot('own-file')

  await page.reload()
  await app.ready()
  const s = await app.snapshot()
  expect(s.scenario).toBe('file-classroom-lesson')
  expect(s.frame).toBe(s.total - 1)
  await expect(page.getByTestId('graph-netns-linus')).toBeVisible()

  // Even from the bare address it is still in the picker.
  await page.goto('/')
  await app.ready()
  await app.loadScenario('file-classroom-lesson')
})

test('dropping files onto the page opens them; a world the file names but nobody dropped comes from the bundled ones', async ({ app, page }) => {
  await app.open()
  await app.files.drop('classroom-world.yaml', 'classroom-lesson.yaml')
  await expect.poll(async () => (await app.snapshot()).scenario).toBe('file-classroom-lesson')
  await app.ready()
  await expect(page.getByTestId('graph-netns-ada')).toBeVisible()

  // worlds/bridge-two-pods.yaml is not dropped: scenarios/worlds/bridge-two-pods.yaml is used.
  await app.files.drop('bundled-world-lesson.yaml')
  await expect.poll(async () => (await app.snapshot()).scenario).toBe('file-bundled-world-lesson')
  await app.ready()
  await expect(page.getByTestId('graph-netns-pod-b')).toBeVisible()
  // The last one opened is the one remembered.
  await expect(page.getByTestId('scenario-picker').locator('optgroup[label="Your files"] option')).toHaveText(['Quiz: pod-b pings pod-a'])
})

test('?scenario= opens a file served from this site, with the world file beside it', async ({ app, page }) => {
  // The site serves the lesson, and beside it the world file it names (worlds/classroom-world.yaml).
  const served: Record<string, string> = { '/course/week3/lesson.yaml': 'classroom-lesson.yaml', '/course/week3/worlds/classroom-world.yaml': 'classroom-world.yaml' }
  await page.route(
    (url) => url.pathname in served,
    (route) => route.fulfill({ contentType: 'text/yaml', body: app.files.text(served[new URL(route.request().url()).pathname]!) }),
  )
  await app.open('?scenario=/course/week3/lesson.yaml')
  const s = await app.snapshot()
  expect(s.scenario).toBe('file-lesson')
  await expect(page.getByTestId('graph-netns-ada')).toBeVisible()
  await expect(page).toHaveURL(/scenario=%2Fcourse%2Fweek3%2Flesson\.yaml/)

  // Another site's file is refused, with the reason.
  await page.goto('/?scenario=https://example.com/x.yaml')
  await expect(app.problems).toContainText('another site')
})
