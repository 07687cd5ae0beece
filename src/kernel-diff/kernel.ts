/**
 * The Node side of talking to the real kernel: run a command, check that this machine can
 * build network namespaces (root, iproute2, the link kinds), run an exported script's parts.
 * Every namespace made here carries the caller's prefix and is removed again.
 */
import { spawn, spawnSync } from 'node:child_process'

export interface CmdResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CmdResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = opts.timeoutMs ? setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs) : undefined
    p.on('error', (e) => {
      if (timer) clearTimeout(timer)
      resolve({ code: 127, stdout, stderr: `${stderr}${e.message}` })
    })
    p.on('close', (code) => {
      if (timer) clearTimeout(timer)
      resolve({ code: code ?? 137, stdout, stderr })
    })
    if (opts.input !== undefined && p.stdin) {
      p.stdin.on('error', () => undefined)
      p.stdin.end(opts.input)
    }
  })
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0
}

export interface Capabilities {
  readonly vxlan: boolean
  readonly ipip: boolean
  readonly iptables: boolean
  readonly dnsmasq: boolean
  readonly conntrack: boolean
  /** The UDP echo stand-in is a perl one-liner. */
  readonly perl: boolean
}

/**
 * Can this machine run the differential test? Returns what it supports, or why it cannot
 * (not Linux, not root, a missing tool, no network namespaces).
 */
export async function checkKernel(prefix: string): Promise<{ ok: true; caps: Capabilities } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root: network namespaces need root (run .ci/run as root, or sudo)' }
  const missing = ['ip', 'bridge', 'socat', 'ping', 'bash', 'timeout', 'ss', 'od', 'dd'].filter((c) => !has(c))
  if (missing.length > 0) return { ok: false, reason: `missing tools: ${missing.join(', ')} (Debian: apt-get install iproute2 socat iputils-ping coreutils)` }
  const ns = `${prefix}check`
  const add = await run('ip', ['netns', 'add', ns])
  if (add.code !== 0) return { ok: false, reason: `cannot create a network namespace: ${add.stderr.trim()}` }
  try {
    const veth = await run('ip', ['-n', ns, 'link', 'add', 'name', 'pwa', 'type', 'veth', 'peer', 'name', 'pwb'])
    if (veth.code !== 0) return { ok: false, reason: `cannot create a veth pair: ${veth.stderr.trim()}` }
    const br = await run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge'])
    if (br.code !== 0) return { ok: false, reason: `cannot create a bridge: ${br.stderr.trim()}` }
    const vx = await run('ip', ['-n', ns, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '1', 'dstport', '4789', 'dev', 'pwa'])
    const ipip = await run('ip', ['-n', ns, 'link', 'add', 'tun0', 'type', 'ipip', 'local', '10.0.0.1'])
    return {
      ok: true,
      caps: {
        vxlan: vx.code === 0,
        ipip: ipip.code === 0,
        iptables: has('iptables-legacy-restore') || has('iptables-restore'),
        dnsmasq: has('dnsmasq'),
        conntrack: has('conntrack'),
        perl: has('perl'),
      },
    }
  } finally {
    await run('ip', ['netns', 'del', ns])
  }
}

/** Run one part of an exported script (`up`, `down`, `probe SPEC…`) in test mode. */
export function runScript(path: string, args: readonly string[], timeoutMs = 120_000): Promise<CmdResult> {
  return run('bash', [path, ...args], { env: { PW_TEST: '1', PW_WAIT: '1' }, timeoutMs })
}
