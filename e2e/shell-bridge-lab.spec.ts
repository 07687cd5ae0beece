/**
 * A learner does Exercise 1 in the browser: opens the bridge lab, types the commands one by
 * one into the terminal, sees the errors a real host prints for a wrong command, then sees
 * the ping succeed and the lab complete.
 *
 * Needs the app to mount <TerminalPanel> (src/ui/terminal); until it does, the test skips
 * itself with that reason (the component is covered in jsdom by TerminalPanel.test.tsx).
 */
import { expect, test } from '@playwright/test'
import type { Locator, Page } from '@playwright/test'

class Terminal {
  readonly panel: Locator
  constructor(readonly page: Page) {
    this.panel = page.getByTestId('terminal-panel')
  }
  /** What the terminal shows, as the screen reader tree exposes it. */
  async text(): Promise<string> {
    return (await this.page.locator('.xterm-accessibility-tree, .xterm-rows').first().innerText()).replace(/\u00a0/g, ' ')
  }
  async type(line: string): Promise<void> {
    await this.page.getByTestId('terminal').click()
    await this.page.keyboard.type(line)
    await this.page.keyboard.press('Enter')
  }
}

const EXERCISE_1 = [
  'ip netns add pod-a',
  'ip netns add pod-b',
  'ip link add cni0 type bridge',
  'ip link set cni0 up',
  'ip addr add 10.244.1.1/24 dev cni0',
  'ip link add veth-a type veth peer name eth0 netns pod-a',
  'ip link add veth-b type veth peer name eth0 netns pod-b',
  'ip link set veth-a master cni0',
  'ip link set veth-b master cni0',
  'ip link set veth-a up',
  'ip link set veth-b up',
  'ip netns exec pod-a ip addr add 10.244.1.2/24 dev eth0',
  'ip netns exec pod-b ip addr add 10.244.1.3/24 dev eth0',
  'ip netns exec pod-a ip link set eth0 up',
  'ip netns exec pod-b ip link set eth0 up',
]

test('a learner builds two pods on a bridge in the terminal and pings across', async ({ page }) => {
  await page.goto('/?lab=bridge')
  const term = new Terminal(page)
  const mounted = await term.panel.waitFor({ timeout: 5000 }).then(() => true, () => false)
  test.skip(!mounted, 'the app does not mount <TerminalPanel> yet')
  await expect(page.getByTestId('lab-panel')).toBeVisible()
  await expect(page.getByTestId('lab-check').first()).toHaveAttribute('data-ok', 'false')

  await term.type('ip link set veth-a up')
  await expect.poll(() => term.text()).toContain('Cannot find device "veth-a"')

  for (const line of EXERCISE_1) await term.type(line)
  await term.type('ip netns exec pod-a ping -c 3 10.244.1.3')
  await expect.poll(() => term.text(), { timeout: 10_000 }).toContain('3 packets transmitted, 3 received, 0% packet loss')
  await expect(page.getByTestId('lab-done')).toBeVisible()
  await page.screenshot({ path: 'test-results/shell-bridge-lab.png' })
})
