/**
 * `curl` (7.88.1) and `nc` (netcat-openbsd 1.219): a name is resolved through the netns's
 * resolver (each query traced), then the TCP handshake (or one UDP datagram) is traced. What
 * the socket gets decides the output, worded as the real tools (golden/captured.txt):
 * connected, "Connection refused" (RST), "No route to host" (ARP failed, ICMP host
 * unreachable), "Network is unreachable", or a timeout after the kernel's SYN retries
 * (127 s, as tcp_syn_retries=6 gives) unless --connect-timeout / -m / -w is shorter.
 *
 * Simplification: only the handshake is traced; the HTTP exchange after it is not, and the
 * body is a stand-in named after the answering program (nginx's welcome page for nginx).
 */
import { putNetns } from '../model/ops.ts'
import { lookupRoute } from '../route/fib.ts'
import type { TraceSegment } from '../scenario/timeline.ts'
import type { IcmpHeader } from '../wire/packet.ts'
import { resolveHost } from './dnsClient.ts'
import type { Command, Io } from './session.ts'
import { hash32 } from './text.ts'

export type ConnectResult =
  | { readonly kind: 'connected'; readonly app: string; readonly ip: string }
  | { readonly kind: 'refused' }
  | { readonly kind: 'error'; readonly errno: 'EHOSTUNREACH' | 'ENETUNREACH' | 'ECONNREFUSED'; readonly ms: number }
  | { readonly kind: 'timeout' }

const ERRNO_TEXT = { EHOSTUNREACH: 'No route to host', ENETUNREACH: 'Network is unreachable', ECONNREFUSED: 'Connection refused' } as const

/** What a connecting socket saw in a traced handshake (or datagram). */
export function readConnect(io: Io, seg: TraceSegment): ConnectResult {
  const steps = seg.steps
  const err = steps.find((s) => s.netns === io.netns && (s.kind === 'deliver' || s.kind === 'icmp-error') && s.flow === 'icmp-error' && s.packet.headers.some((h) => h.kind === 'icmp' && h.type === 3))
  if (err) {
    const icmp = err.packet.headers.find((h): h is IcmpHeader => h.kind === 'icmp')!
    const errno = icmp.code === 0 || icmp.code === 9 ? 'ENETUNREACH' : icmp.code === 3 ? 'ECONNREFUSED' : 'EHOSTUNREACH'
    return { kind: 'error', errno, ms: 0 }
  }
  if (steps.some((s) => s.netns === io.netns && s.kind === 'drop' && /no ARP answer/.test(s.explain))) return { kind: 'error', errno: 'EHOSTUNREACH', ms: 3000 + (hash32(seg.title) % 80) }
  if (steps.some((s) => s.netns === io.netns && s.kind === 'deliver' && s.packet.headers.some((h) => h.kind === 'tcp' && h.flags.includes('RST')))) return { kind: 'refused' }
  if (seg.outcome.verdict === 'delivered' && seg.outcome.reply?.verdict === 'delivered' && seg.outcome.reply.matchesRequest !== false) {
    const at = steps.find((s) => s.kind === 'deliver' && s.flow === 'request' && s.ref?.table === 'socket')
    const app = at?.ref?.table === 'socket' ? at.ref.listener.app : 'server'
    return { kind: 'connected', app, ip: seg.outcome.deliveredTo?.split(':')[0] ?? '' }
  }
  return { kind: 'timeout' }
}

/** The kernel gives up a connect after tcp_syn_retries=6 retransmissions: 1+2+…+64 s. */
const KERNEL_CONNECT_TIMEOUT = 127_000

const NGINX = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

function body(app: string, port: number, path: string): { status: string; server: string; text: string } {
  if (/nginx|web/i.test(app)) return { status: '200 OK', server: 'nginx/1.27.3', text: NGINX }
  if (/coredns/i.test(app)) {
    if (port === 8080 && path.startsWith('/health')) return { status: '200 OK', server: 'CoreDNS', text: 'OK' }
    if (port === 8181 && path.startsWith('/ready')) return { status: '200 OK', server: 'CoreDNS', text: 'OK' }
    return { status: '404 Not Found', server: 'CoreDNS', text: '404 page not found\n' }
  }
  return { status: '200 OK', server: app, text: `Hello from ${app}\n` }
}

/** /etc/services names nc prints: `[tcp/http]`. */
const SERVICES: Readonly<Record<number, string>> = { 22: 'ssh', 25: 'smtp', 53: 'domain', 80: 'http', 123: 'ntp', 179: 'bgp', 443: 'https', 2379: '*', 5353: 'mdns', 6443: '*', 8080: 'http-alt', 8443: '*', 9153: '*', 10250: '*' }

function parseUrl(text: string): { host: string; port: number; path: string; scheme: string } | undefined {
  const m = /^(?:(https?):\/\/)?([^/:?#]+)(?::(\d+))?([/?#].*)?$/.exec(text)
  if (!m) return undefined
  const scheme = m[1] ?? 'http'
  return { scheme, host: m[2]!, port: m[3] !== undefined ? Number(m[3]) : scheme === 'https' ? 443 : 80, path: m[4] ?? '/' }
}

export const curl: Command = (io, argv) => {
  let silent = false
  let showError = false
  let verbose = false
  let head = false
  let output: string | undefined
  let write: string | undefined
  let maxTime: number | undefined
  let connectTimeout: number | undefined
  let url: string | undefined
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-s' || a === '--silent') silent = true
    else if (a === '-S' || a === '--show-error') showError = true
    else if (a === '-sS' || a === '-Ss') silent = showError = true
    else if (a === '-v' || a === '--verbose') verbose = true
    else if (a === '-I' || a === '--head') head = true
    else if (a === '-o' || a === '--output') output = argv[++i]
    else if (a === '-w' || a === '--write-out') write = argv[++i]
    else if (a === '-m' || a === '--max-time') maxTime = Number(argv[++i])
    else if (a === '--connect-timeout') connectTimeout = Number(argv[++i])
    else if (a === '-H' || a === '--header' || a === '-X' || a === '--request' || a === '-d' || a === '--data' || a === '-A' || a === '--user-agent' || a === '--resolve') i++
    else if (/^-[sSvkLfiI]+$/.test(a)) {
      silent ||= a.includes('s')
      showError ||= a.includes('S')
      verbose ||= a.includes('v')
      head ||= a.includes('I')
    } else if (a.startsWith('-')) continue
    else url = a
  }
  if (url === undefined) {
    io.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
    return 2
  }
  const u = parseUrl(url)
  if (!u) {
    io.err(`curl: (3) URL using bad/illegal format or missing URL\n`)
    return 3
  }
  const meter = !silent && !io.tty && output === undefined
  const say = (code: number, msg: string) => {
    if (meter) io.err('  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n')
    if (verbose) io.err(`* ${msg.replace(/^\(\d+\) /, '')}\n* Closing connection 0\n`)
    if (!silent || showError) io.err(`curl: ${msg}\n`)
    if (write !== undefined) io.out(expandWrite(write, '000', u.host))
    return code
  }
  const r = resolveHost(io, u.host)
  if (!r.ip) return say(6, `(6) Could not resolve host: ${u.host}`)
  if (u.scheme === 'https') io.err('packetwalk: TLS is not simulated; curl connects and shows the plain answer\n')
  if (verbose) io.err(`*   Trying ${r.ip}:${u.port}...\n`)
  const route = lookupRoute(io.sh.world.netns[io.netns]!, r.ip)
  if (route.kind === 'none') {
    if (verbose) io.err(`* connect to ${r.ip} port ${u.port} failed: Network is unreachable\n`)
    return say(7, `(7) Failed to connect to ${u.host} port ${u.port} after 0 ms: Couldn't connect to server`)
  }
  const seg = io.sh.trace({ from: io.netns, to: r.ip, proto: 'tcp', dport: u.port }, `curl ${u.host}:${u.port}`)
  const c = readConnect(io, seg)
  if (c.kind === 'refused' || c.kind === 'error') {
    const ms = c.kind === 'error' ? c.ms : 0
    io.sh.advance(ms)
    if (verbose) io.err(`* connect to ${r.ip} port ${u.port} failed: ${c.kind === 'refused' ? 'Connection refused' : ERRNO_TEXT[c.errno]}\n`)
    return say(7, `(7) Failed to connect to ${u.host} port ${u.port} after ${ms} ms: Couldn't connect to server`)
  }
  if (c.kind === 'timeout') {
    const limit = Math.min(connectTimeout !== undefined ? connectTimeout * 1000 : Infinity, maxTime !== undefined ? maxTime * 1000 : Infinity)
    if (limit === Infinity) {
      const ms = KERNEL_CONNECT_TIMEOUT + (hash32(seg.title) % 900)
      io.sh.advance(ms)
      return say(28, `(28) Failed to connect to ${u.host} port ${u.port} after ${ms} ms: Couldn't connect to server`)
    }
    io.sh.advance(limit)
    if (maxTime !== undefined && limit === maxTime * 1000) return say(28, `(28) Connection timed out after ${limit + 1} milliseconds`)
    return say(28, `(28) Failed to connect to ${u.host} port ${u.port} after ${limit} ms: Timeout was reached`)
  }
  const b = body(c.app, u.port, u.path)
  const headers = `HTTP/1.1 ${b.status}\r\nServer: ${b.server}\r\nContent-Type: text/${b.text.startsWith('<!DOCTYPE') ? 'html' : 'plain'}\r\nContent-Length: ${b.text.length}\r\nConnection: keep-alive\r\n\r\n`
  if (verbose) {
    io.err(`* Connected to ${u.host} (${r.ip}) port ${u.port} (#0)\n> ${head ? 'HEAD' : 'GET'} ${u.path} HTTP/1.1\n> Host: ${u.host}${u.port !== 80 ? `:${u.port}` : ''}\n> User-Agent: curl/7.88.1\n> Accept: */*\n> \n`)
    io.err(headers.split('\r\n').map((l) => `< ${l}`).join('\n').replace(/< $/, '<') + '\n')
  }
  const payload = head ? headers : b.text
  if (output === undefined) io.out(payload)
  else if (output !== '/dev/null') io.sh.files = { ...io.sh.files, [output.startsWith('/') ? output : `${io.sh.cwd}/${output}`]: payload }
  if (meter || (output !== undefined && !silent)) io.err(`  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100 ${String(b.text.length).padStart(5)}  100 ${String(b.text.length).padStart(5)}    0     0   600k      0 --:--:-- --:--:-- --:--:--  600k\n`)
  if (verbose) io.err('* Connection #0 to host ' + u.host + ' left intact\n')
  if (write !== undefined) io.out(expandWrite(write, b.status.slice(0, 3), r.ip))
  return 0
}

function expandWrite(fmt: string, code: string, ip: string): string {
  return fmt.replace(/%\{http_code\}|%\{response_code\}/g, code).replace(/%\{remote_ip\}/g, ip).replace(/%\{time_total\}/g, '0.001234').replace(/\\n/g, '\n')
}

/**
 * Start a listening socket in the netns (`nc -lk 80`, `socat TCP-LISTEN:80,fork …`,
 * `python3 -m http.server 80`): it stays open, as a server started in the background would.
 */
export function listen(io: Io, proto: 'tcp' | 'udp', port: number, app: string): number {
  const ns = io.sh.world.netns[io.netns]!
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    io.err(`${app}: port number invalid: ${port}\n`)
    return 1
  }
  if (ns.listeners.some((l) => l.proto === proto && l.port === port)) {
    io.err(`${app}: Address already in use\n`)
    return 1
  }
  io.sh.setWorld(putNetns(io.sh.world, { ...ns, listeners: [...ns.listeners, { proto, port, app }] }))
  io.err(`packetwalk: ${app} listens on ${proto}/${port} here and keeps running in the background\n`)
  return 0
}

export const socat: Command = (io, argv) => {
  const m = /^(TCP|UDP)[46]?-LISTEN:(\d+)/i.exec(argv[1] ?? '') ?? /^(TCP|UDP)[46]?-RECVFROM:(\d+)/i.exec(argv[1] ?? '')
  if (!m) {
    io.err('packetwalk: this socat only starts servers (socat TCP-LISTEN:PORT,fork … or UDP-RECVFROM:PORT,fork …)\n')
    return 1
  }
  return listen(io, m[1]!.toLowerCase() === 'udp' ? 'udp' : 'tcp', Number(m[2]), 'socat')
}

export const python3: Command = (io, argv) => {
  if (argv[1] === '-m' && argv[2] === 'http.server') return listen(io, 'tcp', Number(argv[3] ?? 8000), 'python3')
  io.err('packetwalk: this python3 only runs `python3 -m http.server [PORT]`\n')
  return 1
}

export const nc: Command = (io, argv) => {
  let verbose = false
  let zero = false
  let udp = false
  let listenMode = false
  let localPort: number | undefined
  let wait: number | undefined
  const pos: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-w') wait = Number(argv[++i])
    else if (/^-w\d+$/.test(a)) wait = Number(a.slice(2))
    else if (a === '-p') localPort = Number(argv[++i])
    else if (a === '-s' || a === '-i' || a === '-q' || a === '-X' || a === '-x' || a === '-T' || a === '-I' || a === '-O' || a === '-V' || a === '-M' || a === '-m') i++
    else if (/^-[vzunNdDklr46CFStbh]+$/.test(a)) {
      listenMode ||= a.includes('l')
      verbose ||= a.includes('v')
      zero ||= a.includes('z')
      udp ||= a.includes('u')
    } else pos.push(a)
  }
  if (listenMode) return listen(io, udp ? 'udp' : 'tcp', localPort ?? Number(pos[pos.length - 1]), 'nc')
  const [host, ...portArgs] = pos
  if (host === undefined || portArgs.length === 0) {
    io.err('usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n')
    return 1
  }
  const ports = portArgs.flatMap((p) => {
    const m = /^(\d+)-(\d+)$/.exec(p)
    if (!m) return [Number(p)]
    const out: number[] = []
    for (let x = Number(m[1]); x <= Number(m[2]) && out.length < 64; x++) out.push(x)
    return out
  })
  const proto = udp ? 'udp' : 'tcp'
  const r = resolveHost(io, host)
  if (!r.ip) {
    io.err(`nc: getaddrinfo for host "${host}" port ${portArgs[0]!}: ${r.error === 'nxdomain' ? 'Name or service not known' : 'Temporary failure in name resolution'}\n`)
    return 1
  }
  let status = 0
  for (const port of ports) {
    const route = lookupRoute(io.sh.world.netns[io.netns]!, r.ip)
    if (route.kind === 'none') {
      io.err(`nc: connect to ${host} port ${port} (${proto}) failed: Network is unreachable\n`)
      status = 1
      continue
    }
    const seg = io.sh.trace({ from: io.netns, to: r.ip, proto, dport: port }, `nc ${udp ? '-u ' : ''}${host} ${port}`)
    const c = readConnect(io, seg)
    const ok = `Connection to ${host} ${port} port [${proto}/${SERVICES[port] ?? '*'}] succeeded!\n`
    if (udp) {
      // A UDP "connect" only learns of a closed port from an ICMP port unreachable (then: silent failure).
      if (c.kind === 'error' && c.errno === 'ECONNREFUSED') {
        status = 1
        continue
      }
      if (verbose) io.err(ok)
      continue
    }
    if (c.kind === 'connected') {
      if (verbose) io.err(ok)
      void zero
      continue
    }
    status = 1
    if (c.kind === 'refused') io.err(`nc: connect to ${host} port ${port} (tcp) failed: Connection refused\n`)
    else if (c.kind === 'error') {
      io.sh.advance(c.ms)
      io.err(`nc: connect to ${host} port ${port} (tcp) failed: ${ERRNO_TEXT[c.errno]}\n`)
    } else if (wait !== undefined) {
      io.sh.advance(wait * 1000)
      io.err(`nc: connect to ${host} port ${port} (tcp) timed out: Operation now in progress\n`)
    } else {
      io.sh.advance(KERNEL_CONNECT_TIMEOUT)
      io.err(`nc: connect to ${host} port ${port} (tcp) failed: Connection timed out\n`)
    }
  }
  return status
}
