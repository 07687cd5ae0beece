/** Every test fails on a console error or warning, and gets the explainer page object. */
import { test as base, expect } from '@playwright/test'
import { ExplainerApp } from './app.ts'

export const test = base.extend<{ app: ExplainerApp; consoleProblems: string[] }>({
  consoleProblems: [
    async ({ page }, provide) => {
      const problems: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
      await provide(problems)
      expect(problems, 'console errors or warnings').toEqual([])
    },
    { auto: true },
  ],
  app: async ({ page }, provide) => {
    await provide(new ExplainerApp(page))
  },
})

export { expect }
