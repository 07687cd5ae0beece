/**
 * Page object for the explainer, in the domain's words: load a demo, step through it, read
 * the inspectors and the graph. Locators are data-testid; exact state comes from the app's
 * read-only window hook (window.__packetwalk.getState()).
 */
import { expect } from '@playwright/test'
import type { Locator, Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
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
  mode: string
  presenter: boolean
  pointer: boolean
  checkpoint: { frame: number; chosen: number | null } | null
  checkpointsOn: boolean
  checkpoints: { frame: number; answer: number }[]
  whatIf: string | null
  results: { met: number; total: number }
  problems: { count: number; places: string[] } | null
  frames: { kind: string; flow?: string; netns?: string; dev?: string }[]
}

type View = 'step' | 'packet' | 'tables' | 'iptables' | 'conntrack' | 'dns' | 'cni' | 'hops' | 'outcome'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

export class ExplainerApp {
  readonly step: Stepper
  readonly inspector: Inspector
  readonly graph: Graph
  readonly checkpoint: CheckpointDialog
  readonly files: InstructorFiles

  constructor(readonly page: Page) {
    this.step = new Stepper(this)
    this.inspector = new Inspector(page)
    this.graph = new Graph(page)
    this.checkpoint = new CheckpointDialog(page)
    this.files = new InstructorFiles(this)
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

  /** Open a scenario from the picker by its id (`scn-05-pod-to-pod-same-node`) and wait until it is on screen. */
  async loadScenario(id: string, opts: { graph?: boolean } = {}): Promise<void> {
    await this.page.getByTestId('scenario-picker').selectOption(id)
    await expect.poll(async () => (await this.state())?.scenario, { timeout: 15_000 }).toBe(id)
    if (opts.graph === false) await expect.poll(async () => (await this.state())?.status).toBe('ready')
    else await this.ready()
  }

  /** The expectations panel (shown at the end of the timeline and in the Outcome tab). */
  get results(): Locator {
    return this.page.getByTestId('results')
  }

  /** The problems list of a file that could not be opened. */
  get problems(): Locator {
    return this.page.getByTestId('problems')
  }

  async pickWhatIf(id: string | null): Promise<void> {
    await this.page.getByTestId('whatif-picker').selectOption(id ?? '')
    await expect.poll(async () => (await this.snapshot()).whatIf).toBe(id)
    await this.ready()
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
  table(name: 'rules' | 'routes' | 'neigh' | 'fdb' | 'vxlan-fdb' | 'addrs' | 'sysctl' | 'conntrack'): Locator {
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

class CheckpointDialog {
  constructor(private readonly page: Page) {}
  get dialog(): Locator {
    return this.page.getByTestId('checkpoint')
  }
  choice(i: number): Locator {
    return this.dialog.getByTestId('checkpoint-choice').nth(i)
  }
  async answer(i: number): Promise<void> {
    await this.choice(i).click()
    await expect(this.page.getByTestId('checkpoint-reveal')).toBeVisible()
  }
  async continue(): Promise<void> {
    await this.dialog.getByTestId('checkpoint-continue').click()
    await expect(this.dialog).toHaveCount(0)
  }
}

/** An instructor's own files: the fixtures in e2e/fixtures/, opened the three ways the app offers. */
class InstructorFiles {
  constructor(private readonly app: ExplainerApp) {}
  private get page() {
    return this.app.page
  }
  /** "Open a file…" with these fixtures selected together. */
  async pick(...names: string[]): Promise<void> {
    await this.page.getByTestId('file-input').setInputFiles(names.map((n) => FIXTURES + n))
  }
  /** Drag these fixtures from the desktop and drop them onto the page (the graph). */
  async drop(...names: string[]): Promise<void> {
    const files = names.map((n) => ({ name: n, text: readFileSync(FIXTURES + n, 'utf8') }))
    const transfer = await this.page.evaluateHandle((fs) => {
      const dt = new DataTransfer()
      for (const f of fs) dt.items.add(new File([f.text], f.name, { type: 'application/yaml' }))
      return dt
    }, files)
    const target = this.page.getByTestId('graph')
    await target.dispatchEvent('dragenter', { dataTransfer: transfer })
    await target.dispatchEvent('dragover', { dataTransfer: transfer })
    await expect(this.page.getByTestId('dropzone')).toBeVisible()
    await target.dispatchEvent('drop', { dataTransfer: transfer })
    await expect(this.page.getByTestId('dropzone')).toHaveCount(0)
  }
  /** The text of a fixture, to serve it from a URL of this origin. */
  text(name: string): string {
    return readFileSync(FIXTURES + name, 'utf8')
  }
}
