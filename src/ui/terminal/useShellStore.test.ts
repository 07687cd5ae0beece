// @vitest-environment jsdom
/**
 * The shell store's lab sessions: every step a learner takes in a lab is saved, and opening
 * the lab again (a reload) replays them into the same world, output and history; Start over
 * and another fault begin from the lab's own world.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { loadLabSession, SESSION_KEY } from './labSession.ts'
import { useShellStore } from './useShellStore.ts'

const EPOCH = Date.UTC(2026, 10, 26, 9, 0, 0)
const store = () => useShellStore.getState()

/** Type lines as the terminal does: each through the store's run, keeping what it printed. */
function type(...lines: string[]): string {
  let out = ''
  for (const l of lines) {
    const { run } = store().run(l)
    out += run.output.map((c) => c.text).join('')
  }
  return out
}

beforeEach(() => {
  localStorage.clear()
})

describe('lab sessions survive a reload', () => {
  it('replays the saved lines into the same world, history, checks and output', () => {
    store().startLab('bridge', { epoch: EPOCH })
    const printed = type('ip netns add pod-a', 'ip link set veth-a up', 'ip netns add pod-b', 'ip link add cni0 type bridge', 'ip link set cni0 up', 'ip addr add 10.244.1.1/24 dev cni0', 'ip link add veth-a type veth peer name eth0 netns pod-a', 'ip link set veth-a master cni0', 'ip link set veth-a up', 'ip netns exec pod-a ip addr add 10.244.1.2/24 dev eth0', 'ip netns exec pod-a ip link set eth0 up', 'ip netns exec pod-a ping -c 1 10.244.1.1')
    store().setNetns('pod-a')
    const before = store()
    // the wrong command is saved too: the learner saw its error and it is in their history
    expect(loadLabSession('bridge')?.steps).toHaveLength(13)

    const world = store().startLab('bridge') // what a reload does: open the lab again
    const after = store()
    expect(JSON.stringify(world)).toBe(JSON.stringify(before.world))
    expect(after.shell?.history).toEqual(before.shell?.history)
    expect(after.shell?.netns).toBe('pod-a')
    expect(after.shell?.clock).toBe(before.shell?.clock)
    expect(after.labResult).toEqual(before.labResult)
    // the terminal shows what it showed, ping times included (the replay is seeded the same way)
    expect(after.transcript).toContain('Cannot find device "veth-a"')
    expect(after.transcript).toContain('root@host:~# ip netns exec pod-a ping -c 1 10.244.1.1\n')
    expect(after.transcript.replace(/root@host:~# [^\n]*\n/g, '')).toBe(printed)
    expect(after.session).toBe(before.session + 1)
  })

  it('Start over (fresh) forgets the saved steps', () => {
    store().startLab('bridge', { epoch: EPOCH })
    type('ip netns add pod-a')
    store().startLab('bridge', { fresh: true, epoch: EPOCH })
    expect(store().shell?.history).toEqual([])
    expect(Object.keys(store().world?.netns ?? {})).toEqual(['host'])
    expect(loadLabSession('bridge')?.steps).toEqual([])
  })

  it('a DNS lab comes back with its fault; another fault starts over', () => {
    store().startLab('dns-debug', { fault: 'policy-blocks-dns', epoch: EPOCH })
    type('kubectl get networkpolicies -A')
    store().startLab('dns-debug')
    expect(store().fault).toBe('policy-blocks-dns')
    expect(store().shell?.history).toEqual(['kubectl get networkpolicies -A'])
    expect(store().transcript).toContain('client-egress')
    store().startLab('dns-debug', { fault: 'kube-dns-no-endpoints' })
    expect(store().fault).toBe('kube-dns-no-endpoints')
    expect(store().shell?.history).toEqual([])
  })

  it('Ctrl-C of a background capture is a step too', () => {
    store().startLab('bridge', { epoch: EPOCH })
    type('ip link add cni0 type bridge', 'ip link set cni0 up', 'tcpdump -i cni0 -n')
    // the shell's tcpdump keeps capturing in the background until Ctrl-C
    expect(store().shell?.captures).toHaveLength(1)
    const text = store().interrupt()
    expect(loadLabSession('bridge')?.steps.at(-1)).toEqual({ interrupt: true })
    store().startLab('bridge')
    expect(store().shell?.captures).toEqual([])
    expect(store().transcript.endsWith(text)).toBe(true)
  })

  it('a stored value that is not a session is ignored', () => {
    localStorage.setItem(SESSION_KEY, JSON.stringify({ bridge: { epoch: 'x', steps: 3 }, vxlan: [1] }))
    expect(() => store().startLab('bridge', { epoch: EPOCH })).not.toThrow()
    expect(store().shell?.history).toEqual([])
    localStorage.setItem(SESSION_KEY, '{not json')
    expect(() => store().startLab('vxlan', { epoch: EPOCH })).not.toThrow()
  })
})
