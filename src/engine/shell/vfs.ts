/**
 * The files a learner reads on a node or in a pod, computed from the world: /etc/resolv.conf
 * (per netns), /etc/cni/net.d/* and /run/flannel/subnet.env (the node's CNI), host-local's
 * reservations under /var/lib/cni/networks, /proc/sys/net/... (the sysctls),
 * /sys/class/net/IF/{address,mtu,operstate,ifindex}, plus files the user wrote with `>` or a
 * here-document. Writing /proc/sys/… sets the sysctl, as `echo 1 > /proc/sys/net/ipv4/ip_forward`
 * does. Simplification: one file tree per machine is not modelled; user files are shared.
 */
import type { World } from '../model/types.ts'
import { printResolvConf } from '../kube/dns.ts'
import { readSysctl, writeSysctl } from './sysctlTable.ts'
import type { Session } from './session.ts'

export type ReadResult = { ok: true; text: string } | { ok: false; error: 'ENOENT' | 'EISDIR' }

/** An absolute path for what the user typed, relative to the working directory. */
export function absPath(cwd: string, p: string, home = '/root'): string {
  let path = p === '~' ? home : p.startsWith('~/') ? `${home}${p.slice(1)}` : p
  if (!path.startsWith('/')) path = `${cwd.replace(/\/$/, '')}/${path}`
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return `/${out.join('/')}`
}

function nodeOf(w: World, netns: string): string | undefined {
  const ns = w.netns[netns]
  return ns?.node ?? (ns?.kind === 'host' ? ns.name : undefined)
}

function cniFiles(w: World, netns: string): Record<string, string> {
  const ns = w.netns[netns]
  if (!ns || ns.kind !== 'host') return {}
  const node = w.cluster?.nodes.find((n) => n.name === nodeOf(w, netns))
  if (!node) return {}
  const confPath = node.cniConfFile.startsWith('/') ? node.cniConfFile : `/etc/cni/net.d/${node.cniConfFile}`
  const files: Record<string, string> = { [confPath]: node.cniConf.endsWith('\n') ? node.cniConf : `${node.cniConf}\n` }
  if (node.flannel) {
    files['/run/flannel/subnet.env'] = node.flannel.subnetEnv
    const dir = node.flannel.ipam.dataDir.replace(/\/$/, '')
    for (const [ip, r] of Object.entries(node.flannel.ipam.reserved)) files[`${dir}/${ip}`] = `${r.containerId}\r\n${r.ifname}`
    if (node.flannel.ipam.lastReserved) files[`${dir}/last_reserved_ip.0`] = node.flannel.ipam.lastReserved
    files[`${dir}/lock`] = ''
  }
  return files
}

function sysClassNet(w: World, netns: string, path: string): string | undefined {
  const m = /^\/sys\/class\/net\/([^/]+)\/(address|mtu|operstate|ifindex|iflink)$/.exec(path)
  if (!m) return undefined
  const l = w.netns[netns]?.links.find((x) => x.name === m[1])
  if (!l) return undefined
  switch (m[2]) {
    case 'address':
      return `${l.mac}\n`
    case 'mtu':
      return `${l.mtu}\n`
    case 'operstate':
      return `${l.up ? (l.kind === 'loopback' || l.kind === 'vxlan' ? 'unknown' : 'up') : 'down'}\n`
    case 'ifindex':
      return `${l.ifindex}\n`
    default: {
      const peer = l.kind === 'veth' && l.peer ? w.netns[l.peer.netns]?.links.find((x) => x.name === l.peer!.name) : undefined
      return `${peer?.ifindex ?? l.ifindex}\n`
    }
  }
}

/** Every path that exists for a netns (for `ls` and globs). */
export function listFiles(sh: Session, netns: string): string[] {
  const w = sh.world
  const ns = w.netns[netns]
  const paths = new Set<string>(Object.keys(sh.files).filter((p) => !p.includes('#')))
  if (ns?.resolvConf || w.netns[sh.machine]?.resolvConf) paths.add('/etc/resolv.conf')
  paths.add('/etc/hostname')
  for (const p of Object.keys(cniFiles(w, netns))) paths.add(p)
  for (const l of ns?.links ?? []) for (const f of ['address', 'mtu', 'operstate', 'ifindex', 'iflink']) paths.add(`/sys/class/net/${l.name}/${f}`)
  return [...paths].sort()
}

/** Read a file as `cat` would in this netns. */
export function readFile(sh: Session, netns: string, path: string): ReadResult {
  const w = sh.world
  if (path === '/dev/null') return { ok: true, text: '' }
  const user = sh.files[path]
  if (user !== undefined) return { ok: true, text: user }
  if (path === '/etc/resolv.conf') {
    const rc = w.netns[netns]?.resolvConf ?? w.netns[sh.machine]?.resolvConf
    return rc ? { ok: true, text: printResolvConf(rc) } : { ok: false, error: 'ENOENT' }
  }
  if (path === '/etc/hostname') {
    const ns = w.netns[netns]
    return { ok: true, text: `${ns?.pod?.name ?? nodeOf(w, netns) ?? netns}\n` }
  }
  const cni = cniFiles(w, netns)[path]
  if (cni !== undefined) return { ok: true, text: cni }
  if (path.startsWith('/proc/sys/')) {
    const v = readSysctl(w, netns, sh.files, path.slice('/proc/sys/'.length).replace(/\//g, '.'))
    return v !== undefined ? { ok: true, text: `${v}\n` } : { ok: false, error: 'ENOENT' }
  }
  // The pause container's command line (curriculum 8.1: cat /proc/<pid>/cmdline | tr '\0' '\n').
  const proc = /^\/proc\/(\d+)\/cmdline$/.exec(path)
  if (proc && Object.values(w.netns).some((n) => n.pod?.pausePid === Number(proc[1]))) return { ok: true, text: '/pause\0' }
  const sys = sysClassNet(w, netns, path)
  if (sys !== undefined) return { ok: true, text: sys }
  if (listFiles(sh, netns).some((p) => p.startsWith(`${path}/`))) return { ok: false, error: 'EISDIR' }
  return { ok: false, error: 'ENOENT' }
}

/** Write (or append to) a file; /proc/sys/… sets the sysctl. Returns an error text or undefined. */
export function writeFile(sh: Session, netns: string, path: string, text: string, append: boolean): string | undefined {
  if (path === '/dev/null') return undefined
  if (path.startsWith('/proc/sys/')) {
    const key = path.slice('/proc/sys/'.length).replace(/\//g, '.')
    const r = writeSysctl(sh.world, netns, sh.files, key, text.trim())
    if (r.error) return r.error === 'ENOENT' ? 'No such file or directory' : 'Invalid argument'
    if (r.world !== sh.world) sh.setWorld(r.world)
    if (r.files) sh.files = r.files
    return undefined
  }
  if (path === '/etc/resolv.conf') return writeResolvConf(sh, netns, append ? (readFile(sh, netns, path).ok ? (readFile(sh, netns, path) as { text: string }).text : '') + text : text)
  if (path.startsWith('/sys/')) return 'Permission denied'
  sh.files = { ...sh.files, [path]: append ? (sh.files[path] ?? '') + text : text }
  return undefined
}

/** Editing /etc/resolv.conf changes the netns's resolver (nameserver, search, options ndots). */
function writeResolvConf(sh: Session, netns: string, text: string): string | undefined {
  const ns = sh.world.netns[netns]
  if (!ns) return 'No such file or directory'
  const nameservers: string[] = []
  let search: string[] = []
  let ndots = 1
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/)
    if (key === 'nameserver' && rest[0]) nameservers.push(rest[0])
    if (key === 'search') search = rest
    if (key === 'options') for (const o of rest) if (o.startsWith('ndots:')) ndots = Number(o.slice(6)) || 0
  }
  sh.setWorld({ ...sh.world, netns: { ...sh.world.netns, [netns]: { ...ns, resolvConf: { nameservers, search, ndots } } } })
  return undefined
}
