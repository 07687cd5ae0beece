/**
 * The tracer: walks one packet (and, by default, its answer) through the world, hop by hop,
 * the way the Linux stack would, and records every step as plain data.
 *
 * Pure: the world is never mutated; the clock (`now`) and randomness (`rng`, `decide`) come
 * from the caller, so the same inputs always give the same trace. Netfilter runs through
 * `processHook` at the kernel's hook points (PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING,
 * and the bridge path when net.bridge.bridge-nf-call-iptables is on).
 *
 * Routes are looked up through the netns's policy rules (route/fib.ts) with each packet's
 * flow: source, input device, mark, protocol and ports.
 *
 * Sources are validated as fib_validate_source does (martians, rp_filter).
 *
 * Simplifications (also stated in traces where they matter): no IP fragmentation (an oversized
 * packet without DF is noted and travels whole), no STP or VLANs on bridges, TCP is a SYN /
 * SYN-ACK exchange (the handshake's ACK and the data are not traced).
 */
import { BROADCAST_MAC, ZERO_MAC, cidrContains, isLoopbackIp, isMulticastMac } from '../wire/addr.ts'
import type { Ip, Mac } from '../wire/addr.ts'
import { HEADER_BYTES, VXLAN_OVERHEAD, findHeader, ip as ipOf, l4, rewriteL3, stripL2, summarize, withEthernet } from '../wire/packet.ts'
import type { ArpHeader, Header, IcmpHeader, Ipv4Header, Packet, TcpHeader, UdpHeader } from '../wire/packet.ts'
import type { BridgeLink, FdbEntry, Link, Listener, NeighEntry, Netns, Route, VxlanLink, World } from '../model/types.ts'
import { ROUTE_ERRNO_TEXT, addrType, describeRoute, findLocalAddr, lookupRoute, routeErrno, routeSource, selectSource, validateSource } from '../route/fib.ts'
import type { FlowKey, RouteResult } from '../route/fib.ts'
import { isDefaultRules } from '../route/rules.ts'
import { decideBridge, learnFdb } from '../link/bridge.ts'
import { decapsulate, encapsulate, learnVxlanFdb, lookupVxlanFdb, vxlanSourcePort } from '../link/vxlan.ts'
import { processHook } from '../netfilter/hooks.ts'
import { hex } from '../netfilter/grammar.ts'
import type { CtRef, HookOutcome, NfEnv, NfPacket } from '../netfilter/hooks.ts'
import type { Hook } from '../netfilter/types.ts'
import { applyToNetns } from './effects.ts'
import { createRng, randomInt } from '../rng.ts'
import type { Rng } from '../rng.ts'
import type { Effect, Flow, Outcome, ReplyOutcome, SendSpec, TableRef, TraceStep, Verdict } from './trace.ts'

/**
 * Answers DNS questions for a netns that runs a DNS server (CoreDNS). Injected by the caller.
 * `at` is the server's netns as the trace has it and the simulated time the query arrives;
 * `effects` are state changes the answer makes there (a CoreDNS cache entry), recorded on the
 * `dns` step.
 */
export type DnsResponder = (serverNetns: string, question: { name: string; type: string }, at?: { readonly now: number; readonly netns: Netns }) => {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED'
  answers: { name: string; type: 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT'; ttl: number; data: string }[]
  explain: string
  effects?: readonly Effect[]
}

export interface SimOptions {
  /** Simulated start time, ms. Default 0. */
  readonly now?: number
  readonly seed?: number
  readonly rng?: Rng
  /** Probabilistic branch chooser (`-m statistic`); default: the RNG. Enumeration passes its own. */
  readonly decide?: (probability: number, label: string) => boolean
  readonly dns?: DnsResponder
  /** Guard against forwarding loops. Default 4000 steps. */
  readonly maxSteps?: number
}

export interface SimResult {
  readonly steps: readonly TraceStep[]
  readonly world: World
  readonly outcome: Omit<Outcome, 'probability' | 'steps'>
}

/**
 * One run of a netfilter hook that made random choices (called `decide`), with everything
 * `processHook` was given: running it again with other answers gives that hook's other outcomes.
 */
export interface DecisionPoint {
  readonly netnsName: string
  /** The netns as the hook saw it. */
  readonly netns: Netns
  readonly hook: Hook
  readonly path: 'routed' | 'bridge'
  readonly packet: NfPacket
  /** Simulated time the hook ran at. */
  readonly now: number
  /** State of the trace's RNG when the hook started (createRng(rngState) continues it). */
  readonly rngState: number
  readonly phase: 'request' | 'reply'
  /** The request's translations before this hook (the outcome's dnat/snat/masquerade so far). */
  readonly before: { readonly dnat?: string; readonly snat?: string; readonly masquerade: boolean }
  /** How many decide() calls this hook run made, and how many the trace made before it. */
  readonly decisions: number
  readonly decisionsBefore: number
  /** Some decision here could go either way (0 < p < 1); else every answer was forced. */
  readonly branching: boolean
  /** What the hook did with the answers this trace gave. */
  readonly result?: HookOutcome
}

/** One answer a trace gave to decide(), in call order (the shape netfilter/enumerate.ts uses). */
export interface DecisionAnswer {
  readonly label: string
  readonly probability: number
  readonly taken: boolean
}

/** Per-packet metadata that lives only inside one netns (the kernel's skb fields). */
interface Skb {
  readonly pkt: Packet
  readonly mark: number
  readonly ct?: CtRef
  /** br_netfilter already ran PREROUTING for this packet. */
  readonly preroutingDone?: boolean
  /** The last hook's mangle table changed the mark (at OUTPUT: route again). */
  readonly mangleRemarked?: boolean
}

interface Expectation {
  /** The netns whose socket waits for the answer. */
  readonly netns: string
  /** What the reply must carry to match the socket: the addresses the client talked to. */
  readonly src: Ip
  readonly dst: Ip
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly sport?: number
  readonly dport?: number
  readonly icmpId?: number
}

class Halt extends Error {}

interface Ctx {
  /** The world the trace started from; netns this trace changed are in `changed` (see ns()). */
  readonly w0: World
  readonly changed: Map<string, Netns>
  readonly steps: TraceStep[]
  t: number
  readonly rng: Rng
  readonly decide: (p: number, label: string) => boolean
  readonly dns?: DnsResponder
  readonly maxSteps: number
  flow: Flow
  copy?: string
  ipId: number
  // outcome bookkeeping
  request: { verdict?: Verdict; deliveredTo?: string; deliveredNetns?: string | null; dropReason?: string; dnat?: string; snat?: string; masquerade: boolean; encapsulated: boolean }
  reply: ReplyOutcome | null
  phase: 'request' | 'reply'
  expect?: Expectation
  /** A sender outside the model: what its answer must carry (it has no socket here to check). */
  outside?: Omit<Expectation, 'netns'>
  roundTrip: boolean
  /** Set when the caller asked where the random choices happen (simulateWithDecisionPoints). */
  readonly watch?: Watch
}

interface Watch {
  readonly points: { -readonly [K in keyof DecisionPoint]: DecisionPoint[K] }[]
  readonly answers: DecisionAnswer[]
  /** The hook running now, and its entry in `points` once it has decided something. */
  current?: Omit<DecisionPoint, 'decisions' | 'decisionsBefore' | 'branching'>
  currentIndex?: number
}

const DEFAULT_TTL = 64

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Trace a packet. Returns the steps, the world after them (conntrack, FDB, ARP, counters
 * updated) and the outcome.
 *
 * @example
 * const { steps, outcome } = simulate(world, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 1 })
 */
export function simulate(world: World, send: SendSpec, opts: SimOptions = {}): SimResult {
  return run(world, send, opts)
}

/**
 * `simulate`, also saying where the random choices were made: every hook run that called
 * `decide`, in order, with the netns, packet, clock and RNG state it started from.
 * @example simulateWithDecisionPoints(world, send, { decide: () => true }).decisionPoints[0]?.hook // 'PREROUTING'
 */
export function simulateWithDecisionPoints(world: World, send: SendSpec, opts: SimOptions = {}): SimResult & { readonly decisionPoints: readonly DecisionPoint[]; readonly answers: readonly DecisionAnswer[] } {
  const watch: Watch = { points: [], answers: [] }
  return { ...run(world, send, opts, watch), decisionPoints: watch.points, answers: watch.answers }
}

function run(world: World, send: SendSpec, opts: SimOptions, watch?: Watch): SimResult {
  const rng = opts.rng ?? createRng(opts.seed ?? 1)
  const decide = opts.decide ?? ((p: number) => rng.next() < p)
  const ctx: Ctx = {
    w0: world,
    changed: new Map(),
    steps: [],
    t: opts.now ?? 0,
    rng,
    decide: watch ? (p, label) => noteDecision(ctx, decide, p, label) : decide,
    ...(opts.dns && { dns: opts.dns }),
    maxSteps: opts.maxSteps ?? 4000,
    flow: send.dns ? 'dns-query' : 'request',
    ipId: randomInt(rng, 1, 65000),
    request: { masquerade: false, encapsulated: false },
    reply: null,
    phase: 'request',
    roundTrip: send.roundTrip ?? true,
    ...(watch && { watch }),
  }
  try {
    start(ctx, send)
  } catch (e) {
    if (!(e instanceof Halt)) throw e
  }
  const r = ctx.request
  const outcome: Omit<Outcome, 'probability' | 'steps'> = {
    verdict: r.verdict ?? 'dropped',
    deliveredTo: r.deliveredTo ?? null,
    deliveredNetns: r.deliveredNetns ?? null,
    dnat: r.dnat ?? null,
    snat: r.snat ?? null,
    masquerade: r.masquerade,
    encapsulated: r.encapsulated,
    dropReason: r.verdict === 'delivered' ? null : (r.dropReason ?? 'the packet went nowhere'),
    // A request that left the model has no answer to trace (null, as without a round trip).
    reply: ctx.roundTrip ? (ctx.reply ?? (r.verdict === 'delivered' && r.deliveredNetns !== null ? { verdict: 'dropped', dropReason: 'no answer came back', matchesRequest: false } : null)) : null,
  }
  return { steps: ctx.steps, world: worldOf(ctx), outcome }
}

function noteDecision(ctx: Ctx, decide: (p: number, label: string) => boolean, p: number, label: string): boolean {
  const w = ctx.watch!
  const q = Math.min(1, Math.max(0, p))
  const branching = !(q >= 1 || q <= 0)
  if (w.current) {
    const at = w.currentIndex === undefined ? undefined : w.points[w.currentIndex]
    if (at) {
      at.decisions++
      at.branching ||= branching
    } else {
      w.currentIndex = w.points.length
      w.points.push({ ...w.current, decisions: 1, decisionsBefore: w.answers.length, branching })
    }
  }
  const taken = decide(p, label)
  w.answers.push({ label, probability: q, taken })
  return taken
}

/** The world after the trace: the starting world with the netns the trace changed. */
function worldOf(ctx: Ctx): World {
  if (ctx.changed.size === 0) return ctx.w0
  const netns = { ...ctx.w0.netns }
  for (const [name, n] of ctx.changed) netns[name] = n
  return { ...ctx.w0, netns }
}

// ---------------------------------------------------------------------------------------------
// Recording

function record(ctx: Ctx, s: Omit<TraceStep, 't' | 'flow'> & { flow?: Flow }): void {
  if (ctx.steps.length >= ctx.maxSteps) {
    ctx.steps.push({ kind: 'drop', flow: ctx.flow, netns: s.netns, packet: s.packet, explain: `stopped after ${ctx.maxSteps} steps: the packet is looping`, t: ctx.t })
    setFailure(ctx, 'dropped', 'forwarding loop (step limit reached)')
    throw new Halt()
  }
  ctx.t += 0.001
  // Every caller passes a fresh object literal: complete it in place rather than copy it
  // (same keys in the same order as { ...s, flow, t, copy }).
  const step = s as { -readonly [K in keyof TraceStep]: TraceStep[K] }
  step.flow = s.flow ?? ctx.flow
  step.t = Math.round(ctx.t * 1000) / 1000
  if (ctx.copy && !s.copy) step.copy = ctx.copy
  ctx.steps.push(step)
  if (s.effects) for (const e of s.effects) applyEffectHere(ctx, e)
}

/** Apply an effect to the trace's working state (one netns replaced; the world is assembled at the end). */
function applyEffectHere(ctx: Ctx, e: Effect): void {
  const n = ctx.changed.get(e.netns) ?? ctx.w0.netns[e.netns]
  if (n) ctx.changed.set(e.netns, applyToNetns(n, e))
}

function setFailure(ctx: Ctx, verdict: Verdict, reason: string): void {
  if (ctx.phase === 'request') {
    if (ctx.request.verdict === undefined) {
      ctx.request.verdict = verdict
      ctx.request.dropReason = reason
    }
  } else if (ctx.reply === null) {
    ctx.reply = { verdict, dropReason: reason, matchesRequest: false }
  }
}

function drop(ctx: Ctx, ns: string, pkt: Packet, explain: string, extra: { dev?: string; ref?: TableRef; verdict?: Verdict; minor?: boolean; reason?: string } = {}): void {
  record(ctx, { kind: 'drop', netns: ns, packet: pkt, explain, ...(extra.dev && { dev: extra.dev }), ...(extra.ref && { ref: extra.ref }), ...(extra.minor && { minor: true }) })
  // Ignored flooded copies and ARP failures don't decide the outcome by themselves.
  if (!extra.minor && ctx.flow !== 'arp') setFailure(ctx, extra.verdict ?? 'dropped', extra.reason ?? explain)
}

function ns(ctx: Ctx, name: string): Netns {
  const n = ctx.changed.get(name) ?? ctx.w0.netns[name]
  if (!n) throw new Error(`internal: netns ${name} vanished`)
  return n
}

/** A bridge port's carrier: a veth has it while its peer is up (the peer's netns as the trace has it now). */
function portCarrier(ctx: Ctx): (port: Link) => boolean {
  return (port) => {
    if (port.kind !== 'veth' || !port.peer) return true
    return hasNetns(ctx, port.peer.netns) && (link(ctx, port.peer.netns, port.peer.name)?.up ?? false)
  }
}

function hasNetns(ctx: Ctx, name: string): boolean {
  return ctx.changed.has(name) || ctx.w0.netns[name] !== undefined
}

function link(ctx: Ctx, nsName: string, dev: string): Link | undefined {
  return findLink(ns(ctx, nsName), dev)
}

/** Links by name (and altname) for netns with many of them (a node's host netns: a veth per pod). */
const linkIndex = new WeakMap<readonly Link[], Map<string, Link>>()

/** model/ops.ts findLink, indexed: the first link whose name or altname is `dev`. */
function findLink(n: Netns, dev: string): Link | undefined {
  const links = n.links
  if (links.length <= 8) return links.find((l) => l.name === dev || l.altnames?.includes(dev))
  let index = linkIndex.get(links)
  if (!index) {
    index = new Map()
    for (const l of links) {
      if (!index.has(l.name)) index.set(l.name, l)
      for (const a of l.altnames ?? []) if (!index.has(a)) index.set(a, l)
    }
    linkIndex.set(links, index)
  }
  return index.get(dev)
}

function nextId(ctx: Ctx): number {
  ctx.ipId = (ctx.ipId + 1) & 0xffff
  return ctx.ipId
}

// ---------------------------------------------------------------------------------------------
// Start: build the first packet and hand it to the sender's stack

function start(ctx: Ctx, send: SendSpec): void {
  const source = resolveSource(ctx.w0, send.from, send.to)
  const sport = send.sport ?? (send.proto === 'icmp' ? undefined : randomInt(ctx.rng, 32768, 60999))
  const icmpId = send.proto === 'icmp' ? randomInt(ctx.rng, 1, 65535) : undefined
  const l4h: Header =
    send.proto === 'tcp'
      ? { kind: 'tcp', sport: sport!, dport: send.dport ?? 80, flags: ['SYN'] }
      : send.proto === 'udp'
        ? { kind: 'udp', sport: sport!, dport: send.dport ?? 53 }
        : { kind: 'icmp', type: 8, code: 0, id: icmpId!, seq: 1 }
  const payload: Header[] = send.dns ? [{ kind: 'dns', id: randomInt(ctx.rng, 1, 65535), qr: 'query', rcode: 'NOERROR', question: { name: send.dns.name, type: send.dns.type }, answers: [] }] : []
  const l4Bytes = send.proto === 'tcp' ? HEADER_BYTES.tcp : send.proto === 'udp' ? HEADER_BYTES.udp : HEADER_BYTES.icmp
  const length = send.size ?? HEADER_BYTES.ipv4 + l4Bytes + (send.dns ? 40 : send.proto === 'icmp' ? 56 : 0)
  const srcIp = source.kind === 'netns' ? (source.ip ?? '') : source.ip
  const ipH: Ipv4Header = { kind: 'ipv4', src: srcIp, dst: send.to, ttl: send.ttl ?? DEFAULT_TTL, df: send.df ?? send.proto === 'tcp', id: nextId(ctx), proto: send.proto, length }
  const pkt: Packet = { headers: [ipH, l4h, ...payload] }

  if (source.kind === 'netns') {
    originate(ctx, source.netns, pkt, { socket: true, send })
    return
  }
  // A packet from outside the model (rules-only input, or an address no netns owns).
  const target = source.entry
  if (!target) {
    record(ctx, { kind: 'drop', netns: '', packet: pkt, explain: `no netns owns ${source.ip} and there is no node it could arrive at` })
    setFailure(ctx, 'dropped', `unknown source ${source.ip}`)
    return
  }
  const tns = ns(ctx, target)
  const inDev = send.inIface ?? entryInterface(tns, source.ip)
  ctx.expect = undefined
  ctx.outside = { src: send.to, dst: source.ip, proto: send.proto, ...(l4h.kind !== 'icmp' ? { sport: l4h.dport, dport: l4h.sport } : { icmpId: l4h.id }) }
  record(ctx, {
    kind: 'rx',
    netns: target,
    dev: inDev,
    packet: pkt,
    explain: `${summarize(pkt)} arrives from outside on ${inDev}`,
    notSimulated: [`the sender ${source.ip} is outside the model: the packet is shown from the moment it reaches ${target}`],
  })
  receiveIp(ctx, target, inDev, { pkt, mark: 0 })
}

type Source = { kind: 'netns'; netns: string; ip?: Ip } | { kind: 'outside'; ip: Ip; entry?: string }

function resolveSource(w: World, from: string, to: Ip): Source {
  if (w.netns[from]) return { kind: 'netns', netns: from }
  // 127/8 is on every netns's lo, so it names none of them, except where there is one host to
  // send from (a node's `curl 127.0.0.1:NODEPORT`); any other address names its owner (lo
  // included: `ip addr add 192.168.9.9/32 dev lo`).
  if (from.startsWith('127.')) {
    const hosts = Object.values(w.netns).filter((n) => n.kind === 'host')
    const only = hosts.length === 1 ? hosts[0]! : Object.keys(w.netns).length === 1 ? Object.values(w.netns)[0]! : undefined
    if (only) return { kind: 'netns', netns: only.name, ip: from }
  } else {
    for (const n of Object.values(w.netns)) {
      if (n.links.some((l) => l.addrs.some((a) => a.ip === from))) return { kind: 'netns', netns: n.name, ip: from }
    }
  }
  // Not owned: it arrives from outside at a host netns (rules-only worlds, imported nodes): the
  // only one; else the one that owns the destination; else the only one with an interface on
  // the sender's network.
  const hosts = Object.values(w.netns).filter((n) => n.kind === 'host')
  const entry = hosts.length === 1 ? hosts[0]!.name : Object.keys(w.netns).length === 1 ? Object.keys(w.netns)[0] : outsideEntry(hosts, from, to)
  return { kind: 'outside', ip: from, ...(entry !== undefined && { entry }) }
}

/** Among several hosts, the one a packet from `from` (outside the model) to `to` reaches first, when only one fits. */
function outsideEntry(hosts: readonly Netns[], from: Ip, to: Ip): string | undefined {
  const owner = hosts.filter((n) => findLocalAddr(n, to))
  if (owner.length === 1) return owner[0]!.name
  const onLink = hosts.filter((n) => n.links.some((l) => l.kind !== 'loopback' && l.addrs.some((a) => a.len > 0 && a.len < 32 && cidrContains(`${a.ip}/${a.len}`, from))))
  return onLink.length === 1 ? onLink[0]!.name : undefined
}

/** The interface a packet from `src` would arrive on: where the route back to it points. */
function entryInterface(n: Netns, src: Ip): string {
  const r = lookupRoute(n, src, { skipLocal: true })
  if (r.kind === 'route' && r.route.dev) return r.route.dev
  return n.links.find((l) => l.kind !== 'loopback')?.name ?? 'eth0'
}

// ---------------------------------------------------------------------------------------------
// Netfilter glue

function nfView(pkt: Packet, skb: Skb, inIface?: string, outIface?: string, phys?: { in?: string; out?: string }): NfPacket {
  const h = ipOf(pkt)!
  const t = l4(pkt)
  const base = {
    src: h.src,
    dst: h.dst,
    proto: (h.proto === 'ipip' ? 'icmp' : h.proto),
    len: h.length,
    mark: skb.mark,
    ...(inIface !== undefined && { inIface }),
    ...(outIface !== undefined && { outIface }),
    ...(phys?.in !== undefined && { physIn: phys.in }),
    ...(phys?.out !== undefined && { physOut: phys.out }),
    ...(skb.ct && { ct: skb.ct }),
  }
  if (t?.kind === 'tcp') return { ...base, sport: t.sport, dport: t.dport, tcpFlags: t.flags }
  if (t?.kind === 'udp') return { ...base, sport: t.sport, dport: t.dport }
  if (t?.kind === 'icmp') {
    return { ...base, icmpType: t.type, icmpCode: t.code, ...(t.id !== undefined && { icmpId: t.id }), ...(t.quoted && { icmpQuoted: t.quoted }) }
  }
  return base
}

/**
 * What a hook in netns `n` may ask of its surroundings. The netns does not change while a
 * hook runs, so the one it started with answers addrtype and MASQUERADE's source lookups.
 */
export function netfilterEnv(n: Netns, now: number, decide: (p: number, label: string) => boolean, random: () => number): NfEnv {
  return {
    now,
    decide,
    random,
    addrType: (ip, iface) => addrType(n, ip, iface),
    masqueradeSource: (outIface, dst) => {
      const r = lookupRoute(n, dst, { skipLocal: true })
      const via = r.kind === 'route' ? r.route.via : undefined
      // MASQUERADE: inet_select_addr(out, next hop, RT_SCOPE_UNIVERSE) — a global address only.
      return selectSource(n, outIface, via ?? dst, undefined, 'global')
    },
  }
}

function hasRules(n: Netns): boolean {
  return Object.keys(n.netfilter.tables).length > 0
}

/**
 * Run a netfilter hook and record it. Returns the packet after NAT/MARK, or undefined when
 * the packet was dropped or rejected (already recorded, ICMP/RST already sent).
 */
function hook(ctx: Ctx, nsName: string, h: Hook, skb: Skb, ifaces: { in?: string; out?: string; physIn?: string; physOut?: string }, path: 'routed' | 'bridge' = 'routed'): Skb | undefined {
  const n = ns(ctx, nsName)
  if (!hasRules(n)) return skb
  const view = nfView(skb.pkt, skb, ifaces.in, ifaces.out, { ...(ifaces.physIn !== undefined && { in: ifaces.physIn }), ...(ifaces.physOut !== undefined && { out: ifaces.physOut }) })
  const watch = ctx.watch
  if (watch) {
    const r = ctx.request
    watch.current = { netnsName: nsName, netns: n, hook: h, path, packet: view, now: ctx.t, rngState: ctx.rng.state(), phase: ctx.phase, before: { ...(r.dnat !== undefined && { dnat: r.dnat }), ...(r.snat !== undefined && { snat: r.snat }), masquerade: r.masquerade } }
    watch.currentIndex = undefined
  }
  const res: HookOutcome = processHook(n, h, view, netfilterEnv(n, ctx.t, ctx.decide, () => ctx.rng.next()), path)
  if (watch) {
    if (watch.currentIndex !== undefined) watch.points[watch.currentIndex]!.result = res
    watch.current = undefined
    watch.currentIndex = undefined
  }
  if (res.netns !== n) ctx.changed.set(nsName, res.netns)
  const after = applyNf(skb.pkt, res.packet)
  const decider = decidingRule(nsName, res)
  const changed = res.nat.length > 0
  if (res.step.chains.length > 0 || changed || res.verdict !== 'ACCEPT') {
    const where = path === 'bridge' ? `${h} (bridged frame, br_netfilter)` : h
    // Effects were already applied by processHook to the netns it returned; record them for replay only.
    ctx.t += 0.001
    ctx.steps.push({
      kind: 'netfilter',
      flow: ctx.flow,
      netns: nsName,
      ...(ifaces.in ?? ifaces.out ? { dev: (ifaces.in ?? ifaces.out)! } : {}),
      packet: after,
      explain: `${where}: ${res.verdict}${changed ? `, ${res.nat.map((c) => `${c.kind} ${c.field} ${c.from} → ${c.to}`).join(', ')}` : ''}`,
      netfilter: res.step,
      ...(decider && { ref: decider }),
      effects: res.effects,
      ...(res.notSimulated.length > 0 && { notSimulated: res.notSimulated }),
      t: Math.round(ctx.t * 1000) / 1000,
      ...(ctx.copy && { copy: ctx.copy }),
    })
  }
  for (const c of res.nat) {
    noteNat(ctx, c.kind, c.to)
    const rule = c.ruleId ? findRuleRef(nsName, res, c.ruleId) : undefined
    const what = c.kind === 'un-DNAT' || c.kind === 'un-SNAT' ? `conntrack reverses the ${c.kind === 'un-DNAT' ? 'DNAT' : 'SNAT'} for this reply` : c.kind
    record(ctx, { kind: 'nat', netns: nsName, packet: after, explain: `${what}: ${c.field === 'dst' ? 'destination' : 'source'} ${c.from} → ${c.to}`, ...(rule && { ref: rule }) })
  }
  if (res.verdict === 'DROP') {
    drop(ctx, nsName, after, `dropped by netfilter in ${h}${decider?.table === 'rule' ? ` (rule ${decider.ruleId})` : ''}`, { ...(decider && { ref: decider }) })
    return undefined
  }
  if (res.verdict === 'REJECT') {
    const withTcpReset = res.rejectWith === 'tcp-reset' && l4(skb.pkt)?.kind === 'tcp'
    record(ctx, { kind: 'drop', netns: nsName, packet: after, explain: `rejected in ${h} with ${res.rejectWith ?? 'icmp-port-unreachable'}`, ...(decider && { ref: decider }) })
    setFailure(ctx, 'rejected', `rejected by ${decider?.table === 'rule' ? decider.ruleId : h} (${res.rejectWith ?? 'icmp-port-unreachable'})`)
    if (withTcpReset) sendTcpReset(ctx, nsName, skb.pkt)
    else sendIcmpError(ctx, nsName, skb.pkt, 3, rejectCode(res.rejectWith))
    return undefined
  }
  return { ...skb, pkt: after, mark: res.packet.mark, ...(res.packet.ct && { ct: res.packet.ct }), mangleRemarked: res.mangleRemarked === true }
}

function rejectCode(w: string | undefined): number {
  switch (w) {
    case 'icmp-net-unreachable':
      return 0
    case 'icmp-host-unreachable':
      return 1
    case 'icmp-proto-unreachable':
      return 2
    case 'icmp-net-prohibited':
      return 9
    case 'icmp-host-prohibited':
      return 10
    case 'icmp-admin-prohibited':
      return 13
    default:
      return 3
  }
}

function noteNat(ctx: Ctx, kind: string, to: string): void {
  if (ctx.phase !== 'request') return
  if (kind === 'DNAT' && !ctx.request.dnat) ctx.request.dnat = to
  if ((kind === 'SNAT' || kind === 'MASQUERADE') && !ctx.request.snat) ctx.request.snat = to
  if (kind === 'MASQUERADE' || kind === 'SNAT') ctx.request.masquerade = ctx.request.masquerade || kind === 'MASQUERADE'
}

function findRuleRef(nsName: string, res: HookOutcome, ruleId: string): TableRef | undefined {
  for (const walk of res.step.chains) {
    const r = walk.rules.find((x) => x.ruleId === ruleId)
    if (r) return { table: 'rule', netns: nsName, ruleId, raw: r.raw, chain: walk.chain, tableName: walk.table, ...(r.line !== undefined && { line: r.line }) }
  }
  return undefined
}

function decidingRule(nsName: string, res: HookOutcome): TableRef | undefined {
  for (let c = res.step.chains.length - 1; c >= 0; c--) {
    const walk = res.step.chains[c]!
    for (let i = walk.rules.length - 1; i >= 0; i--) {
      const r = walk.rules[i]!
      if (r.result === 'matched' && r.action && !/^(jump|goto|MARK|LOG|RETURN)/.test(r.action)) {
        return { table: 'rule', netns: nsName, ruleId: r.ruleId, raw: r.raw, chain: walk.chain, tableName: walk.table, ...(r.line !== undefined && { line: r.line }) }
      }
    }
  }
  const last = res.step.chains.at(-1)
  if (last && res.verdict !== 'ACCEPT') return { table: 'policy', netns: nsName, tableName: last.table, chain: last.chain, policy: res.verdict }
  return undefined
}

function applyNf(pkt: Packet, v: NfPacket): Packet {
  const h = ipOf(pkt)
  if (!h) return pkt
  const t = l4(pkt)
  let out = pkt
  const ports = t && t.kind !== 'icmp' ? { sport: t.sport, dport: t.dport } : {}
  if (h.src !== v.src || h.dst !== v.dst || (v.sport !== undefined && v.sport !== ports.sport) || (v.dport !== undefined && v.dport !== ports.dport)) {
    out = rewriteL3(pkt, { src: v.src, dst: v.dst, ...(v.sport !== undefined && { sport: v.sport }), ...(v.dport !== undefined && { dport: v.dport }) })
  }
  if (t?.kind === 'icmp' && t.quoted && v.icmpQuoted && JSON.stringify(t.quoted) !== JSON.stringify(v.icmpQuoted)) {
    const i = findHeader(out, 'icmp')
    const headers = out.headers.slice()
    headers[i] = { ...t, quoted: v.icmpQuoted }
    out = { headers }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Output path: a socket (or the kernel) sends an IP packet

interface OriginateOpts {
  /** Sent by a socket (so a reply is awaited), not by the kernel (ICMP errors, tunnels). */
  readonly socket?: boolean
  readonly send?: SendSpec
  /** Output device forced by a tunnel (`dev eth0` of a VXLAN device). */
  readonly oif?: string
  /** Route as a sender with no source address yet (an ICMP error about a forwarded packet), though the packet names one. */
  readonly unbound?: boolean
  readonly explain?: string
}

function originate(ctx: Ctx, nsName: string, sent: Packet, o: OriginateOpts = {}): void {
  const n = ns(ctx, nsName)
  const oif: FlowKey = o.oif ? { oif: o.oif } : NO_FLOW
  const connected = o.socket && !ipOf(sent)!.src && !isDefaultRules(n.rules) ? connectSource(n, sent, oif) : undefined
  if (connected?.failed) {
    const c = connected.failed
    const ping = l4(sent)?.kind === 'icmp'
    const why = ping ? `ping first connects a UDP socket to port 1025 of ${ipOf(sent)!.dst} to learn its source address` : 'connect looks up a route to choose the source address'
    record(ctx, { kind: 'route', netns: nsName, packet: sent, explain: `${why}: ${c.explain}`, ...(routeRef(nsName, c) && { ref: routeRef(nsName, c)! }) })
    const text = ROUTE_ERRNO_TEXT[routeErrno(c) ?? 'ENETUNREACH']
    return drop(ctx, nsName, sent, `${ping ? "ping's source probe fails: " : ''}connect: ${text}`, { reason: `connect fails in ${nsName}: ${text}` })
  }
  const pkt0 = connected?.pkt ?? sent
  const h0 = ipOf(pkt0)!
  const r = lookupRoute(n, h0.dst, flowOf(n, o.unbound && !isDefaultRules(n.rules) ? rewriteL3(pkt0, { src: '0.0.0.0' }) : pkt0, 0, undefined, oif))
  if (r.kind === 'none') {
    record(ctx, { kind: 'route', netns: nsName, packet: pkt0, explain: `route lookup for ${h0.dst}: ${r.explain}` })
    if (isRulesOnly(n)) return rulesOnlyOutput(ctx, nsName, fillSource(n, pkt0, undefined, undefined), o)
    drop(ctx, nsName, pkt0, `sendmsg fails: Network is unreachable (no route to ${h0.dst})`, { reason: `no route to ${h0.dst} in ${nsName}` })
    return
  }
  let pkt = fillSource(n, pkt0, r.kind === 'route' ? r.route.dev : r.dev, r.kind === 'route' ? (r.route.via ?? h0.dst) : h0.dst, r.kind === 'route' ? r.route.src : undefined, r.kind === 'route' ? r.route.scope : undefined)
  if (r.kind === 'local') pkt = h0.src ? pkt : rewriteL3(pkt, { src: h0.dst })
  const first = ipOf(pkt)!
  if (o.socket) {
    const t = l4(pkt)
    ctx.expect = { netns: nsName, src: first.dst, dst: first.src, proto: first.proto === 'ipip' ? 'icmp' : first.proto, ...(t && t.kind !== 'icmp' && { sport: t.dport, dport: t.sport }), ...(t?.kind === 'icmp' && t.id !== undefined && { icmpId: t.id }) }
    record(ctx, { kind: 'send', netns: nsName, packet: pkt, explain: o.explain ?? `a socket in ${nsName} sends ${summarize(pkt)}` })
  }
  recordRoute(ctx, nsName, pkt, r)
  if (r.kind === 'route' && r.route.type !== 'unicast') return routeTypeFailure(ctx, nsName, pkt, r, true)

  let skb: Skb | undefined = { pkt, mark: 0 }
  skb = hook(ctx, nsName, 'OUTPUT', skb, { out: r.kind === 'route' ? r.route.dev : 'lo' })
  if (!skb) return
  // A DNAT in OUTPUT changes the destination, and a MARK may change the rule that applies: the
  // kernel routes again (ip_route_me_harder, from nat's and mangle's OUTPUT hooks).
  let route: RouteResult = r
  const remarked = skb.mangleRemarked === true && !isDefaultRules(n.rules)
  if (ipOf(skb.pkt)!.dst !== first.dst || remarked) {
    route = lookupRoute(ns(ctx, nsName), ipOf(skb.pkt)!.dst, flowOf(ns(ctx, nsName), skb.pkt, skb.mark, undefined, oif))
    const why = ipOf(skb.pkt)!.dst !== first.dst ? 'DNAT' : `MARK ${hex(skb.mark)}`
    record(ctx, { kind: 'route', netns: nsName, packet: skb.pkt, explain: `rerouted after ${why}: ${route.explain}`, ...(routeRef(nsName, route) && { ref: routeRef(nsName, route)! }) })
    if (route.kind === 'none') {
      if (isRulesOnly(ns(ctx, nsName))) return rulesOnlyOutput(ctx, nsName, skb.pkt, o, skb)
      drop(ctx, nsName, skb.pkt, `no route to ${ipOf(skb.pkt)!.dst} after ${why}`)
      return
    }
  }
  if (route.kind === 'local') {
    skb = hook(ctx, nsName, 'POSTROUTING', skb, { out: 'lo' })
    if (!skb) return
    record(ctx, { kind: 'tx', netns: nsName, dev: 'lo', packet: skb.pkt, explain: 'looped back through lo to this netns' })
    return receiveIp(ctx, nsName, 'lo', { pkt: skb.pkt, mark: skb.mark, ...(skb.ct && { ct: skb.ct }) })
  }
  if (route.kind === 'route' && route.route.type !== 'unicast') return routeTypeFailure(ctx, nsName, skb.pkt, route, true)
  const rt = (route).route
  // A 127/8 source may leave by a device other than lo only with route_localnet (checked: a
  // DNAT of 127.0.0.1:3001 to another host timed out with it 0 and worked with it 1).
  if (isLoopbackIp(ipOf(skb.pkt)!.src) && rt.dev !== undefined && findLink(n, rt.dev)?.kind !== 'loopback' && !n.sysctl['net.ipv4.conf.all.route_localnet']) {
    return drop(ctx, nsName, skb.pkt, `a ${ipOf(skb.pkt)!.src} source may not leave by ${rt.dev}: net.ipv4.conf.all.route_localnet is 0`, { ref: { table: 'sysctl', netns: nsName, key: 'net.ipv4.conf.all.route_localnet', value: '0' }, reason: `route_localnet is off in ${nsName}` })
  }
  const fitted = checkMtuLocal(ctx, nsName, skb.pkt, rt)
  if (!fitted) return
  skb = { ...skb, pkt: fitted }
  skb = hook(ctx, nsName, 'POSTROUTING', skb, { out: rt.dev! })
  if (!skb) return
  l3Output(ctx, nsName, skb, rt)
}

/**
 * The source a connecting socket gets under policy routing (ip_route_connect): a first lookup
 * without one picks it, and the socket keeps it for the lookups that follow, so `from` rules
 * apply to them. ping (iputils) first connects a UDP socket to port 1025 and stops if that
 * fails (checked: a rule `ipproto udp prohibit` made ping fail with EACCES), but does not bind
 * to the source it learns (checked: a `from` rule did not apply to its echo request).
 * `failed`: the lookup that failed.
 */
function connectSource(n: Netns, pkt: Packet, oif: FlowKey): { pkt?: Packet; failed?: RouteResult } {
  const dst = ipOf(pkt)!.dst
  const ping = l4(pkt)?.kind === 'icmp'
  const flow: FlowKey = ping ? { ...oif, proto: 'udp', sport: 0, dport: 1025 } : flowOf(n, pkt, 0, undefined, oif)
  const first = lookupRoute(n, dst, flow)
  if (routeErrno(first)) return { failed: first }
  const src = first.kind === 'local' ? dst : first.kind === 'route' ? routeSource(n, first.route, dst) : undefined
  if (!src) return {}
  if (ping) {
    // The probe's own connect routes again with that source; ping keeps neither the source nor
    // the route (it binds only with -I), so its echo request is routed once, with no source.
    const second = lookupRoute(n, dst, { ...flow, src })
    if (routeErrno(second)) return { failed: second }
    return {}
  }
  return { pkt: rewriteL3(pkt, { src }) }
}

function isRulesOnly(n: Netns): boolean {
  return n.routes.length === 0 && hasRules(n)
}

/** A rules-only node (a bare iptables-save): there is no routing table, so the packet leaves "somewhere". */
function rulesOnlyOutput(ctx: Ctx, nsName: string, pkt: Packet, o: OriginateOpts, skb0?: Skb): void {
  const n = ns(ctx, nsName)
  if (o.socket && !skb0) {
    const first = ipOf(pkt)!
    record(ctx, { kind: 'send', netns: nsName, packet: pkt, explain: `a local process on ${nsName} sends ${summarize(pkt)}` })
    ctx.expect = { netns: nsName, src: first.dst, dst: first.src, proto: first.proto === 'ipip' ? 'icmp' : first.proto }
  }
  let skb: Skb | undefined = skb0 ?? { pkt, mark: 0 }
  if (!skb0) {
    skb = hook(ctx, nsName, 'OUTPUT', skb, {})
    if (!skb) return
  }
  const dst = ipOf(skb.pkt)!.dst
  if (addrType(n, dst) === 'LOCAL') {
    skb = hook(ctx, nsName, 'POSTROUTING', skb, { out: 'lo' })
    if (!skb) return
    record(ctx, { kind: 'tx', netns: nsName, dev: 'lo', packet: skb.pkt, explain: 'looped back through lo (the destination is a local address)' })
    return receiveIp(ctx, nsName, 'lo', skb)
  }
  skb = hook(ctx, nsName, 'POSTROUTING', skb, {})
  if (!skb) return
  leaveModel(ctx, nsName, skb.pkt)
}

/**
 * The packet leaves the modelled part of the world: counted as delivered onward. An answer
 * leaving towards a sender outside the model is the end of the round trip: it matches when it
 * carries the addresses and ports the sender talked to.
 */
function leaveModel(ctx: Ctx, nsName: string, pkt: Packet, how?: string): void {
  const h = ipOf(pkt)!
  const t = l4(pkt)
  const home = isForOutsideSender(ctx, pkt)
  record(ctx, {
    kind: 'deliver',
    netns: nsName,
    packet: pkt,
    explain: `leaves ${nsName}${how ? ` ${how}` : ''} towards ${h.dst}${t && t.kind !== 'icmp' ? `:${t.dport}` : ''}${home ? ', back to the sender' : ''}`,
    notSimulated: [how ? 'what lies beyond this interface is not in the input: the rest of the path is not simulated' : 'no routing table or interfaces in the input: the route out and the rest of the path are not simulated'],
  })
  if (ctx.phase === 'request' && ctx.request.verdict === undefined) {
    ctx.request.verdict = 'delivered'
    ctx.request.deliveredTo = t && t.kind !== 'icmp' ? `${h.dst}:${t.dport}` : h.dst
    ctx.request.deliveredNetns = null
  }
  if (home && ctx.reply === null && t) {
    // What the sender's socket makes of it, as receiveAnswer judges it for a socket in the model.
    const e = ctx.outside!
    const matches = answerMatches(e, h, t)
    if (t.kind === 'icmp' && (t.type === 3 || t.type === 11)) {
      if (ctx.request.verdict === 'delivered') ctx.reply = { verdict: 'dropped', dropReason: `ICMP error from ${h.src}`, matchesRequest: false }
    } else if (matches || (t.kind === 'tcp' && t.flags.includes('RST'))) ctx.reply = { verdict: 'delivered', dropReason: null, matchesRequest: matches }
    else ctx.reply = { verdict: 'dropped', dropReason: mismatch(e, h, t), matchesRequest: false }
  }
}

/** Is this an answer on its way back to a sender outside the model? */
function isForOutsideSender(ctx: Ctx, pkt: Packet): boolean {
  return ctx.phase === 'reply' && ctx.outside !== undefined && ipOf(pkt)?.dst === ctx.outside.dst
}

function fillSource(n: Netns, pkt: Packet, dev: string | undefined, nexthop: Ip | undefined, routeSrc?: Ip, scope?: Route['scope']): Packet {
  const h = ipOf(pkt)!
  if (h.src) return pkt
  const src = selectSource(n, dev, nexthop, routeSrc, scope) ?? '0.0.0.0'
  return rewriteL3(pkt, { src })
}

const NO_FLOW: FlowKey = {}

/** The flow a route lookup sees for this packet (fib rules select on it): source, ports, mark, input device. */
function flowOf(n: Netns, pkt: Packet, mark: number, iif: string | undefined, extra: FlowKey = NO_FLOW): FlowKey {
  // The default rules select on nothing but the destination: no flow to build.
  if (isDefaultRules(n.rules)) return extra
  const h = ipOf(pkt)!
  const t = l4(pkt)
  const proto = h.proto === 'tcp' || h.proto === 'udp' || h.proto === 'icmp' ? h.proto : undefined
  return {
    ...extra,
    ...(h.src && h.src !== '0.0.0.0' && { src: h.src }),
    ...(iif !== undefined && { iif }),
    mark,
    ...(proto && { proto }),
    ...(t && t.kind !== 'icmp' && { sport: t.sport, dport: t.dport }),
  }
}

function routeRef(nsName: string, r: RouteResult): TableRef | undefined {
  if (r.kind === 'route') return { table: 'route', netns: nsName, route: r.route, reason: r.explain, ...(r.index >= 0 && { index: r.index }), ...(r.rule && { rule: r.rule }) }
  if (r.kind === 'local') return { table: 'addr', netns: nsName, dev: r.dev, addr: r.addr }
  return undefined
}

function recordRoute(ctx: Ctx, nsName: string, pkt: Packet, r: RouteResult, prefix = 'route lookup'): void {
  const ref = routeRef(nsName, r)
  record(ctx, { kind: 'route', netns: nsName, packet: pkt, explain: `${prefix} for ${ipOf(pkt)!.dst}: ${r.explain}`, ...(ref && { ref }) })
}

function routeTypeFailure(ctx: Ctx, nsName: string, pkt: Packet, r: Extract<RouteResult, { kind: 'route' }>, local: boolean): void {
  const ref = routeRef(nsName, r)!
  const t = r.route.type
  // A rule's own action (index -1) fails the lookup with ENETUNREACH where an unreachable route
  // gives EHOSTUNREACH: "Network is unreachable" to a local sender, ICMP net (not host) unreachable.
  const what = r.index < 0 && r.rule ? `rule ${r.rule.priority} (${t})` : `${t} route ${r.route.dst}`
  const errno = routeErrno(r) ?? 'EINVAL'
  // A local sender learns it from sendmsg/connect (checked on Linux 6.18).
  if (local) return drop(ctx, nsName, pkt, `${what}: sendmsg fails (${ROUTE_ERRNO_TEXT[errno]})`, { ref })
  // ip_error: EINVAL is dropped silently; the others answer with their ICMP code.
  if (errno === 'EINVAL') return drop(ctx, nsName, pkt, `${what}: silently discarded`, { ref })
  drop(ctx, nsName, pkt, `${what}: discarded with an ICMP error to the sender`, { ref })
  sendIcmpError(ctx, nsName, pkt, 3, errno === 'EACCES' ? 13 : errno === 'ENETUNREACH' ? 0 : 1)
}

/** The packet to send (marked as fragmented when it is), or undefined when sendmsg fails. */
function checkMtuLocal(ctx: Ctx, nsName: string, pkt: Packet, rt: Route): Packet | undefined {
  const dev = rt.dev ? link(ctx, nsName, rt.dev) : undefined
  const mtu = Math.min(rt.mtu ?? Infinity, dev?.mtu ?? Infinity)
  const h = ipOf(pkt)!
  if (wireLength(h) <= mtu) return pkt
  if (h.df) {
    drop(ctx, nsName, pkt, `${h.length}-byte packet with DF set is larger than the ${mtu}-byte MTU of ${rt.dev}: sendmsg fails (Message too long)`, { reason: `message too long: ${h.length} > MTU ${mtu} of ${rt.dev} in ${nsName}` })
    return undefined
  }
  const out = fragmentTo(pkt, mtu)
  record(ctx, { kind: 'note', netns: nsName, packet: out, explain: `${h.length} bytes exceed the ${mtu}-byte MTU of ${rt.dev}: the kernel fragments it`, notSimulated: ['IP fragmentation: the fragments are shown as one packet'] })
  return out
}

/** Bytes of the largest piece on the wire: the packet, or its biggest fragment. */
function wireLength(h: Ipv4Header): number {
  return Math.min(h.length, h.fragmented ?? Infinity)
}

/** Mark the outermost IPv4 header as cut into fragments of at most `mtu` bytes. */
function fragmentTo(pkt: Packet, mtu: number): Packet {
  const i = findHeader(pkt, 'ipv4')
  const h = pkt.headers[i]
  if (h?.kind !== 'ipv4') return pkt
  const headers = pkt.headers.slice()
  headers[i] = { ...h, fragmented: Math.min(mtu, h.fragmented ?? Infinity) }
  return { headers }
}

// ---------------------------------------------------------------------------------------------
// L3 → L2: neighbour resolution and transmission

function l3Output(ctx: Ctx, nsName: string, skb: Skb, rt: Route): void {
  const n = ns(ctx, nsName)
  const dev = rt.dev ? findLink(n, rt.dev) : undefined
  const h = ipOf(skb.pkt)!
  if (!dev) return drop(ctx, nsName, skb.pkt, `route has no usable device`)
  if (dev.kind === 'ipip') return ipipOutput(ctx, nsName, skb, rt, dev)
  if (dev.kind === 'loopback') return receiveIp(ctx, nsName, 'lo', skb)
  if (dev.kind === 'dummy') return drop(ctx, nsName, skb.pkt, `${dev.name} is a dummy device: it discards everything sent through it`)
  if (dev.kind === 'phys' && !dev.segment) return leaveModel(ctx, nsName, skb.pkt, `out of ${dev.name}, a NIC whose network is not in the input`)
  const nexthop = rt.via ?? h.dst
  // A next hop no modelled netns owns, when that host is surely there (the answer to a sender
  // outside the model: the request came from it, or through it) or may well be (a network the
  // input shows only part of, an imported node's LAN, and no neighbour entry says otherwise):
  // the packet leaves the model here rather than at an ARP nobody in the model can answer.
  // Only a NIC leads outside the model: behind a veth or a bridge port is a netns of the input
  // (a pod's gateway 169.254.1.1 is its host end answering, not the outside sender).
  const home = dev.kind === 'phys' && isForOutsideSender(ctx, skb.pkt)
  const seg = dev.kind === 'phys' && dev.segment !== undefined ? ctx.w0.segments[dev.segment] : undefined
  // A neighbour entry decides instead: with a MAC the frame goes out (segmentTransmit), FAILED means nobody answered.
  const partial = seg?.partial === true && !n.neigh.some((e) => e.ip === nexthop && e.dev === dev.name && (e.mac !== undefined || e.state === 'FAILED'))
  if ((home || partial) && !Object.values(ctx.w0.netns).some((o) => findLocalAddr(o, nexthop))) {
    return leaveModel(ctx, nsName, skb.pkt, `out of ${dev.name}${rt.via ? ` via ${rt.via}` : ''}${partial && !home ? ` (${nexthop} is on ${seg.cidr ?? seg.name}, whose other hosts are not in the input)` : ''}`)
  }
  const mac = dev.noarp ? ZERO_MAC : resolveNeigh(ctx, nsName, dev, nexthop, skb.pkt)
  if (mac === undefined) {
    drop(ctx, nsName, skb.pkt, `no ARP answer for ${nexthop} on ${dev.name}: neighbour FAILED`, { reason: `no neighbour: ${nexthop} did not answer ARP on ${dev.name} in ${nsName}` })
    // A source this host rewrote (MASQUERADE/SNAT) still gets its error: the kernel sends it
    // to its own address and conntrack translates it back to the original sender.
    const natted = skb.ct !== undefined && skb.ct.entry.orig.src !== h.src
    if (!isLocallyOwned(n, h.src) || natted) sendIcmpError(ctx, nsName, skb.pkt, 3, 1, undefined, natted)
    return
  }
  const frame = withEthernet(skb.pkt, dev.mac, mac)
  record(ctx, { kind: 'tx', netns: nsName, dev: dev.name, packet: frame, explain: `sent on ${dev.name} to ${mac}${rt.via ? ` (next hop ${rt.via})` : ''}` })
  transmit(ctx, nsName, dev.name, frame)
}

function isLocallyOwned(n: Netns, ipAddr: Ip): boolean {
  return findLocalAddr(n, ipAddr) !== undefined
}

/** The neighbour table, then ARP on the wire. Returns the MAC, or undefined when resolution failed. */
function resolveNeigh(ctx: Ctx, nsName: string, dev: Link, target: Ip, waiting: Packet): Mac | undefined {
  const n = ns(ctx, nsName)
  const entry = n.neigh.find((e) => e.ip === target && e.dev === dev.name && e.mac && e.state !== 'FAILED' && e.state !== 'INCOMPLETE')
  if (entry?.mac) {
    record(ctx, { kind: 'neigh-hit', netns: nsName, dev: dev.name, packet: waiting, explain: `neighbour ${target} is ${entry.mac} (${entry.state}) on ${dev.name}`, ref: { table: 'neigh', netns: nsName, entry } })
    return entry.mac
  }
  // arp_solicit, arp_announce 0: the waiting packet's own source when it is an address of this
  // netns (on any device), else one of the device's (inet_select_addr, scope link).
  const waitingSrc = ipOf(waiting)?.src
  const srcIp = (waitingSrc && isLocallyOwned(n, waitingSrc) ? waitingSrc : selectSource(n, dev.name, target)) ?? '0.0.0.0'
  const arp: ArpHeader = { kind: 'arp', op: 'request', senderMac: dev.mac, senderIp: srcIp, targetMac: ZERO_MAC, targetIp: target }
  const frame: Packet = { headers: [{ kind: 'eth', src: dev.mac, dst: BROADCAST_MAC, type: 'arp' }, arp] }
  const outerFlow = ctx.flow
  const outerCopy = ctx.copy
  ctx.flow = 'arp'
  const incomplete: NeighEntry = { ip: target, dev: dev.name, state: 'INCOMPLETE', updated: ctx.t }
  record(ctx, { kind: 'arp-request', netns: nsName, dev: dev.name, packet: frame, explain: `no neighbour entry for ${target} on ${dev.name}: ARP who-has ${target}, broadcast`, effects: [{ kind: 'neigh', netns: nsName, entry: incomplete }] })
  transmit(ctx, nsName, dev.name, frame)
  ctx.flow = outerFlow
  ctx.copy = outerCopy
  const learned = ns(ctx, nsName).neigh.find((e) => e.ip === target && e.dev === dev.name && e.mac && e.state !== 'INCOMPLETE' && e.state !== 'FAILED')
  if (learned?.mac) return learned.mac
  record(ctx, { kind: 'note', netns: nsName, dev: dev.name, packet: waiting, explain: `no ARP reply for ${target}: the neighbour entry fails`, effects: [{ kind: 'neigh', netns: nsName, entry: { ...incomplete, state: 'FAILED', updated: ctx.t } }] })
  return undefined
}

/** Put a frame on a device: what happens next depends on what the device is. */
function transmit(ctx: Ctx, nsName: string, devName: string, frame: Packet): void {
  const dev = link(ctx, nsName, devName)
  if (!dev) return drop(ctx, nsName, frame, `device ${devName} does not exist`)
  if (!dev.up) return drop(ctx, nsName, frame, `${devName} is down`, { dev: devName, ref: { table: 'link', netns: nsName, dev: devName, field: 'state', value: 'DOWN' } })
  switch (dev.kind) {
    case 'veth': {
      if (!dev.peer || !hasNetns(ctx, dev.peer.netns) || !link(ctx, dev.peer.netns, dev.peer.name)) {
        return drop(ctx, nsName, frame, `the other end of ${devName} is not in the model`, { dev: devName })
      }
      const peer = link(ctx, dev.peer.netns, dev.peer.name)!
      if (!fitsDevice(ctx, dev.peer.netns, peer, frame, `the receiving veth end`)) return
      record(ctx, { kind: 'veth', netns: nsName, dev: devName, to: { netns: dev.peer.netns, dev: peer.name }, packet: frame, explain: `crosses the veth pair ${devName} → ${peer.name}${dev.peer.netns !== nsName ? ` into ${dev.peer.netns}` : ''}` })
      return receiveFrame(ctx, dev.peer.netns, peer.name, frame)
    }
    case 'bridge':
      return bridgeTransmit(ctx, nsName, dev, frame)
    case 'vxlan':
      return vxlanTransmit(ctx, nsName, dev, frame)
    case 'phys':
      return segmentTransmit(ctx, nsName, dev, frame)
    case 'loopback':
      return receiveFrame(ctx, nsName, devName, frame)
    case 'dummy':
      return drop(ctx, nsName, frame, `${devName} is a dummy device: frames sent to it are discarded`)
    case 'ipip':
      return drop(ctx, nsName, frame, `${devName} carries IP packets, not Ethernet frames`)
  }
}

function segmentTransmit(ctx: Ctx, nsName: string, dev: Link & { kind: 'phys' }, frame: Packet): void {
  const eth = frame.headers[0]
  if (!dev.segment || eth?.kind !== 'eth') return drop(ctx, nsName, frame, `${dev.name} is not connected to any network in the model`, { dev: dev.name })
  const members: { ns: string; dev: Link }[] = []
  // Links never change during a trace: the starting world's netns list them.
  for (const other of Object.values(ctx.w0.netns)) {
    for (const l of other.links) if (l.kind === 'phys' && l.segment === dev.segment && !(other.name === nsName && l.name === dev.name)) members.push({ ns: other.name, dev: l })
  }
  const targets = eth.dst === BROADCAST_MAC || isMulticastMac(eth.dst) ? members : members.filter((m) => m.dev.mac === eth.dst)
  if (targets.length === 0) {
    // A neighbour entry from the dump pointing at a host the input does not hold.
    const seg = ctx.w0.segments[dev.segment]
    if (seg?.partial && findHeader(frame, 'ipv4') >= 0) return leaveModel(ctx, nsName, stripL2(frame), `out of ${dev.name} to ${eth.dst}, a host on ${seg.cidr ?? dev.segment} that is not in the input`)
    return drop(ctx, nsName, frame, `no host on ${dev.segment} has MAC ${eth.dst}`, { dev: dev.name })
  }
  forEachCopy(
    ctx,
    targets.map((m) => `${m.ns}/${m.dev.name}`),
    targets.map((m) => () => {
      if (!fitsDevice(ctx, m.ns, m.dev, frame, `the receiving NIC`)) return
      record(ctx, { kind: 'segment', netns: nsName, dev: dev.name, to: { netns: m.ns, dev: m.dev.name }, packet: frame, explain: `crosses the ${dev.segment} network to ${m.ns} ${m.dev.name}` })
      receiveFrame(ctx, m.ns, m.dev.name, frame)
    }),
  )
}

// ---------------------------------------------------------------------------------------------
// Bridges

/** The host stack sends through the bridge device itself (a route via cni0). */
function bridgeTransmit(ctx: Ctx, nsName: string, br: BridgeLink, frame: Packet): void {
  const eth = frame.headers[0]
  if (eth?.kind !== 'eth') return drop(ctx, nsName, frame, 'not an Ethernet frame')
  const d = decideBridge(ns(ctx, nsName), br, eth.dst, undefined, ctx.t, portCarrier(ctx))
  bridgeDeliver(ctx, nsName, br, frame, d, undefined)
}

function bridgeDeliver(ctx: Ctx, nsName: string, br: BridgeLink, frame: Packet, d: ReturnType<typeof decideBridge>, ingress: string | undefined, skb?: Skb): void {
  switch (d.kind) {
    case 'drop':
      return drop(ctx, nsName, frame, `bridge ${br.name}: ${d.reason}`, { dev: br.name, ...(d.entry && { ref: { table: 'fdb', netns: nsName, entry: d.entry } }) })
    case 'local':
      record(ctx, { kind: 'bridge-local', netns: nsName, dev: br.name, packet: frame, explain: `bridge ${br.name}: the frame is for the bridge's own address; handed up to ${nsName}'s IP stack` })
      return receiveUp(ctx, nsName, br.name, frame, skb)
    case 'forward': {
      record(ctx, { kind: 'fdb-hit', netns: nsName, dev: br.name, packet: frame, explain: `bridge ${br.name}: ${d.entry.mac} is on port ${d.port}`, ref: { table: 'fdb', netns: nsName, entry: d.entry } })
      return bridgePortOut(ctx, nsName, br, d.port, frame, ingress, skb)
    }
    case 'flood': {
      // The kernel walks the bridge's port list newest first (ports are added at its head).
      const ports = [...d.ports].reverse()
      record(ctx, { kind: 'flood', netns: nsName, dev: br.name, packet: frame, explain: `bridge ${br.name}: ${d.reason}, flooded to ${ports.length ? ports.join(', ') : 'no other port'}` })
      const copies: (() => void)[] = ports.map((port) => () => bridgePortOut(ctx, nsName, br, port, frame, ingress, skb))
      const labels = ports.map((p) => `${nsName}/${p}`)
      if (d.alsoLocal) {
        copies.push(() => receiveUp(ctx, nsName, br.name, frame, skb))
        labels.push(`${nsName}/${br.name} (local)`)
      }
      forEachCopy(ctx, labels, copies)
      return
    }
  }
}

/**
 * Follow the copies of one frame (flooding, a VXLAN flood list, a broadcast on the underlay)
 * one after another. Each copy starts from the same flow and phase: an answer triggered by an
 * earlier copy must not relabel a later copy of the request. Afterwards the context keeps the
 * furthest state any copy reached (an answer was sent, so the exchange is in its reply phase).
 */
function forEachCopy(ctx: Ctx, labels: readonly string[], copies: readonly (() => void)[]): void {
  const start = { flow: ctx.flow, phase: ctx.phase, copy: ctx.copy }
  let advanced: { flow: Flow; phase: Ctx['phase'] } | undefined
  copies.forEach((run, i) => {
    ctx.flow = start.flow
    ctx.phase = start.phase
    ctx.copy = copies.length > 1 ? labels[i] : start.copy
    run()
    if (ctx.phase !== start.phase) advanced = { flow: ctx.flow, phase: ctx.phase }
  })
  ctx.copy = start.copy
  ctx.flow = advanced?.flow ?? start.flow
  ctx.phase = advanced?.phase ?? start.phase
}

function brNfOn(n: Netns, frame: Packet): boolean {
  return n.sysctl['net.bridge.bridge-nf-call-iptables'] && findHeader(frame, 'ipv4') >= 0 && hasRules(n)
}

function bridgePortOut(ctx: Ctx, nsName: string, br: BridgeLink, port: string, frame: Packet, ingress: string | undefined, skb?: Skb): void {
  let out = frame
  if (ingress !== undefined && brNfOn(ns(ctx, nsName), frame)) {
    // br_netfilter: a bridged IPv4 frame traverses FORWARD and POSTROUTING with in/out = the bridge.
    let s: Skb | undefined = { pkt: stripL2(frame), mark: skb?.mark ?? 0, ...(skb?.ct && { ct: skb.ct }) }
    s = hook(ctx, nsName, 'FORWARD', s, { in: br.name, out: br.name, physIn: ingress, physOut: port }, 'bridge')
    if (!s) return
    s = hook(ctx, nsName, 'POSTROUTING', s, { out: br.name, physIn: ingress, physOut: port }, 'bridge')
    if (!s) return
    const eth = frame.headers[0] as Header & { kind: 'eth' }
    out = withEthernet(s.pkt, eth.src, eth.dst)
  }
  const portDev = link(ctx, nsName, port)
  // A bridged IPv4 frame that went through br_netfilter leaves by br_nf_dev_queue_xmit: bigger
  // than the port's MTU, it is dropped when DF is set, else cut into fragments of the MTU of the
  // bridge's fake route, which must then fit the port like any frame. That MTU is 1500 until
  // the bridge's MTU changes after creation (br_change_mtu), which the model does not track.
  const h = ipOf(out)
  if (portDev && h && ingress !== undefined && ns(ctx, nsName).sysctl['net.bridge.bridge-nf-call-iptables'] && wireLength(h) > portDev.mtu) {
    if (h.df) return void fitsDevice(ctx, nsName, portDev, out, `the bridge port (br_netfilter: DF set)`, 0)
    out = fragmentTo(out, 1500)
    record(ctx, { kind: 'note', netns: nsName, dev: port, packet: out, explain: `br_netfilter refragments the ${h.length}-byte packet to 1500 bytes (the MTU of ${br.name}'s fake route) for port ${port} (MTU ${portDev.mtu})`, notSimulated: ['IP fragmentation: the fragments are shown as one packet', `the fake route's MTU follows ${br.name}'s MTU once it is changed after creation`] })
  }
  if (portDev && !fitsDevice(ctx, nsName, portDev, out, `the bridge port`)) return
  record(ctx, { kind: 'tx', netns: nsName, dev: port, packet: out, explain: `bridge ${br.name} sends it out of port ${port}` })
  transmit(ctx, nsName, port, out)
}

/**
 * A frame longer than a device's MTU + 4 (room for a VLAN tag) is dropped, silently, where the
 * kernel checks it (is_skb_forwardable): a bridge's egress port, a veth's receiving end, a NIC.
 * The local IP stack already cuts its packets to the MTU; bridged frames are not cut.
 */
function fitsDevice(ctx: Ctx, nsName: string, dev: Link, frame: Packet, what: string, slack = 4): boolean {
  const h = ipOf(frame)
  const len = h && wireLength(h)
  if (len === undefined || len <= dev.mtu + slack) return true
  drop(ctx, nsName, frame, `the ${len}-byte packet is too big for ${what} ${dev.name} (MTU ${dev.mtu}): the frame is dropped, no ICMP error`, { dev: dev.name, reason: `frame larger than the MTU of ${dev.name} in ${nsName} (${len} > ${dev.mtu})` })
  return false
}

/** A frame arrives on a device. */
function receiveFrame(ctx: Ctx, nsName: string, devName: string, frame: Packet): void {
  const dev = link(ctx, nsName, devName)
  if (!dev) return drop(ctx, nsName, frame, `device ${devName} does not exist`)
  if (!dev.up) return drop(ctx, nsName, frame, `${devName} is down: the frame is lost`, { dev: devName, ref: { table: 'link', netns: nsName, dev: devName, field: 'state', value: 'DOWN' } })
  const eth = frame.headers[0]
  if (eth?.kind !== 'eth') return receiveUp(ctx, nsName, devName, frame)
  if (dev.master) {
    const br = link(ctx, nsName, dev.master)
    if (br?.kind === 'bridge') return bridgeIngress(ctx, nsName, br, dev, frame)
  }
  const forUs = eth.dst === dev.mac || eth.dst === BROADCAST_MAC || isMulticastMac(eth.dst) || dev.kind === 'loopback'
  if (!forUs) {
    record(ctx, { kind: 'drop', netns: nsName, dev: devName, packet: frame, explain: `${devName} ignores a frame for ${eth.dst} (its MAC is ${dev.mac})`, minor: true })
    return
  }
  record(ctx, { kind: 'rx', netns: nsName, dev: devName, packet: frame, explain: `received on ${devName}` })
  receiveUp(ctx, nsName, devName, frame)
}

function bridgeIngress(ctx: Ctx, nsName: string, br: BridgeLink, port: Link, frame: Packet): void {
  const eth = frame.headers[0] as Header & { kind: 'eth' }
  if (!br.up) return drop(ctx, nsName, frame, `bridge ${br.name} is down`, { dev: br.name })
  const n = ns(ctx, nsName)
  const learned = learnFdb(n, br, eth.src, port.name, ctx.t)
  record(ctx, {
    kind: learned ? 'fdb-learn' : 'rx',
    netns: nsName,
    dev: port.name,
    packet: frame,
    explain: learned ? `bridge ${br.name} learns ${eth.src} is on port ${port.name}` : `bridge ${br.name} receives it on port ${port.name}`,
    ...(learned && { effects: [{ kind: 'fdb', netns: nsName, entry: learned }], ref: { table: 'fdb', netns: nsName, entry: learned } }),
  })
  let skb: Skb | undefined
  let current = frame
  if (brNfOn(ns(ctx, nsName), frame)) {
    skb = hook(ctx, nsName, 'PREROUTING', { pkt: stripL2(frame), mark: 0 }, { in: br.name, physIn: port.name }, 'bridge')
    if (!skb) return
    skb = { ...skb, preroutingDone: true }
    current = withEthernet(skb.pkt, eth.src, eth.dst)
  }
  let dstMac = eth.dst
  const newDst = skb && ipOf(skb.pkt)!.dst
  if (skb && newDst !== undefined && newDst !== ipOf(frame)!.dst) {
    // br_nf_pre_routing_finish: when DNAT sends the packet to an address behind this same
    // bridge, the frame is bridged to that address's MAC (bridged DNAT), not routed: no TTL
    // decrement, and it cannot go back out of the port it came in on unless hairpin is on.
    const r = lookupRoute(ns(ctx, nsName), newDst, flowOf(ns(ctx, nsName), skb.pkt, skb.mark, br.name))
    if (r.kind === 'route' && r.route.type === 'unicast' && r.route.dev === br.name) {
      const mac = resolveNeigh(ctx, nsName, br, r.route.via ?? newDst, skb.pkt)
      if (mac === undefined) return drop(ctx, nsName, current, `bridged DNAT: no ARP answer for ${r.route.via ?? newDst} on ${br.name}`, { dev: br.name })
      dstMac = mac
      current = withEthernet(skb.pkt, eth.src, mac)
      record(ctx, { kind: 'note', netns: nsName, dev: br.name, packet: current, explain: `br_netfilter: after DNAT, ${newDst} is behind ${br.name} itself: the frame is bridged to ${mac} (bridged DNAT), not routed` })
    }
  }
  const d = decideBridge(ns(ctx, nsName), br, dstMac, port.name, ctx.t, portCarrier(ctx))
  bridgeDeliver(ctx, nsName, br, current, d, port.name, skb)
}

/** The frame is for this host: ARP or IP. */
function receiveUp(ctx: Ctx, nsName: string, devName: string, frame: Packet, skb?: Skb): void {
  // The EtherType decides: an ARP frame carried inside a VXLAN packet is UDP to this host.
  const l3 = frame.headers[0]?.kind === 'eth' ? frame.headers[1] : frame.headers[0]
  if (l3?.kind === 'arp') return processArp(ctx, nsName, devName, frame, l3)
  if (findHeader(frame, 'ipv4') < 0) return drop(ctx, nsName, frame, 'not an IPv4 packet', { minor: true })
  receiveIp(ctx, nsName, devName, { pkt: stripL2(frame), mark: skb?.mark ?? 0, ...(skb?.ct && { ct: skb.ct }), ...(skb?.preroutingDone && { preroutingDone: true }) })
}

function processArp(ctx: Ctx, nsName: string, devName: string, frame: Packet, arp: ArpHeader): void {
  const n = ns(ctx, nsName)
  const dev = findLink(n, devName)!
  if (arp.op === 'request') {
    // arp_process drops a request for a loopback address before any lookup.
    const owned = isLoopbackIp(arp.targetIp) ? undefined : findLocalAddr(n, arp.targetIp)
    let proxy = false
    let proxyDev: string | undefined
    // Proxy ARP answers only where the receiving device forwards (arp_process: IN_DEV_FORWARD).
    if (!owned && dev.proxyArp && n.sysctl['net.ipv4.ip_forward']) {
      const r = lookupRoute(n, arp.targetIp, { skipLocal: true, src: arp.senderIp, iif: devName })
      proxy = r.kind === 'route' && r.route.dev !== devName && r.route.type === 'unicast'
      if (r.kind === 'route') proxyDev = r.route.dev
    }
    if (!owned && !proxy) {
      record(ctx, { kind: 'drop', netns: nsName, dev: devName, packet: frame, explain: `ARP who-has ${arp.targetIp}: not an address of ${nsName}, ignored`, minor: true })
      return
    }
    // arp_process answers only after ip_route_input accepts the asker as a source (martian
    // check, rp_filter): a strict rp_filter leaves an asker it would not route back to unanswered.
    if (arp.senderIp !== '0.0.0.0') {
      const v = validateSource(n, arp.senderIp, arp.targetIp, devName, owned ? undefined : proxyDev)
      if (!v.ok) {
        record(ctx, { kind: 'drop', netns: nsName, dev: devName, packet: frame, explain: `ARP who-has ${arp.targetIp} from ${arp.senderIp} is not answered: ${v.explain}`, ...(v.sysctl && { ref: { table: 'sysctl', netns: nsName, ...v.sysctl } }) })
        return
      }
    }
    // The kernel records the asker's address when the request is for us (neigh_event_ns), but
    // neigh_update leaves a PERMANENT/NOARP entry alone and a known address keeps its state.
    const known = n.neigh.find((e) => e.ip === arp.senderIp && e.dev === devName)
    const keep = known !== undefined && (known.state === 'PERMANENT' || known.state === 'NOARP' || known.mac === arp.senderMac)
    const asker: NeighEntry = { ip: arp.senderIp, dev: devName, mac: arp.senderMac, state: 'STALE', updated: ctx.t }
    const reply: ArpHeader = { kind: 'arp', op: 'reply', senderMac: dev.mac, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp }
    const replyFrame: Packet = { headers: [{ kind: 'eth', src: dev.mac, dst: arp.senderMac, type: 'arp' }, reply] }
    record(ctx, {
      kind: 'arp-reply',
      netns: nsName,
      dev: devName,
      packet: replyFrame,
      explain: proxy ? `proxy ARP on ${devName}: answers ${arp.targetIp} is-at ${dev.mac} (its own MAC) because ${arp.targetIp} is routed elsewhere` : `${nsName} owns ${arp.targetIp}: ARP reply ${arp.targetIp} is-at ${dev.mac}`,
      effects: keep ? [] : [{ kind: 'neigh', netns: nsName, entry: asker }],
      ...(proxy && { ref: { table: 'link', netns: nsName, dev: devName, field: 'proxy_arp', value: '1' } }),
    })
    transmit(ctx, nsName, devName, replyFrame)
    return
  }
  // A reply: learn it if it answers something we asked.
  const pending = n.neigh.find((e) => e.ip === arp.senderIp && e.dev === devName)
  // arp_accept is 0: a reply nobody asked for creates no entry, and a PERMANENT one is never overwritten.
  if (!pending || pending.state === 'PERMANENT' || pending.state === 'NOARP') {
    record(ctx, { kind: 'drop', netns: nsName, dev: devName, packet: frame, explain: pending ? `${nsName} keeps its ${pending.state} entry ${arp.senderIp} ${pending.mac ?? ''}: an ARP reply does not change it` : `${nsName} ignores an ARP reply for ${arp.senderIp} it did not ask for (arp_accept=0)`, minor: true, ...(pending && { ref: { table: 'neigh', netns: nsName, entry: pending } }) })
    return
  }
  // locktime (1 s by default): a different answer soon after one was accepted is ignored, so
  // when two hosts claim an address the first reply wins (neigh_update with NEIGH_UPDATE_F_OVERRIDE unset).
  if (pending?.mac && pending.mac !== arp.senderMac && pending.state !== 'INCOMPLETE' && pending.updated !== undefined && ctx.t - pending.updated < 1000) {
    record(ctx, { kind: 'drop', netns: nsName, dev: devName, packet: frame, explain: `${nsName} ignores a second ARP answer for ${arp.senderIp} (${arp.senderMac}): it accepted ${pending.mac} less than a second ago (locktime)`, ref: { table: 'neigh', netns: nsName, entry: pending }, minor: true })
    return
  }
  const entry: NeighEntry = { ip: arp.senderIp, dev: devName, mac: arp.senderMac, state: 'REACHABLE', updated: ctx.t }
  record(ctx, { kind: 'neigh-learn', netns: nsName, dev: devName, packet: frame, explain: `${nsName} learns ${arp.senderIp} is-at ${arp.senderMac} on ${devName}`, effects: [{ kind: 'neigh', netns: nsName, entry }], ref: { table: 'neigh', netns: nsName, entry } })
}

// ---------------------------------------------------------------------------------------------
// VXLAN and IPIP

function vxlanTransmit(ctx: Ctx, nsName: string, vx: VxlanLink, frame: Packet): void {
  const eth = frame.headers[0]
  if (eth?.kind !== 'eth') return drop(ctx, nsName, frame, 'not an Ethernet frame')
  const n = ns(ctx, nsName)
  const { entries, defaulted } = lookupVxlanFdb(n, vx, eth.dst, ctx.t)
  if (entries.length === 0) {
    return drop(ctx, nsName, frame, `${vx.name}: no FDB entry for ${eth.dst} and no default (00:00:00:00:00:00) entry: the frame has no remote VTEP`, { dev: vx.name })
  }
  forEachCopy(ctx, entries.map((e) => `vtep ${e.dst!}`), entries.map((e) => () => vxlanSendTo(ctx, nsName, vx, frame, e, defaulted)))
}

function vxlanSendTo(ctx: Ctx, nsName: string, vx: VxlanLink, frame: Packet, e: FdbEntry, defaulted: boolean): void {
  const n = ns(ctx, nsName)
  {
    const r = lookupRoute(n, e.dst!, { ...(vx.dev && { oif: vx.dev }), ...(vx.local && { src: vx.local }), proto: 'udp', dport: vx.dstport, skipLocal: true })
    const src = vx.local ?? (r.kind === 'route' ? routeSource(n, r.route, e.dst!) : undefined) ?? '0.0.0.0'
    const outer = encapsulate(frame, { src, dst: e.dst!, sport: vxlanSourcePort(frame), dport: vx.dstport, vni: e.vni ?? vx.vni, id: nextId(ctx) })
    record(ctx, {
      kind: 'encap',
      netns: nsName,
      dev: vx.name,
      packet: outer,
      explain: `${vx.name} (VNI ${e.vni ?? vx.vni}) wraps the frame: outer ${src} → ${e.dst} UDP ${vx.dstport}${defaulted ? ' (default FDB entry)' : ''}`,
      ref: { table: 'fdb', netns: nsName, entry: e },
    })
    if (ctx.phase === 'request' && ctx.flow === 'request') ctx.request.encapsulated = true
    if (!tunnelPmtu(ctx, nsName, vx, frame, outer, r)) return
    originate(ctx, nsName, outer, { ...(vx.dev && { oif: vx.dev }) })
  }
}

/**
 * The outer packet does not fit the underlay (skb_tunnel_check_pmtu, vxlan_xmit_one). The
 * outer header never has DF (vxlan `df unset`), so the outer packet is fragmented; for a DF
 * inner packet the driver also lowers the inner route's path MTU to underlay MTU - 50. Only
 * when the VXLAN device is a bridge port and the frame is not the host's own does it answer
 * for the destination: an ICMP "fragmentation needed" from the inner destination address,
 * injected back as if received from the tunnel (iptunnel_pmtud_build_icmp), and the frame
 * is dropped. Checked on Linux 6.18.
 */
function tunnelPmtu(ctx: Ctx, nsName: string, vx: VxlanLink, inner: Packet, outer: Packet, r: RouteResult): boolean {
  if (r.kind !== 'route' || !r.route.dev) return true
  const under = link(ctx, nsName, r.route.dev)
  const innerIp = ipOf(inner)
  const outerLen = ipOf(outer)!.length
  if (!under || outerLen <= under.mtu || !innerIp) return true
  const pmtu = under.mtu - VXLAN_OVERHEAD
  const eth = inner.headers[0]
  const t = l4(inner)
  const isError = t?.kind === 'icmp' && t.type !== 0 && t.type !== 8
  const bridged = vx.master !== undefined && !isLocallyOwned(ns(ctx, nsName), innerIp.src)
  if (innerIp.df && bridged && pmtu >= 576 && eth?.kind === 'eth' && !isError) {
    drop(ctx, nsName, outer, `encapsulated packet is ${outerLen} bytes, more than the ${under.mtu}-byte MTU of ${under.name}; the inner packet has DF set and ${vx.name} is a bridge port: the driver answers for ${innerIp.dst} with ICMP fragmentation needed (mtu ${pmtu})`, { reason: `fragmentation needed: VXLAN path MTU is ${pmtu}` })
    const quoted: IcmpHeader['quoted'] = { src: innerIp.src, dst: innerIp.dst, proto: innerIp.proto === 'ipip' ? 'icmp' : innerIp.proto, ...(t && t.kind !== 'icmp' && { sport: t.sport, dport: t.dport }), ...(t?.kind === 'icmp' && t.id !== undefined && { sport: t.id }) }
    const err: Packet = {
      headers: [
        { kind: 'eth', src: eth.dst, dst: eth.src, type: 'ipv4' },
        { kind: 'ipv4', src: innerIp.dst, dst: innerIp.src, ttl: DEFAULT_TTL, df: false, id: nextId(ctx), proto: 'icmp', length: 56 },
        { kind: 'icmp', type: 3, code: 4, mtu: pmtu, quoted },
      ],
    }
    const outerFlow = ctx.flow
    const outerCopy = ctx.copy
    const phase = ctx.phase
    const before = ctx.reply
    ctx.flow = 'icmp-error'
    ctx.copy = undefined
    ctx.phase = 'reply'
    record(ctx, { kind: 'icmp-error', netns: nsName, dev: vx.name, packet: err, explain: `${vx.name} answers for ${innerIp.dst}: ${summarize(err)}, received back on ${vx.name} as if from the tunnel` })
    receiveFrame(ctx, nsName, vx.name, err)
    ctx.flow = outerFlow
    ctx.copy = outerCopy
    ctx.phase = phase
    if (phase === 'request') ctx.reply = before
    return false
  }
  const why = innerIp.df ? `; the inner packet has DF set, but ${vx.name} only lowers the path MTU of the inner route to ${pmtu}` : ''
  record(ctx, {
    kind: 'note',
    netns: nsName,
    packet: outer,
    explain: `the ${outerLen}-byte outer packet exceeds the ${under.mtu}-byte MTU of ${under.name}: the outer packet (no DF) is fragmented${why}`,
    notSimulated: ['IP fragmentation of the outer packet', ...(innerIp.df ? [`the lowered path MTU (${pmtu}): a later packet from a local socket on this path fails with "message too long"`] : [])],
  })
  return true
}

function ipipOutput(ctx: Ctx, nsName: string, skb: Skb, rt: Route, tun: Link & { kind: 'ipip' }): void {
  const n = ns(ctx, nsName)
  const remote = rt.via ?? tun.remote
  if (!remote) return drop(ctx, nsName, skb.pkt, `${tun.name}: no remote endpoint for this route`)
  const r = lookupRoute(n, remote, { skipLocal: true, ...(tun.local && { src: tun.local }), mark: skb.mark })
  const src = tun.local ?? (r.kind === 'route' ? routeSource(n, r.route, remote) : undefined) ?? '0.0.0.0'
  const inner = ipOf(skb.pkt)!
  const outer: Packet = { headers: [{ kind: 'ipv4', src, dst: remote, ttl: DEFAULT_TTL, df: inner.df, id: nextId(ctx), proto: 'ipip', length: inner.length + HEADER_BYTES.ipv4 }, ...skb.pkt.headers] }
  record(ctx, { kind: 'encap', netns: nsName, dev: tun.name, packet: outer, explain: `${tun.name} wraps the packet in IP-in-IP: outer ${src} → ${remote}`, ref: { table: 'route', netns: nsName, route: rt, reason: describeRoute(rt) } })
  if (ctx.phase === 'request' && ctx.flow === 'request') ctx.request.encapsulated = true
  originate(ctx, nsName, outer)
}

// ---------------------------------------------------------------------------------------------
// Input path

function receiveIp(ctx: Ctx, nsName: string, inDev: string, skb0: Skb): void {
  let skb: Skb | undefined = skb0
  const n0 = ns(ctx, nsName)
  if (!skb.preroutingDone) {
    skb = hook(ctx, nsName, 'PREROUTING', skb, { in: inDev })
    if (!skb) return
  }
  const n = ns(ctx, nsName)
  const h = ipOf(skb.pkt)!
  if (isRulesOnly(n)) {
    const local = addrType(n, h.dst) === 'LOCAL'
    record(ctx, { kind: 'route', netns: nsName, packet: skb.pkt, explain: local ? `${h.dst} is a local address: delivered to this host` : `${h.dst} is not local: forwarded`, notSimulated: ['no routing table in the input: local delivery is decided by the local addresses only'] })
    if (local) return localIn(ctx, nsName, inDev, skb)
    if (!n.sysctl['net.ipv4.ip_forward']) return drop(ctx, nsName, skb.pkt, 'net.ipv4.ip_forward is 0: this host does not forward packets', { ref: { table: 'sysctl', netns: nsName, key: 'net.ipv4.ip_forward', value: '0' } })
    skb = hook(ctx, nsName, 'FORWARD', skb, { in: inDev })
    if (!skb) return
    skb = hook(ctx, nsName, 'POSTROUTING', skb, {})
    if (!skb) return
    return leaveModel(ctx, nsName, skb.pkt)
  }
  const flow = flowOf(n, skb.pkt, skb.mark, inDev)
  const r = lookupRoute(n, h.dst, flow)
  recordRoute(ctx, nsName, skb.pkt, r, 'route lookup (input)')
  // fib_validate_source, before delivery or forwarding: a martian source (one of this netns's
  // own addresses, accept_local 0) or one rp_filter refuses is dropped without a word.
  // (Checked: a pod reaching itself through a NodePort DNAT without masquerade timed out.)
  // (Forwarding is refused first when ip_forward is 0: ip_route_input_slow checks it before __mkroute_input.)
  if (inDev !== 'lo' && (r.kind === 'local' || (r.kind === 'route' && r.route.type === 'unicast' && n.sysctl['net.ipv4.ip_forward']))) {
    const v = validateSource(n, h.src, h.dst, inDev, r.kind === 'route' ? r.route.dev : undefined, flow)
    if (!v.ok) {
      const ref: TableRef | undefined = v.sysctl && { table: 'sysctl', netns: nsName, ...v.sysctl }
      return drop(ctx, nsName, skb.pkt, v.explain, { reason: `${v.why === 'martian' ? 'martian source' : 'rp_filter drops source'} ${h.src} on ${inDev} in ${nsName}`, ...(ref && { ref }) })
    }
  }
  if (r.kind === 'local') return localIn(ctx, nsName, inDev, skb)
  // Checked before the route's fate: a non-forwarding device answers nothing, not even "no
  // route" or an unreachable route (ip_route_input_slow → ip_error counts it, sends no ICMP).
  if (!n.sysctl['net.ipv4.ip_forward']) {
    drop(ctx, nsName, skb.pkt, `net.ipv4.ip_forward is 0: ${nsName} does not route packets that are not for itself`, { ref: { table: 'sysctl', netns: nsName, key: 'net.ipv4.ip_forward', value: '0' }, reason: `ip_forward is off in ${nsName}` })
    return
  }
  if (r.kind === 'none') {
    drop(ctx, nsName, skb.pkt, `no route to ${h.dst}: ICMP net unreachable to the sender`)
    sendIcmpError(ctx, nsName, skb.pkt, 3, 0)
    return
  }
  if (r.route.type !== 'unicast') return routeTypeFailure(ctx, nsName, skb.pkt, r, false)
  void n0
  forward(ctx, nsName, inDev, skb, r.route)
}

function forward(ctx: Ctx, nsName: string, inDev: string, skb0: Skb, rt: Route): void {
  const h = ipOf(skb0.pkt)!
  if (h.ttl <= 1) {
    drop(ctx, nsName, skb0.pkt, `TTL ${h.ttl} would reach 0: ICMP time exceeded to ${h.src}`, { reason: `TTL exceeded in ${nsName}` })
    sendIcmpError(ctx, nsName, skb0.pkt, 11, 0)
    return
  }
  const dev = rt.dev ? link(ctx, nsName, rt.dev) : undefined
  const mtu = Math.min(rt.mtu ?? Infinity, dev?.mtu ?? Infinity)
  if (wireLength(h) > mtu && h.df) {
    drop(ctx, nsName, skb0.pkt, `${h.length}-byte packet with DF set does not fit the ${mtu}-byte MTU of ${rt.dev}: ICMP fragmentation needed (mtu ${mtu})`, { reason: `fragmentation needed: ${h.length} > MTU ${mtu} of ${rt.dev} in ${nsName}` })
    sendIcmpError(ctx, nsName, skb0.pkt, 3, 4, mtu)
    return
  }
  let pkt = rewriteL3(skb0.pkt, { ttl: h.ttl - 1 })
  record(ctx, { kind: 'forward', netns: nsName, dev: inDev, packet: pkt, explain: `${nsName} forwards it (ip_forward=1): TTL ${h.ttl} → ${h.ttl - 1}, out ${rt.dev ?? '?'}` })
  if (wireLength(h) > mtu) {
    pkt = fragmentTo(pkt, mtu)
    record(ctx, { kind: 'note', netns: nsName, packet: pkt, explain: `${h.length} bytes exceed the ${mtu}-byte MTU of ${rt.dev}: fragmented`, notSimulated: ['IP fragmentation: the fragments are shown as one packet'] })
  }
  let skb: Skb | undefined = { ...skb0, pkt }
  skb = hook(ctx, nsName, 'FORWARD', skb, { in: inDev, out: rt.dev! })
  if (!skb) return
  skb = hook(ctx, nsName, 'POSTROUTING', skb, { in: inDev, out: rt.dev! })
  if (!skb) return
  l3Output(ctx, nsName, skb, rt)
}

function localIn(ctx: Ctx, nsName: string, inDev: string, skb0: Skb): void {
  const skb = hook(ctx, nsName, 'INPUT', skb0, { in: inDev })
  if (!skb) return
  deliverLocal(ctx, nsName, inDev, skb)
}

// ---------------------------------------------------------------------------------------------
// Sockets

function findListener(n: Netns, proto: 'tcp' | 'udp', port: number, dst: Ip): Listener | undefined {
  return n.listeners.find((l) => l.proto === proto && l.port === port && (!l.addr || l.addr === '0.0.0.0' || l.addr === dst))
}

function deliverLocal(ctx: Ctx, nsName: string, inDev: string, skb: Skb): void {
  const n = ns(ctx, nsName)
  const pkt = skb.pkt
  const h = ipOf(pkt)!
  const t = l4(pkt)

  // Tunnels terminate here: VXLAN over UDP, IP-in-IP.
  if (h.proto === 'ipip') return ipipReceive(ctx, nsName, pkt)
  if (t?.kind === 'udp') {
    const vx = n.links.find((l): l is VxlanLink => l.kind === 'vxlan' && l.dstport === t.dport && (!l.local || l.local === h.dst))
    if (vx && findHeader(pkt, 'vxlan') >= 0) return vxlanReceive(ctx, nsName, vx, pkt)
  }

  // The answer to something a socket here sent?
  if (ctx.expect && ctx.expect.netns === nsName && isAnswer(pkt) && forSender(ctx.expect, pkt)) return receiveAnswer(ctx, nsName, pkt)

  if (t?.kind === 'icmp') {
    if (t.type === 8) {
      if (n.sysctl['net.ipv4.icmp_echo_ignore_all']) return drop(ctx, nsName, pkt, 'net.ipv4.icmp_echo_ignore_all=1: echo requests are ignored', { ref: { table: 'sysctl', netns: nsName, key: 'net.ipv4.icmp_echo_ignore_all', value: '1' } })
      delivered(ctx, nsName, pkt, h.dst, `${nsName} receives the echo request`)
      const reply: Packet = { headers: [{ kind: 'ipv4', src: h.dst, dst: h.src, ttl: DEFAULT_TTL, df: false, id: nextId(ctx), proto: 'icmp', length: h.length }, { kind: 'icmp', type: 0, code: 0, ...(t.id !== undefined && { id: t.id }), ...(t.seq !== undefined && { seq: t.seq }) }] }
      return answer(ctx, nsName, reply, 'the kernel answers with an echo reply')
    }
    record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain: `ICMP ${t.type}/${t.code} delivered to ${nsName}` })
    return
  }
  if (t?.kind === 'tcp') {
    if (t.flags.includes('RST')) {
      // RFC 793: a reset is never answered; it just aborts whatever half-open state there was.
      record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain: `${nsName} receives RST from ${h.src}:${t.sport}: any half-open connection is aborted` })
      return
    }
    if (!t.flags.includes('SYN') || t.flags.includes('ACK')) {
      // A segment for no connection we know: the kernel answers with RST.
      drop(ctx, nsName, pkt, `${nsName} has no connection for ${h.src}:${t.sport} → ${h.dst}:${t.dport}: it answers with RST`, { reason: `unexpected TCP segment at ${nsName}` })
      return sendTcpReset(ctx, nsName, pkt)
    }
    const l = findListener(n, 'tcp', t.dport, h.dst)
    if (!l) {
      if (n.socketsUnknown || isRulesOnly(n)) return assumeListening(ctx, nsName, pkt, h.dst, t.dport)
      record(ctx, { kind: 'drop', netns: nsName, packet: pkt, explain: `nothing listens on tcp/${t.dport} in ${nsName}: the kernel answers with RST (connection refused)` })
      setFailure(ctx, 'rejected', `connection refused: nothing listens on tcp/${t.dport} in ${nsName}`)
      return sendTcpReset(ctx, nsName, pkt)
    }
    delivered(ctx, nsName, pkt, `${h.dst}:${t.dport}`, `${l.app} accepts the connection on tcp/${t.dport}`, l)
    const synack: Packet = { headers: [{ kind: 'ipv4', src: h.dst, dst: h.src, ttl: DEFAULT_TTL, df: true, id: nextId(ctx), proto: 'tcp', length: 60 }, { kind: 'tcp', sport: t.dport, dport: t.sport, flags: ['SYN', 'ACK'] }] }
    return answer(ctx, nsName, synack, `${l.app} answers SYN-ACK`)
  }
  if (t?.kind === 'udp') {
    const l = findListener(n, 'udp', t.dport, h.dst)
    if (!l) {
      if (n.socketsUnknown || isRulesOnly(n)) return assumeListening(ctx, nsName, pkt, h.dst, t.dport)
      record(ctx, { kind: 'drop', netns: nsName, packet: pkt, explain: `nothing listens on udp/${t.dport} in ${nsName}: ICMP port unreachable` })
      setFailure(ctx, 'rejected', `port unreachable: nothing listens on udp/${t.dport} in ${nsName}`)
      return sendIcmpError(ctx, nsName, pkt, 3, 3)
    }
    delivered(ctx, nsName, pkt, `${h.dst}:${t.dport}`, `${l.app} receives the datagram on udp/${t.dport}`, l)
    const dns = pkt.headers.find((x) => x.kind === 'dns')
    if (l.dns && dns?.kind === 'dns' && dns.qr === 'query') {
      const ans = ctx.dns?.(nsName, dns.question, { now: ctx.t, netns: n }) ?? { rcode: 'SERVFAIL' as const, answers: [], explain: 'no DNS data is attached to this world' }
      ctx.flow = 'dns-reply'
      record(ctx, { kind: 'dns', netns: nsName, packet: pkt, explain: `${l.app}: ${ans.explain}`, ...(ans.effects && ans.effects.length > 0 && { effects: ans.effects }) })
      const resp: Packet = {
        headers: [
          { kind: 'ipv4', src: h.dst, dst: h.src, ttl: DEFAULT_TTL, df: false, id: nextId(ctx), proto: 'udp', length: 90 },
          { kind: 'udp', sport: t.dport, dport: t.sport },
          { kind: 'dns', id: dns.id, qr: 'response', rcode: ans.rcode, question: dns.question, answers: ans.answers, aa: true },
        ],
      }
      return answer(ctx, nsName, resp, `${l.app} answers ${ans.rcode}${ans.answers.length ? `: ${ans.answers.map((a) => a.data).join(', ')}` : ''}`)
    }
    const resp: Packet = { headers: [{ kind: 'ipv4', src: h.dst, dst: h.src, ttl: DEFAULT_TTL, df: false, id: nextId(ctx), proto: 'udp', length: h.length }, { kind: 'udp', sport: t.dport, dport: t.sport }, { kind: 'data', text: `reply from ${l.app}` }] }
    return answer(ctx, nsName, resp, `${l.app} answers`)
  }
  drop(ctx, nsName, pkt, 'no handler for this protocol')
}

function assumeListening(ctx: Ctx, nsName: string, pkt: Packet, dst: Ip, port: number): void {
  record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain: `delivered to a local socket on ${dst}:${port}`, notSimulated: ['sockets are not in the input: something is assumed to listen'] })
  if (ctx.phase === 'request' && ctx.request.verdict === undefined) {
    ctx.request.verdict = 'delivered'
    ctx.request.deliveredTo = `${dst}:${port}`
    ctx.request.deliveredNetns = nsName
  }
}

function delivered(ctx: Ctx, nsName: string, pkt: Packet, to: string, explain: string, l?: Listener): void {
  record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain, ...(l && { ref: { table: 'socket', netns: nsName, listener: l } }) })
  if (ctx.phase === 'request' && ctx.request.verdict === undefined) {
    ctx.request.verdict = 'delivered'
    ctx.request.deliveredTo = to
    ctx.request.deliveredNetns = nsName
  }
}

/** The receiving socket answers: trace the answer back (when round trips are on). */
function answer(ctx: Ctx, nsName: string, pkt: Packet, explain: string): void {
  if (!ctx.roundTrip || ctx.phase !== 'request') return
  ctx.phase = 'reply'
  if (ctx.flow === 'request') ctx.flow = 'reply'
  if (ctx.flow === 'dns-query') ctx.flow = 'dns-reply'
  ctx.copy = undefined
  originate(ctx, nsName, pkt, { explain: `${explain}: ${summarize(pkt)}` })
}

/**
 * Is the packet addressed to the sending socket (its address and port)? A request hairpinned
 * back into the sender's own netns (a pod calling a Service that picks the pod itself) is for
 * the listening socket, not for the client.
 */
function forSender(e: Expectation, pkt: Packet): boolean {
  const h = ipOf(pkt)!
  const t = l4(pkt)
  if (t?.kind === 'tcp' || t?.kind === 'udp') return h.dst === e.dst && (e.dport === undefined || t.dport === e.dport)
  return true
}

function isAnswer(pkt: Packet): boolean {
  const t = l4(pkt)
  if (!t) return false
  if (t.kind === 'icmp') return t.type === 0 || t.type === 3 || t.type === 11
  if (t.kind === 'tcp') return t.flags.includes('ACK') || t.flags.includes('RST')
  return true
}

type Answer = Omit<Expectation, 'netns'>

/** Does an answer carry what the client talked to: the addresses and ports (or the ping's id)? */
function answerMatches(e: Answer, h: Ipv4Header, t: TcpHeader | UdpHeader | IcmpHeader): boolean {
  return h.src === e.src && t.kind === e.proto && (t.kind === 'icmp' ? t.id === e.icmpId : t.sport === e.sport && t.dport === e.dport)
}

/** The round trip's drop reason for an answer that does not match. */
function mismatch(e: Answer, h: Ipv4Header, t: TcpHeader | UdpHeader | IcmpHeader): string {
  const got = t.kind === 'icmp' ? h.src : `${h.src}:${t.sport}`
  const want = t.kind === 'icmp' ? e.src : `${e.src}:${e.sport ?? ''}`
  return `reply from ${got} does not match the request to ${want}`
}

/** A packet reaches the netns whose socket is waiting: is it the answer the socket expects? */
function receiveAnswer(ctx: Ctx, nsName: string, pkt: Packet): void {
  const e = ctx.expect!
  const h = ipOf(pkt)!
  const t = l4(pkt)!
  if (t.kind === 'icmp' && (t.type === 3 || t.type === 11)) {
    // An error about our packet: the socket gets it (ECONNREFUSED, EHOSTUNREACH, EMSGSIZE...).
    record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain: `the sending socket receives the ICMP error from ${h.src}` })
    if (ctx.phase === 'reply' && ctx.reply === null && ctx.request.verdict === 'delivered') ctx.reply = { verdict: 'dropped', dropReason: `ICMP error from ${h.src}`, matchesRequest: false }
    return
  }
  const matches = answerMatches(e, h, t)
  if (t.kind === 'tcp' && t.flags.includes('RST')) {
    record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain: `the connecting socket receives RST from ${h.src}:${t.sport}: connection refused` })
    if (ctx.phase === 'reply' && ctx.reply === null) ctx.reply = { verdict: 'delivered', dropReason: null, matchesRequest: matches }
    return
  }
  if (!matches) {
    const got = t.kind === 'icmp' ? h.src : `${h.src}:${t.sport}`
    const want = t.kind === 'icmp' ? e.src : `${e.src}:${e.sport ?? ''}`
    const reason = mismatch(e, h, t)
    drop(ctx, nsName, pkt, `the answer comes from ${got}, but the socket talked to ${want}: no socket matches, so the kernel ${t.kind === 'tcp' ? 'answers with RST' : 'discards it'}`, { reason })
    if (ctx.reply === null || ctx.reply.verdict !== 'dropped') ctx.reply = { verdict: 'dropped', dropReason: reason, matchesRequest: false }
    if (t.kind === 'tcp') sendTcpReset(ctx, nsName, pkt)
    return
  }
  record(ctx, { kind: 'deliver', netns: nsName, packet: pkt, explain: `the socket in ${nsName} receives the answer from ${t.kind === 'icmp' ? h.src : `${h.src}:${t.sport}`}` })
  if (ctx.reply === null) ctx.reply = { verdict: 'delivered', dropReason: null, matchesRequest: true }
}

function vxlanReceive(ctx: Ctx, nsName: string, vx: VxlanLink, outer: Packet): void {
  const inner = decapsulate(outer)
  const vxh = outer.headers.find((x) => x.kind === 'vxlan')
  if (!inner || vxh?.kind !== 'vxlan') return drop(ctx, nsName, outer, 'malformed VXLAN packet')
  if (vxh.vni !== vx.vni) return drop(ctx, nsName, outer, `VNI ${vxh.vni} does not match ${vx.name} (VNI ${vx.vni})`)
  const outerSrc = ipOf(outer)!.src
  const eth = inner.headers[0]
  const effects: Effect[] = []
  const snoop = eth?.kind === 'eth' ? learnVxlanFdb(ns(ctx, nsName), vx, eth.src, outerSrc, ctx.t) : undefined
  if (snoop?.kind === 'drop') return drop(ctx, nsName, inner, snoop.reason, { dev: vx.name, ...(snoop.entry && { ref: { table: 'fdb', netns: nsName, entry: snoop.entry } }) })
  if (snoop?.kind === 'learn') effects.push({ kind: 'fdb', netns: nsName, entry: snoop.entry })
  record(ctx, { kind: 'decap', netns: nsName, dev: vx.name, packet: inner, explain: `${vx.name} unwraps the VXLAN packet from ${outerSrc} (VNI ${vx.vni})${snoop?.kind === 'learn' ? `; learns ${snoop.entry.mac} is behind ${outerSrc}` : ''}`, effects })
  receiveFrame(ctx, nsName, vx.name, inner)
}

function ipipReceive(ctx: Ctx, nsName: string, outer: Packet): void {
  const n = ns(ctx, nsName)
  const tun = n.links.find((l) => l.kind === 'ipip' && l.up)
  if (!tun) return drop(ctx, nsName, outer, 'IP-in-IP packet but no tunl0 device is up here')
  const inner: Packet = { headers: outer.headers.slice(1) }
  record(ctx, { kind: 'decap', netns: nsName, dev: tun.name, packet: inner, explain: `${tun.name} unwraps the IP-in-IP packet from ${ipOf(outer)!.src}` })
  receiveIp(ctx, nsName, tun.name, { pkt: inner, mark: 0 })
}

// ---------------------------------------------------------------------------------------------
// Errors the kernel sends back

/** `natted`: the packet's source is this host's only after SNAT; the error goes out to be un-NATed by conntrack. */
function sendIcmpError(ctx: Ctx, nsName: string, about: Packet, type: number, code: number, mtu?: number, natted = false): void {
  const h = ipOf(about)
  if (!h) return
  const t = l4(about)
  if (t?.kind === 'icmp' && t.type !== 8 && t.type !== 0) return // never an error about an error
  const n = ns(ctx, nsName)
  // icmp_send: about a packet addressed to this host, the error comes from that address and is
  // routed with it; about one passing through, it is routed with no source (so `from` rules
  // do not apply) and takes the route's (icmp_errors_use_inbound_ifaddr 0).
  const toUs = !natted && findLocalAddr(n, h.dst) !== undefined
  const back = lookupRoute(n, h.src, { skipLocal: true, ...(toUs && { src: h.dst }) })
  const src = natted ? h.src : toUs ? h.dst : back.kind === 'route' ? routeSource(n, back.route, h.src) : selectSource(n, undefined, undefined)
  const quoted: IcmpHeader['quoted'] = { src: h.src, dst: h.dst, proto: h.proto === 'ipip' ? 'icmp' : h.proto, ...(t && t.kind !== 'icmp' && { sport: t.sport, dport: t.dport }), ...(t?.kind === 'icmp' && t.id !== undefined && { sport: t.id }) }
  const err: Packet = {
    headers: [
      { kind: 'ipv4', src: src ?? h.dst, dst: h.src, ttl: DEFAULT_TTL, df: false, id: nextId(ctx), proto: 'icmp', length: 56 },
      { kind: 'icmp', type, code, ...(mtu !== undefined && { mtu }), quoted },
    ],
  }
  if (isLocallyOwned(n, h.src) && !natted) {
    // The error is for this host's own socket: it is reported locally, no packet travels.
    record(ctx, { kind: 'icmp-error', netns: nsName, packet: err, explain: `the error is reported to the local sender in ${nsName}` })
    return
  }
  const outer = ctx.flow
  const outerCopy = ctx.copy
  const phase = ctx.phase
  ctx.flow = 'icmp-error'
  ctx.copy = undefined
  ctx.phase = 'reply' // errors never change the request's outcome again
  const before = ctx.reply
  record(ctx, { kind: 'icmp-error', netns: nsName, packet: err, explain: `${nsName} sends ${summarize(err)}` })
  originate(ctx, nsName, err, toUs || natted ? {} : { unbound: true })
  ctx.flow = outer
  ctx.copy = outerCopy
  ctx.phase = phase
  if (phase === 'request') ctx.reply = before
}

function sendTcpReset(ctx: Ctx, nsName: string, about: Packet): void {
  const h = ipOf(about)!
  const t = l4(about) as TcpHeader
  const rst: Packet = { headers: [{ kind: 'ipv4', src: h.dst, dst: h.src, ttl: DEFAULT_TTL, df: true, id: nextId(ctx), proto: 'tcp', length: 40 }, { kind: 'tcp', sport: t.dport, dport: t.sport, flags: ['RST', 'ACK'] }] }
  if (!ctx.roundTrip && ctx.phase === 'request') return
  const phase = ctx.phase
  const before = ctx.reply
  ctx.phase = 'reply'
  const outerFlow = ctx.flow
  if (ctx.flow === 'request') ctx.flow = 'reply'
  originate(ctx, nsName, rst, { explain: `${nsName} answers with RST: ${summarize(rst)}` })
  ctx.flow = outerFlow
  if (phase === 'request') {
    ctx.phase = 'request'
    // The RST is the answer the client gets: it arrived (or not) as recorded.
    ctx.reply = ctx.reply ?? before
  }
}
