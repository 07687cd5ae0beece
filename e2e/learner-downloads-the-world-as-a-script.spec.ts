import { readFileSync } from 'node:fs'
import { expect, test } from './fixtures.ts'

test('“Download as a script” gives the world at this step as a bash script named after the scenario', async ({ app, page }) => {
  await app.open('?s=scn-00-welcome&f=5')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-script').click()])
  expect(download.suggestedFilename()).toBe('00-welcome-step-5.sh')
  const text = readFileSync(await download.path(), 'utf8')
  expect(text.startsWith('#!')).toBe(true)
  expect(text).toContain('Welcome: one ping between two pods (step 5 of')
  // The world's pieces, in network namespaces with one prefix.
  expect(text).toContain('pw_netns_add "${P}pod-a"')
  expect(text).toMatch(/link add cni0 .*type bridge/)
  expect(text).toMatch(/\bup\b[\s\S]*\bprobe\b[\s\S]*\bdown\b/)
})
