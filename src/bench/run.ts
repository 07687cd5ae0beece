/**
 * `npm run bench`: every performance figure packetwalk holds itself to, in one table.
 *
 * Engine figures run compiled code: node.ts is bundled by Vite (Rolldown, no keepNames, all
 * dependencies inlined) into one file that this script starts once per measurement, so a
 * "fresh process" parse pays what a CLI run pays. `iptables-restore --test` runs on the same
 * files in a throwaway network namespace with iptables-legacy (root only). Browser figures come
 * from production builds served by `vite preview` and driven by Playwright in Chromium; the
 * Lighthouse score from `npx lighthouse@12.8.2` (not a project dependency), mobile settings.
 *
 * Options: --quick (fewer runs), --no-browser, --no-lighthouse, --only-node.
 * Timings are wall-clock: run it on a quiet machine. It prints the load average it started with.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { build, preview } from 'vite'
import type { PreviewServer } from 'vite'
import { findImportUi, launch, measureFirstLoad, measureGraph, measureImport, measureParseInPage } from './browser.ts'
import type { GraphRun, ImportRun } from './browser.ts'
import { generateKubeProxyDump } from './genKubeProxyDump.ts'
import { ms, printTable, summarize } from './stats.ts'
import type { Row, Stat } from './stats.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const CACHE = join(ROOT, 'node_modules/.cache/packetwalk-bench')
const args = new Set(process.argv.slice(2))
const QUICK = args.has('--quick')
const BROWSER = !args.has('--no-browser') && !args.has('--only-node')
const LIGHTHOUSE = BROWSER && !args.has('--no-lighthouse')
const RUNS = QUICK ? 3 : 5
const SIZES = [1000, 5000, 10_000]

const rows: Row[] = []
const notes: string[] = []
const log = (s: string) => process.stderr.write(`${s}\n`)

function fmt(s: Stat, f: (x: number) => string = ms): Pick<Row, 'median' | 'min' | 'max'> {
  return { median: f(s.median), min: f(s.min), max: f(s.max) }
}

// ---------------------------------------------------------------------------------------
// Builds.

async function buildNodeBench(outDir: string): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    ssr: { noExternal: true },
    build: { ssr: join(ROOT, 'src/bench/node.ts'), outDir, emptyOutDir: true, minify: false, rolldownOptions: { output: { entryFileNames: 'bench.mjs' } } },
  })
  return join(outDir, 'bench.mjs')
}

/** The app exactly as `vite build` makes it, into outDir; with `page`, the bench page too. */
async function buildApp(outDir: string, page: boolean): Promise<void> {
  await build({
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      ...(page && { rolldownOptions: { input: { bench: join(ROOT, 'src/bench/ui/index.html'), parse: join(ROOT, 'src/bench/ui/parse.html') } } }),
    },
  })
}

async function serve(outDir: string, port: number): Promise<PreviewServer> {
  return preview({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } })
}

// ---------------------------------------------------------------------------------------
// Engine (Node).

function runBench(bundle: string, ...argv: string[]): Record<string, unknown> & { ms: number[] } {
  const r = spawnSync(process.execPath, [bundle, ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`bench ${argv.join(' ')} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { ms: number[] }
}

function canRestore(): boolean {
  return process.getuid?.() === 0 && spawnSync('iptables-legacy-restore', ['--version']).status === 0 && spawnSync('ip', ['netns', 'list']).status === 0
}

/** Wall time of `iptables-legacy-restore --test < file` in netns `ns`, `runs` times. */
function timeRestore(ns: string, file: string, runs: number): number[] {
  const input = readFileSync(file)
  return Array.from({ length: runs }, () => {
    const t0 = performance.now()
    const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore', '--test'], { input })
    const t = performance.now() - t0
    if (r.status !== 0) throw new Error(`iptables-restore --test refused ${file}: ${String(r.stderr)}`)
    return t
  })
}

async function engine(): Promise<void> {
  log('building the Node bench bundle…')
  const bundle = await buildNodeBench(join(CACHE, 'node'))
  const restore = canRestore()
  const ns = `pwH-bench-${process.pid}`
  if (restore) execFileSync('ip', ['netns', 'add', ns])
  try {
    if (restore) {
      const empty = join(CACHE, 'empty.rules')
      writeFileSync(empty, '*nat\nCOMMIT\n')
      notes.push(`iptables-restore --test times include starting the process (${ms(summarize(timeRestore(ns, empty, RUNS)).median)} for an empty table); packetwalk's do not (node's start and module load: ~50 ms, not counted).`)
    } else notes.push('iptables-restore --test: n/a (not root, or no iptables-legacy-restore / ip netns).')
    for (const n of SIZES) {
      const file = join(CACHE, `kube-proxy-${n}.rules`)
      writeFileSync(file, generateKubeProxyDump(n))
      log(`parse ${n} services…`)
      const fresh = Array.from({ length: RUNS }, () => runBench(bundle, 'parse', file))
      const lines = fresh[0]!.lines as number
      if ((fresh[0]!.errors as number) > 0) throw new Error(`the generated ${n}-service dump has parse errors`)
      const parse = summarize(fresh.map((r) => r.ms[0]!))
      const warm = summarize(runBench(bundle, 'warm', file, String(RUNS)).ms)
      const label = `${n / 1000}k services (${lines.toLocaleString('en')} lines)`
      rows.push({ figure: `parse ${label}, fresh process`, ...fmt(parse) })
      rows.push({ figure: `parse ${label}, warm (the same parse again, same process)`, ...fmt(warm) })
      if (restore) {
        const r = summarize(timeRestore(ns, file, RUNS))
        rows.push({ figure: `  iptables-restore --test, same file`, ...fmt(r) })
        const ratio = parse.median / r.median
        const ratioWarm = warm.median / r.median
        rows.push({ figure: `  ratio parse / iptables-restore, fresh process`, median: ratio.toFixed(2), floor: '≤ 0.50', ok: ratio <= 0.5 })
        rows.push({ figure: `  ratio parse / iptables-restore, warm`, median: ratioWarm.toFixed(2), floor: '≤ 0.50', ok: ratioWarm <= 0.5 })
      } else rows.push({ figure: `  iptables-restore --test, same file`, median: 'n/a (not root)' })
      log(`trace through ${n} services…`)
      const t = runBench(bundle, 'trace', file, QUICK ? '100' : '500')
      const ts = summarize(t.ms)
      rows.push({ figure: `  one packet traced, client → ClusterIP (${String(t.steps)} steps)`, ...fmt(ts), floor: '< 1 ms', ok: ts.median < 1 })
      if (t.verdict !== 'delivered') notes.push(`trace through the ${n}-service dump: ${String(t.verdict)} (expected delivered)`)
    }
  } finally {
    if (restore) execFileSync('ip', ['netns', 'del', ns])
  }
  log('all outcomes, 100 endpoints…')
  for (const [world, where] of [
    ['', '3-node cluster (kube layer)'],
    ['-dump', 'one node, dump world'],
  ] as const) {
    // The list (what the import panel and an outcome picker show): every outcome with its
    // probability, DNAT and the rules matched where kube-proxy's random rules chose.
    const e = runBench(bundle, `enumerate${world}`, '100', QUICK ? '20' : '50')
    const es = summarize(e.ms)
    rows.push({ figure: `all outcomes, 100-endpoint Service, ${where}: ${String(e.outcomes)} outcomes listed`, ...fmt(es), floor: '< 5 ms', ok: es.median < 5 })
    rows.push({ figure: `  opening one of them (its full trace, ${String(e.replaySteps)} steps)`, ...fmt(summarize(e.replayMs as number[])) })
    if (Math.abs((e.probability as number) - 1) > 1e-9 || e.dnat !== e.outcomes) notes.push(`all outcomes listed (${where}): probabilities sum to ${String(e.probability)}, ${String(e.dnat)} of ${String(e.outcomes)} DNATed`)
    // Every outcome traced in full up front (what `packetwalk trace --all-outcomes` prints).
    const o = runBench(bundle, `outcomes${world}`, '100', QUICK ? '3' : '7')
    rows.push({ figure: `  every outcome traced in full (${String(o.steps)} steps, the CLI's --all-outcomes)`, ...fmt(summarize(o.ms)) })
    if (Math.abs((o.probability as number) - 1) > 1e-9 || o.delivered !== o.outcomes) notes.push(`all outcomes (${where}): probabilities sum to ${String(o.probability)}, ${String(o.delivered)} of ${String(o.outcomes)} delivered`)
  }
  log('import of the 5k-service dump (engine)…')
  const imports = Array.from({ length: QUICK ? 2 : 3 }, () => runBench(bundle, 'import', join(CACHE, 'kube-proxy-5000.rules')))
  rows.push({ figure: `import of the 5k-service dump, engine only (${String(imports[0]!.rules)} rules): time`, ...fmt(summarize(imports.map((r) => r.ms[0]!))) })
  const mibOf = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`
  rows.push({ figure: `  peak memory of the process (max RSS; ${mibOf((imports[0]!.startKiB as number) * 1024)} before the import)`, ...fmt(summarize(imports.map((r) => (r.peakKiB as number) * 1024)), mibOf) })
}

// ---------------------------------------------------------------------------------------
// Browser.

/**
 * One Lighthouse run. Asynchronous on purpose: the preview server lives in this process and
 * must keep answering. Its own process group, so a timeout also ends the Chrome it started.
 */
async function lighthouse(url: string, out: string): Promise<number | undefined> {
  const flags = '--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic'
  const child = spawn('npx', ['--yes', 'lighthouse@12.8.2', url, '--quiet', `--chrome-flags=${flags}`, '--only-categories=performance', '--output=json', `--output-path=${out}`], {
    env: { ...process.env, CHROME_PATH: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
  }, 300_000)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  if (code !== 0 || !existsSync(out)) {
    notes.push(`lighthouse failed (exit ${String(code)}): ${stderr.trim().split('\n').slice(-2).join(' ')}`)
    return undefined
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as { categories: { performance: { score: number } }; audits: Record<string, { numericValue?: number }> }
  const a = (k: string) => ms(report.audits[k]?.numericValue ?? NaN)
  notes.push(`lighthouse: score ${report.categories.performance.score}, FCP ${a('first-contentful-paint')}, LCP ${a('largest-contentful-paint')}, TBT ${a('total-blocking-time')}, SI ${a('speed-index')}`)
  return report.categories.performance.score
}

async function browser(): Promise<void> {
  const appDir = join(CACHE, 'app')
  const pageDir = join(CACHE, 'page')
  log('vite build (app, then app + bench page)…')
  await buildApp(appDir, false)
  await buildApp(pageDir, true)
  const b = await launch()
  const port = 4470 + (process.pid % 20)
  try {
    let server = await serve(appDir, port)
    const url = `http://127.0.0.1:${port}/`
    try {
      log('first load…')
      const first = await measureFirstLoad(b, url, appDir)
      rows.push({ figure: `first-load JS, gzip (${first.files.length} files)`, median: `${(first.gzip / 1024).toFixed(1)} KB`, floor: '≤ 250 KB', ok: first.gzip / 1024 <= 250 })
      notes.push(`first load fetches: ${first.files.map((f) => `${f.path.replace(/^\/assets\//, '')} ${(f.gzip / 1024).toFixed(1)} KB`).join(', ')}`)
      if (LIGHTHOUSE) {
        log('lighthouse (mobile)…')
        const scores: number[] = []
        for (let i = 0; i < (QUICK ? 1 : 3); i++) {
          rmSync(join(CACHE, `lighthouse-${i}.json`), { force: true })
          const score = await lighthouse(url, join(CACHE, `lighthouse-${i}.json`))
          if (score !== undefined) scores.push(score)
        }
        if (scores.length) rows.push({ figure: 'Lighthouse performance, mobile', ...fmt(summarize(scores), (x) => x.toFixed(2)), floor: '≥ 0.95', ok: summarize(scores).median >= 0.95 })
        else rows.push({ figure: 'Lighthouse performance, mobile', median: 'failed (see notes)' })
      }
      if (await findImportUi(b, url)) {
        log('import of the 5k-service dump…')
        const imports: ImportRun[] = []
        for (let i = 0; i < (QUICK ? 1 : 3); i++) imports.push(await measureImport(b, url, join(CACHE, 'kube-proxy-5000.rules')))
        rows.push({ figure: 'import of the 5k-service dump in the browser (pick → done)', ...fmt(summarize(imports.map((r) => r.totalMs))) })
        rows.push({ figure: '  as the import panel reports it (worker)', ...fmt(summarize(imports.map((r) => r.reportedMs))) })
        const worst = summarize(imports.map((r) => r.worstFrameMs))
        rows.push({ figure: '  page responsive: longest frame gap while importing', ...fmt(worst), floor: '≤ 100 ms', ok: worst.max <= 100 })
        const lt = summarize(imports.map((r) => r.longTasks))
        rows.push({ figure: '  long tasks > 100 ms while importing', ...fmt(lt, (x) => String(x)), floor: '0', ok: lt.max === 0 })
        const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`
        rows.push({ figure: '  page JS heap at its peak while importing (above the page before)', ...fmt(summarize(imports.map((r) => r.heapPeak - r.heapBefore)), mib) })
        notes.push(`longest task while importing: ${imports.map((r) => ms(r.longestTask)).join(', ')}`)
      } else rows.push({ figure: 'import of the 5k-service dump in the browser', median: 'pending: no import UI yet' })
    } finally {
      await server.close()
    }
    copyFileSync(join(CACHE, 'kube-proxy-5000.rules'), join(pageDir, 'kube-proxy-5000.rules'))
    server = await serve(pageDir, port)
    try {
      log('parse in Chromium…')
      const parse = summarize(await measureParseInPage(b, `http://127.0.0.1:${port}/bench/ui/parse.html?dump=../../kube-proxy-5000.rules`, QUICK ? 1 : 3))
      // Beside the other 5k-service figures: after that group of rows.
      let at = rows.findIndex((r) => r.figure.startsWith('parse 5k'))
      if (at < 0) at = rows.length
      else while (at + 1 < rows.length && (rows[at + 1]!.figure.startsWith('  ') || rows[at + 1]!.figure.startsWith('parse 5k'))) at++
      rows.splice(at + 1, 0, { figure: '  parse 5k services in Chromium, first parse in a fresh page (main thread)', ...fmt(parse) })
      const runs: GraphRun[] = []
      for (let i = 0; i < (QUICK ? 1 : 3); i++) {
        log(`graph, 3 nodes / 300 pods, run ${i + 1}…`)
        runs.push(await measureGraph(b, `http://127.0.0.1:${port}/bench/ui/index.html`))
      }
      const info = runs[0]!.info
      rows.push({ figure: `graph first render, 3 nodes / ${info.pods} pods (${info.nodes} graph nodes drawn)`, ...fmt(summarize(runs.map((r) => r.renderMs))), floor: '≤ 1.5 s', ok: summarize(runs.map((r) => r.renderMs)).median <= 1500 })
      rows.push({ figure: '  navigation → graph painted, building the cluster in the page', ...fmt(summarize(runs.map((r) => r.totalMs))) })
      rows.push({ figure: `  of which: build ${info.netns} netns + trace ${info.steps} steps (engine)`, ...fmt(summarize(runs.map((r) => r.buildMs))) })
      const fps = summarize(runs.map((r) => r.panFps))
      rows.push({ figure: 'pan frame rate (3 s drag)', ...fmt(fps, (x) => `${x.toFixed(1)} fps`), floor: '≥ 50 fps', ok: fps.median >= 50 })
      const steps = summarize(runs.flatMap((r) => r.stepTimes))
      rows.push({ figure: `main-thread time per step (${steps.n} steps)`, ...fmt(steps), floor: '≤ 50 ms', ok: steps.median <= 50 && steps.max <= 50 })
      const lt = summarize(runs.map((r) => r.playbackLongTasks))
      rows.push({ figure: 'long tasks > 100 ms during 40-step playback', ...fmt(lt, (x) => String(x)), floor: '0', ok: lt.max === 0 })
      notes.push(`longest task during playback: ${runs.map((r) => ms(r.playbackLongestTask)).join(', ')}; worst pan frame: ${runs.map((r) => ms(r.panWorstFrameMs)).join(', ')}`)
    } finally {
      await server.close()
    }
  } finally {
    await b.close()
  }
}

// ---------------------------------------------------------------------------------------

mkdirSync(CACHE, { recursive: true })
const load0 = loadavg()
const started = performance.now()
await engine()
if (BROWSER) {
  try {
    await browser()
  } catch (e) {
    rows.push({ figure: 'browser figures', median: 'n/a (see notes)' })
    notes.push(`browser figures not taken: ${e instanceof Error ? e.message.split('\n')[0] : String(e)} (Chromium at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}? set CHROMIUM_PATH)`)
  }
}
rmSync(join(CACHE, 'empty.rules'), { force: true })
const load1 = loadavg()
const cpu = cpus()
const chromium = BROWSER ? spawnSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim() : ''
console.log(`packetwalk bench: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), Node ${process.version}${chromium ? `, ${chromium}` : ''}`)
console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end; ${Math.round((performance.now() - started) / 1000)} s`)
console.log(`each figure: median of ${RUNS} runs (traces: of many; browser: of ${QUICK ? 1 : 3} page loads), with min and max\n`)
console.log(printTable(rows))
if (notes.length) console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`)
