import { describe, expect, it } from 'vitest'
import { prerenderApp } from './prerender.tsx'

// The build writes this markup into index.html's #root (scenarioPlugin.ts transformIndexHtml).
describe('the prerendered first paint', () => {
  it('is the App with the welcome scenario open at its first step, inert until React takes over', async () => {
    const html = await prerenderApp()
    // Nothing in it answers input: React's own tree replaces it.
    expect(html.startsWith('<div inert>')).toBe(true)
    // The scenario is open: its first step's counter, its narration and the Step inspector.
    expect(html).toMatch(/data-testid="frame-counter">1 \/ \d+</)
    expect(html).toContain('class="pw-narration-bar" data-testid="narration">Each box is a network namespace')
    expect(html).toContain('data-testid="inspector-step"')
    // The lazy graph leaves its loading status, and not React's server-side error template.
    expect(html).toContain('Loading <!-- -->the graph')
    expect(html).not.toContain('<template')
  })
})
