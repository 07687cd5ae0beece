import { describe, expect, it } from 'vitest'
import { runCaptured } from '../runCaptured.ts'

const ROOT = new URL('../../../', import.meta.url).pathname

const run = runCaptured

describe('packetwalk export-script', () => {
  it('prints the script for a world file, with the prefix asked for', async () => {
    const r = await run(['export-script', `${ROOT}scenarios/worlds/bridge-two-pods.yaml`, '--prefix', 'lab-'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash\n# packetwalk: bridge-two-pods, built in real network namespaces\./)
    expect(r.stdout).toContain('P=${PW_PREFIX:-lab-}')
    expect(r.stdout).toContain('pw_tcp_server "${P}pod-b" pod-b 80 nginx')
  })

  it('prints the script for a cluster file: pods become netns named ns_name', async () => {
    const r = await run(['export-script', `${ROOT}scenarios/clusters/nodeport.yaml`])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/pw_netns_add "\$\{P\}kube-system_coredns-[a-z0-9-]+"/)
    // kube-proxy's rules go into node1 through iptables-restore.
    expect(r.stdout).toMatch(/ip netns exec "\$\{P\}node1" "\$IPT_RESTORE" <<'PW_RULES'\n\*/)
  })

  it('refuses a bad prefix and a missing input (exit 2)', async () => {
    expect((await run(['export-script', `${ROOT}scenarios/worlds/bridge-two-pods.yaml`, '--prefix', 'a b'])).code).toBe(2)
    const missing = await run(['export-script', `${ROOT}no-such-file.yaml`])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/no such file/)
  })
})
