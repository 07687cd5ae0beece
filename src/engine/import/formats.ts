/**
 * The formats the importer recognises, and for the ones it recognises but cannot use, the
 * sentence that tells the user which command to run instead.
 */

export type DumpFormat =
  // read into the model
  | 'iptables-save'
  | 'iptables-S'
  | 'ip-link' // `ip link`, `ip addr`, with -d / -s / -o
  | 'ip-brief' // `ip -br link|addr`
  | 'ip-route'
  | 'ip-neigh'
  | 'ip-rule'
  | 'bridge-fdb'
  | 'bridge-link'
  | 'ip-json' // `ip -j …`, `bridge -j …`
  | 'resolv-conf'
  | 'conntrack'
  | 'ipset' // `ipset save`, `ipset list`
  | 'sysctl'
  | 'flannel-env'
  | 'cni-conf'
  | 'hostname'
  | 'iptables-version'
  // structure of the paste itself
  | 'bundle' // collector section markers
  | 'prompt'
  | 'blank'
  | 'decoration' // markdown fences, grep's `--` separators
  // recognised, not supported
  | 'iptables-L'
  | 'nft'
  | 'ipvsadm'
  | 'ip-route-get'
  | 'ip6tables'
  // nothing we know
  | 'unknown'

export const UNSUPPORTED: Partial<Record<DumpFormat, string>> = {
  'iptables-L':
    'this is `iptables -L` output, which drops the details needed to trace (matches are abbreviated, interfaces and negations are hidden without -v, names are resolved without -n); run `iptables-save` instead',
  nft: 'this is `nft list ruleset` output, which the engine does not read yet; on a node where iptables uses the nf_tables backend, `iptables-save` prints the same rules in a form it reads (for kube-proxy in nftables mode there is no substitute yet)',
  ipvsadm:
    'this is `ipvsadm -Ln` output: kube-proxy runs in IPVS mode on this node, which the engine does not simulate yet (only iptables mode); the Services are listed but cannot be traced',
  'ip-route-get': 'this is `ip route get` output, the answer to one lookup rather than the table; run `ip route` (or `ip route show table all`) instead',
  ip6tables: 'this is ip6tables output: the engine models IPv4 only; run `iptables-save` for the IPv4 rules',
}

/** Formats whose lines are read into the model (the rest are structure or unsupported). */
export function isModelFormat(f: DumpFormat): boolean {
  return !(f in UNSUPPORTED) && f !== 'unknown' && f !== 'prompt' && f !== 'blank' && f !== 'decoration' && f !== 'bundle'
}
