/**
 * A scenario as the input of `trace` and `export-script` (CLI.md lists it with world, cluster
 * and dump inputs): its starting world, or with `--step N` the world after its first N actions,
 * with `--what-if ID` switching on its what-ifs.
 */
import { describe, expect, it } from 'vitest'
import { runCaptured } from './runCaptured.ts'

const SCENARIOS = new URL('../../scenarios/', import.meta.url).pathname
const CLUSTERIP = `${SCENARIOS}08-clusterip-service.yaml`
const FORWARD = `${SCENARIOS}18-what-if-ip-forward-off.yaml`

const run = runCaptured

async function outcomes(argv: string[]): Promise<{ probability: number; verdict: string; dnat: string | null; dropReason: string | null }[]> {
  const r = await run(['trace', ...argv, '--json'])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout) as { outcomes: [] }).outcomes
}

const dnats = (os: { dnat: string | null }[]) => os.map((o) => o.dnat).sort()
/** The nginx endpoints (port 80) the script's kube-proxy rules DNAT to, each once. */
const nginxEndpoints = (script: string) => [...new Set([...script.matchAll(/-j DNAT --to-destination (\S+:80)$/gm)].map((m) => m[1]))].sort()

describe('trace SCENARIO', () => {
  const svc = ['--from', 'default/client', '--to', 'default/nginx-svc:80', '--all-outcomes']

  it('traces in the world the scenario starts from', async () => {
    // 08 starts with nginx at 2 replicas (clusters/services.yaml): two endpoints at 1/2.
    const os = await outcomes([CLUSTERIP, ...svc])
    expect(dnats(os)).toEqual(['10.244.1.6:80', '10.244.2.3:80'])
    for (const o of os) expect(o.probability).toBeCloseTo(0.5, 9)
  })

  it('--step 0 is the start', async () => {
    expect(dnats(await outcomes([CLUSTERIP, '--step', '0', ...svc]))).toEqual(['10.244.1.6:80', '10.244.2.3:80'])
  })

  it('--step 2: after `kubectl scale … --replicas=4`, four endpoints at 1/4', async () => {
    // Action 2 scales nginx to 4; kube-proxy's cascade then gives each 1/4. --seed 5 picks a source
    // port other than action 1's, whose connection is still in conntrack (it would pin its endpoint).
    const os = await outcomes([CLUSTERIP, '--step', '2', '--seed', '5', ...svc])
    expect(dnats(os)).toEqual(['10.244.1.6:80', '10.244.1.7:80', '10.244.2.3:80', '10.244.2.4:80'])
    for (const o of os) expect(o.probability).toBeCloseTo(0.25, 8)
  })

  it('--step 1 keeps what action 1 left: its connection pins the same source port to its endpoint', async () => {
    // Seed 1 sends from the same port as action 1 did: conntrack finds the entry, no random pick.
    const os = await outcomes([CLUSTERIP, '--step', '1', ...svc])
    expect(os).toHaveLength(1)
    expect(os[0]!.probability).toBe(1)
  })

  it('--what-if switches one on: ip_forward off on node1 drops pod-a → pod-c', async () => {
    const args = [FORWARD, '--from', 'default/pod-a', '--to', 'default/pod-c']
    expect((await outcomes(args))[0]!.verdict).toBe('delivered')
    const [off] = await outcomes([...args, '--what-if', 'forward-off'])
    // The what-if's own expectation for this action: dropped, reason ip_forward.
    expect(off).toMatchObject({ verdict: 'dropped' })
    expect(off!.dropReason).toMatch(/ip_forward/)
  })
})

describe('export-script SCENARIO', () => {
  it('prints the script of the starting world', async () => {
    const r = await run(['export-script', CLUSTERIP])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash\n# packetwalk: 08-clusterip-service, built in real network namespaces\./)
    // Two nginx endpoints at the start (every node has kube-proxy's rules for them).
    expect(nginxEndpoints(r.stdout)).toEqual(['10.244.1.6:80', '10.244.2.3:80'])
  })

  it('--step 2 prints the world after the scale-up', async () => {
    const r = await run(['export-script', CLUSTERIP, '--step', '2'])
    expect(r.code).toBe(0)
    expect(nginxEndpoints(r.stdout)).toEqual(['10.244.1.6:80', '10.244.1.7:80', '10.244.2.3:80', '10.244.2.4:80'])
  })
})

describe('bad scenario options (exit 2)', () => {
  const table: { name: string; argv: string[]; stderr: RegExp }[] = [
    // 08 has three actions: the message lists them so the user can pick.
    { name: '--step past the last action', argv: ['trace', CLUSTERIP, '--step', '4', '--from', 'default/client', '--to', '10.96.45.123:80'], stderr: /--step 4: 08-clusterip-service.yaml has 3 actions; give 0 \(the start\) to 3:\n {2}1 {2}client connects to nginx-svc:80/ },
    { name: '--step that is not a number', argv: ['export-script', CLUSTERIP, '--step', 'two'], stderr: /--step two:/ },
    { name: '--step on a world file', argv: ['export-script', `${SCENARIOS}worlds/bridge-two-pods.yaml`, '--step', '1'], stderr: /--step and --what-if apply to a scenario input, not to a world input/ },
    // runScenario's SCN004: the ids the scenario has are named.
    { name: 'an unknown what-if', argv: ['export-script', FORWARD, '--what-if', 'nope'], stderr: /no what-if called "nope" \(have: forward-off\)/ },
  ]
  for (const t of table) {
    it(t.name, async () => {
      const r = await run(t.argv)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(t.stderr)
      expect(r.stdout).toBe('')
    })
  }
})
