/**
 * Every command the shell knows, by name. Absolute paths of known tools (/usr/sbin/ip,
 * /sbin/iptables) resolve to the same commands; /opt/cni/bin/<plugin> runs a CNI plugin.
 */
import { BUILTINS } from './builtins.ts'
import { bridge } from './bridge.ts'
import { birdc, calicoctl } from './calico.ts'
import { cniPlugin } from './cni.ts'
import { curl, nc, python3, socat } from './connect.ts'
import { dig, nslookup } from './dnsTools.ts'
import { ip } from './ip.ts'
import { crictl, kubectl } from './kube.ts'
import { conntrack, iptables, iptablesRestore, iptablesSave } from './netfilter.ts'
import { ping } from './ping.ts'
import type { Command } from './session.ts'
import { sysctl } from './sysctl.ts'
import { tcpdump } from './tcpdump.ts'

const help: Command = (io) => {
  io.out(`packetwalk shell: the commands of the curriculum, answering as the real tools do.

  network     ip (netns, link, addr, route, neigh), bridge (link, fdb), sysctl
  netfilter   iptables, iptables-save, iptables-restore, conntrack
  traffic     ping, curl, nc, nslookup, dig, tcpdump (runs in the background; kill %N stops it)
  kubernetes  kubectl (get, scale, expose, delete pod, apply -f -, exec), crictl (pods, ps, inspectp),
              calicoctl node status, birdc show protocols (on a node of a Calico cluster)
  CNI         CNI_COMMAND=ADD … /opt/cni/bin/bridge < conf.json (bridge, host-local, loopback, portmap, flannel)
  files       cat /etc/resolv.conf, ls /etc/cni/net.d/, cat /run/flannel/subnet.env
  shell       export, echo, cat, grep, head, tail, wc, |, ;, &&, $VAR, $(cmd), << EOF
  moving      ip netns exec NS bash, kubectl exec -it POD -- sh, ssh NODE, exit, whereami

Every command changes the simulated world at once; each packet a command sends is traced.
`)
  return 0
}

const NETWORK: Readonly<Record<string, Command>> = {
  ip,
  bridge,
  iptables,
  'iptables-legacy': iptables,
  'iptables-nft': iptables,
  'iptables-save': iptablesSave,
  'iptables-legacy-save': iptablesSave,
  'iptables-nft-save': iptablesSave,
  'iptables-restore': iptablesRestore,
  'iptables-legacy-restore': iptablesRestore,
  'iptables-nft-restore': iptablesRestore,
  conntrack,
  sysctl,
  ping,
  curl,
  nc,
  netcat: nc,
  socat,
  python3,
  nslookup,
  dig,
  tcpdump,
  kubectl,
  crictl,
  calicoctl,
  birdc,
  birdcl: birdc,
  help,
}

const TABLE: Readonly<Record<string, Command>> = { ...BUILTINS, ...NETWORK }

const BIN_DIRS = /^\/(usr\/)?(local\/)?s?bin\//

/** The command a name (or path) runs, if any. */
export function findCommand(name: string): Command | undefined {
  if (name.startsWith('/opt/cni/bin/') || name.startsWith('./') && name.length > 2) {
    const plugin = name.slice(name.lastIndexOf('/') + 1)
    return (io, argv) => cniPlugin(io, [plugin, ...argv.slice(1)])
  }
  if (BIN_DIRS.test(name)) return TABLE[name.replace(BIN_DIRS, '')]
  return Object.prototype.hasOwnProperty.call(TABLE, name) ? TABLE[name] : undefined
}

/** The names the unknown-command message lists (network tools first). */
export function commandNames(): string[] {
  return [...Object.keys(NETWORK).filter((n) => !n.includes('-legacy') && !n.includes('-nft') && n !== 'netcat' && n !== 'help'), 'help']
}

/** Every command name, for tab completion. */
export function allCommandNames(): string[] {
  return Object.keys(TABLE).sort()
}
