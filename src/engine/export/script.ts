/**
 * World → a bash script that builds the same topology on a real Linux host, in network
 * namespaces: pure text generation, nothing here runs anything. The script has three
 * parts: `up` (build), `probe SPEC…` (ask the kernel, one machine-readable line per probe,
 * see probe.ts) and `down` (remove everything; idempotent, works after a failed `up`).
 *
 * Rules the text follows:
 * - One prefix on everything created: netns `${P}<name>`; the underlay segments are bridges
 *   inside their own netns `${P}seg.<segment>`, so nothing touches the host's interfaces.
 * - Only what the kernel does not do by itself is written: prefix routes of addresses,
 *   local routes, a bridge port's own FDB entry and the three default `ip rule`s appear on
 *   their own; learned (dynamic) neighbours and FDB entries are not recreated.
 * - MACs and MTUs are the model's, so permanent neighbour and FDB entries stay right.
 * Simplifications, said in the script where they apply: a `phys` link is a veth into its
 * segment's bridge; a dummy link (and a phys link on no segment) is a veth whose other end
 * sits in an empty netns (`${P}void`), since not every kernel ships the dummy module; the
 * apps are stand-ins (socat, dnsmasq), not the real servers.
 */
import type { Ip } from '../wire/addr.ts'
import type { FdbEntry, Link, NeighEntry, Netns, Route, RoutingRule, World } from '../model/types.ts'
import { DEFAULT_RULES, describeRule, isDefaultRules, sameRule } from '../route/rules.ts'
import { printIptablesSave } from '../netfilter/save.ts'
import { PROBE_LINE_TAG } from './probe.ts'
import { readyEndpoints } from '../kube/services.ts'
import type { Service } from '../kube/schema.ts'

export interface DnsRecordSpec {
  readonly name: string
  readonly ip: Ip
  /**
   * Answer the A record only, with no PTR for the address (dnsmasq `--address`; a plain
   * record is a `--host-record`, which answers the reverse name too). CoreDNS answers pod
   * records `a-b-c-d.<ns>.pod.<zone>` but no PTR for a pod IP that is no endpoint.
   */
  readonly noPtr?: boolean
}

/**
 * An SRV or PTR record of the DNS stand-in (dnsmasq `--srv-host`, `--ptr-record`); `data` as
 * the engine's DnsRecord writes it: SRV `PRIORITY WEIGHT PORT TARGET`, PTR `TARGET`.
 */
export interface DnsOtherRecordSpec {
  readonly type: 'SRV' | 'PTR'
  readonly name: string
  readonly data: string
}

export interface ExportOptions {
  /** Prefix of every netns the script creates. Default `pw-`. */
  readonly prefix?: string
  /** Shown in the header. */
  readonly title?: string
  /** A records the stand-in DNS servers answer. Default: derived from the cluster (Services, pods), else none. */
  readonly dnsRecords?: readonly DnsRecordSpec[]
  /** SRV and PTR records the stand-in DNS servers answer. Default: derived from the cluster (named Service ports, ClusterIPs, headless endpoints), else none. */
  readonly dnsOtherRecords?: readonly DnsOtherRecordSpec[]
  /** The zone the DNS stand-in is authoritative for (NXDOMAIN for unknown names in it). Default `cluster.local`. */
  readonly dnsZone?: string
}

const VXLAN_OVERHEAD = 50

/** Shell word: left bare when safe, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** A reference to a (kernel-safe) netns name in the script, with the run-time prefix: `"${P}pod-a"`. */
function nsRef(name: string): string {
  return `"\${P}${name}"`
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_')

/**
 * The name (after the prefix) each model netns gets on the host: its own name when that is
 * a valid file name, else with `/` and other characters replaced by `_` (pods are `ns/name`).
 *
 * @example
 * netnsNames(world).get('default/web-1') // 'default_web-1'
 */
export function netnsNames(world: World): ReadonlyMap<string, string> {
  const out = new Map<string, string>()
  const taken = new Set<string>()
  for (const n of Object.keys(world.netns)) {
    let k = safeName(n)
    for (let i = 2; taken.has(k); i++) k = `${safeName(n)}_${i}`
    taken.add(k)
    out.set(n, k)
  }
  return out
}

/** Text safe inside a stand-in's answer line (no spaces or quotes). */
function label(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:/@+-]/g, '_')
}

class Script {
  readonly lines: string[] = []
  add(...l: string[]): void {
    this.lines.push(...l)
  }
  comment(text: string, indent = '  '): void {
    for (const l of text.split('\n')) this.lines.push(`${indent}# ${l}`.trimEnd())
  }
  blank(): void {
    if (this.lines.at(-1) !== '') this.lines.push('')
  }
}

interface Plan {
  readonly world: World
  readonly names: readonly string[]
  /** Model netns name → name on the host (after the prefix). */
  readonly kn: ReadonlyMap<string, string>
  readonly segNs: Readonly<Record<string, string>>
  readonly voidNs?: string
  /** Segment port names: `${netns}/${link}` → port name in the segment netns. */
  readonly segPorts: ReadonlyMap<string, { seg: string; port: string }>
}

function planOf(world: World): Plan {
  const names = Object.keys(world.netns)
  const kn = netnsNames(world)
  const taken = new Set(kn.values())
  const unique = (base: string): string => {
    let n = base
    for (let i = 2; taken.has(n); i++) n = `${base}${i}`
    taken.add(n)
    return n
  }
  const segNs: Record<string, string> = {}
  const segPorts = new Map<string, { seg: string; port: string }>()
  let needVoid = false
  const counters: Record<string, number> = {}
  for (const n of names) {
    for (const l of world.netns[n]!.links) {
      if (l.kind === 'phys' && l.segment && world.segments[l.segment]) {
        segNs[l.segment] ??= unique(`seg.${safeName(l.segment)}`)
        counters[l.segment] = (counters[l.segment] ?? 0) + 1
        segPorts.set(`${n}/${l.name}`, { seg: l.segment, port: `p${counters[l.segment]!}` })
      } else if (l.kind === 'dummy' || l.kind === 'phys' || (l.kind === 'veth' && !vethPeer(world, n, l))) needVoid = true
    }
  }
  return { world, names, kn, segNs, segPorts, ...(needVoid && { voidNs: unique('void') }) }
}

function vethPeer(world: World, nsName: string, l: Link): { ns: string; link: Link } | undefined {
  if (l.kind !== 'veth' || !l.peer) return undefined
  const other = world.netns[l.peer.netns]
  const link = other?.links.find((x) => x.name === l.peer!.name)
  if (!link || link.kind !== 'veth') return undefined
  // Both ends must point at each other.
  if (link.peer && (link.peer.netns !== nsName || link.peer.name !== l.name)) return undefined
  return { ns: l.peer.netns, link }
}

/**
 * The bash script that recreates `world` in network namespaces.
 *
 * @example
 * const text = exportScript(loadWorldFile(yaml).world, { prefix: 'pw-', title: 'bridge-two-pods' })
 * // sudo bash world.sh up && sudo bash world.sh probe ping,from=pod-a,to=10.244.1.3 && sudo bash world.sh down
 */
export function exportScript(world: World, opts: ExportOptions = {}): string {
  const prefix = opts.prefix ?? 'pw-'
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(prefix)) throw new Error(`prefix "${prefix}": use letters, digits, '.', '_' or '-' (at most 40)`)
  const plan = planOf(world)
  const s = new Script()
  header(s, plan, prefix, opts)
  helpers(s)
  up(s, plan, opts)
  probeSection(s)
  down(s)
  s.blank()
  s.add('case "${1:-help}" in', '  up) up ;;', '  down) down ;;', '  probe) shift; probe "$@" ;;', '  *) usage ;;', 'esac')
  return `${s.lines.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------
// Header and helpers

function header(s: Script, plan: Plan, prefix: string, opts: ExportOptions): void {
  const w = plan.world
  s.add('#!/usr/bin/env bash')
  s.comment(`packetwalk: ${opts.title ?? 'a world'}, built in real network namespaces.`, '')
  s.comment(
    [
      '',
      '  sudo bash THIS_SCRIPT up              build it',
      '  sudo bash THIS_SCRIPT probe SPEC...   ask the kernel (one PW-PROBE line per probe)',
      '  sudo bash THIS_SCRIPT down            remove everything (safe to repeat, works after a failed up)',
      '',
      `Every namespace it creates is named with the prefix in P (default "${prefix}"):`,
      ...plan.names.map((n) => `  \${P}${plan.kn.get(n)!}  (${w.netns[n]!.kind}${plan.kn.get(n) !== n ? ` ${n}` : ''}${w.netns[n]!.node && w.netns[n]!.node !== n ? ` on ${w.netns[n]!.node}` : ''})`),
      ...Object.entries(plan.segNs).map(([seg, n]) => `  \${P}${n}  (the "${seg}" network: one bridge, nothing else)`),
      ...(plan.voidNs ? [`  \${P}${plan.voidNs}  (holds the far ends of links that lead nowhere)`] : []),
      'Nothing is attached to this host\'s own interfaces or routes.',
      '',
      'Probe specs: ping,from=NETNS,to=IP[,size=BYTES][,df=0|1][,ttl=N]  tcp,from=NETNS,to=IP,port=N',
      '             udp,from=NETNS,to=IP,port=N  route,from=NETNS,to=IP  dns,from=NETNS,server=IP,name=NAME',
      '             conntrack,netns=NETNS',
      'pause,seconds=N waits between probes (ICMP errors to one sender are rate limited by the kernel).',
      'PW_TEST=1 (for `up` and `probe`) tunes the kernel for differential tests: no ICMP error',
      'rate limits, no ICMP redirects, ARP gives up after 0.3 s, route caches (path MTUs) flushed',
      'before each sized probe. PW_WAIT (seconds, default 1) is how long a probe waits for an answer.',
      ...(w.notes && w.notes.length > 0 ? ['', 'Not simulated by packetwalk in this world:', ...w.notes.map((n) => `  - ${n}`)] : []),
    ].join('\n'),
    '',
  )
  s.add('set -uo pipefail', '')
  s.add(`P=\${PW_PREFIX:-${prefix}}`)
  s.add('PW_WAIT=${PW_WAIT:-1}')
  s.add(`NETNS=(${plan.names.map((n) => nsRef(plan.kn.get(n)!)).join(' ')})`)
  const extra = [...Object.values(plan.segNs), ...(plan.voidNs ? [plan.voidNs] : [])]
  s.add(`ALL_NETNS=("\${NETNS[@]}"${extra.map((n) => ` ${nsRef(n)}`).join('')})`)
  s.comment(
    'iptables-legacy when installed: it prints back exactly the rules this script loads, and one\n' +
      'backend per namespace avoids two rule sets (x_tables and nf_tables) both hooking the same packets.',
    '',
  )
  s.add('if command -v iptables-legacy-restore >/dev/null; then IPT_RESTORE=iptables-legacy-restore; else IPT_RESTORE=iptables-restore; fi')
}

function helpers(s: Script): void {
  s.blank()
  s.add(
    'usage() {',
    '  sed -n \'2,/^set -uo/p\' "$0" | sed \'s/^# \\{0,1\\}//; /^set -uo/d\'',
    '  exit 2',
    '}',
    '',
    '# Write a sysctl inside a netns by its /proc/sys path (device names may contain dots).',
    'pw_sysctl() {  # NETNS PATH VALUE',
    '  echo "$3" | ip netns exec "$1" tee "/proc/sys/$2" >/dev/null',
    '}',
    '',
    '# A new namespace with lo up and the kernel\'s own defaults for what a new namespace would',
    '# otherwise copy from this host (devconf_inherit_init_net=0 copies net.ipv4.conf.*).',
    'pw_netns_add() {  # NETNS',
    '  ip netns add "$1"',
    '  ip -n "$1" link set lo up',
    '  # The model is IPv4 only: no IPv6 chatter (router solicitations, MLD, DAD) on these links.',
    '  pw_sysctl "$1" net/ipv6/conf/all/disable_ipv6 1',
    '  pw_sysctl "$1" net/ipv6/conf/default/disable_ipv6 1',
    '  local k',
    '  for k in rp_filter proxy_arp arp_ignore arp_announce arp_filter accept_local; do',
    '    pw_sysctl "$1" "net/ipv4/conf/all/$k" 0',
    '    pw_sysctl "$1" "net/ipv4/conf/default/$k" 0',
    '  done',
    '  if [ "${PW_TEST:-0}" = 1 ]; then',
    '    pw_sysctl "$1" net/ipv4/icmp_ratelimit 0',
    '    pw_sysctl "$1" net/ipv4/icmp_msgs_per_sec 100000',
    '    pw_sysctl "$1" net/ipv4/icmp_msgs_burst 100000',
    '    pw_sysctl "$1" net/ipv4/conf/all/send_redirects 0',
    '    pw_sysctl "$1" net/ipv4/conf/default/send_redirects 0',
    '  fi',
    '}',
    '',
    '# br_netfilter\'s switch is per network namespace on kernels since 5.3, and 1 in a new one.',
    'pw_bridge_nf() {  # NETNS 0|1',
    '  if ! ip netns exec "$1" test -e /proc/sys/net/bridge/bridge-nf-call-iptables && [ "$2" = 1 ]; then',
    '    modprobe br_netfilter 2>/dev/null || echo "packetwalk: br_netfilter is not available; bridged frames will skip iptables" >&2',
    '  fi',
    '  if ip netns exec "$1" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then',
    '    pw_sysctl "$1" net/bridge/bridge-nf-call-iptables "$2"',
    '  fi',
    '}',
    '',
    '# In test mode ARP gives up after 3 tries 100 ms apart instead of 1 s apart.',
    'pw_fast_arp() {  # NETNS',
    '  [ "${PW_TEST:-0}" = 1 ] || return 0',
    '  ip netns exec "$1" sh -c \'for f in /proc/sys/net/ipv4/neigh/*/retrans_time_ms; do echo 100 > "$f"; done\'',
    '}',
    '',
    '# A segment of the underlay: one bridge in its own namespace.',
    'pw_segment() {  # NETNS',
    '  pw_netns_add "$1"',
    '  pw_bridge_nf "$1" 0',
    '  ip -n "$1" link add br0 type bridge',
    '  ip -n "$1" link set br0 up',
    '}',
    '',
    '# Plug a node\'s NIC into a segment: a veth whose far end is a port of the segment\'s bridge.',
    'pw_nic() {  # NETNS DEV MAC MTU SEGMENT_NETNS PORT',
    '  ip -n "$1" link add "$2" address "$3" mtu "$4" type veth peer name "$6" mtu 65535 netns "$5"',
    '  ip -n "$5" link set "$6" master br0',
    '  ip -n "$5" link set "$6" up',
    '}',
    '',
    '# A link that leads nowhere: a veth whose far end waits, up and unused, in the void namespace.',
    'pw_nowhere() {  # NETNS DEV MAC MTU VOID_NETNS PORT',
    '  ip -n "$1" link add "$2" address "$3" mtu "$4" type veth peer name "$6" netns "$5"',
    '  ip -n "$5" link set "$6" up',
    '}',
    '',
    '# Start a background program inside a netns; `down` stops everything left in the netns.',
    'pw_spawn() {  # NETNS PROGRAM ARGS...',
    '  ip netns exec "$1" setsid "${@:2}" </dev/null >/dev/null 2>&1 &',
    '}',
    '',
    '# Wait until something listens on a port (up to 3 s).',
    'pw_wait_port() {  # NETNS tcp|udp PORT',
    '  local i flag=-lnt',
    '  [ "$2" = udp ] && flag=-lnu',
    '  for i in $(seq 30); do',
    '    ip netns exec "$1" ss -H "$flag" "sport = :$3" | grep -q . && return 0',
    '    sleep 0.1',
    '  done',
    '  echo "packetwalk: nothing listens on $2/$3 in $1" >&2',
    '  return 1',
    '}',
    '',
    '# Stand-in TCP server: answers every connection with one line naming itself and the peer.',
    'pw_tcp_server() {  # NETNS NAME PORT APP [BIND_IP]',
    '  pw_spawn "$1" socat "TCP-LISTEN:$3${5:+,bind=$5},reuseaddr,fork" \\',
    '    SYSTEM:"echo pw-hello netns=$2 app=$4 peer=\\$SOCAT_PEERADDR:\\$SOCAT_PEERPORT"',
    '  pw_wait_port "$1" tcp "$3"',
    '}',
    '',
    '# Stand-in UDP echo, in perl (part of every Debian base system): one process, no fork (socat\'s',
    '# forking UDP server loses datagrams that arrive while a child is finishing). One socket per',
    '# address, so each answer leaves from the address the client talked to (as servers using',
    '# IP_PKTINFO do).',
    'PW_UDP_ECHO=\'use IO::Socket::INET; use Socket;',
    'my ($addr, $port, $name, $app) = @ARGV;',
    'my $s = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Proto => "udp") or die "udp $addr:$port: $!\\n";',
    'while (1) {',
    '  my $peer = $s->recv(my $data, 65535) // next;',
    '  my ($pport, $pip) = sockaddr_in($peer);',
    '  $s->send("pw-hello netns=$name app=$app peer=" . inet_ntoa($pip) . ":$pport\\n", 0, $peer);',
    '}\'',
    'pw_udp_server() {  # NETNS NAME PORT APP BIND_IP',
    '  pw_spawn "$1" perl -e "$PW_UDP_ECHO" "$5" "$3" "$2" "$4"',
    '}',
    '',
    '# Stand-in for CoreDNS: dnsmasq with a fixed set of records, authoritative for ZONE',
    '# (NXDOMAIN for unknown names in it) and NXDOMAIN for everything else (no upstream).',
    '# Records: NAME,IP (A and its PTR), a=NAME,IP (A only), srv=NAME,TARGET,PORT,PRIORITY,WEIGHT,',
    '# ptr=REVERSE-NAME,TARGET (an explicit PTR wins over the one an A record makes).',
    'pw_dns_server() {  # NETNS PORT ZONE RECORD...',
    '  local r n args=()',
    '  for r in "${@:4}"; do',
    '    case $r in',
    '      a=*) n=${r#a=}; args+=("--address=/${n%%,*}/${n#*,}") ;;',
    '      srv=*) args+=("--srv-host=${r#srv=}") ;;',
    '      ptr=*) args+=("--ptr-record=${r#ptr=}") ;;',
    '      *) args+=("--host-record=$r") ;;',
    '    esac',
    '  done',
    '  pw_spawn "$1" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \\',
    '    --user=root --group=root --pid-file= --log-facility=/dev/null --port="$2" \\',
    '    --local="/$3/" --address=/#/ --local-ttl=30 "${args[@]}"',
    '  pw_wait_port "$1" udp "$2"',
    '}',
  )
}

// ---------------------------------------------------------------------------------------
// up

function up(s: Script, plan: Plan, opts: ExportOptions): void {
  const w = plan.world
  s.blank()
  s.add('up() {', '  set -eE', '  trap \'echo "packetwalk: up failed (line $LINENO); run: $0 down" >&2\' ERR')
  s.add('  for cmd in ip bridge; do command -v "$cmd" >/dev/null || { echo "packetwalk: $cmd is not installed" >&2; return 1; }; done')

  // 1. Namespaces and sysctls (before any link, so links start from these defaults).
  s.blank()
  s.comment('1. Namespaces, and the sysctls the model has for each.')
  for (const name of plan.names) {
    const ns = w.netns[name]!
    const ref = nsRef(plan.kn.get(name)!)
    const c = ns.sysctl
    s.add(`  pw_netns_add ${ref}`)
    s.add(`  pw_sysctl ${ref} net/ipv4/ip_forward ${c['net.ipv4.ip_forward'] ? 1 : 0}`)
    if (c['net.ipv4.conf.all.rp_filter'] !== 0) {
      s.add(`  pw_sysctl ${ref} net/ipv4/conf/all/rp_filter ${c['net.ipv4.conf.all.rp_filter']}`, `  pw_sysctl ${ref} net/ipv4/conf/default/rp_filter ${c['net.ipv4.conf.all.rp_filter']}`)
    }
    if (c['net.ipv4.icmp_echo_ignore_all']) s.add(`  pw_sysctl ${ref} net/ipv4/icmp_echo_ignore_all 1`)
    if (c['net.ipv4.conf.all.route_localnet']) s.add(`  pw_sysctl ${ref} net/ipv4/conf/all/route_localnet 1`)
    if (ns.links.some((l) => l.kind === 'bridge') || c['net.bridge.bridge-nf-call-iptables']) s.add(`  pw_bridge_nf ${ref} ${c['net.bridge.bridge-nf-call-iptables'] ? 1 : 0}`)
  }
  for (const [seg, n] of Object.entries(plan.segNs)) {
    const cidr = w.segments[seg]?.cidr
    s.add(`  pw_segment ${nsRef(n)}${cidr ? `  # ${seg}: ${cidr}` : ''}`)
  }
  if (plan.voidNs) s.add(`  pw_netns_add ${nsRef(plan.voidNs)}`)

  // 2. Links.
  s.blank()
  s.comment('2. Links, with the model\'s MACs and MTUs. Bridges and NICs first: VXLAN devices need their underlay device.')
  let voidPort = 0
  const ordered = (k: Link['kind']) => (k === 'bridge' ? 0 : k === 'phys' || k === 'dummy' || k === 'veth' ? 1 : 2)
  const done = new Set<string>()
  for (const name of plan.names) {
    const ns = w.netns[name]!
    const ref = nsRef(plan.kn.get(name)!)
    const links = [...ns.links].sort((a, b) => ordered(a.kind) - ordered(b.kind))
    const first = s.lines.length
    for (const l of links) {
      const dev = shellQuote(l.name)
      const key = `${name}/${l.name}`
      if (done.has(key)) continue
      done.add(key)
      switch (l.kind) {
        case 'loopback':
          break
        case 'bridge':
          s.add(`  ip -n ${ref} link add ${dev} address ${l.mac} mtu ${l.mtu} type bridge ageing_time ${Math.round(l.ageingTime * 100)}${l.stp ? ' stp_state 1' : ''}`)
          break
        case 'veth': {
          const peer = vethPeer(w, name, l)
          if (!peer) {
            s.comment(`${l.name}: its other end is not in the model; it leads nowhere here.`)
            s.add(`  pw_nowhere ${ref} ${dev} ${l.mac} ${l.mtu} ${nsRef(plan.voidNs!)} v${++voidPort}`)
            break
          }
          done.add(`${peer.ns}/${peer.link.name}`)
          s.add(`  ip -n ${ref} link add ${dev} address ${l.mac} mtu ${l.mtu} type veth peer name ${shellQuote(peer.link.name)} address ${peer.link.mac} mtu ${peer.link.mtu} netns ${nsRef(plan.kn.get(peer.ns)!)}`)
          break
        }
        case 'phys': {
          const port = plan.segPorts.get(key)
          if (port) s.add(`  pw_nic ${ref} ${dev} ${l.mac} ${l.mtu} ${nsRef(plan.segNs[port.seg]!)} ${port.port}`)
          else {
            s.comment(`${l.name} is on no segment in the model: it leads nowhere.`)
            s.add(`  pw_nowhere ${ref} ${dev} ${l.mac} ${l.mtu} ${nsRef(plan.voidNs!)} v${++voidPort}`)
          }
          break
        }
        case 'dummy':
          s.comment(`${l.name} is a dummy device: here a NOARP veth into the void (same effect: what is sent is lost).`)
          s.add(`  pw_nowhere ${ref} ${dev} ${l.mac} ${l.mtu} ${nsRef(plan.voidNs!)} v${++voidPort}`, `  ip -n ${ref} link set ${dev} arp off`)
          break
        case 'vxlan': {
          const parts = [`id ${l.vni}`, ...(l.local ? [`local ${l.local}`] : []), ...(l.remote ? [`remote ${l.remote}`] : []), ...(l.group ? [`group ${l.group}`] : []), `dstport ${l.dstport}`, ...(l.dev ? [`dev ${shellQuote(l.dev)}`] : []), ...(l.learning ? [] : ['nolearning'])]
          const lower = l.dev ? ns.links.find((x) => x.name === l.dev) : undefined
          const squeeze = lower !== undefined && l.mtu > lower.mtu - VXLAN_OVERHEAD
          if (squeeze) {
            s.comment(`The kernel refuses a VXLAN MTU above ${l.dev!}'s MTU - ${VXLAN_OVERHEAD}; the model has ${l.mtu} over ${lower.mtu}, so ${l.dev!}\nis raised while ${l.name} is created and lowered again (as if its MTU had been cut afterwards).`)
            s.add(`  ip -n ${ref} link set ${shellQuote(lower.name)} mtu ${l.mtu + VXLAN_OVERHEAD}`)
          }
          s.add(`  ip -n ${ref} link add ${dev} address ${l.mac} mtu ${l.mtu} type vxlan ${parts.join(' ')}`)
          if (squeeze) s.add(`  ip -n ${ref} link set ${shellQuote(lower.name)} mtu ${lower.mtu}`)
          break
        }
        case 'ipip': {
          const ends = `${l.local ? ` local ${l.local}` : ''}${l.remote ? ` remote ${l.remote}` : ''}`
          if (l.name === 'tunl0') {
            s.comment('tunl0 is the ipip module\'s fallback device: it appears in every namespace once the module is loaded.')
            s.add(`  ip -n ${ref} link show tunl0 >/dev/null 2>&1 || ip -n ${ref} link add tunl0 type ipip${ends}`)
            s.add(`  ip -n ${ref} link set tunl0 mtu ${l.mtu}`)
          } else s.add(`  ip -n ${ref} link add ${dev} mtu ${l.mtu} type ipip${ends}`)
          break
        }
      }
    }
    if (s.lines.length > first) s.lines.splice(first, 0, `  # ${name}`)
  }

  // 3. Link state: bridge ports, flags, up.
  s.blank()
  s.comment(
    '3. Bridge ports and link flags, then links up. Ports join smallest MTU first, so the bridge\n' +
      'never changes its MTU on the way: br_netfilter refragments bridged packets to the MTU a\n' +
      'bridge last changed to, 1500 until it changes (as for a bridge a CNI plugin creates).',
  )
  for (const name of plan.names) {
    const ns = w.netns[name]!
    const ref = nsRef(plan.kn.get(name)!)
    const joinOrder = [...ns.links].sort((a, b) => (a.master && b.master ? a.mtu - b.mtu : 0))
    for (const l of joinOrder) {
      const dev = shellQuote(l.name)
      if (l.master) s.add(`  ip -n ${ref} link set ${dev} master ${shellQuote(l.master)}`)
      if (l.master && l.hairpin) s.add(`  bridge -n ${ref} link set dev ${dev} hairpin on`)
      if (l.proxyArp) {
        s.comment(`Proxy ARP on ${l.name}, answering at once (proxy_delay 0, as Calico sets it).`)
        s.add(`  pw_sysctl ${ref} net/ipv4/conf/${l.name}/proxy_arp 1`, `  pw_sysctl ${ref} net/ipv4/neigh/${l.name}/proxy_delay 0`)
      }
      if (l.rpFilter) s.add(`  pw_sysctl ${ref} net/ipv4/conf/${l.name}/rp_filter ${l.rpFilter}`)
      if (l.noarp && l.kind !== 'loopback' && l.kind !== 'ipip' && l.kind !== 'dummy') s.add(`  ip -n ${ref} link set ${dev} arp off`)
    }
    for (const br of ns.links) {
      const ports = ns.links.filter((l) => l.master === br.name)
      if (br.kind !== 'bridge' || ports.length === 0) continue
      const least = Math.min(...ports.map((p) => p.mtu))
      if (least !== br.mtu) {
        s.comment(`The kernel lowers a bridge to its smallest port MTU (${least}); the model has ${br.mtu}, set explicitly.`)
        s.add(`  ip -n ${ref} link set ${shellQuote(br.name)} mtu ${br.mtu}`)
      }
    }
    for (const l of ns.links) if (l.kind !== 'loopback' && l.up) s.add(`  ip -n ${ref} link set ${shellQuote(l.name)} up`)
    s.add(`  pw_fast_arp ${ref}`)
  }

  // 4. Addresses.
  s.blank()
  s.comment('4. Addresses (their prefix routes appear by themselves).')
  for (const name of plan.names) {
    const ref = nsRef(plan.kn.get(name)!)
    for (const l of w.netns[name]!.links) {
      for (const a of l.addrs) {
        if (l.kind === 'loopback' && a.ip === '127.0.0.1' && a.len === 8) continue
        const scope = a.scope && a.scope !== 'global' && !(a.scope === 'host' && a.ip.startsWith('127.')) ? ` scope ${a.scope}` : ''
        s.add(`  ip -n ${ref} addr add ${a.ip}/${a.len}${a.broadcast ? ` broadcast ${a.broadcast}` : ''} dev ${shellQuote(l.name)}${scope}${a.noprefixroute ? ' noprefixroute' : ''}`)
      }
    }
  }

  // 5. Routes, neighbours, FDB.
  s.blank()
  s.comment('5. Routes the kernel does not add by itself (any table), permanent neighbours, FDB entries, policy routing rules.')
  for (const name of plan.names) {
    const ns = w.netns[name]!
    const ref = nsRef(plan.kn.get(name)!)
    for (const r of ns.routes) {
      const text = routeArgs(r)
      if (text) s.add(`  ip -n ${ref} route add ${text}`)
    }
    for (const n of ns.neigh) {
      const text = neighArgs(n)
      if (text) s.add(`  ip -n ${ref} neigh replace ${text}`)
    }
    const learned = ns.neigh.filter((n) => !neighArgs(n)).length + ns.fdb.filter((f) => !f.permanent).length
    for (const f of ns.fdb) {
      const text = fdbArgs(ns, f)
      if (text) s.add(`  bridge -n ${ref} fdb append ${text}`)
    }
    if (learned > 0) s.comment(`${name}: ${learned} learned FDB/unresolved neighbour entries are not recreated (the kernel learns them again).`)
    for (const text of ruleCommands(ns)) s.add(`  ip -n ${ref} rule ${text}`)
  }

  // 6. iptables.
  const withRules = plan.names.filter((n) => Object.keys(w.netns[n]!.netfilter.tables).length > 0)
  if (withRules.length > 0) {
    s.blank()
    s.comment('6. iptables rules, as iptables-save prints them.')
    for (const name of withRules) {
      s.add(`  ip netns exec ${nsRef(plan.kn.get(name)!)} "$IPT_RESTORE" <<'PW_RULES'`)
      s.lines.push(...printIptablesSave(w.netns[name]!.netfilter).trimEnd().split('\n'))
      s.add('PW_RULES')
    }
  }

  // 7. Resolvers and stand-in apps.
  const apps = plan.names.filter((n) => w.netns[n]!.listeners.length > 0 || w.netns[n]!.resolvConf)
  if (apps.length > 0) {
    s.blank()
    s.comment('7. Resolver files and stand-ins for the apps (socat, dnsmasq).')
    const records = opts.dnsRecords ?? clusterRecords(w)
    const others = opts.dnsOtherRecords ?? clusterOtherRecords(w)
    const tokens = [...records.map((r) => `${r.noPtr ? 'a=' : ''}${r.name},${r.ip}`), ...others.map(otherRecordToken).filter((t): t is string => t !== undefined)]
    const zone = opts.dnsZone ?? clusterZone(w) ?? 'cluster.local'
    for (const name of apps) {
      const ns = w.netns[name]!
      const ref = nsRef(plan.kn.get(name)!)
      if (ns.resolvConf) {
        const rc = ns.resolvConf
        const lines = [...rc.nameservers.map((x) => `nameserver ${x}`), ...(rc.search.length ? [`search ${rc.search.join(' ')}`] : []), `options ndots:${rc.ndots}`]
        s.comment(`ip netns exec shows /etc/netns/<netns>/resolv.conf as /etc/resolv.conf to programs in ${name}.`)
        s.add(`  mkdir -p /etc/netns/${ref}`, `  printf '%s\\n'${lines.map((l) => ` ${shellQuote(l)}`).join('')} > /etc/netns/${ref}/resolv.conf`)
      }
      const dnsPorts = [...new Set(ns.listeners.filter((l) => l.dns).map((l) => l.port))]
      for (const port of dnsPorts) {
        s.add(`  pw_dns_server ${ref} ${port} ${shellQuote(zone)}${tokens.map((t) => ` ${shellQuote(t)}`).join('')}`)
      }
      const addrs = ns.links.flatMap((l) => l.addrs.map((a) => a.ip))
      for (const l of ns.listeners) {
        if (l.dns) continue
        if (l.proto === 'tcp') s.add(`  pw_tcp_server ${ref} ${plan.kn.get(name)!} ${l.port} ${label(l.app)}${l.addr && l.addr !== '0.0.0.0' ? ` ${l.addr}` : ''}`)
        else {
          const binds = l.addr && l.addr !== '0.0.0.0' ? [l.addr] : addrs
          for (const b of binds) s.add(`  pw_udp_server ${ref} ${plan.kn.get(name)!} ${l.port} ${label(l.app)} ${b}`)
          if (binds.length > 0) s.add(`  pw_wait_port ${ref} udp ${l.port}`)
        }
      }
    }
  }
  s.blank()
  s.add('  trap - ERR', '  echo "up: ${#NETNS[@]} namespaces ready (prefix $P)"', '}')
}

/**
 * `ip rule` commands that turn a fresh netns's three default rules into the netns's list:
 * `del` for each default it lacks, then `add … pref N` for each other rule in order (the
 * kernel puts a rule after those of its priority, so the order is kept).
 * @example ruleCommands({ rules: [DEFAULT_RULES[0]!, { priority: 100, from: '10.0.0.5', action: 'lookup', table: 100 }, ...DEFAULT_RULES.slice(1)] }) // ['add from 10.0.0.5 lookup 100 pref 100']
 */
export function ruleCommands(ns: Pick<Netns, 'rules'>): string[] {
  if (isDefaultRules(ns.rules)) return []
  const rules = ns.rules ?? []
  const isDefault = (r: RoutingRule) => DEFAULT_RULES.some((d) => sameRule(d, r))
  const out: string[] = []
  for (const d of DEFAULT_RULES) if (!rules.some((r) => sameRule(d, r))) out.push(`del pref ${d.priority} lookup ${describeRule(d).split(' ').pop() ?? ''}`)
  for (const r of rules) {
    if (isDefault(r)) continue
    // `ip rule add` spells the VRF rule `l3mdev`; show prints `lookup [l3mdev-table]`.
    const words = describeRule(r).replace('lookup [l3mdev-table]', 'l3mdev').split(' ').map((w) => shellQuote(w))
    out.push(`add ${words.join(' ')} pref ${r.priority}`)
  }
  return out
}

/** `ip route add` arguments, or undefined for a route the kernel makes itself. */
export function routeArgs(r: Route): string | undefined {
  if (r.proto === 'kernel' || r.table === 'local') return undefined
  const parts: string[] = []
  if (r.type !== 'unicast') parts.push(r.type)
  parts.push(r.dst)
  if (r.via) parts.push('via', r.via)
  if (r.dev) parts.push('dev', shellQuote(r.dev))
  if (r.onlink) parts.push('onlink')
  const defaultScope = r.type === 'unicast' && !r.via ? 'link' : 'global'
  if (r.scope !== defaultScope) parts.push('scope', r.scope)
  if (r.src) parts.push('src', r.src)
  if (r.proto && r.proto !== 'boot') parts.push('proto', r.proto)
  if (r.metric !== undefined) parts.push('metric', String(r.metric))
  if (r.mtu !== undefined) parts.push('mtu', String(r.mtu))
  if (typeof r.table === 'number') parts.push('table', String(r.table))
  return parts.join(' ')
}

/**
 * `ip neigh replace` arguments: permanent and noarp entries as they are; a learned entry with
 * a MAC as STALE (the kernel uses it at once and confirms it on first use, as it would after
 * the traffic that taught it); undefined for an entry with no MAC (incomplete, failed).
 */
export function neighArgs(n: NeighEntry): string | undefined {
  if (n.state === 'PERMANENT' || n.state === 'NOARP') return `${n.ip}${n.mac ? ` lladdr ${n.mac}` : ''} dev ${shellQuote(n.dev)} nud ${n.state.toLowerCase()}`
  if (!n.mac || n.state === 'INCOMPLETE' || n.state === 'FAILED') return undefined
  return `${n.ip} lladdr ${n.mac} dev ${shellQuote(n.dev)} nud stale`
}

/** `bridge fdb append` arguments for a configured entry, or undefined (learned, or a port's own address). */
export function fdbArgs(ns: Netns, f: FdbEntry): string | undefined {
  if (!f.permanent) return undefined
  if (f.master === undefined) {
    // A VXLAN device's own entry: inner MAC → remote VTEP.
    if (!f.dst) return undefined
    return `${f.mac} dev ${shellQuote(f.dev)} dst ${f.dst}${f.vni !== undefined ? ` vni ${f.vni}` : ''} self permanent`
  }
  if (f.local) {
    // The kernel adds a port's own MAC when the port joins the bridge.
    const own = ns.links.find((l) => l.name === f.dev)?.mac === f.mac || ns.links.find((l) => l.name === f.master)?.mac === f.mac
    return own ? undefined : `${f.mac} dev ${shellQuote(f.dev)} master permanent`
  }
  // Configured but not local: a static forwarding entry (the kernel's "permanent" means local).
  return `${f.mac} dev ${shellQuote(f.dev)} master static`
}

interface ClusterLike {
  readonly dns?: { readonly clusterDomain?: string; readonly records?: readonly { readonly name: string; readonly type: string; readonly data: string }[] }
  readonly services?: readonly { readonly metadata: { readonly name: string; readonly namespace?: string }; readonly spec: { readonly clusterIP?: string; readonly ports?: readonly { readonly name?: string; readonly port: number; readonly protocol?: string }[] } }[]
  readonly pods?: readonly { readonly namespace: string; readonly ip?: string }[]
}

function clusterZone(w: World): string | undefined {
  const c = w.cluster as ClusterLike | undefined
  return c?.dns?.clusterDomain?.replace(/\.$/, '')
}

/**
 * The A records CoreDNS would answer for a cluster: Services with a ClusterIP, a headless
 * Service's ready endpoints (under its name and each by its own name), pods (no PTR: CoreDNS
 * has none for a pod IP), static upstream records.
 */
function clusterRecords(w: World): DnsRecordSpec[] {
  const c = w.cluster as ClusterLike | undefined
  if (!c) return []
  const zone = clusterZone(w) ?? 'cluster.local'
  const out: DnsRecordSpec[] = []
  for (const svc of c.services ?? []) {
    const ip = svc.spec.clusterIP
    const fqdn = `${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}.svc.${zone}`
    if (ip && ip !== 'None') out.push({ name: fqdn, ip })
    else if (ip === 'None') {
      // Each ready endpoint by name too, `a-b-c-d.<svc>…` (CoreDNS's name for an endpoint without a hostname).
      for (const e of endpointsOf(w, svc)) out.push({ name: fqdn, ip: e }, { name: `${e.replace(/\./g, '-')}.${fqdn}`, ip: e, noPtr: true })
    }
  }
  for (const p of c.pods ?? []) if (p.ip) out.push({ name: `${p.ip.replace(/\./g, '-')}.${p.namespace}.pod.${zone}`, ip: p.ip, noPtr: true })
  for (const r of c.dns?.records ?? []) if (r.type === 'A') out.push({ name: r.name.replace(/\.$/, ''), ip: r.data })
  return out
}

/** Ready endpoint addresses of a Service in the world's cluster. */
function endpointsOf(w: World, svc: NonNullable<ClusterLike['services']>[number]): Ip[] {
  const slices = w.cluster?.endpointSlices
  if (!slices) return []
  return readyEndpoints({ endpointSlices: slices }, svc as Service).map((e) => e.ip)
}

/**
 * The SRV and PTR records CoreDNS would answer (the Kubernetes DNS specification):
 * `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV for each named port (priority 0, weight 100,
 * the Service name; headless: one per ready endpoint, `a-b-c-d.<svc>…`, weight 100/n), PTR
 * for each ClusterIP (the Service name) and headless endpoint (`a-b-c-d.<svc>…`).
 */
function clusterOtherRecords(w: World): DnsOtherRecordSpec[] {
  const c = w.cluster as ClusterLike | undefined
  if (!c) return []
  const zone = clusterZone(w) ?? 'cluster.local'
  const out: DnsOtherRecordSpec[] = []
  const reverse = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`
  for (const svc of c.services ?? []) {
    const ip = svc.spec.clusterIP
    const fqdn = `${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}.svc.${zone}`
    const eps = ip === 'None' ? endpointsOf(w, svc) : []
    for (const port of svc.spec.ports ?? []) {
      if (!port.name) continue
      const name = `_${port.name}._${(port.protocol ?? 'TCP').toLowerCase()}.${fqdn}`
      if (ip && ip !== 'None') out.push({ type: 'SRV', name, data: `0 100 ${port.port} ${fqdn}` })
      else for (const e of eps) out.push({ type: 'SRV', name, data: `0 ${Math.floor(100 / eps.length)} ${port.port} ${e.replace(/\./g, '-')}.${fqdn}` })
    }
    if (ip && ip !== 'None') out.push({ type: 'PTR', name: reverse(ip), data: fqdn })
    for (const e of eps) out.push({ type: 'PTR', name: reverse(e), data: `${e.replace(/\./g, '-')}.${fqdn}` })
  }
  return out
}

/** A pw_dns_server argument for an SRV or PTR record, or undefined when it does not fit one. */
function otherRecordToken(r: DnsOtherRecordSpec): string | undefined {
  if (r.type === 'PTR') return `ptr=${r.name},${r.data}`
  const [priority, weight, port, target] = r.data.split(' ')
  if (target === undefined) return undefined
  return `srv=${r.name},${target},${port!},${priority!},${weight!}`
}

// ---------------------------------------------------------------------------------------
// probe

function probeSection(s: Script): void {
  s.blank()
  s.add(
    '# ---------------------------------------------------------------------------------------',
    '# probe: each spec is answered by one tab-separated line:',
    `#   ${PROBE_LINE_TAG} <spec> status=<...> key=value...`,
    '',
    'pw_result() {  # SPEC KEY=VALUE...',
    `  printf '${PROBE_LINE_TAG}\\t%s' "$1"`,
    '  shift',
    "  printf '\\t%s' \"$@\"",
    "  printf '\\n'",
    '}',
    '',
    '# The errno a tool reported, from its message.',
    'pw_errno() {  # TEXT',
    '  case "$1" in',
    '    *"Connection refused"*) echo ECONNREFUSED ;;',
    '    *"No route to host"*) echo EHOSTUNREACH ;;',
    '    *"Network is unreachable"*) echo ENETUNREACH ;;',
    '    *"Invalid argument"*) echo EINVAL ;;',
    '    *"Permission denied"* | *"ping broadcast"*) echo EACCES ;;',
    '    *"Operation not permitted"*) echo EPERM ;;',
    '    *"message too long"* | *"Message too long"*) echo EMSGSIZE ;;',
    '    *"Connection reset"*) echo ECONNRESET ;;',
    '    *) echo "" ;;',
    '  esac',
    '}',
    '',
    'pw_icmp_name() {  # the words ping prints after "From X icmp_seq=1"',
    '  case "$1" in',
    '    "Destination Net Unreachable") echo net-unreachable ;;',
    '    "Destination Host Unreachable") echo host-unreachable ;;',
    '    "Destination Protocol Unreachable") echo protocol-unreachable ;;',
    '    "Destination Port Unreachable") echo port-unreachable ;;',
    '    "Frag needed"*) echo frag-needed ;;',
    '    "Time to live exceeded") echo ttl-exceeded ;;',
    '    "Packet filtered") echo filtered ;;',
    '    "Destination Net Prohibited") echo net-prohibited ;;',
    '    "Destination Host Prohibited") echo host-prohibited ;;',
    '    *) echo "other" ;;',
    '  esac',
    '}',
    '',
    '# Results are read with bash regexes (BASH_REMATCH), not sed and grep: fewer processes per probe.',
    'probe_ping() {  # SPEC',
    '  local args=(-n -c 1 -W "$PW_WAIT") out re errno mtu=""',
    '  [ -n "${size:-}" ] && args+=(-s $((size - 28)))',
    '  [ "${df:-}" = 1 ] && args+=(-M do)',
    '  [ "${df:-}" = 0 ] && args+=(-M dont)',
    '  [ -n "${ttl:-}" ] && args+=(-t "$ttl")',
    '  out=$(ip netns exec "$P$from" ping "${args[@]}" "$to" 2>&1)',
    '  re=\'bytes from ([0-9.]+): icmp_seq=[0-9]+ ttl=([0-9]+)\'',
    '  if [[ $out =~ $re ]]; then',
    '    pw_result "$1" status=reply "from=${BASH_REMATCH[1]}" "ttl=${BASH_REMATCH[2]}"',
    '    return',
    '  fi',
    '  re=$\'(^|\\n)From ([0-9.]+) icmp_seq=[0-9]+ ([^\\n]*)\'',
    '  if [[ $out =~ $re ]]; then',
    '    local sender=${BASH_REMATCH[2]} what=${BASH_REMATCH[3]}',
    '    re=\'mtu = ([0-9]+)\'',
    '    [[ $what =~ $re ]] && mtu="mtu=${BASH_REMATCH[1]}"',
    '    pw_result "$1" status=icmp-error "from=$sender" "error=$(pw_icmp_name "$what")" ${mtu:+"$mtu"} "detail=$what"',
    '    return',
    '  fi',
    '  errno=$(pw_errno "$out")',
    '  if [ -n "$errno" ]; then',
    '    re=\'mtu=([0-9]+)\'',
    '    [[ $out =~ $re ]] && mtu="mtu=${BASH_REMATCH[1]}"',
    '    re=$\'(^|\\n)(ping: [^\\n]*)\'',
    '    [[ $out =~ $re ]] && out=${BASH_REMATCH[2]}',
    '    pw_result "$1" status=local-error "errno=$errno" ${mtu:+"$mtu"} "detail=$out"',
    '  else',
    '    pw_result "$1" status=timeout',
    '  fi',
    '}',
    '',
    'probe_tcp() {  # SPEC',
    '  local out',
    '  out=$(ip netns exec "$P$from" timeout 10 socat -T "$PW_WAIT" - "TCP:$to:$port,connect-timeout=$PW_WAIT" </dev/null 2>&1)',
    '  pw_answer "$1" "$out"',
    '}',
    '',
    '# UDP through bash\'s /dev/udp: a connected socket, so ICMP errors reach the read. dd reads',
    '# the whole datagram at once (bash\'s read would take one byte and lose the rest).',
    'probe_udp() {  # SPEC',
    '  local out',
    '  out=$(ip netns exec "$P$from" timeout 10 bash -c \'exec 3<>"/dev/udp/$1/$2" && echo probe >&3 && timeout "$3" dd bs=4096 count=1 status=none <&3\' _ "$to" "$port" "$PW_WAIT" 2>&1)',
    '  pw_answer "$1" "$out"',
    '}',
    '',
    'pw_answer() {  # SPEC OUTPUT',
    '  local re=$\'(^|\\n)pw-hello netns=([^ ]*) app=([^ ]*) peer=([^ \\n]*)\' errno last',
    '  if [[ $2 =~ $re ]]; then',
    '    pw_result "$1" status=answer "served-by=${BASH_REMATCH[2]}" "app=${BASH_REMATCH[3]}" "peer=${BASH_REMATCH[4]}"',
    '    return',
    '  fi',
    '  errno=$(pw_errno "$2")',
    '  if [ -n "$errno" ]; then',
    '    last=${2##*$\'\\n\'}',
    '    pw_result "$1" status=error "errno=$errno" "detail=${last##* E }"',
    '  else',
    '    pw_result "$1" status=timeout',
    '  fi',
    '}',
    '',
    'probe_route() {  # SPEC',
    '  local out w type=unicast dev="" via="" src="" i',
    '  if ! out=$(ip -n "$P$from" route get "$to" 2>&1); then',
    '    pw_result "$1" status=error "errno=$(pw_errno "$out")" "detail=$out"',
    '    return',
    '  fi',
    '  read -ra w <<<"$(head -1 <<<"$out")"',
    '  case "${w[0]}" in local|broadcast|multicast|unreachable|blackhole|prohibit) type=${w[0]} ;; esac',
    '  for ((i = 0; i < ${#w[@]}; i++)); do',
    '    case "${w[i]}" in',
    '      dev) dev=${w[i+1]} ;;',
    '      via) via=${w[i+1]} ;;',
    '      src) src=${w[i+1]} ;;',
    '    esac',
    '  done',
    '  pw_result "$1" status=route "type=$type" "dev=$dev" "via=$via" "src=$src"',
    '}',
    '',
    '# The name at byte b[$1] of an answer, following compression pointers (RFC 1035 4.1.4).',
    'pw_dns_name() {  # INDEX',
    '  local i=$1 n="" len k hops=0',
    '  while [ "$i" -lt "${#b[@]}" ] && [ "$hops" -lt 32 ]; do',
    '    len=$((16#${b[i]}))',
    '    [ "$len" = 0 ] && break',
    '    if (( (len & 192) == 192 )); then i=$(( (len & 63) * 256 + 16#${b[i+1]} )); hops=$((hops + 1)); continue; fi',
    '    for ((k = 1; k <= len; k++)); do n+=$(printf "\\x${b[i+k]}"); done',
    '    n+=.; i=$((i + len + 1))',
    '  done',
    '  printf %s "${n%.}"',
    '}',
    '',
    '# A query (type A, or SRV/PTR) in one UDP datagram (bash builds the bytes; dd writes them at',
    '# once, where printf would send a datagram per line), the answer read with dd and od. Answers:',
    '# A as the address, SRV as "PRIORITY WEIGHT PORT TARGET", PTR as the name; records of other types are left out.',
    'probe_dns() {  # SPEC',
    '  local q="\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00" part hex qtype',
    '  case "${type:-A}" in SRV) qtype=21 ;; PTR) qtype=0c ;; *) qtype=01 ;; esac',
    '  local -a parts b',
    '  IFS=. read -ra parts <<<"$name"',
    '  for part in "${parts[@]}"; do q+=$(printf \'\\\\x%02x\' "${#part}")$part; done',
    '  q+="\\x00\\x00\\x$qtype\\x00\\x01"',
    '  hex=$(ip netns exec "$P$from" timeout 10 bash -c \'exec 3<>"/dev/udp/$1/$2" && printf "$3" | dd bs=4096 count=1 iflag=fullblock status=none >&3 && timeout "$4" dd bs=4096 count=1 status=none <&3 | od -An -tx1 -v\' _ "$server" "${port:-53}" "$q" "$PW_WAIT" 2>&1)',
    '  if [[ $hex =~ [g-zG-Z] ]]; then',
    '    if [ -n "$(pw_errno "$hex")" ]; then pw_result "$1" status=error "errno=$(pw_errno "$hex")"; else pw_result "$1" status=timeout; fi',
    '    return',
    '  fi',
    '  read -ra b <<<"$(tr -s \' \\n\' \'  \' <<<"$hex")"',
    '  if [ "${#b[@]}" -lt 12 ]; then pw_result "$1" status=timeout; return; fi',
    '  local rcodes=(NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED) rc=$((16#${b[3]} & 15)) an=$((16#${b[6]} * 256 + 16#${b[7]})) i=12 answers=""',
    '  while [ "$i" -lt "${#b[@]}" ] && [ "${b[i]}" != 00 ]; do i=$((i + 16#${b[i]} + 1)); done',
    '  i=$((i + 5))',
    '  local k rtype len',
    '  for ((k = 0; k < an && i < ${#b[@]}; k++)); do',
    '    while [ "$i" -lt "${#b[@]}" ]; do',
    '      if [ "${b[i]}" = 00 ]; then i=$((i + 1)); break; fi',
    '      if (( (16#${b[i]} & 192) == 192 )); then i=$((i + 2)); break; fi',
    '      i=$((i + 16#${b[i]} + 1))',
    '    done',
    '    rtype=$((16#${b[i]} * 256 + 16#${b[i+1]})); len=$((16#${b[i+8]} * 256 + 16#${b[i+9]})); i=$((i + 10))',
    '    case "$rtype:${type:-A}" in',
    '      1:A) [ "$len" = 4 ] && answers+="${answers:+,}$((16#${b[i]})).$((16#${b[i+1]})).$((16#${b[i+2]})).$((16#${b[i+3]}))" ;;',
    '      33:SRV) answers+="${answers:+,}$((16#${b[i]} * 256 + 16#${b[i+1]})) $((16#${b[i+2]} * 256 + 16#${b[i+3]})) $((16#${b[i+4]} * 256 + 16#${b[i+5]})) $(pw_dns_name $((i + 6)))" ;;',
    '      12:PTR) answers+="${answers:+,}$(pw_dns_name "$i")" ;;',
    '    esac',
    '    i=$((i + len))',
    '  done',
    '  pw_result "$1" status=answer "rcode=${rcodes[rc]:-$rc}" "answers=$answers"',
    '}',
    '',
    '# A name looked up as programs do: getent reads the netns\'s resolv.conf (ip netns exec shows',
    '# /etc/netns/<netns>/resolv.conf as /etc/resolv.conf) and follows its search list and ndots.',
    '# Exit 2 is "not found" for NXDOMAIN and for no server reachable alike: status=no-answer.',
    'probe_resolve() {  # SPEC',
    '  local out rc',
    '  out=$(ip netns exec "$P$from" timeout 20 getent ahostsv4 "$name" 2>&1); rc=$?',
    '  case $rc in',
    '    0) pw_result "$1" status=answer "answers=$(awk \'{print $1}\' <<<"$out" | sort -u | paste -sd, -)" ;;',
    '    2 | 124) pw_result "$1" status=no-answer ;;',
    '    *) pw_result "$1" status=error "detail=getent exit $rc" ;;',
    '  esac',
    '}',
    '',
    'probe_conntrack() {  # SPEC',
    '  local out',
    '  out=$(ip netns exec "$P$netns" conntrack -L 2>/dev/null | sed -E \'s/ +/ /g\' | paste -sd\';\' -)',
    '  pw_result "$1" status=ok "entries=$out"',
    '}',
    '',
    'probe_pause() {  # SPEC (prints nothing)',
    '  sleep "${seconds:-1}"',
    '}',
    '',
    'probe() {',
    '  local spec kind kv from="" to="" size="" df="" ttl="" port="" server="" name="" netns="" seconds="" ns',
    '  for spec in "$@"; do',
    '    from="" to="" size="" df="" ttl="" port="" server="" name="" netns="" seconds="" type=""',
    '    IFS=, read -ra kv <<<"$spec"',
    '    kind=${kv[0]}',
    '    for item in "${kv[@]:1}"; do',
    '      case "${item%%=*}" in',
    '        from|to|size|df|ttl|port|server|name|netns|seconds|type) printf -v "${item%%=*}" "%s" "${item#*=}" ;;',
    '        *) pw_result "$spec" status=bad-spec "detail=unknown key ${item%%=*}"; continue 2 ;;',
    '      esac',
    '    done',
    '    if [ "${PW_TEST:-0}" = 1 ] && [ -n "$size" ]; then',
    '      # A sized probe starts from the same state: no path MTU learned by an earlier one.',
    '      for ns in "${NETNS[@]}"; do ip -n "$ns" route flush cache 2>/dev/null; done',
    '    fi',
    '    case "$kind" in',
    '      ping|tcp|udp|route|dns|resolve|conntrack|pause) "probe_$kind" "$spec" ;;',
    '      *) pw_result "$spec" status=bad-spec "detail=unknown probe $kind" ;;',
    '    esac',
    '  done',
    '}',
  )
}

// ---------------------------------------------------------------------------------------
// down

function down(s: Script): void {
  s.blank()
  s.add(
    '# ---------------------------------------------------------------------------------------',
    '# down: no `set -e` here, so a missing piece never stops the rest from going.',
    'down() {',
    '  local ns pids',
    '  for ns in "${ALL_NETNS[@]}"; do',
    '    [ -e "/run/netns/$ns" ] || { rm -rf "/etc/netns/$ns"; continue; }',
    '    # Stop the stand-ins (everything still running inside the namespace).',
    '    pids=$(ip netns pids "$ns" 2>/dev/null)',
    '    if [ -n "$pids" ]; then',
    '      kill $pids 2>/dev/null',
    '      sleep 0.2',
    '      pids=$(ip netns pids "$ns" 2>/dev/null)',
    '      [ -n "$pids" ] && kill -9 $pids 2>/dev/null',
    '    fi',
    '    # Deleting a namespace deletes its links; a veth takes its other end with it.',
    '    ip netns del "$ns" 2>/dev/null || echo "packetwalk: could not delete netns $ns" >&2',
    '    rm -rf "/etc/netns/$ns"',
    '  done',
    '  echo "down: removed namespaces with prefix $P"',
    '}',
  )
}
