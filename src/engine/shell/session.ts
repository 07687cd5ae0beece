/**
 * The working state of one `runLine`: a mutable copy of the shell state that commands change
 * in place, the terminal output in order, and the traces the commands produced. Local
 * mutation only; `runLine` hands back a fresh immutable ShellState.
 *
 * Every packet a command sends goes through `trace()`: the tracer runs on the current world,
 * the world becomes the world after the trace (ARP, FDB, conntrack), and each armed tcpdump
 * prints the frames that crossed its interface.
 */
import type { World } from '../model/types.ts'
import type { SendSpec, TraceStep } from '../sim/trace.ts'
import { traceSegment } from '../trace.ts'
import type { TraceSegment } from '../scenario/timeline.ts'
import type { Packet } from '../wire/packet.ts'
import type { Capture, ShellFrame, ShellState } from './state.ts'
import { matchFilter } from './tcpdumpFilter.ts'
import { printFrame } from './tcpdumpPrint.ts'
import { formatTimeOfDay } from './text.ts'

export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr'
  readonly text: string
}

export class Session {
  world: World
  netns: string
  machine: string
  label: string
  cwd: string
  env: Record<string, string>
  frames: ShellFrame[]
  captures: Capture[]
  files: Record<string, string>
  clock: number
  readonly epoch: number
  lastStatus: number
  pmtu: Record<string, number>
  podBirth: Record<string, number>
  nextJob: number
  readonly history: readonly string[]
  /** What reached the terminal, in order. */
  readonly output: OutputChunk[] = []
  readonly traces: TraceSegment[] = []
  /** Set by commands that change the world without a trace (ip, iptables, kubectl…). */
  changed = false
  /** Set by `exit` in the outermost shell. */
  loggedOut = false
  private traceCount = 0

  constructor(
    s: ShellState,
    readonly seed: number,
  ) {
    this.world = s.world
    this.netns = s.netns
    this.machine = s.machine
    this.label = s.label
    this.cwd = s.cwd
    this.env = { ...s.env }
    this.frames = [...s.frames]
    this.captures = [...s.captures]
    this.files = { ...s.files }
    this.clock = s.clock
    this.epoch = s.epoch
    this.lastStatus = s.lastStatus
    this.pmtu = { ...s.pmtu }
    this.podBirth = { ...s.podBirth }
    this.nextJob = s.nextJob
    this.history = s.history
  }

  toState(runs: number, history: readonly string[]): ShellState {
    return {
      world: this.world,
      netns: this.netns,
      machine: this.machine,
      label: this.label,
      cwd: this.cwd,
      env: this.env,
      history,
      frames: this.frames,
      captures: this.captures,
      files: this.files,
      clock: this.clock,
      epoch: this.epoch,
      lastStatus: this.lastStatus,
      pmtu: this.pmtu,
      podBirth: this.podBirth,
      runs,
      nextJob: this.nextJob,
    }
  }

  terminal(stream: 'stdout' | 'stderr', text: string): void {
    if (text === '') return
    const last = this.output[this.output.length - 1]
    if (last && last.stream === stream) this.output[this.output.length - 1] = { stream, text: last.text + text }
    else this.output.push({ stream, text })
  }

  /** Replace the world after an operation (no trace): the UI redraws. */
  setWorld(w: World): void {
    this.world = w
    this.changed = true
  }

  /** The wall-clock time now, for dates and timestamps. */
  get now(): number {
    return this.epoch + this.clock
  }

  /** Advance the simulated clock by ms. */
  advance(ms: number): void {
    this.clock += Math.max(0, Math.round(ms))
  }

  /**
   * Send one packet through the world from a netns (or address), record the trace and let
   * running captures print what crossed their interface.
   */
  trace(send: SendSpec, title: string, transform?: (seg: TraceSegment) => TraceSegment): TraceSegment {
    const raw = traceSegment(this.world, send, { title, seed: this.seed * 1000 + ++this.traceCount, now: this.clock })
    const seg = transform ? transform(raw) : raw
    this.record(seg)
    return seg
  }

  /** Record a trace made elsewhere (a DNS lookup through session.ts) as if sent here. */
  record(seg: TraceSegment): void {
    this.traces.push(seg)
    this.world = seg.after
    this.changed = true
    this.feedCaptures(seg.steps)
    const last = seg.steps[seg.steps.length - 1]
    if (last) this.clock = Math.max(this.clock, Math.ceil(last.t))
  }

  /** A seed for the next trace made outside `trace()`. */
  nextSeed(): number {
    return this.seed * 1000 + ++this.traceCount
  }

  private feedCaptures(steps: readonly TraceStep[]): void {
    if (this.captures.length === 0) return
    const lines: string[] = []
    this.captures = this.captures.map((c) => {
      let count = c.count
      for (const seen of framesOn(this.world, steps, c.netns, c.iface)) {
        if (c.limit !== undefined && count >= c.limit) break
        if (!matchFilter(c.filter, seen.packet)) continue
        count++
        lines.push(`${formatTimeOfDay(this.epoch + seen.t)} ${printFrame(seen.packet, { numeric: c.numeric, link: c.link, verbose: c.verbose })}`)
      }
      return { ...c, count }
    })
    if (lines.length) this.terminal('stdout', `${lines.join('\n')}\n`)
  }
}

/**
 * The frames a capture on (netns, iface) sees in a trace, in order. A frame is seen when it
 * crosses the interface (a veth or underlay crossing leaving or arriving there), when a VXLAN
 * device wraps or unwraps it (the inner frame), or when the host stack sends through the
 * device. A capture on a bridge puts it in promiscuous mode, so it sees every frame entering
 * any of its ports as well (br_handle_frame_finish passes them up).
 */
export function framesOn(w: World, steps: readonly TraceStep[], netns: string, iface: string): { t: number; packet: Packet }[] {
  const ns = w.netns[netns]
  const dev = ns?.links.find((l) => l.name === iface)
  const isBridge = dev?.kind === 'bridge'
  const ports = new Set(isBridge ? ns!.links.filter((l) => l.master === iface).map((l) => l.name) : [])
  const out: { t: number; packet: Packet }[] = []
  for (const s of steps) {
    if (s.kind === 'veth' || s.kind === 'segment') {
      const leaves = s.netns === netns && s.dev === iface
      const arrives = s.to?.netns === netns && (s.to.dev === iface || ports.has(s.to.dev))
      if (leaves || arrives) out.push({ t: s.t, packet: s.packet })
      continue
    }
    if (s.netns !== netns) continue
    if (s.kind === 'encap' && s.dev === iface) {
      const i = s.packet.headers.findIndex((h) => h.kind === 'vxlan')
      if (i >= 0) out.push({ t: s.t, packet: { headers: s.packet.headers.slice(i + 1) } })
      continue
    }
    if (s.kind === 'decap' && s.dev === iface) {
      out.push({ t: s.t, packet: s.packet })
      continue
    }
    if (s.kind === 'tx' && s.dev === iface && (isBridge || dev?.kind === 'loopback' || dev?.kind === 'dummy' || dev?.kind === 'ipip')) out.push({ t: s.t, packet: s.packet })
    if ((s.kind === 'arp-request' || s.kind === 'arp-reply') && s.dev === iface && isBridge) out.push({ t: s.t, packet: s.packet })
  }
  return out
}

/** What a command sees: its argv, stdin, where its output goes, and the netns it runs in. */
export interface Io {
  readonly sh: Session
  readonly netns: string
  readonly stdin: string
  /** stdout is a terminal (not a pipe or a file). */
  readonly tty: boolean
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Run a command line as if typed here (for `ip netns exec`, `kubectl exec`, `$(…)`). */
  readonly exec: (argv: readonly string[], opts?: { netns?: string; stdin?: string; env?: Readonly<Record<string, string>> }) => number
  /** Run shell text (for `watch 'cmd'`, `bash -c 'cmd'`). */
  readonly run: (text: string, opts?: { netns?: string; stdin?: string }) => number
  readonly env: Readonly<Record<string, string>>
}

export type Command = (io: Io, argv: readonly string[]) => number
