/**
 * lookupRoute, selectSource and addrType against what Linux answered. Every expected value was
 * checked with `ip route get` in a throwaway netns (veth devices d0 d1 d2, Linux 6.x); the
 * comment says what the kernel printed or why.
 */
import { describe, expect, it } from 'vitest'
import { addAddr, addLink, addNetns, emptyWorld, newNetns, setLinkUp } from '../model/ops.ts'
import type { Netns, Route, RoutingRule } from '../model/types.ts'
import { DEFAULT_RULES } from './rules.ts'
import { addrType, lookupRoute, routeSource, selectSource, validateSource } from './fib.ts'
import type { FlowKey, RouteResult } from './fib.ts'

/** A route in the main table; the fields a test does not name are the kernel defaults. */
function route(dst: string, extra: Partial<Route> = {}): Route {
  return { dst, type: 'unicast', table: 'main', scope: extra.via ? 'global' : 'link', proto: 'boot', ...extra }
}

/**
 * A netns with lo (127.0.0.1/8), d1 10.2.0.1/24 and d2 10.3.0.1/24 (up), d0 10.1.1.1/24 (down),
 * then `routes` in the order given (after the connected routes of d1 and d2).
 */
function netns(routes: readonly Route[] = [], opts: { downD1?: boolean } = {}): Netns {
  let w = addNetns(emptyWorld(), newNetns('n', 'plain'))
  for (const [dev, cidr, up] of [
    ['d0', '10.1.1.1/24', false],
    ['d1', '10.2.0.1/24', true],
    ['d2', '10.3.0.1/24', true],
  ] as const) {
    w = addLink(w, 'n', { kind: 'dummy', name: dev })
    if (up) w = setLinkUp(w, 'n', dev, true)
    w = addAddr(w, 'n', dev, cidr)
  }
  const ns = w.netns.n!
  const withRoutes: Netns = { ...ns, routes: [...ns.routes, ...routes] }
  if (!opts.downD1) return withRoutes
  // A down link keeps its routes in the table given here, as an imported dump may; lookup must still skip them.
  return { ...withRoutes, links: withRoutes.links.map((l) => (l.name === 'd1' ? { ...l, up: false } : l)) }
}

/** What `ip route get` would print first: `local`, the chosen route's line, or the error. */
function chosen(r: RouteResult): string {
  if (r.kind === 'local') return `local dev ${r.dev}`
  if (r.kind === 'none') return 'unreachable'
  const x = r.route
  return [x.type !== 'unicast' ? x.type : '', x.dst, x.via ? `via ${x.via}` : '', x.dev ? `dev ${x.dev}` : '', x.metric !== undefined ? `metric ${x.metric}` : ''].filter(Boolean).join(' ')
}

describe('lookupRoute: longest prefix, then lowest metric', () => {
  const table = [
    {
      name: '/32 beats /24 beats /0',
      routes: [route('default', { via: '10.2.0.254', dev: 'd1' }), route('10.9.1.0/24', { dev: 'd2' }), route('10.9.1.7', { dev: 'd1' })],
      cases: [
        // Only the host route covers .7 with 32 bits.
        ['10.9.1.7', '10.9.1.7 dev d1'],
        // .8 misses the /32; the /24 is the longest left.
        ['10.9.1.8', '10.9.1.0/24 dev d2'],
        // Outside 10.9.1.0/24 only the default route matches.
        ['10.9.2.1', 'default via 10.2.0.254 dev d1'],
      ],
    },
    {
      name: 'a longer prefix wins whatever its metric',
      // `ip route add 10.9.1.0/24 dev d2 metric 500` next to 10.9.0.0/16 dev d1: get 10.9.1.1 → dev d2.
      routes: [route('10.9.0.0/16', { dev: 'd1' }), route('10.9.1.0/24', { dev: 'd2', metric: 500 })],
      cases: [['10.9.1.1', '10.9.1.0/24 dev d2 metric 500']],
    },
    {
      name: 'same prefix: the lower metric wins, in any order',
      // fib_table_lookup walks the aliases of one prefix by priority: metric 5 before 100.
      routes: [route('10.9.0.0/16', { dev: 'd1', metric: 100 }), route('10.9.0.0/16', { dev: 'd2', metric: 5 })],
      cases: [['10.9.2.1', '10.9.0.0/16 dev d2 metric 5']],
    },
    {
      name: 'same prefix, same metric: the first one added wins',
      // `ip route append 10.9.0.0/16 dev d1; … dev d2`: get 10.9.1.1 → dev d1 (first alias).
      routes: [route('10.9.0.0/16', { dev: 'd1' }), route('10.9.0.0/16', { dev: 'd2' })],
      cases: [['10.9.1.1', '10.9.0.0/16 dev d1']],
    },
    {
      name: 'metric 0 (no metric) beats an explicit metric 5',
      // `ip route get 10.9.2.1` with both printed `dev d1`: the unset metric is priority 0.
      routes: [route('10.9.0.0/16', { dev: 'd1' }), route('10.9.0.0/16', { dev: 'd2', metric: 5 })],
      cases: [['10.9.2.1', '10.9.0.0/16 dev d1']],
    },
  ] as const

  for (const t of table) {
    it(t.name, () => {
      const ns = netns(t.routes)
      for (const [dst, want] of t.cases) expect(chosen(lookupRoute(ns, dst)), dst).toBe(want)
    })
  }

  it('the connected route of an address is found like any other', () => {
    // addAddr on an up link adds `10.3.0.0/24 dev d2 proto kernel scope link src 10.3.0.1`.
    const r = lookupRoute(netns(), '10.3.0.9')
    expect(r.kind === 'route' && [r.route.dev, r.route.scope, r.route.src, r.route.proto]).toEqual(['d2', 'link', '10.3.0.1', 'kernel'])
  })

  it('no matching route: none (the kernel says "Network is unreachable")', () => {
    expect(lookupRoute(netns(), '8.8.8.8').kind).toBe('none')
  })

  it('routes through a down device are skipped: the next longest prefix answers', () => {
    // After `ip link set d1 down`, get 10.9.5.5 fell from `10.9.5.0/24 via 10.2.0.254 dev d1` to 10.9.0.0/16 dev d2.
    const ns = netns([route('10.9.0.0/16', { dev: 'd2' }), route('10.9.5.0/24', { via: '10.2.0.254', dev: 'd1' })], { downD1: true })
    expect(chosen(lookupRoute(ns, '10.9.5.5'))).toBe('10.9.0.0/16 dev d2')
  })

  it('oif restricts the lookup to routes through that device (ip route get … oif)', () => {
    // The /24 through d1 is longer, but only d2's /16 goes out of d2.
    const ns = netns([route('10.9.0.0/16', { dev: 'd2' }), route('10.9.5.0/24', { dev: 'd1' })])
    expect(chosen(lookupRoute(ns, '10.9.5.5', { oif: 'd2' }))).toBe('10.9.0.0/16 dev d2')
  })

  it('routes of other tables are not consulted (no ip rule: main only)', () => {
    const ns = netns([route('10.9.0.0/16', { dev: 'd2', table: 100 })])
    expect(lookupRoute(ns, '10.9.0.1').kind).toBe('none')
  })
})

describe('lookupRoute: blackhole, unreachable, prohibit', () => {
  // blackhole 10.7.0.0/16, unreachable 10.7.1.0/24, prohibit 10.7.1.128/25: `ip route get` answered
  // "Invalid argument", "No route to host", "Permission denied": the longest prefix decides the type.
  const ns = netns([route('10.7.0.0/16', { type: 'blackhole', scope: 'global' }), route('10.7.1.0/24', { type: 'unreachable', scope: 'global' }), route('10.7.1.128/25', { type: 'prohibit', scope: 'global' })])
  const table = [
    ['10.7.9.9', 'blackhole', 'BLACKHOLE'],
    ['10.7.1.1', 'unreachable', 'UNREACHABLE'],
    ['10.7.1.200', 'prohibit', 'PROHIBIT'],
  ] as const
  for (const [dst, type, addrtype] of table) {
    it(`${dst} → ${type}`, () => {
      const r = lookupRoute(ns, dst)
      expect(r.kind === 'route' && r.route.type).toBe(type)
      // `-m addrtype --dst-type`: inet_addr_type reports the route type of the merged local/main trie.
      expect(addrType(ns, dst)).toBe(addrtype)
    })
  }

  it('a more specific unicast route under a blackhole still wins', () => {
    const withHole = netns([route('10.7.0.0/16', { type: 'blackhole', scope: 'global' }), route('10.7.3.0/24', { dev: 'd2' })])
    expect(chosen(lookupRoute(withHole, '10.7.3.3'))).toBe('10.7.3.0/24 dev d2')
    expect(addrType(withHole, '10.7.3.3')).toBe('UNICAST')
  })
})

describe('lookupRoute: onlink and scope link routes', () => {
  it('an onlink gateway outside every connected prefix is kept with its flag', () => {
    // `ip route add 10.9.3.0/24 via 10.2.0.254 dev d2 onlink`; get → `via 10.2.0.254 dev d2`: the
    // gateway is not in d2's subnet, onlink says "it is on this link anyway".
    const r = lookupRoute(netns([route('10.9.3.0/24', { via: '10.2.0.254', dev: 'd2', onlink: true })]), '10.9.3.3')
    expect(r.kind === 'route' && [r.route.via, r.route.dev, r.route.onlink]).toEqual(['10.2.0.254', 'd2', true])
  })

  it('a scope link route has no gateway: the destination itself is the next hop', () => {
    const r = lookupRoute(netns([route('10.9.4.0/24', { dev: 'd1' })]), '10.9.4.4')
    expect(r.kind === 'route' && [r.route.via, r.route.scope]).toEqual([undefined, 'link'])
  })
})

describe('the local table (addresses of the netns)', () => {
  const table = [
    // `ip route get 10.3.0.1` → `local 10.3.0.1 dev lo`: the local table is consulted before main.
    ['own address on an up link', '10.3.0.1', 'local dev d2'],
    // d0 is down, yet get 10.1.1.1 → local: fib_add_ifaddr adds the local route before checking IFF_UP.
    ['own address on a down link', '10.1.1.1', 'local dev d0'],
    // `local 127.0.0.0/8 dev lo`: any 127.x is local, not just 127.0.0.1.
    ['127.0.0.2 through the lo prefix', '127.0.0.2', 'local dev lo'],
    // 10.1.1.2 is only in d0's prefix, and d0's connected route went with it down.
    ['a neighbour on the down link', '10.1.1.2', 'unreachable'],
  ] as const
  for (const [name, dst, want] of table) {
    it(name, () => {
      expect(chosen(lookupRoute(netns(), dst))).toBe(want)
    })
  }

  it('a local address beats a /32 main route to it', () => {
    // `ip route add 10.1.1.1/32 dev d2`; get 10.1.1.1 still printed `local 10.1.1.1 dev lo`.
    expect(chosen(lookupRoute(netns([route('10.1.1.1', { dev: 'd2' })]), '10.1.1.1'))).toBe('local dev d0')
    // skipLocal (a forwarded packet's main-table lookup, addrType's route type) sees the /32.
    expect(chosen(lookupRoute(netns([route('10.1.1.1', { dev: 'd2' })]), '10.1.1.1', { skipLocal: true }))).toBe('10.1.1.1 dev d2')
  })

  it('an address with a prefix on lo makes the whole prefix local (AnyIP)', () => {
    // `ip addr add 10.5.0.1/24 dev lo`; get 10.5.0.77 → `local 10.5.0.77 dev lo src 10.5.0.1`.
    let w = addNetns(emptyWorld(), newNetns('n', 'plain'))
    w = addAddr(w, 'n', 'lo', '10.5.0.1/24')
    expect(chosen(lookupRoute(w.netns.n!, '10.5.0.77'))).toBe('local dev lo')
    expect(addrType(w.netns.n!, '10.5.0.77')).toBe('LOCAL')
  })

  it('127.0.0.2 stays local after `ip link set lo down` (the local route has host scope)', () => {
    // `ip link set lo down; ip route get 127.0.0.2` → `local 127.0.0.2 dev lo src 127.0.0.1`.
    const ns = netns()
    const down: Netns = { ...ns, links: ns.links.map((l) => (l.kind === 'loopback' ? { ...l, up: false } : l)) }
    expect(chosen(lookupRoute(down, '127.0.0.2'))).toBe('local dev lo')
  })

  it('a fresh netns (lo down, no address) has nothing local', () => {
    // `ip netns add x; ip netns exec x ip route get 127.0.0.1` → Network is unreachable.
    const w = addNetns(emptyWorld(), newNetns('n', 'plain', { loUp: false }))
    expect(lookupRoute(w.netns.n!, '127.0.0.1').kind).toBe('none')
  })
})

describe('selectSource: the preferred source of a route', () => {
  const ns = netns()
  const table = [
    // `ip route add 10.9.4.0/24 dev d1 src 10.3.0.1`; get → `dev d1 src 10.3.0.1`: src wins even from another device.
    ['route src', 'd1', '10.9.4.4', '10.3.0.1', '10.3.0.1'],
    // `10.9.5.0/24 via 10.2.0.254` → `src 10.2.0.1`: d1's address in the gateway's subnet.
    ['address of the out device in the gateway subnet', 'd1', '10.2.0.254', undefined, '10.2.0.1'],
    // `via 10.2.0.254 dev d2 onlink` → `src 10.3.0.1`: d2's only address, though not in the gateway's subnet.
    ['first address of the out device otherwise', 'd2', '10.2.0.254', undefined, '10.3.0.1'],
  ] as const
  for (const [name, dev, nexthop, src, want] of table) {
    it(name, () => {
      expect(selectSource(ns, dev, nexthop, src)).toBe(want)
    })
  }

  /**
   * Checked in a netns with veths dA (no address), dB 10.7.7.7/24 scope link, dC 10.8.8.8/24,
   * `10.50.0.0/16 dev dA`: `ip route get 10.50.0.1` printed each `src` below as it changed.
   */
  function fallbackNetns(extra: { lo?: string; dA?: string } = {}): Netns {
    let w = addNetns(emptyWorld(), newNetns('n', 'plain'))
    for (const d of ['dA', 'dB', 'dC']) {
      w = addLink(w, 'n', { kind: 'dummy', name: d })
      w = setLinkUp(w, 'n', d, true)
    }
    w = addAddr(w, 'n', 'dB', '10.7.7.7/24', { scope: 'link' })
    w = addAddr(w, 'n', 'dC', '10.8.8.8/24')
    if (extra.lo) w = addAddr(w, 'n', 'lo', extra.lo, { scope: 'global' })
    if (extra.dA) w = addAddr(w, 'n', 'dA', extra.dA, { scope: 'link' })
    return w.netns.n!
  }

  it('no address on the device: the first global one of the netns, never a link-scope one', () => {
    // src 10.8.8.8: dB comes first but its address is link scope (in_dev_select_addr skips RT_SCOPE_LINK).
    expect(selectSource(fallbackNetns(), 'dA', '10.50.0.1')).toBe('10.8.8.8')
  })

  it('a global address on lo comes first (devices in ifindex order)', () => {
    // After `ip addr add 10.9.9.9/32 dev lo`: src 10.9.9.9; lo's 127.0.0.1 is host scope and never taken.
    expect(selectSource(fallbackNetns({ lo: '10.9.9.9/32' }), 'dA', '10.50.0.1')).toBe('10.9.9.9')
  })

  it("a scope link route may use the device's link-scope address; a gateway route may not", () => {
    const ns2 = fallbackNetns({ lo: '10.9.9.9/32', dA: '10.6.6.6/24' })
    // `10.50.0.0/16 dev dA` (scope link): src 10.6.6.6.
    expect(selectSource(ns2, 'dA', '10.50.0.1', undefined, 'link')).toBe('10.6.6.6')
    // `10.60.0.0/16 via 10.6.6.1 dev dA` (scope global): src 10.9.9.9, though the gateway is in 10.6.6.0/24.
    expect(selectSource(ns2, 'dA', '10.6.6.1', undefined, 'global')).toBe('10.9.9.9')
  })

  it('routeSource passes the route\'s own scope: a gateway route skips the link-scope address', () => {
    // Kernel (veths pwSa0 169.254.1.1/16 scope link, pwSa1 10.9.9.9/24): `8.8.8.0/24 via 169.254.1.2 dev pwSa0`
    // → `src 10.9.9.9`; `7.7.7.0/24 dev pwSa0` → `src 169.254.1.1`; `6.6.6.0/24 dev pwSa0 scope host` → `src 169.254.1.1`.
    const ns2 = fallbackNetns({ dA: '10.6.6.6/24' })
    expect(routeSource(ns2, route('10.60.0.0/16', { via: '10.6.6.1', dev: 'dA' }), '10.60.0.1')).toBe('10.8.8.8')
    expect(routeSource(ns2, route('10.50.0.0/16', { dev: 'dA' }), '10.50.0.1')).toBe('10.6.6.6')
    expect(routeSource(ns2, route('10.40.0.0/16', { dev: 'dA', scope: 'host' }), '10.40.0.1')).toBe('10.6.6.6')
    // The route's src still wins.
    expect(routeSource(ns2, route('10.60.0.0/16', { via: '10.6.6.1', dev: 'dA', src: '10.6.6.6' }), '10.60.0.1')).toBe('10.6.6.6')
  })

  it('a secondary address is not chosen', () => {
    // 10.3.0.9/24 is inside d2's 10.3.0.1/24, so it is secondary: inet_select_addr takes primaries only.
    let w = addNetns(emptyWorld(), newNetns('n', 'plain'))
    w = addLink(w, 'n', { kind: 'dummy', name: 'd2' })
    w = setLinkUp(w, 'n', 'd2', true)
    w = addAddr(w, 'n', 'd2', '10.3.0.1/24')
    w = addAddr(w, 'n', 'd2', '10.3.0.9/24')
    w = addAddr(w, 'n', 'd2', '10.4.0.1/24')
    expect(selectSource(w.netns.n!, 'd2', '10.3.0.200')).toBe('10.3.0.1')
    expect(selectSource(w.netns.n!, 'd2', '8.8.8.8')).toBe('10.3.0.1')
  })
})

describe('lookupRoute: policy routing rules (ip rule)', () => {
  const rule = (r: RoutingRule): RoutingRule => r
  /** The defaults plus `extra`, sorted by priority as the kernel keeps them. */
  const rules = (...extra: RoutingRule[]): RoutingRule[] => [...DEFAULT_RULES, ...extra].sort((a, b) => a.priority - b.priority)
  const base = [route('default', { via: '10.2.0.254', dev: 'd1' }), route('9.9.9.9', { via: '10.3.0.2', dev: 'd2', table: 100, scope: 'global' }), route('default', { via: '10.3.0.254', dev: 'd2', table: 200, scope: 'global' })]
  const withRules = (...extra: RoutingRule[]): Netns => ({ ...netns(base), rules: rules(...extra) })
  const table: { name: string; ns: Netns; dst: string; flow: FlowKey; want: string }[] = [
    // Checked on Linux 6.x with `ip route get 9.9.9.9 from 10.0.1.3 iif ra`: table 100's route.
    { name: '`from` selects table 100 for a forwarded packet', ns: withRules(rule({ priority: 100, from: '10.0.1.3', action: 'lookup', table: 100 })), dst: '9.9.9.9', flow: { src: '10.0.1.3', iif: 'd1' }, want: '9.9.9.9 via 10.3.0.2 dev d2' },
    // Another source misses the rule: main table's default route (same kernel check, from 10.0.1.2).
    { name: 'another source stays on main', ns: withRules(rule({ priority: 100, from: '10.0.1.3', action: 'lookup', table: 100 })), dst: '9.9.9.9', flow: { src: '10.0.1.2', iif: 'd1' }, want: 'default via 10.2.0.254 dev d1' },
    // No source chosen yet (0.0.0.0): a `from 10.0.1.3` rule cannot match.
    { name: 'an unchosen source matches only `from all`', ns: withRules(rule({ priority: 100, from: '10.0.1.3', action: 'lookup', table: 100 })), dst: '9.9.9.9', flow: {}, want: 'default via 10.2.0.254 dev d1' },
    // Table 100 has no route for 8.8.8.8: the lookup passes to main (-EAGAIN goes on).
    { name: 'a table without a matching route passes on', ns: withRules(rule({ priority: 100, action: 'lookup', table: 100 })), dst: '8.8.8.8', flow: {}, want: 'default via 10.2.0.254 dev d1' },
    // fwmark 0x80/0x80 matches 0x4080 (masked), not 0x4000.
    { name: 'fwmark with a mask', ns: withRules(rule({ priority: 50, fwmark: 0x80, fwmask: 0x80, action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: { mark: 0x4080 }, want: 'default via 10.3.0.254 dev d2' },
    { name: 'fwmark miss', ns: withRules(rule({ priority: 50, fwmark: 0x80, fwmask: 0x80, action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: { mark: 0x4000 }, want: 'default via 10.2.0.254 dev d1' },
    // `not from 10.0.0.0/8`: a 192.168 source matches the inverted selector.
    { name: 'not inverts the selectors', ns: withRules(rule({ priority: 60, not: true, from: '10.0.0.0/8', action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: { src: '192.168.1.1' }, want: 'default via 10.3.0.254 dev d2' },
    // `iif lo` is what a locally generated packet has.
    { name: 'iif lo matches local output', ns: withRules(rule({ priority: 70, iif: 'lo', action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: {}, want: 'default via 10.3.0.254 dev d2' },
    { name: 'iif lo misses a forwarded packet', ns: withRules(rule({ priority: 70, iif: 'lo', action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: { iif: 'd1' }, want: 'default via 10.2.0.254 dev d1' },
    // suppress_prefixlength 0 rejects table 200's default route (/0), so main decides... which is also /0,
    // but main comes from a later rule without suppression.
    { name: 'suppress_prefixlength 0 ignores a default route', ns: withRules(rule({ priority: 80, action: 'lookup', table: 200, suppressPrefixlength: 0 })), dst: '8.8.8.8', flow: {}, want: 'default via 10.2.0.254 dev d1' },
    // ipproto/dport: only tcp to port 80 takes table 200.
    { name: 'ipproto and dport', ns: withRules(rule({ priority: 90, ipproto: 'tcp', dport: { from: 80, to: 90 }, action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: { proto: 'tcp', dport: 85 }, want: 'default via 10.3.0.254 dev d2' },
    { name: 'ipproto and dport miss (udp)', ns: withRules(rule({ priority: 90, ipproto: 'tcp', dport: { from: 80, to: 90 }, action: 'lookup', table: 200 })), dst: '8.8.8.8', flow: { proto: 'udp', dport: 85 }, want: 'default via 10.2.0.254 dev d1' },
    // goto skips the rules between: rule 20 would send to table 200, goto 30 jumps over it to main's rule at 30.
    { name: 'goto jumps over rules', ns: withRules(rule({ priority: 10, action: 'goto', goto: 30 }), rule({ priority: 20, action: 'lookup', table: 200 }), rule({ priority: 30, action: 'lookup', table: 'main' })), dst: '8.8.8.8', flow: {}, want: 'default via 10.2.0.254 dev d1' },
    // An unreachable rule ends the lookup (ping: "Network is unreachable"), whatever main holds.
    { name: 'unreachable rule', ns: withRules(rule({ priority: 5, to: '8.8.8.8', action: 'unreachable' })), dst: '8.8.8.8', flow: {}, want: 'unreachable 8.8.8.8' },
    // A throw route passes the lookup to the next rule.
    { name: 'throw passes on', ns: { ...netns([...base, route('8.8.0.0/16', { type: 'throw', table: 200, scope: 'global' })]), rules: rules(rule({ priority: 40, action: 'lookup', table: 200 })) }, dst: '8.8.8.8', flow: {}, want: 'default via 10.2.0.254 dev d1' },
    // The local rule (priority 0) still wins for a local address.
    { name: 'local before everything', ns: withRules(rule({ priority: 1, action: 'lookup', table: 200 })), dst: '10.2.0.1', flow: {}, want: 'local dev d1' },
    // Without the main rule, nothing routes 8.8.8.8: Network is unreachable.
    { name: 'no main rule: unreachable', ns: { ...netns(base), rules: [DEFAULT_RULES[0]!] }, dst: '8.8.8.8', flow: {}, want: 'unreachable' },
  ]
  it.each(table)('$name', ({ ns, dst, flow, want }) => {
    expect(chosen(lookupRoute(ns, dst, flow))).toBe(want)
  })

  it('names the rule that chose the table', () => {
    const r = lookupRoute(withRules(rule({ priority: 100, from: '10.0.1.3', action: 'lookup', table: 100 })), '9.9.9.9', { src: '10.0.1.3' })
    expect(r.kind === 'route' && r.rule?.priority).toBe(100)
    expect(r.explain).toContain('rule 100 (from 10.0.1.3 lookup 100)')
  })
})

describe('validateSource: martian sources and rp_filter (fib_validate_source)', () => {
  // n: d1 10.2.0.1/24, d2 10.3.0.1/24 (up); main: default via 10.2.0.254 dev d1; 10.9.0.0/16 via 10.3.0.254 dev d2.
  const base = netns([route('default', { via: '10.2.0.254', dev: 'd1' }), route('10.9.0.0/16', { via: '10.3.0.254', dev: 'd2', scope: 'global' })])
  const withRpf = (rpf: 0 | 1 | 2, dev?: { name: string; rpFilter: 0 | 1 | 2 }): Netns => ({
    ...base,
    sysctl: { ...base.sysctl, 'net.ipv4.conf.all.rp_filter': rpf },
    links: base.links.map((l) => (dev && l.name === dev.name ? { ...l, rpFilter: dev.rpFilter } : l)),
  })
  const verdict = (c: ReturnType<typeof validateSource>) => (c.ok ? 'ok' : c.why)
  const table: [string, Netns, string, string, string][] = [
    // One of n's own addresses coming in from outside: a martian whatever rp_filter says.
    ['own address as source', withRpf(0), '10.3.0.1', '10.2.0.1', 'martian'],
    // rp_filter 0: a source routed back by another device is fine.
    ['rp_filter 0, asymmetric', withRpf(0), '10.9.1.1', '10.2.0.1', 'ok'],
    // Strict: 10.9.1.1 is routed back by d2, the packet came in on d1.
    ['strict, asymmetric', withRpf(1), '10.9.1.1', '10.2.0.1', 'rp_filter'],
    ['strict, symmetric', withRpf(1), '10.2.0.7', '10.2.0.1', 'ok'],
    // Loose: any way back will do.
    ['loose, asymmetric', withRpf(2), '10.9.1.1', '10.2.0.1', 'ok'],
    // The device's own setting counts when larger: conf.d1.rp_filter=1 with conf.all 0.
    ['device strict, all 0', withRpf(0, { name: 'd1', rpFilter: 1 }), '10.9.1.1', '10.2.0.1', 'rp_filter'],
    ['device strict on the other device only', withRpf(0, { name: 'd2', rpFilter: 1 }), '10.9.1.1', '10.2.0.1', 'ok'],
  ]
  it.each(table)('%s', (_name, ns, src, dst, want) => {
    expect(verdict(validateSource(ns, src, dst, 'd1'))).toBe(want)
  })

  it('loose: no way back at all fails (no default route)', () => {
    const bare = { ...netns([]), sysctl: { ...netns([]).sysctl, 'net.ipv4.conf.all.rp_filter': 2 as const } }
    const c = validateSource(bare, '8.8.8.8', '10.2.0.1', 'd1')
    expect(c.ok ? null : [c.why, c.sysctl]).toEqual(['rp_filter', { key: 'net.ipv4.conf.all.rp_filter', value: '2' }])
  })
})
