/**
 * Stable diagnostic codes of the dump importer (area IP in src/engine/diagnostics.ts):
 * iproute2, bridge, conntrack, sysctl, resolv.conf and the block splitter. A code never
 * changes meaning once published; new problems get new codes.
 */
export const IMPORT_CODES = {
  IP001: 'line not understood',
  IP002: 'format recognised but not supported',
  IP003: 'bad address or prefix',
  IP004: 'unknown attribute ignored',
  IP005: 'entry without a device',
  IP006: 'IPv6 entry not modelled',
  IP007: 'multipath route: first nexthop only',
  IP008: 'JSON output that does not parse',
  IP009: 'policy routing rules present',
  IP010: 'several outputs of the same table; the later one wins',
  IP011: 'unknown routing table name',
  IP012: 'conntrack entry of a protocol the engine does not model',
  IP013: 'sysctl not available on the node',
  IP014: 'both iptables backends hold rules',
  IP015: 'interface kind guessed from its name',
  IP016: 'grep excerpt: only part of the output was pasted',
} as const

export type ImportCode = keyof typeof IMPORT_CODES
