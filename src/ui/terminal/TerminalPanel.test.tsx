// @vitest-environment jsdom
/**
 * The terminal panel in a DOM: xterm.js is replaced by a fake that records what is written and
 * lets the test type, so the panel's wiring (line editor → shell store → onCommit, the netns
 * picker, the lab panel and its saved progress) is checked without a canvas.
 */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { emptyWorld } from '../../engine/model/ops.ts'
import { PROGRESS_KEY } from './labProgress.ts'
import { TerminalPanel } from './TerminalPanel.tsx'
import type { ShellCommit } from './useShellStore.ts'

const fake = vi.hoisted(() => {
  const state = { written: '', onData: undefined as ((d: string) => void) | undefined, options: {} as Record<string, unknown> }
  class Terminal {
    cols = 100
    constructor(opts: Record<string, unknown>) {
      state.options = opts
    }
    loadAddon() {}
    open() {}
    focus() {}
    clear() {}
    write(t: string) {
      state.written += t
    }
    onData(cb: (d: string) => void) {
      state.onData = cb
      return { dispose() {} }
    }
    dispose() {}
  }
  class FitAddon {
    fit() {}
  }
  return { state, Terminal, FitAddon }
})

vi.mock('@xterm/xterm', () => ({ Terminal: fake.Terminal }))
vi.mock('@xterm/addon-fit', () => ({ FitAddon: fake.FitAddon }))

/** The app's world: one object, as a store would hold it. */
const WORLD = emptyWorld()

function type(line: string) {
  act(() => fake.state.onData!(`${line}\r`))
}

beforeEach(() => {
  fake.state.written = ''
  fake.state.onData = undefined
  localStorage.clear()
})
afterEach(cleanup)

describe('<TerminalPanel>', () => {
  it('runs Exercise 1 typed line by line and reports each command to the app', async () => {
    const commits: ShellCommit[] = []
    render(<TerminalPanel world={WORLD} onCommit={(c) => commits.push(c)} />)
    await waitFor(() => expect(fake.state.onData).toBeDefined(), { timeout: 15_000 })
    // screen reader mode is on: the output is exposed as text
    expect(fake.state.options.screenReaderMode).toBe(true)
    expect(fake.state.written).toContain('root@host:~# ')
    for (const l of ['ip netns add pod-a', 'ip netns add pod-b', 'ip link add cni0 type bridge', 'ip link set cni0 up', 'ip addr add 10.244.1.1/24 dev cni0', 'ip link add veth-a type veth peer name eth0 netns pod-a', 'ip link add veth-b type veth peer name eth0 netns pod-b', 'ip link set veth-a master cni0', 'ip link set veth-b master cni0', 'ip link set veth-a up', 'ip link set veth-b up', 'ip netns exec pod-a ip addr add 10.244.1.2/24 dev eth0', 'ip netns exec pod-b ip addr add 10.244.1.3/24 dev eth0', 'ip netns exec pod-a ip link set eth0 up', 'ip netns exec pod-b ip link set eth0 up']) type(l)
    type('ip netns exec pod-a ping -c 2 10.244.1.3')
    expect(fake.state.written).toContain('64 bytes from 10.244.1.3: icmp_seq=2 ttl=64 time=')
    // newlines reach xterm as CRLF
    expect(fake.state.written).not.toMatch(/[^\r]\n/)
    const ping = commits[commits.length - 1]!
    expect(ping.traces).toHaveLength(2)
    expect(ping.segments.map((s) => s.kind)).toEqual(['trace', 'trace'])
    expect(Object.keys(ping.world.netns).sort()).toEqual(['host', 'pod-a', 'pod-b'])
    // a wrong command gives the real error and reports nothing
    const before = commits.length
    type('ip link set nodev up')
    expect(fake.state.written).toContain('Cannot find device "nodev"\r\n')
    expect(commits).toHaveLength(before)
  })

  it('the netns picker moves the prompt', async () => {
    render(<TerminalPanel world={WORLD} />)
    await waitFor(() => expect(fake.state.onData).toBeDefined(), { timeout: 15_000 })
    type('ip netns add pod-a')
    const picker = await screen.findByTestId('terminal-netns')
    fireEvent.change(picker, { target: { value: 'pod-a' } })
    expect(fake.state.written).toContain('root@host [netns pod-a]:~# ')
    type('ip -br link')
    expect(fake.state.written).toContain('lo               DOWN           00:00:00:00:00:00 <LOOPBACK> ')
  })

  it('a lab shows its task, checks after each command, hints on request, and remembers progress', async () => {
    const commits: ShellCommit[] = []
    render(<TerminalPanel world={null} lab="service-dnat" onCommit={(c) => commits.push(c)} />)
    await screen.findByTestId('lab-panel')
    // the lab's world is handed to the app first
    expect(commits[0]!.segments[0]!.kind).toBe('change')
    expect(screen.getAllByTestId('lab-check').map((c) => c.getAttribute('data-ok'))).toEqual(['false', 'false', 'false'])
    fireEvent.click(screen.getByTestId('lab-hint-button'))
    expect(screen.getByTestId('lab-hints').textContent).toContain('iptables -t nat -N TEST-SVC')
    expect(JSON.parse(localStorage.getItem(PROGRESS_KEY)!)).toEqual({ 'service-dnat': { hintsShown: 1, done: false } })
    await waitFor(() => expect(fake.state.onData).toBeDefined(), { timeout: 15_000 })
    type('iptables -t nat -N TEST-SVC')
    type('iptables -t nat -A PREROUTING -d 10.96.1.100/32 -p tcp --dport 80 -j TEST-SVC')
    type('iptables -t nat -A TEST-SVC -p tcp -j DNAT --to-destination 10.244.1.5:80')
    await screen.findByTestId('lab-done')
    expect(screen.getAllByTestId('lab-check').map((c) => c.getAttribute('data-ok'))).toEqual(['true', 'true', 'true'])
    expect(JSON.parse(localStorage.getItem(PROGRESS_KEY)!)).toEqual({ 'service-dnat': { hintsShown: 1, done: true } })
  })

  it('a lab brought back after a reload shows its earlier output and checks', async () => {
    const first = render(<TerminalPanel world={null} lab="service-dnat" />)
    await waitFor(() => expect(fake.state.onData).toBeDefined(), { timeout: 15_000 })
    type('iptables -t nat -N TEST-SVC')
    type('iptables -t nat -N TEST-SVC')
    first.unmount()
    fake.state.written = ''
    fake.state.onData = undefined
    // a new page: the panel mounts again and the store replays the saved lines
    render(<TerminalPanel world={null} lab="service-dnat" />)
    await waitFor(() => expect(fake.state.onData).toBeDefined(), { timeout: 15_000 })
    expect(fake.state.written).toContain('root@host:~# iptables -t nat -N TEST-SVC\r\niptables: Chain already exists.\r\n')
  })

  it('the DNS lab\'s fault picker starts the lab over with that fault', async () => {
    render(<TerminalPanel world={null} lab="dns-debug" fault="kube-dns-no-endpoints" />)
    const picker = await screen.findByTestId('lab-fault-picker')
    expect((picker as HTMLSelectElement).value).toBe('kube-dns-no-endpoints')
    // CoreDNS runs; the Service has no endpoints
    expect(screen.getAllByTestId('lab-check').map((c) => c.getAttribute('data-ok'))).toEqual(['true', 'false', 'false'])
    fireEvent.change(picker, { target: { value: 'coredns-scaled-to-zero' } })
    await waitFor(() => expect(screen.getAllByTestId('lab-check').map((c) => c.getAttribute('data-ok'))).toEqual(['false', 'false', 'false']))
    expect(screen.getByTestId<HTMLSelectElement>('lab-fault-picker').value).toBe('coredns-scaled-to-zero')
  })
})
