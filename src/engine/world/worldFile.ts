/**
 * World files: a raw Linux topology in YAML (or JSON) — network namespaces, links,
 * addresses, routes (any table), policy routing rules, neighbours, FDB entries, sysctls,
 * listening sockets and iptables rules.
 * The format is documented in README "World files". Loading applies the same operations
 * `ip` commands do (model/ops.ts), so kernel side effects (prefix routes, bridge port FDB
 * entries) appear exactly as on a real host. Never throws on bad input: every problem is a
 * diagnostic with its line and column, and everything that could be built is kept.
 */
import { z } from 'zod'
import type { Diagnostic } from '../diagnostics.ts'
import { isIpv4, isMac, normalizeMac } from '../wire/addr.ts'
import { NetError, addAddr, addLink, addNetns, addRoute, addVethPair, emptyWorld, getNetns, newNetns, putFdb, putNeigh, putNetns, setLinkUp, setMaster } from '../model/ops.ts'
import type { NewLink } from '../model/ops.ts'
import type { FdbEntry, Listener, NeighEntry, Route, RoutingRule, Sysctls, World } from '../model/types.ts'
import { addRule, DEFAULT_RULES, isDefaultRules, parseRuleSpec } from '../route/rules.ts'
import { DEFAULT_SYSCTLS } from '../model/types.ts'
import { diagnosticAt, readYaml, zodIssuesToDiagnostics } from '../yamlSource.ts'
import { applyIptablesToWorld } from './iptables.ts'
import type { YamlPath, YamlSource } from '../yamlSource.ts'

/** Stable codes for world-file problems. */
export const WORLD_CODES = {
  WORLD001: 'YAML syntax error',
  WORLD002: 'schema violation',
  WORLD003: 'unknown netns or device reference',
  WORLD004: 'the kernel refuses this (an iproute2 error)',
  WORLD005: 'veth ends disagree',
  WORLD006: 'not a world file',
} as const

const ipv4 = z.string().refine(isIpv4, { message: 'expected an IPv4 address like 10.244.1.2' })
const cidr = z.string().refine((t) => { const [a, l, extra] = t.split('/'); return extra === undefined && a !== undefined && isIpv4(a) && l !== undefined && /^\d{1,2}$/.test(l) && Number(l) <= 32 }, { message: 'expected an address with prefix length like 10.244.1.2/24' })
const mac = z.string().refine(isMac, { message: 'expected a MAC address like 02:42:ac:11:00:02' })

const LinkSchema = z.object({
  name: z.string().min(1).max(15),
  type: z.enum(['loopback', 'veth', 'bridge', 'vxlan', 'phys', 'ipip', 'dummy']),
  mac: mac.optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
  up: z.boolean().default(true),
  addrs: z.array(cidr).default([]),
  master: z.string().optional(),
  hairpin: z.boolean().optional(),
  proxyArp: z.boolean().optional(),
  // veth
  peer: z.object({ netns: z.string(), name: z.string() }).optional(),
  // bridge
  ageingTime: z.number().int().min(0).optional(),
  // vxlan
  vni: z.number().int().min(0).max(16777215).optional(),
  local: ipv4.optional(),
  remote: ipv4.optional(),
  dstport: z.number().int().min(0).max(65535).optional(),
  dev: z.string().optional(),
  learning: z.boolean().optional(),
  // phys
  segment: z.string().optional(),
})

const RouteSchema = z.object({
  dst: z.string(),
  type: z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit']).default('unicast'),
  via: ipv4.optional(),
  dev: z.string().optional(),
  onlink: z.boolean().optional(),
  scope: z.enum(['global', 'link', 'host']).optional(),
  src: ipv4.optional(),
  proto: z.string().optional(),
  metric: z.number().int().min(0).optional(),
  mtu: z.number().int().optional(),
  /** `table 100`: a table policy routing rules look up (default main). */
  table: z.union([z.enum(['main', 'local', 'default']), z.number().int().min(1).max(0xffffffff)]).optional(),
})

const NeighSchema = z.object({ ip: ipv4, dev: z.string(), mac: mac.optional(), state: z.enum(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE']).default('PERMANENT') })
const FdbSchema = z.object({ mac, dev: z.string(), dst: ipv4.optional(), master: z.string().optional(), permanent: z.boolean().default(true), self: z.boolean().optional(), vni: z.number().int().optional() })
const ListenerSchema = z.union([
  z.string().regex(/^(tcp|udp)\/\d{1,5}(\s+\S+)?$/, { message: 'expected "tcp/80 nginx" or an object {proto, port, app}' }),
  z.object({ proto: z.enum(['tcp', 'udp']), port: z.number().int().min(1).max(65535), app: z.string().default('app'), addr: ipv4.optional(), dns: z.boolean().optional() }),
])

const RULE_HINT = 'write it as `ip rule add` takes it: selectors (from PREFIX, to PREFIX, fwmark MARK[/MASK], iif DEV, oif DEV, ipproto tcp|udp|icmp, sport N[-M], dport N[-M], tos N, uidrange N-M, not), then lookup TABLE | goto PRIO | blackhole | unreachable | prohibit | nop, and pref N; e.g. "from 10.0.0.5 lookup 100 pref 100"'

const SYSCTL_KEYS = Object.keys(DEFAULT_SYSCTLS) as (keyof Sysctls)[]

const NetnsSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['host', 'pod', 'client', 'plain']).default('plain'),
  node: z.string().optional(),
  sysctl: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({}),
  links: z.array(LinkSchema).default([]),
  routes: z.array(RouteSchema).default([]),
  neigh: z.array(NeighSchema).default([]),
  fdb: z.array(FdbSchema).default([]),
  listeners: z.array(ListenerSchema).default([]),
  /** Policy routing rules in `ip rule add` syntax, added to the kernel's three defaults. */
  rules: z.array(z.string()).default([]),
  iptables: z.string().optional(),
  resolvConf: z.object({ nameservers: z.array(ipv4), search: z.array(z.string()).default([]), ndots: z.number().int().default(1) }).optional(),
})

export const WorldFileSchema = z.object({
  apiVersion: z.literal('packetwalk.dev/v1'),
  kind: z.literal('World'),
  metadata: z.object({ name: z.string().optional(), description: z.string().optional() }).default({}),
  segments: z.array(z.object({ name: z.string(), cidr: z.string().optional(), description: z.string().optional() })).default([]),
  nodes: z.array(z.string()).optional(),
  notes: z.array(z.string()).optional(),
  netns: z.array(NetnsSchema).min(1, { message: 'a world needs at least one netns' }),
})

export type WorldFile = z.infer<typeof WorldFileSchema>

export interface LoadWorldResult {
  readonly world: World
  readonly diagnostics: Diagnostic[]
  readonly name?: string
  readonly description?: string
  /** iptables-save text per netns as written (already parsed into each netns's ruleset). */
  readonly iptables: Readonly<Record<string, { text: string; line?: number }>>
}

/** Does this text look like a world file (as opposed to a cluster, scenario or dump)? */
export function isWorldFile(text: string): boolean {
  return /^\s*kind:\s*World\s*$/m.test(text) && /packetwalk\.dev\/v1/.test(text)
}

/**
 * Load a world file.
 *
 * @example
 * const { world, diagnostics } = loadWorldFile(readFileSync('two-pods.yaml', 'utf8'), { file: 'two-pods.yaml' })
 */
export function loadWorldFile(text: string, opts: { file?: string } = {}): LoadWorldResult {
  const src = readYaml(text, { code: 'WORLD001', ...(opts.file !== undefined && { file: opts.file }) })
  const diagnostics = [...src.diagnostics]
  const empty: LoadWorldResult = { world: emptyWorld(), diagnostics, iptables: {} }
  const doc = src.docs[0]
  if (!doc) {
    if (diagnostics.length === 0) diagnostics.push({ code: 'WORLD006', severity: 'error', message: 'the file is empty', hint: 'start with `apiVersion: packetwalk.dev/v1` and `kind: World`', ...(opts.file !== undefined && { file: opts.file }) })
    return empty
  }
  const parsed = WorldFileSchema.safeParse(doc.value)
  if (!parsed.success) {
    diagnostics.push(...zodIssuesToDiagnostics(src, doc.index, parsed.error.issues, { code: 'WORLD002', ...(opts.file !== undefined && { file: opts.file }) }))
    return empty
  }
  const built = buildWorld(parsed.data, src, doc.index, opts.file, diagnostics)
  const nf = applyIptablesToWorld(built.world, built.iptables, opts.file)
  diagnostics.push(...nf.diagnostics)
  return { ...built, world: nf.world, diagnostics }
}

function buildWorld(f: WorldFile, src: YamlSource, docIndex: number, file: string | undefined, diagnostics: Diagnostic[]): Omit<LoadWorldResult, 'diagnostics'> {
  const problem = (code: keyof typeof WORLD_CODES, path: YamlPath, message: string, hint?: string) =>
    diagnostics.push(diagnosticAt(src, docIndex, path, { code, severity: 'error', message, ...(hint && { hint }), ...(file !== undefined && { file }) }))
  /** Apply an operation; a kernel refusal becomes a diagnostic at `path` and the world is unchanged. */
  const attempt = (w: World, path: YamlPath, f: (w: World) => World): World => {
    try {
      return f(w)
    } catch (e) {
      if (e instanceof NetError) {
        problem(e.code === 'ENODEV' || e.code === 'ENOENT' ? 'WORLD003' : 'WORLD004', path, e.message)
        return w
      }
      throw e
    }
  }

  /** `rules:` of netns `i`, each added as `ip rule add` would; undefined when there are none. */
  const addRules = (texts: readonly string[], i: number): RoutingRule[] | undefined => {
    let rules: readonly RoutingRule[] = DEFAULT_RULES
    texts.forEach((text, ri) => {
      const path: YamlPath = ['netns', i, 'rules', ri]
      const words = text.trim().split(/\s+/).filter((x) => x !== '')
      const parsed = parseRuleSpec(words)
      if (!parsed.ok) {
        diagnostics.push(ruleWordDiagnostic(path, text, parsed.word, parsed.error))
        return
      }
      const pos = src.locate(docIndex, path)
      const added = addRule(rules, { ...parsed.rule, source: { ...(file !== undefined && { file }), line: pos?.line ?? 0 } })
      if (!added.ok) return problem('WORLD004', path, `RTNETLINK answers: ${added.error}`, 'the same rule is already in the list (the defaults: 0 lookup local, 32766 lookup main, 32767 lookup default)')
      rules = added.rules
    })
    return isDefaultRules(rules) ? undefined : [...rules]
  }
  /** A bad word of a rule string: at its own column when the string is on one line. */
  const ruleWordDiagnostic = (path: YamlPath, text: string, word: number, error: string): Diagnostic => {
    const d = diagnosticAt(src, docIndex, path, { code: 'WORLD002', severity: 'error', message: `rule "${text.trim()}": ${error}`, hint: RULE_HINT, ...(file !== undefined && { file }) })
    if (d.line === undefined || d.col === undefined) return d
    const line = src.lineText(d.line)
    const quote = line[d.col - 1] === '"' || line[d.col - 1] === "'" ? 1 : 0
    const start = d.col - 1 + quote
    if (line.slice(start, start + text.length) !== text) return d
    const re = /\S+/g
    let m: RegExpExecArray | null
    let k = 0
    let col = start + text.trimEnd().length + 2
    while ((m = re.exec(text)) !== null) {
      if (k++ === word) {
        col = start + m.index + 1
        break
      }
    }
    return { ...d, col }
  }

  let w: World = { ...emptyWorld(), segments: Object.fromEntries(f.segments.map((s) => [s.name, { name: s.name, ...(s.cidr && { cidr: s.cidr }), ...(s.description && { description: s.description }) }])) }
  const nsIndex = new Map<string, number>()

  // 1. Namespaces.
  f.netns.forEach((n, i) => {
    const p = ['netns', i, 'name']
    if (nsIndex.has(n.name)) return problem('WORLD004', p, `netns "${n.name}" is declared twice`)
    nsIndex.set(n.name, i)
    const sysctl: Partial<Record<keyof Sysctls, boolean | number>> = {}
    for (const [k, v] of Object.entries(n.sysctl)) {
      if (!SYSCTL_KEYS.includes(k as keyof Sysctls)) {
        problem('WORLD002', ['netns', i, 'sysctl', k], `unknown sysctl ${k}`, `known: ${SYSCTL_KEYS.join(', ')}`)
        continue
      }
      sysctl[k as keyof Sysctls] = k === 'net.ipv4.conf.all.rp_filter' ? Number(v) : v === true || v === 1 || v === '1'
    }
    w = attempt(w, p, (x) => addNetns(x, newNetns(n.name, n.kind, { ...(n.node !== undefined && { node: n.node }), sysctl: sysctl as Partial<Sysctls> })))
  })
  const nodes = f.nodes ?? [...new Set(f.netns.filter((n) => n.kind === 'host').map((n) => n.node ?? n.name))]

  // 2. Links other than veths, bridges first (they are masters of others).
  const order = (t: string) => (t === 'bridge' ? 0 : t === 'veth' ? 2 : 1)
  const linkRefs: { ns: number; li: number }[] = []
  f.netns.forEach((n, i) => n.links.forEach((_, li) => linkRefs.push({ ns: i, li })))
  linkRefs.sort((a, b) => order(f.netns[a.ns]!.links[a.li]!.type) - order(f.netns[b.ns]!.links[b.li]!.type))

  const vethDone = new Set<string>()
  for (const { ns: i, li } of linkRefs) {
    const n = f.netns[i]!
    const l = n.links[li]!
    const path: YamlPath = ['netns', i, 'links', li]
    if (l.type === 'loopback') continue // every netns has lo
    if (l.type === 'veth') {
      const key = `${n.name}/${l.name}`
      if (vethDone.has(key)) continue
      if (!l.peer) {
        problem('WORLD003', [...path, 'name'], `veth ${l.name} needs a peer`, 'add `peer: { netns: <other netns>, name: <device> }`')
        continue
      }
      if (!nsIndex.has(l.peer.netns)) {
        problem('WORLD003', [...path, 'peer', 'netns'], `peer netns "${l.peer.netns}" is not declared`, `declared: ${[...nsIndex.keys()].join(', ')}`)
        continue
      }
      const pi = nsIndex.get(l.peer.netns)!
      const other = f.netns[pi]!.links.find((x) => x.name === l.peer!.name)
      if (other && (other.type !== 'veth' || (other.peer && (other.peer.netns !== n.name || other.peer.name !== l.name)))) {
        problem('WORLD005', [...path, 'peer'], `${n.name}/${l.name} says its peer is ${l.peer.netns}/${l.peer.name}, but that device ${other.type !== 'veth' ? `is a ${other.type}` : `points at ${other.peer!.netns}/${other.peer!.name}`}`)
        continue
      }
      vethDone.add(key)
      vethDone.add(`${l.peer.netns}/${l.peer.name}`)
      w = attempt(w, path, (x) =>
        addVethPair(x, { netns: n.name, name: l.name, ...(l.mac && { mac: normalizeMac(l.mac) }), ...(l.mtu && { mtu: l.mtu }) }, { netns: l.peer!.netns, name: l.peer!.name, ...(other?.mac && { mac: normalizeMac(other.mac) }), ...(other?.mtu && { mtu: other.mtu }) }),
      )
      continue
    }
    const base = { name: l.name, ...(l.mac && { mac: normalizeMac(l.mac) }), ...(l.mtu && { mtu: l.mtu }), ...(l.proxyArp !== undefined && { proxyArp: l.proxyArp }) }
    let spec: NewLink
    switch (l.type) {
      case 'bridge':
        spec = { ...base, kind: 'bridge', ageingTime: l.ageingTime ?? 300 }
        break
      case 'vxlan':
        if (l.vni === undefined) {
          problem('WORLD002', [...path, 'name'], `vxlan ${l.name} needs a vni`, 'add `vni: 1` (flannel uses VNI 1)')
          continue
        }
        spec = { ...base, kind: 'vxlan', vni: l.vni, dstport: l.dstport ?? 8472, learning: l.learning ?? true, ...(l.local && { local: l.local }), ...(l.remote && { remote: l.remote }), ...(l.dev && { dev: l.dev }) }
        if (l.segment) problem('WORLD002', [...path, 'segment'], 'only phys links attach to a segment')
        break
      case 'phys':
        if (l.segment && !f.segments.some((s) => s.name === l.segment)) problem('WORLD003', [...path, 'segment'], `segment "${l.segment}" is not declared`, 'declare it under `segments:`')
        spec = { ...base, kind: 'phys', ...(l.segment && { segment: l.segment }) }
        break
      case 'ipip':
        spec = { ...base, kind: 'ipip', noarp: true, ...(l.local && { local: l.local }), ...(l.remote && { remote: l.remote }) }
        break
      default:
        spec = { ...base, kind: 'dummy' }
    }
    w = attempt(w, path, (x) => addLink(x, n.name, spec))
  }

  // 3. Link state: master, up, hairpin, addresses (after up, so prefix routes appear as on a host).
  f.netns.forEach((n, i) => {
    n.links.forEach((l, li) => {
      const path: YamlPath = ['netns', i, 'links', li]
      if (!w.netns[n.name]?.links.some((x) => x.name === l.name)) return
      if (l.master) w = attempt(w, [...path, 'master'], (x) => setMaster(x, n.name, l.name, l.master))
      if (l.hairpin !== undefined || l.proxyArp !== undefined || l.mac) {
        w = attempt(w, path, (x) => {
          const ns = getNetns(x, n.name)
          return putNetns(x, { ...ns, links: ns.links.map((k) => (k.name === l.name ? { ...k, ...(l.hairpin !== undefined && { hairpin: l.hairpin }), ...(l.proxyArp !== undefined && { proxyArp: l.proxyArp }), ...(l.mac && { mac: normalizeMac(l.mac) }) } : k)) })
        })
      }
      if (l.up) w = attempt(w, path, (x) => setLinkUp(x, n.name, l.name, true))
      l.addrs.forEach((a, ai) => {
        w = attempt(w, [...path, 'addrs', ai], (x) => addAddr(x, n.name, l.name, a))
      })
    })
  })

  // 4. Routes, neighbours, FDB, listeners, resolver.
  f.netns.forEach((n, i) => {
    if (!w.netns[n.name]) return
    n.routes.forEach((r, ri) => {
      const route: Route = {
        dst: r.dst,
        type: r.type,
        table: r.table === undefined || r.table === 'main' || r.table === 254 ? 'main' : r.table === 'local' || r.table === 255 ? 'local' : r.table === 'default' ? 253 : r.table,
        scope: r.scope ?? (r.type === 'unicast' && !r.via ? 'link' : 'global'),
        proto: r.proto ?? 'boot',
        ...(r.via && { via: r.via }),
        ...(r.dev && { dev: r.dev }),
        ...(r.onlink && { onlink: true }),
        ...(r.src && { src: r.src }),
        ...(r.metric !== undefined && { metric: r.metric }),
        ...(r.mtu !== undefined && { mtu: r.mtu }),
        source: { ...(file !== undefined && { file }), line: src.locate(docIndex, ['netns', i, 'routes', ri])?.line ?? 0 },
      }
      w = attempt(w, ['netns', i, 'routes', ri], (x) => addRoute(x, n.name, route))
    })
    n.neigh.forEach((e, ei) => {
      const entry: NeighEntry = { ip: e.ip, dev: e.dev, state: e.state, ...(e.mac && { mac: normalizeMac(e.mac) }) }
      w = attempt(w, ['netns', i, 'neigh', ei], (x) => putNeigh(x, n.name, entry))
    })
    n.fdb.forEach((e, ei) => {
      const entry: FdbEntry = { mac: normalizeMac(e.mac), dev: e.dev, permanent: e.permanent, ...(e.dst && { dst: e.dst, self: true }), ...(e.master && { master: e.master }), ...(e.vni !== undefined && { vni: e.vni }), ...(e.self !== undefined && { self: e.self }) }
      w = attempt(w, ['netns', i, 'fdb', ei], (x) => putFdb(x, n.name, entry, e.mac === '00:00:00:00:00:00' ? 'append' : 'replace'))
    })
    const listeners: Listener[] = n.listeners.map((l) => {
      if (typeof l !== 'string') return { proto: l.proto, port: l.port, app: l.app, ...(l.addr && { addr: l.addr }), ...(l.dns && { dns: true }) }
      const m = /^(tcp|udp)\/(\d+)(?:\s+(\S+))?$/.exec(l)!
      return { proto: m[1] as 'tcp' | 'udp', port: Number(m[2]), app: m[3] ?? 'app' }
    })
    const ns = w.netns[n.name]!
    const rules = addRules(n.rules, i)
    w = putNetns(w, { ...ns, listeners, ...(n.resolvConf && { resolvConf: n.resolvConf }), ...(rules && { rules }) })
  })

  const iptables: Record<string, { text: string; line?: number }> = {}
  f.netns.forEach((n, i) => {
    if (n.iptables) {
      const line = src.locate(docIndex, ['netns', i, 'iptables'])?.line
      iptables[n.name] = { text: n.iptables, ...(line !== undefined && { line }) }
    }
  })

  return {
    world: { ...w, nodes, ...(f.notes && { notes: f.notes }) },
    ...(f.metadata.name !== undefined && { name: f.metadata.name }),
    ...(f.metadata.description !== undefined && { description: f.metadata.description }),
    iptables,
  }
}
