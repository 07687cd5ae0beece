/**
 * `tcpdump [-i IF] [-n] [-e] [-c N] [-l] [-v] [expression]` arms a capture on an interface of
 * the netns it runs in and returns to the prompt at once, as if started with `&`: every later
 * trace prints the frames that crossed that interface (session.ts, framesOn) in tcpdump's
 * format (tcpdumpPrint.ts). `jobs` lists captures; `kill %N`, `fg` + Ctrl-C or Ctrl-C at the
 * prompt stop them with tcpdump's packet counts.
 * Simplification: `-i any` and writing pcap files (`-w`) are not simulated.
 */
import type { Command } from './session.ts'
import { parseFilter } from './tcpdumpFilter.ts'

export const tcpdump: Command = (io, argv) => {
  let iface: string | undefined
  let numeric = false
  let link = false
  let verbose = false
  let limit: number | undefined
  const words: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-i' || a === '--interface') iface = argv[++i]
    else if (a.startsWith('-i') && a.length > 2) iface = a.slice(2)
    else if (a === '-c') limit = Number(argv[++i])
    else if (a === '-w') {
      io.err('packetwalk: tcpdump -w (writing a pcap file) is not simulated; the packets are printed instead\n')
      i++
    } else if (a === '-s' || a === '-C' || a === '-G' || a === '-W' || a === '-y' || a === '-Q' || a === '-B') i++
    else if (/^-[nelvtqSNKXxAp#U]+$/.test(a)) {
      numeric ||= a.includes('n')
      link ||= a.includes('e')
      verbose ||= a.includes('v')
    } else if (a.startsWith('-')) {
      io.err(`tcpdump: invalid option -- '${a.slice(1, 2)}'\n`)
      return 1
    } else words.push(a)
  }
  const ns = io.sh.world.netns[io.netns]!
  if (iface === undefined) iface = ns.links.find((l) => l.up && l.kind !== 'loopback')?.name ?? 'lo'
  if (iface === 'any') {
    io.err('packetwalk: tcpdump -i any is not simulated; name one interface (ip link shows them)\n')
    return 1
  }
  const dev = ns.links.find((l) => l.name === iface)
  if (!dev) {
    io.err(`tcpdump: ${iface}: No such device exists\n(No such device exists)\n`)
    return 1
  }
  if (!dev.up) {
    io.err(`tcpdump: ${iface}: That device is not up\n`)
    return 1
  }
  const f = parseFilter(words)
  if (f.error) {
    io.err(`tcpdump: ${f.error}\n`)
    return 1
  }
  const job = io.sh.nextJob++
  const command = argv.join(' ')
  io.sh.captures = [...io.sh.captures, { job, netns: io.netns, iface, numeric, link, verbose, ...(f.expr && { filter: f.expr }), filterText: words.join(' '), ...(limit !== undefined && { limit }), count: 0, command }]
  io.err(`${verbose ? '' : 'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n'}listening on ${iface}, link-type ${dev.kind === 'loopback' ? 'EN10MB (Ethernet)' : 'EN10MB (Ethernet)'}, snapshot length 262144 bytes\n`)
  io.err(`packetwalk: capture [${job}] keeps running while you type; packets print as later commands send them. \`kill %${job}\` stops it.\n`)
  return 0
}
