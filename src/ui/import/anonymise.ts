/**
 * Anonymising node dumps before a link or a screenshot is shared: addresses, MACs and names
 * are replaced by stable placeholders, in the text itself, so everything downstream (the
 * import, the graph, a trace) sees the same consistent fake node. Pure: the key is a
 * parameter (the UI keeps a random one per browser), so the same key gives the same output.
 *
 * IPv4 addresses: a keyed prefix-preserving permutation (the idea of Crypto-PAn): bit i of
 * the result is bit i of the address XOR a keyed bit of the address's first i bits, so two
 * addresses share exactly as many leading bits before as after, and every route, CIDR match
 * and "same subnet" relation still holds. The first octet and the last octet are kept (the
 * last octet alone identifies nothing; keeping it keeps `.0`, `.1`, `.255`, /25–/32 splits),
 * private stays private (10/8, 172.16/12, 192.168/16, 100.64/10), and loopback, link-local,
 * multicast and documentation ranges are not changed. A CIDR whose host bits are zero keeps
 * them zero (`10.244.0.0/16` stays a network).
 *
 * Simplifications: the keyed bits come from a 64-bit mixing hash, not a cipher: good against
 * a glance at a screenshot, not against someone who can try every key. An address range
 * `a-b` may come out with its ends in the other order. Interface names (`cali…` hashes of pod
 * names) and port names are kept. IPv6 addresses get a keyed placeholder in fd00::/8 with no
 * prefix relations (the engine models IPv4 only).
 */
import type { DumpInput } from '../../engine/import/types.ts'

// ------------------------------------------------------------------ keyed bits

/** Two 32-bit lanes from a key string (FNV-1a, then murmur3's finaliser). */
function keyLanes(key: string): readonly [number, number] {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ key.length
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193) >>> 0
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0
  }
  return [fmix(a ^ 0x9e3779b9), fmix(b ^ 0x85ebca6b)]
}

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A keyed 32-bit hash of (salt, value). */
function keyed(lanes: readonly [number, number], salt: number, value: number): number {
  return fmix(fmix(lanes[0] ^ Math.imul(salt + 1, 0x9e3779b1)) ^ value ^ lanes[1]) >>> 0
}

// ------------------------------------------------------------------ IPv4

interface Anchor {
  readonly base: number
  readonly len: number
  /** Addresses inside are not changed at all. */
  readonly frozen: boolean
}

const ip4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0

/** Ranges whose membership is kept: the path to each is never flipped; frozen ones are kept whole. */
const ANCHORS: readonly Anchor[] = [
  { base: ip4(172, 16, 0, 0), len: 12, frozen: false },
  { base: ip4(192, 168, 0, 0), len: 16, frozen: false },
  { base: ip4(100, 64, 0, 0), len: 10, frozen: false },
  { base: ip4(169, 254, 0, 0), len: 16, frozen: true },
  { base: ip4(192, 0, 2, 0), len: 24, frozen: true },
  { base: ip4(198, 51, 100, 0), len: 24, frozen: true },
  { base: ip4(203, 0, 113, 0), len: 24, frozen: true },
]

/** First octets kept whole: 0/8 ("this network"), 127/8 loopback, 224/3 multicast and reserved. */
function frozenFirstOctet(o: number): boolean {
  return o === 0 || o === 127 || o >= 224
}

/** Bits 0..KEEP_HEAD-1 and KEEP_TAIL..31 are never flipped. */
const KEEP_HEAD = 8
const KEEP_TAIL = 24

/** Whether bit i (0 = most significant) of an address starting with `prefix` (its first i bits) must stay. */
function keepsBit(i: number, prefix: number): boolean {
  if (i < KEEP_HEAD || i >= KEEP_TAIL) return true
  for (const a of ANCHORS) {
    if (i < a.len) {
      // On the path to the anchor: flipping here would move addresses into or out of it.
      if (prefix === a.base >>> (32 - i)) return true
    } else if (a.frozen && prefix >>> (i - a.len) === a.base >>> (32 - a.len)) return true
  }
  return false
}

/** The prefix-preserving permutation on 32-bit addresses. */
function permute(lanes: readonly [number, number], v: number): number {
  if (frozenFirstOctet(v >>> 24)) return v
  let out = v
  for (let i = KEEP_HEAD; i < KEEP_TAIL; i++) {
    const prefix = v >>> (32 - i)
    if (keepsBit(i, prefix)) continue
    if ((keyed(lanes, i, prefix) & 1) === 1) out ^= 1 << (31 - i)
  }
  return out >>> 0
}

const toText = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`

function parseIp4(a: string, b: string, c: string, d: string): number | undefined {
  const o = [a, b, c, d].map(Number)
  if (o.some((x) => !(x >= 0 && x <= 255)) || [a, b, c, d].some((x) => x.length > 1 && x.startsWith('0'))) return undefined
  return ip4(o[0]!, o[1]!, o[2]!, o[3]!)
}

// ------------------------------------------------------------------ names

/** Namespaces, Services and domains that name nothing private. */
const KEEP_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-flannel', 'calico-system', 'tigera-operator', 'calico-apiserver', 'local-path-storage', 'ingress-nginx'])
const KEEP_SERVICES = new Set(['kubernetes', 'kube-dns', 'coredns'])
const KEEP_USERS = new Set(['root', 'admin', 'ubuntu', 'debian', 'vagrant', 'ec2-user', 'core', 'centos', 'fedora', 'user', 'pi'])
const KEEP_DOMAIN = /^(?:(?:[a-z0-9-]+\.)?svc\.)?cluster\.local$|^(?:localdomain|local|localhost|example|example\.(?:com|org|net|internal))$/

// Prompts as the importer reads them (src/engine/import/prompt.ts), for the user and host.
const PROMPT_USER_HOST = /^([ \t]*\[?)([a-z_][\w.-]*)@([A-Za-z0-9][\w.-]*)(?=[:\s\]#$%])/
const PROMPT_HOST_ONLY = /^([ \t]*)([A-Za-z][\w.-]*)(?=(?::~?[^\s#$]*)?\s?[$#]\s+\S)/
const BUNDLE_NODE = /^(### packetwalk-bundle v\d+\s+node=)(\S+)/
const KUBE_NAME = /(^|["\s*(])([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?)(?=[:\s"*)]|$)/g
// iptables `--comment "…"` or `--comment word`, nft `comment "…"`, and the slash-star comments of iptables -L.
const COMMENT = /comment\s+"([^"]*)"|--comment\s+([^\s"]+)|\/\*\s(.*?)\s\*\//g
const RESOLV = /^\s*(search|domain)\s+(.+)$/
const KUBE_HASH_CHAIN = /\b(KUBE-(?:SVC|SEP|EXT|FW|XLB|SVL))-([A-Z0-9]{16})\b/g
const SHELLS = /^(?:sh|bash|zsh|ash|dash|ksh)(?:-[\d.]+)?$/
/** Words a host-only prompt could start with that are not host names. */
const NOT_HOSTS = /^(?:table|chain|type|set|map|element|policy|Chain|target|pkts|num|Prot|TCP|UDP)$/

// ------------------------------------------------------------------ the anonymiser

export interface AnonymiseCounts {
  readonly addresses: number
  readonly macs: number
  readonly names: number
}

export interface Anonymiser {
  /** An IPv4 address (dotted quad), its placeholder. */
  readonly ip: (ip: string) => string
  /** `a.b.c.d/len`: a network stays a network. */
  readonly cidr: (cidr: string) => string
  readonly mac: (mac: string) => string
  /** Replace everything it knows in a text (names must have been collected first). */
  readonly text: (text: string) => string
  /** Learn the names a text gives (hosts in prompts, namespaces and Services in comments, domains). */
  readonly learn: (text: string, node?: string) => void
  /** A name learned as a node name → its placeholder (others unchanged). */
  readonly nodeName: (name: string) => string
  readonly counts: () => AnonymiseCounts
}

/**
 * A consistent anonymiser for one key: the same input always gives the same placeholder.
 *
 * @example
 * const a = createAnonymiser('k')
 * a.ip('10.244.1.7').endsWith('.7') // true: the last octet is kept
 * a.cidr('10.244.0.0/16').endsWith('.0.0/16') // true: a network stays a network
 */
export function createAnonymiser(key: string): Anonymiser {
  const lanes = keyLanes(key)
  const ips = new Map<number, number>()
  const macs = new Map<string, string>()
  const usedMacs = new Set<string>()
  const v6 = new Map<string, string>()
  const nodes = new Map<string, string>()
  const users = new Map<string, string>()
  const namespaces = new Map<string, string>()
  const services = new Map<string, string>()
  const domains = new Map<string, string>()
  const hashes = new Map<string, string>()
  let replaceNames: RegExp | undefined
  let namesDirty = true

  const mapIp = (v: number): number => {
    let m = ips.get(v)
    if (m === undefined) {
      m = permute(lanes, v)
      ips.set(v, m)
    }
    return m
  }
  const ip = (text: string): string => {
    const p = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
    const v = p ? parseIp4(p[1]!, p[2]!, p[3]!, p[4]!) : undefined
    return v === undefined ? text : toText(mapIp(v))
  }
  const cidrOf = (v: number, len: number): string => {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
    const m = mapIp(v)
    // A network (host bits zero) stays one; an interface address keeps its own host bits.
    return `${toText((v & ~mask) >>> 0 === 0 ? (m & mask) >>> 0 : m)}/${len}`
  }
  const cidr = (text: string): string => {
    const p = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text)
    const v = p ? parseIp4(p[1]!, p[2]!, p[3]!, p[4]!) : undefined
    const len = p ? Number(p[5]) : NaN
    return v === undefined || !(len >= 0 && len <= 32) ? text : cidrOf(v, len)
  }

  const mac = (text: string): string => {
    const lower = text.toLowerCase()
    const cached = macs.get(lower)
    if (cached !== undefined) return sameCase(text, cached)
    const bytes = lower.split(':').map((h) => parseInt(h, 16))
    let out: string
    if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 255))) return text
    if (lower === '00:00:00:00:00:00' || lower === 'ff:ff:ff:ff:ff:ff' || lower === 'ee:ee:ee:ee:ee:ee' || (bytes[0]! & 1) === 1) out = lower
    else if (bytes[0] === 0x0a && bytes[1] === 0x58) {
      // The CNI bridge plugin's MAC carries the pod's address: 0a:58:<IPv4>.
      const m = mapIp(ip4(bytes[2]!, bytes[3]!, bytes[4]!, bytes[5]!))
      out = ['0a', '58', ...[m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].map(hex2)].join(':')
    } else {
      let salt = 0
      do {
        const h1 = keyed(lanes, 1000 + salt, fnv(lower))
        const h2 = keyed(lanes, 2000 + salt, h1)
        out = ['02', hex2(h1 >>> 24), hex2((h1 >>> 16) & 255), hex2((h1 >>> 8) & 255), hex2(h1 & 255), hex2(h2 & 255)].join(':')
        salt++
      } while (usedMacs.has(out) && salt < 64)
    }
    usedMacs.add(out)
    macs.set(lower, out)
    return sameCase(text, out)
  }

  const ipv6 = (text: string): string => {
    const [addr = '', len] = text.split('/')
    const lower = addr.toLowerCase()
    if (lower === '::' || lower === '::1') return text
    let m = v6.get(lower)
    if (m === undefined) {
      const h = keyed(lanes, 3000, fnv(lower))
      const g = keyed(lanes, 3001, h)
      const groups = [h >>> 16, h & 0xffff, g >>> 16, g & 0xffff].map((x) => x.toString(16))
      m = lower.startsWith('fe80:') ? `fe80::${groups.join(':')}` : `fd00:${groups[0]}:${groups[1]}::${groups[2]}:${groups[3]}`
      v6.set(lower, m)
    }
    return len === undefined ? m : `${m}/${len}`
  }

  const placeholder = (map: Map<string, string>, prefix: string, value: string): string => {
    let p = map.get(value)
    if (p === undefined) {
      p = `${prefix}-${map.size + 1}`
      map.set(value, p)
      namesDirty = true
    }
    return p
  }
  const learnNode = (name: string) => {
    if (name === '' || name === 'localhost' || SHELLS.test(name)) return
    placeholder(nodes, 'node', name)
  }
  const learnDomain = (d: string) => {
    const low = d.toLowerCase().replace(/\.$/, '')
    const svc = /^([a-z0-9-]+)\.svc\.cluster\.local$/.exec(low)
    if (svc) {
      learnNamespace(svc[1]!)
      return
    }
    if (low === '' || KEEP_DOMAIN.test(low) || !/^[a-z0-9.-]+$/.test(low)) return
    if (!domains.has(low)) {
      domains.set(low, `domain-${domains.size + 1}.example`)
      namesDirty = true
    }
  }
  const learnNamespace = (ns: string) => {
    if (!KEEP_NAMESPACES.has(ns)) placeholder(namespaces, 'ns', ns)
  }

  const learn = (text: string, node?: string): void => {
    if (node !== undefined) learnNode(node)
    const header = BUNDLE_NODE.exec(text.slice(0, 200))
    if (header) learnNode(header[2]!)
    let hostnameNext = false
    for (const raw of text.split(/\r\n|\n|\r/)) {
      const line = raw.length > 4000 ? '' : raw
      if (hostnameNext) {
        const h = /^\s*([A-Za-z0-9][\w.-]{0,252})\s*$/.exec(line)
        if (h) learnNode(h[1]!.split('.')[0]!)
        if (line.trim() !== '') hostnameNext = false
      }
      const uh = PROMPT_USER_HOST.exec(line)
      if (uh) {
        if (!KEEP_USERS.has(uh[2]!)) placeholder(users, 'user', uh[2]!)
        learnNode(uh[3]!)
      } else {
        const ho = PROMPT_HOST_ONLY.exec(line)
        if (ho && !NOT_HOSTS.test(ho[2]!) && /[$#]\s+(?:sudo\s+)?(?:ip|bridge|iptables|iptables-save|ip6tables|nft|ipvsadm|conntrack|sysctl|cat|hostname|kubectl|crictl)\b/.test(line)) learnNode(ho[2]!)
      }
      if (/(?:^|[#$]\s+|### cmd: )(?:sudo\s+)?hostname\s*$/.test(line)) hostnameNext = true
      if (line.includes('/') && (line.includes('comment') || line.includes('/*'))) {
        for (const c of line.matchAll(COMMENT)) {
          for (const m of (c[1] ?? c[2] ?? c[3] ?? '').matchAll(KUBE_NAME)) {
            learnNamespace(m[2]!)
            if (!KEEP_SERVICES.has(m[3]!)) placeholder(services, 'svc', `${m[2]}/${m[3]}`)
          }
        }
      }
      const rs = RESOLV.exec(line)
      if (rs) for (const d of rs[2]!.trim().split(/\s+/)) learnDomain(d)
    }
  }

  /** Node names safe to replace anywhere: not a word a dump uses (`master cni0`, `bridge`). */
  const distinctive = (n: string) => n.length >= 4 && /[\d.-]/.test(n) && !DUMP_WORDS.has(n)
  const nameRegex = (): RegExp | undefined => {
    if (!namesDirty) return replaceNames
    namesDirty = false
    const words = [...[...nodes.keys()].filter(distinctive), ...domains.keys(), ...services.keys()].sort((a, b) => b.length - a.length)
    const prefixes = [...namespaces.keys()].flatMap((n) => [`${n}/`, `${n}.svc.`]).sort((a, b) => b.length - a.length)
    const parts = [...(words.length > 0 ? [`(?:${words.map(escapeRe).join('|')})(?![\\w-])`] : []), ...(prefixes.length > 0 ? [`(?:${prefixes.map(escapeRe).join('|')})`] : [])]
    replaceNames = parts.length === 0 ? undefined : new RegExp(`(?<![\\w./-])(?:${parts.join('|')})`, 'g')
    return replaceNames
  }
  const renameWord = (w: string): string => {
    const node = nodes.get(w)
    if (node !== undefined) return node
    const dom = domains.get(w.toLowerCase())
    if (dom !== undefined) return dom
    const svc = services.get(w)
    if (svc !== undefined) {
      const ns = w.split('/')[0]!
      return `${namespaces.get(ns) ?? ns}/${svc}`
    }
    if (w.endsWith('/')) return `${namespaces.get(w.slice(0, -1)) ?? w.slice(0, -1)}/`
    if (w.endsWith('.svc.')) return `${namespaces.get(w.slice(0, -5)) ?? w.slice(0, -5)}.svc.`
    return w
  }
  /** Node names where the dump says "this is the host": prompts, the bundle header, a `hostname` output line. */
  const renameHosts = (t: string): string => {
    if (nodes.size === 0) return t
    let out = t.replace(PROMPT_USER_HOST_G, (whole: string, pre: string, user: string, host: string) => (nodes.has(host) ? `${pre}${user}@${nodes.get(host)}` : whole))
    out = out.replace(PROMPT_HOST_ONLY_G, (whole: string, pre: string, host: string) => (nodes.has(host) && !NOT_HOSTS.test(host) ? `${pre}${nodes.get(host)}` : whole))
    out = out.replace(BUNDLE_NODE_G, (whole: string, pre: string, host: string) => (nodes.has(host) ? `${pre}${nodes.get(host)}` : whole))
    return out.replace(ALONE_G, (whole: string, pre: string, word: string, post: string) => (nodes.has(word) ? `${pre}${nodes.get(word)}${post}` : whole))
  }

  const text = (t: string): string => {
    let out = t.replace(IPV4_IN_TEXT, (whole: string, a: string, b: string, c: string, d: string, len: string | undefined) => {
      const v = parseIp4(a, b, c, d)
      if (v === undefined) return whole
      if (len !== undefined) {
        const n = Number(len)
        return n <= 32 ? cidrOf(v, n) : whole
      }
      return toText(mapIp(v))
    })
    out = out.replace(MAC_IN_TEXT, (m: string) => mac(m))
    if (out.includes('::') || /[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}/i.test(out)) out = out.replace(IPV6_IN_TEXT, (m: string) => (isIpv6Like(m) ? ipv6(m) : m))
    out = out.replace(KUBE_HASH_CHAIN, (_m: string, kind: string, hash: string) => {
      let h = hashes.get(hash)
      if (h === undefined) {
        h = base32(lanes, fnv(hash))
        hashes.set(hash, h)
      }
      return `${kind}-${h}`
    })
    out = renameHosts(out)
    if (users.size > 0) out = out.replace(USER_AT, (whole: string, pre: string, user: string) => (users.has(user) ? `${pre}${users.get(user)}@` : whole))
    const re = nameRegex()
    if (re) out = out.replace(re, renameWord)
    return out
  }

  return {
    ip,
    cidr,
    mac,
    text,
    learn,
    nodeName: (n) => nodes.get(n) ?? n,
    counts: () => ({ addresses: ips.size + v6.size, macs: macs.size, names: nodes.size + users.size + namespaces.size + services.size + domains.size }),
  }
}

const IPV4_IN_TEXT = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?(?![\w]|\.\d)/g
const MAC_IN_TEXT = /(?<![\w:])[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?![\w:])/g
const IPV6_IN_TEXT = /(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:\/\d{1,3})?(?![\w:])/g
const USER_AT = /(^|[\s[])([a-z_][\w.-]*)@/gm
const PROMPT_USER_HOST_G = new RegExp(PROMPT_USER_HOST.source, 'gm')
const PROMPT_HOST_ONLY_G = new RegExp(PROMPT_HOST_ONLY.source, 'gm')
const BUNDLE_NODE_G = new RegExp(BUNDLE_NODE.source, 'gm')
/** A line that is one word: a `hostname` output. */
const ALONE_G = /^([ \t]*)([A-Za-z0-9][\w.-]*)([ \t]*)$/gm
/** Words iproute2, bridge and iptables print: a host called like this is renamed only where it names the host. */
const DUMP_WORDS = new Set(['master', 'bridge', 'default', 'local', 'link', 'dev', 'node', 'host', 'proto', 'kernel', 'static', 'boot', 'scope', 'global', 'filter', 'nat', 'mangle', 'raw', 'security', 'localhost'])

function isIpv6Like(m: string): boolean {
  const addr = m.split('/')[0]!
  if (!/[0-9a-fA-F]/.test(addr)) return false
  if (addr.includes('::')) return (addr.match(/::/g) ?? []).length === 1
  return addr.split(':').length === 8
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0')
}

function fnv(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** 16 base32 characters, each from its own keyed hash of the seed (kube-proxy's chain-hash shape). */
function base32(lanes: readonly [number, number], seed: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let out = ''
  for (let i = 0; i < 16; i++) out += alphabet[keyed(lanes, 4000 + i, seed) & 31]
  return out
}

function sameCase(original: string, lower: string): string {
  return original === original.toUpperCase() && /[A-F]/.test(original) ? lower.toUpperCase() : lower
}

/** The anonymised inputs, with how much was replaced. */
export interface AnonymisedInputs {
  readonly inputs: DumpInput[]
  readonly counts: AnonymiseCounts
}

/**
 * Anonymise every input with one key: names are learned from all inputs first, so a node
 * named in one paste is renamed in all of them. Input names and node fields are renamed too.
 *
 * @example
 * anonymiseInputs([{ name: 'paste 1', text: 'root@k8s-worker1:~# ip route\ndefault via 10.0.0.1 dev eth0\n' }], 'k').inputs[0]?.text
 * // 'root@node-1:~# ip route\ndefault via 10.<x>.<y>.1 dev eth0\n'
 */
export function anonymiseInputs(inputs: readonly DumpInput[], key: string): AnonymisedInputs {
  const a = createAnonymiser(key)
  for (const input of inputs) a.learn(input.text, input.node)
  const out = inputs.map((input): DumpInput => ({
    ...input,
    name: a.text(input.name),
    text: a.text(input.text),
    ...(input.node !== undefined && { node: a.nodeName(input.node) }),
    ...(input.localIps && { localIps: input.localIps.map(a.ip) }),
  }))
  return { inputs: out, counts: a.counts() }
}
