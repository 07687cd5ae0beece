/**
 * The browser measurements, driven by Playwright in Debian's Chromium (flags as in
 * e2e/playwright.config.ts) against `vite preview` of a production build: what the first load
 * fetches, and the bench page (src/bench/ui) for the large graph: first render, pan frame
 * rate, main-thread time per step and long tasks while playing.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from '@playwright/test'
import type { Browser, Page } from '@playwright/test'
import type { BenchProbe } from './ui/main.tsx'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
const VIEWPORT = { width: 1280, height: 800 }

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

export interface FirstLoad {
  readonly files: { readonly path: string; readonly bytes: number; readonly gzip: number }[]
  readonly gzip: number
}

/**
 * Every JavaScript file the app fetches until its default scenario is on screen (the graph
 * ready and the network quiet), with its gzip size (zlib level 9, as servers compress it).
 */
export async function measureFirstLoad(browser: Browser, url: string, distDir: string): Promise<FirstLoad> {
  const page = await browser.newPage({ viewport: VIEWPORT })
  try {
    await page.goto(url, { waitUntil: 'networkidle' })
    await page.waitForSelector('[data-testid="graph-ready"]', { state: 'attached', timeout: 60_000 })
    await page.waitForLoadState('networkidle')
    const names = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name))
    const origin = new URL(url).origin
    const paths = [...new Set(names.filter((n) => n.startsWith(origin) && /\.m?js(\?|$)/.test(n)).map((n) => new URL(n).pathname))]
    const files = paths.map((p) => {
      const body = readFileSync(join(distDir, decodeURIComponent(p)))
      return { path: p, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length }
    })
    return { files, gzip: files.reduce((s, f) => s + f.gzip, 0) }
  } finally {
    await page.close()
  }
}

export interface GraphRun {
  /** Scenario in the store → graph painted (React Flow measured and placed it, two frames later). */
  readonly renderMs: number
  /** Navigation start → graph painted, including building the cluster in the page. */
  readonly totalMs: number
  /** Building the cluster and tracing its packet (engine, in the page). */
  readonly buildMs: number
  readonly panFps: number
  readonly panWorstFrameMs: number
  readonly stepTimes: number[]
  /** Long tasks over 100 ms while playing 40 steps, and the longest task then. */
  readonly playbackLongTasks: number
  readonly playbackLongestTask: number
  readonly info: Record<string, number>
}

const probe = (page: Page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__bench)) as Omit<BenchProbe, 'frames'>)

/** One fresh page load of the bench page, then pan, step and play. */
export async function measureGraph(browser: Browser, url: string): Promise<GraphRun> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  const page = await context.newPage()
  try {
    await page.goto(url)
    await page.waitForFunction(() => window.__bench?.marks.painted !== undefined, undefined, { timeout: 120_000, polling: 50 })
    const p0 = await probe(page)
    const renderMs = p0.marks.painted! - p0.marks.ready!
    const totalMs = p0.marks.painted!
    const buildMs = p0.marks.buildEnd! - p0.marks.buildStart!
    await page.waitForTimeout(500)

    // Pan: drag the empty pane in a circle for 3 s, counting frames in the page.
    const pane = await page.evaluate(() => {
      const box = document.querySelector('.react-flow__pane')!.getBoundingClientRect()
      for (let fy = 0.15; fy < 0.9; fy += 0.05)
        for (let fx = 0.1; fx < 0.9; fx += 0.05) {
          const x = box.left + box.width * fx
          const y = box.top + box.height * fy
          if (document.elementFromPoint(x, y)?.classList.contains('react-flow__pane')) return { x, y }
        }
      return { x: box.left + 10, y: box.top + 10 }
    })
    await page.evaluate(() => ((window as unknown as { __pan: unknown }).__pan = window.__bench!.frames()))
    await page.mouse.move(pane.x, pane.y)
    await page.mouse.down()
    const t0 = Date.now()
    for (let i = 0; Date.now() - t0 < 3000; i++) await page.mouse.move(pane.x + 120 * Math.sin(i / 12), pane.y + 80 * Math.cos(i / 12))
    await page.mouse.up()
    const pan = await page.evaluate(() => (window as unknown as { __pan: { stop: () => { frames: number; ms: number; worst: number } } }).__pan.stop())

    // Step forward 40 times by the button, as a person does.
    const forward = page.getByTestId('btn-forward')
    for (let i = 0; i < 40; i++) {
      await forward.click()
      await page.waitForFunction((n) => window.__bench!.stepTimes.length > n, i, { polling: 'raf' })
      await page.waitForTimeout(60)
    }
    const stepTimes = (await probe(page)).stepTimes

    // Play 40 steps at the fastest speed and count long tasks meanwhile.
    await page.getByTestId('speed').selectOption('4')
    const before = (await probe(page)).longTasks.length
    const frame0 = await page.evaluate(() => window.__packetwalk!.getState().frame)
    await page.getByTestId('btn-play').click()
    await page.waitForFunction((f) => window.__packetwalk!.getState().frame >= f + 40 || !window.__packetwalk!.getState().playing, frame0, { timeout: 120_000, polling: 100 })
    await page.getByTestId('btn-play').click()
    const during = (await probe(page)).longTasks.slice(before)
    return {
      renderMs,
      totalMs,
      buildMs,
      panFps: (pan.frames * 1000) / pan.ms,
      panWorstFrameMs: pan.worst,
      stepTimes,
      playbackLongTasks: during.filter((d) => d > 100).length,
      playbackLongestTask: Math.max(0, ...during),
      info: p0.info,
    }
  } finally {
    await context.close()
  }
}

/** Milliseconds of one parseIptablesSave in a fresh page (bench/ui/parse.html), `runs` page loads. */
export async function measureParseInPage(browser: Browser, url: string, runs: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage()
    try {
      await page.goto(url)
      await page.waitForFunction(() => window.__parse !== undefined, undefined, { timeout: 120_000 })
      const r = await page.evaluate(() => window.__parse!)
      if ('error' in r) throw new Error(`parse page: ${r.error}`)
      if (r.errors > 0) throw new Error(`parse page: ${r.errors} errors`)
      out.push(r.ms)
    } finally {
      await page.close()
    }
  }
  return out
}

export interface ImportRun {
  /** File picked → the import panel says it is done. */
  readonly totalMs: number
  /** What the panel itself reports ("Read 1 node in N ms"). */
  readonly reportedMs: number
  readonly longTasks: number
  readonly longestTask: number
  /** Longest gap between two frames while importing: the page's responsiveness. */
  readonly worstFrameMs: number
  /** The page's JS heap: before the pick, and the most it held while importing and after (bytes, CDP Performance.getMetrics every 100 ms). */
  readonly heapBefore: number
  readonly heapPeak: number
}

/**
 * Import a dump through the app's import panel (mode-import, then the file picker), counting
 * frames and long tasks on the main thread until the panel reports the import done.
 */
export async function measureImport(browser: Browser, url: string, file: string): Promise<ImportRun> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  const page = await context.newPage()
  try {
    await page.goto(url)
    await page.getByTestId('mode-import').click()
    await page.getByTestId('import-panel').waitFor()
    await page.waitForTimeout(300)
    // As a string: tsx would wrap named inner functions in a helper the page does not have.
    await page.evaluate(`(() => {
      const imp = (window.__imp = { t0: performance.now(), long: [], worst: 0, on: true })
      new PerformanceObserver((l) => { for (const e of l.getEntries()) imp.long.push(e.duration) }).observe({ type: 'longtask' })
      let last = performance.now()
      const tick = (t) => {
        if (!imp.on) return
        imp.worst = Math.max(imp.worst, t - last)
        last = t
        requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })()`)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const heap = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0
    const heapBefore = await heap()
    let heapPeak = heapBefore
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        heapPeak = Math.max(heapPeak, await heap())
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
    await page.getByTestId('import-file-input').setInputFiles(file)
    await page.locator('[data-testid="import-status"][data-status="done"]').waitFor({ timeout: 180_000 })
    await page.waitForTimeout(300)
    sampling = false
    await sampler
    const r = await page.evaluate(() => {
      const w = window as unknown as { __imp: { t0: number; long: number[]; worst: number; on: boolean } }
      w.__imp.on = false
      return { totalMs: performance.now() - w.__imp.t0, long: w.__imp.long, worst: w.__imp.worst }
    })
    const summary = (await page.getByTestId('import-summary').textContent()) ?? ''
    const reported = /in ([\d,]+) ms/.exec(summary)
    return {
      totalMs: r.totalMs,
      reportedMs: reported ? Number(reported[1]!.replace(/,/g, '')) : NaN,
      longTasks: r.long.filter((d) => d > 100).length,
      longestTask: Math.max(0, ...r.long),
      worstFrameMs: r.worst,
      heapBefore,
      heapPeak,
    }
  } finally {
    await context.close()
  }
}

/** Does the app offer a way to import a node dump yet (the "Import a node" mode)? */
export async function findImportUi(browser: Browser, url: string): Promise<boolean> {
  const page = await browser.newPage({ viewport: VIEWPORT })
  try {
    await page.goto(url)
    await page.waitForSelector('[data-testid="graph-ready"]', { state: 'attached', timeout: 60_000 })
    return (await page.getByTestId('mode-import').count()) > 0
  } finally {
    await page.close()
  }
}
