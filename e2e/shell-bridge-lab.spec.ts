/**
 * A learner does Exercise 1 in the browser: opens the bridge lab in the Terminal & labs mode,
 * types the commands one by one, sees the error a real host prints for a wrong command,
 * reloads halfway and finds the lab as they left it (output and ↑ history), then sees the
 * ping succeed, the new devices in the graph, and the lab complete.
 */
import { expect, test } from './fixtures.ts'
import type { ExplainerApp } from './app.ts'
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
  /** The same without any whitespace: the side panel is narrow, and xterm.js wraps long lines into rows. */
  async flat(): Promise<string> {
    return flat(await this.text())
  }
  async type(line: string): Promise<void> {
    await this.page.getByTestId('terminal').click()
    await this.page.keyboard.type(line)
    await this.page.keyboard.press('Enter')
  }
}

/** Terminal & labs mode with the bridge lab open; fails (never skips) when the app does not mount it. */
async function openBridgeLab(app: ExplainerApp, page: Page): Promise<Terminal> {
  await app.open()
  await page.getByTestId('mode-terminal').click()
  await expect(page.getByTestId('terminal-mode'), 'the Terminal & labs mode (mode-terminal) should open the terminal side panel').toBeVisible()
  await page.getByTestId('lab-picker').selectOption('bridge')
  const term = new Terminal(page)
  await expect(term.panel, 'the app should mount <TerminalPanel> (data-testid=terminal-panel) for the bridge lab').toBeVisible({ timeout: 15_000 })
  await expect(page.getByTestId('lab-panel'), 'the bridge lab should show its task and checks beside the terminal').toBeVisible()
  await expect(page.locator('.xterm'), 'xterm.js should render the terminal').toBeVisible({ timeout: 15_000 })
  return term
}

const flat = (s: string) => s.replace(/\s+/g, '')

const FIRST_HALF = [
  'ip netns add pod-a',
  'ip netns add pod-b',
  'ip link add cni0 type bridge',
  'ip link set cni0 up',
  'ip addr add 10.244.1.1/24 dev cni0',
  'ip link add veth-a type veth peer name eth0 netns pod-a',
  'ip link add veth-b type veth peer name eth0 netns pod-b',
  'ip link set veth-a master cni0',
]
const SECOND_HALF = [
  'ip link set veth-b master cni0',
  'ip link set veth-a up',
  'ip link set veth-b up',
  'ip netns exec pod-a ip addr add 10.244.1.2/24 dev eth0',
  'ip netns exec pod-b ip addr add 10.244.1.3/24 dev eth0',
  'ip netns exec pod-a ip link set eth0 up',
  'ip netns exec pod-b ip link set eth0 up',
]

test('a learner builds two pods on a bridge in the terminal, reloads halfway, and pings across', async ({ app, page }) => {
  let term = await openBridgeLab(app, page)
  await expect(page.getByTestId('lab-check').first()).toHaveAttribute('data-ok', 'false')

  await term.type('ip link set veth-a up')
  await expect.poll(() => term.flat()).toContain(flat('Cannot find device "veth-a"'))
  for (const line of FIRST_HALF) await term.type(line)
  await expect.poll(() => term.flat()).toContain(flat('root@host:~# ip link set veth-a master cni0'))

  // A reload: the lab comes back as it was, its output on screen and its lines in the history.
  await page.reload()
  term = await openBridgeLab(app, page)
  await expect.poll(() => term.flat(), { message: 'the replayed lab should show its earlier output' }).toContain(flat('Cannot find device "veth-a"'))
  await expect(page.getByTestId('lab-check').first(), 'two namespaces exist again after the replay').toHaveAttribute('data-ok', 'true')
  await page.getByTestId('terminal').click()
  await page.keyboard.press('ArrowUp')
  await expect.poll(async () => (await term.flat()).split(flat('ip link set veth-a master cni0')).length - 1, { message: '↑ should bring back the last line typed before the reload' }).toBe(2)
  await page.keyboard.press('Control+C')

  for (const line of SECOND_HALF) await term.type(line)
  await term.type('ip netns exec pod-a ping -c 3 10.244.1.3')
  await expect.poll(() => term.flat(), { timeout: 10_000 }).toContain(flat('3 packets transmitted, 3 received, 0% packet loss'))
  await expect(page.getByTestId('lab-done')).toBeVisible()

  // The graph shows what the commands built: the bridge, both host-side veths, the pods' ends.
  for (const id of ['host-cni0', 'host-veth-a', 'host-veth-b', 'pod-a-eth0', 'pod-b-eth0']) {
    await expect(page.getByTestId(`graph-iface-${id}`), `the graph should draw ${id.replace(/^(host|pod-[ab])-/, '$1 → ')} after the lab commands`).toBeAttached({ timeout: 15_000 })
  }
  await page.screenshot({ path: 'test-results/shell-bridge-lab.png' })
})
