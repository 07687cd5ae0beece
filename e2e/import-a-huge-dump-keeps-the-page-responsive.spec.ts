/**
 * An operator drops the iptables-save of a big cluster's node (75,000 lines, ~4,900
 * Services): it is read off the main thread, with progress; the page still answers while it
 * reads; Cancel stops it; reading it again finishes, and a ClusterIP packet traces through it.
 * The measured times are printed for the benchmark (not asserted: this machine is shared).
 */
import { generateKubeProxyDump } from '../src/bench/genKubeProxyDump.ts'
import { ImportPanel } from './fixtures/import/importPage.ts'
import { expect, test } from './fixtures.ts'

interface Snap {
  status: string
  progress: { linesDone: number; lines: number } | null
  ms: { read: number; build: number; total: number } | null
  services: number
  nodes: string[]
}

test('a 75,000-line dump: progress, a page that answers, Cancel, then a trace through it', async ({ page }) => {
  test.setTimeout(180_000)
  const text = generateKubeProxyDump(4874)
  const lines = text.split('\n').length - 1
  expect(lines).toBeGreaterThanOrEqual(75_000)
  const imp = new ImportPanel(page)
  await imp.open()
  const snap = () => page.evaluate(() => (window as unknown as { __packetwalkImport: { getState: () => unknown } }).__packetwalkImport.getState()) as Promise<Snap>

  // Count main-thread frames while it reads: a long gap would be the page freezing.
  await page.evaluate(() => {
    const w = window as unknown as { __gaps: number[]; __stopGaps: boolean }
    w.__gaps = []
    w.__stopGaps = false
    let last = performance.now()
    const tick = (t: number) => {
      w.__gaps.push(t - last)
      last = t
      if (!w.__stopGaps) requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })

  await imp.drop([{ name: 'kube-proxy-75k.txt', text }])
  await expect(imp.status).toHaveAttribute('data-status', 'reading')
  await expect(page.getByTestId('import-progress')).toBeVisible()
  // The page answers while the worker reads: a button opens its confirmation, another closes it.
  await page.getByTestId('import-clear').click()
  await expect(page.getByRole('button', { name: 'Keep them' })).toBeVisible()
  await page.getByRole('button', { name: 'Keep them' }).click()
  await expect(page.getByTestId('import-clear')).toBeVisible()
  expect((await snap()).status).toBe('reading')
  await imp.screenshot('import-07-huge-dump-reading')

  // Cancel stops it at once.
  await page.getByTestId('import-cancel').click()
  await expect(imp.status).toHaveAttribute('data-status', 'cancelled')

  // Read it again, to the end; frames are counted from here (the screenshot above stalls them).
  await page.evaluate(() => ((window as unknown as { __gaps: number[] }).__gaps.length = 0))
  await page.getByTestId('import-read').click()
  let sawProgress = false
  await expect
    .poll(
      async () => {
        const s = await snap()
        if (s.progress && s.progress.linesDone > 0) sawProgress = true
        return s.status
      },
      { timeout: 150_000, intervals: [100] },
    )
    .toBe('done')
  const done = await snap()
  const gaps = await page.evaluate(() => {
    const w = window as unknown as { __gaps: number[]; __stopGaps: boolean }
    w.__stopGaps = true
    return w.__gaps
  })
  expect(done.nodes).toEqual(['node'])
  // One ClusterIP per generated Service.
  expect(done.services).toBe(4874)
  expect(sawProgress || done.ms!.read < 500).toBe(true)
  const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)
  const sorted = [...gaps].sort((a, b) => b - a)
  console.log(`[bench] import of ${lines} lines in the browser: worker read ${Math.round(done.ms!.read)} ms, build ${Math.round(done.ms!.build)} ms, total to the page ${Math.round(done.ms!.total)} ms; main thread: longest frame gap ${Math.round(sorted[0] ?? 0)} ms, frames over 100 ms: ${gaps.filter((g) => g > 100).length}; page JS heap after: ${Math.round(heap / 1e6)} MB`)
  await expect(page.getByTestId('import-summary')).toContainText('Read 1 node (node)')
  await imp.screenshot('import-08-huge-dump-read')

  // A ClusterIP of the generated dump, from outside the node: DNATed to one of 3 endpoints.
  const outcomes = await imp.trace({ from: '203.0.113.10', to: '10.96.0.7', proto: 'tcp', port: '80', allOutcomes: true })
  await expect(outcomes).toHaveCount(3)
  await expect(outcomes.first()).toContainText('33.3%')
  await expect(outcomes.first().getByTestId('trace-outcome-path')).toContainText('kube-proxy-75k.txt:')
  imp.expectNoRequestsElsewhere()
})
