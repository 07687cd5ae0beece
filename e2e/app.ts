/**
 * Page object for the explainer, in the domain's words: load a demo, step through it, read
 * the inspectors and the graph. Locators are data-testid; exact state comes from the app's
 * read-only window hook (window.__packetwalk.getState()).
 */
import { expect } from '@playwright/test'
import type { Locator, Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface Snapshot {
  status: string
  scenario: string | null
  frame: number
  total: number
  playing: boolean
  speed: number
  view: string
  selection: { netns: string; dev?: string } | null
  segment: number
  step: { kind: string; flow: string; netns: string; dev?: string; explain: string } | null
  theme: string
  frames: { kind: string; flow?: string; netns?: string; dev?: string }[]
}

type View = 'step' | 'packet' | 'tables' | 'iptables' | 'conntrack' | 'dns' | 'cni' | 'hops'

export class ExplainerApp {
  readonly step: Stepper
  readonly inspector: Inspector
  readonly graph: Graph

  constructor(readonly page: Page) {
    this.step = new Stepper(this)
    this.inspector = new Inspector(page)
    this.graph = new Graph(page)
  }

  /** Open the app at a URL (default: the start page) and wait until a scenario is ready and the graph drawn. */
  async open(search = ''): Promise<void> {
    await this.page.goto(`/${search}`)
    await this.ready()
  }

  async ready(): Promise<void> {
    await expect.poll(async () => (await this.state())?.status, { timeout: 15_000 }).toBe('ready')
    await expect(this.page.getByTestId('graph-ready')).toBeAttached({ timeout: 15_000 })
  }

  /** Pick a demo from the picker by its title. */
  async loadDemo(title: string): Promise<void> {
    await this.page.getByTestId('scenario-picker').selectOption({ label: title })
    await expect.poll(async () => (await this.state())?.status).toBe('ready')
    await expect(this.page.getByTestId('scenario-picker').locator('option:checked')).toHaveText(title)
  }

  async state(): Promise<Snapshot | undefined> {
    return this.page.evaluate(() => (window as unknown as { __packetwalk?: { getState: () => Snapshot } }).__packetwalk?.getState())
  }

  async snapshot(): Promise<Snapshot> {
    const s = await this.state()
    if (!s) throw new Error('the app exposes no state hook')
    return s
  }

  /** Save a screenshot under test-results/screens/ (look at them). */
  async screenshot(name: string): Promise<void> {
    const dir = fileURLToPath(new URL('../test-results/screens/', import.meta.url))
    mkdirSync(dir, { recursive: true })
    await this.page.screenshot({ path: `${dir}${name}.png` })
  }
}

class Stepper {
  constructor(private readonly app: ExplainerApp) {}
  private get page() {
    return this.app.page
  }
  async forward(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.getByTestId('btn-forward').click()
  }
  async back(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.getByTestId('btn-back').click()
  }
  async toStart(): Promise<void> {
    await this.page.getByTestId('btn-start').click()
  }
  async toEnd(): Promise<void> {
    await this.page.getByTestId('btn-end').click()
  }
  /** Jump (with the scrubber) to the first step like this one. Returns its frame. */
  async toFirst(match: { kind: string; flow?: string; netns?: string; dev?: string }, after = -1): Promise<number> {
    const s = await this.app.snapshot()
    const frame = s.frames.findIndex((f, i) => i > after && f.kind === match.kind && (!match.flow || f.flow === match.flow) && (!match.netns || f.netns === match.netns) && (!match.dev || f.dev === match.dev))
    if (frame < 0) throw new Error(`no step like ${JSON.stringify(match)}`)
    await this.to(frame)
    return frame
  }
  /** Scrub to a frame (0-based). */
  async to(frame: number): Promise<void> {
    await this.page.getByTestId('scrubber').fill(String(frame))
    await expect.poll(async () => (await this.app.snapshot()).frame).toBe(frame)
  }
  async frame(): Promise<number> {
    return (await this.app.snapshot()).frame
  }
}

class Inspector {
  constructor(private readonly page: Page) {}
  async open(view: View): Promise<Locator> {
    await this.page.getByTestId(`tab-${view}`).click()
    return this.panel
  }
  get panel(): Locator {
    return this.page.locator('#inspector-panel')
  }
  get packet(): Locator {
    return this.page.getByTestId('inspector-packet')
  }
  get stepText(): Locator {
    return this.page.getByTestId('step-explain')
  }
  table(name: 'routes' | 'neigh' | 'fdb' | 'vxlan-fdb' | 'addrs' | 'sysctl' | 'conntrack'): Locator {
    return this.page.getByTestId(`table-${name}`)
  }
  usedRows(name: Parameters<Inspector['table']>[0]): Locator {
    return this.table(name).locator('li[data-used]')
  }
}

class Graph {
  constructor(private readonly page: Page) {}
  get token(): Locator {
    return this.page.getByTestId('packet-token')
  }
  iface(netns: string, dev: string): Locator {
    return this.page.getByTestId(`graph-iface-${netns}-${dev}`)
  }
  stack(netns: string): Locator {
    return this.page.getByTestId(`graph-stack-${netns}`)
  }
  /** The node the packet is on carries `is-current`. */
  async expectCurrent(l: Locator): Promise<void> {
    await expect(l).toHaveClass(/is-current/)
  }
}
