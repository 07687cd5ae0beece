#!/usr/bin/env node
// The one test command (`npm test`): type check, lint, unit, e2e in Chromium, and the
// real-kernel differential test where this machine allows it. Every runner prints a plain
// "<runner>: N passed, N failed" line; the exit status is non-zero if anything failed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
process.chdir(root)
const out = join(root, '.ci-out')
mkdirSync(out, { recursive: true })
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }
const only = new Set(process.argv.slice(2))
const want = (name) => only.size === 0 || only.has(name)
const summary = []
let failed = false

function run(cmd, args, extraEnv = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, ...extraEnv } })
  return r.status === 0
}
function report(runner, passed, fails, note = '') {
  const line = `${runner}: ${passed} passed, ${fails} failed${note ? ` (${note})` : ''}`
  summary.push(line)
  console.log(line)
  if (fails > 0) failed = true
}
const bin = (name) => join(root, 'node_modules', '.bin', name)

if (want('tsc')) {
  const app = run(bin('tsc'), ['-p', 'tsconfig.json'])
  const engine = run(bin('tsc'), ['-p', 'src/engine/tsconfig.json'])
  report('tsc', Number(app) + Number(engine), Number(!app) + Number(!engine), 'app + DOM-free engine')
}

if (want('lint')) {
  const ok = run(bin('eslint'), ['.', '--max-warnings=0'])
  report('eslint', Number(ok), Number(!ok))
}

if (want('unit')) {
  const json = join(out, 'vitest.json')
  const ok = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`])
  if (existsSync(json)) {
    const r = JSON.parse(readFileSync(json, 'utf8'))
    report('vitest', r.numPassedTests, r.numFailedTests + (ok || r.numFailedTests > 0 ? 0 : 1))
  } else report('vitest', 0, 1, 'no report written')
}

if (want('e2e')) {
  const chromium = findChromium()
  if (!chromium) {
    report('playwright', 0, 1, 'no usable Chromium')
    console.error(
      'No usable Chromium found. Install Debian\'s package as root (apt-get install -y chromium), ' +
        'or point CHROMIUM_PATH at a Chromium/Chrome binary, then run `npm test` again.',
    )
  } else {
    console.log(`Chromium for e2e: ${chromium}`)
    const built = run(bin('vite'), ['build'])
    if (!built) report('playwright', 0, 1, 'vite build failed')
    else {
      const json = join(out, 'playwright.json')
      run(bin('playwright'), ['test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], {
        CHROMIUM_PATH: chromium,
        PLAYWRIGHT_JSON_OUTPUT_NAME: json,
      })
      if (existsSync(json)) {
        const s = JSON.parse(readFileSync(json, 'utf8')).stats
        report('playwright', s.expected + s.flaky, s.unexpected + (s.expected + s.flaky + s.unexpected === 0 ? 1 : 0))
      } else report('playwright', 0, 1, 'no report written')
    }
  }
}

if (want('kernel') && existsSync(join(root, 'src/kernel-diff/run.ts'))) {
  const json = join(out, 'kernel.json')
  run(bin('tsx'), ['src/kernel-diff/run.ts', `--json=${json}`])
  if (existsSync(json)) {
    const r = JSON.parse(readFileSync(json, 'utf8'))
    if (r.skipped) {
      console.log(`\n*** kernel differential test SKIPPED: ${r.skipped} ***\n`)
      report('kernel', 0, r.problems?.length ?? 0, `skipped: everything: ${r.skipped}${r.problems?.length ? `; ${r.problems.length} problem(s) loading worlds/scenarios, counted as failed` : ''}`)
    } else {
      // Nothing skipped silently: worlds this machine cannot build, probes it cannot ask, scenario
      // actions the kernel cannot be asked about, each with its reason; problems are failures.
      const notes = []
      if (r.problems?.length) notes.push(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} loading worlds/scenarios, counted as failed`)
      if (r.known) notes.push(`${r.known} known difference${r.known === 1 ? '' : 's'}, listed above`)
      const skips = Object.entries(r.skipReasons ?? {})
      if (r.skippedWorlds || r.skippedProbes || r.skippedActions) {
        notes.push(`skipped: ${r.skippedWorlds ?? 0} world${r.skippedWorlds === 1 ? '' : 's'}, ${r.skippedProbes ?? 0} probe${r.skippedProbes === 1 ? '' : 's'}, ${r.skippedActions ?? 0} scenario action${r.skippedActions === 1 ? '' : 's'}: ${skips.map(([why, n]) => `${n}× ${why}`).join('; ')}`)
      }
      report('kernel', r.passed, r.failed, notes.join('; '))
    }
  } else report('kernel', 0, 1, 'no report written')
}

console.log('\n== summary ==')
for (const line of summary) console.log(line)
process.exit(failed ? 1 : 0)

function usable(path) {
  if (!path || !existsSync(path)) return false
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 })
  return r.status === 0 && /chrom/i.test(r.stdout)
}

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  const pwCache = process.env.PLAYWRIGHT_BROWSERS_PATH ?? join(homedir(), '.cache', 'ms-playwright')
  if (existsSync(pwCache)) {
    for (const d of readdirSync(pwCache).filter((d) => d.startsWith('chromium')).sort().reverse()) {
      candidates.push(join(pwCache, d, 'chrome-linux', 'chrome'), join(pwCache, d, 'chrome-linux64', 'chrome'))
    }
  }
  for (const c of candidates) if (usable(c)) return c
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('No Chromium found; installing Debian\'s chromium package (running as root).')
    run('apt-get', ['update', '-qq'])
    run('apt-get', ['install', '-y', '-qq', 'chromium'], { DEBIAN_FRONTEND: 'noninteractive' })
    if (usable('/usr/bin/chromium')) return '/usr/bin/chromium'
  }
  return null
}
