/**
 * Text layout the real tools share: Go's text/tabwriter (kubectl, crictl), Kubernetes'
 * HumanDuration (AGE), C's `date` format (dig's WHEN, iptables-save's header) and
 * tcpdump's time of day. Pure functions of their inputs: times are simulated milliseconds
 * since the Unix epoch, printed in UTC.
 */

/**
 * Go's `tabwriter.NewWriter(out, minwidth, tabwidth, padding, ' ', 0)` for rows whose cells
 * are tab-separated: every cell but the last of a line is padded to its column's width
 * (widest cell + padding, at least minwidth).
 *
 * @example
 * tabwrite([['NAME', 'READY'], ['web-1', '1/1']], { minwidth: 6, padding: 3 }) // 'NAME     READY\nweb-1    1/1\n'
 */
export function tabwrite(rows: readonly (readonly string[])[], opts: { minwidth: number; padding: number }): string {
  const widths: number[] = []
  for (const r of rows) {
    for (let c = 0; c < r.length - 1; c++) widths[c] = Math.max(widths[c] ?? 0, Math.max(opts.minwidth, r[c]!.length + opts.padding))
  }
  return rows.map((r) => r.map((cell, c) => (c < r.length - 1 ? cell.padEnd(widths[c]!) : cell)).join('')).join('\n') + (rows.length ? '\n' : '')
}

/** kubectl's table writer: tabwriter(minwidth 6, tabwidth 4, padding 3). */
export function kubectlTable(rows: readonly (readonly string[])[]): string {
  return tabwrite(rows, { minwidth: 6, padding: 3 })
}

/** crictl's table writer: tabwriter(minwidth 20, tabwidth 1, padding 3). */
export function crictlTable(rows: readonly (readonly string[])[]): string {
  return tabwrite(rows, { minwidth: 20, padding: 3 })
}

/** k8s.io/apimachinery duration.HumanDuration: `45s`, `3m20s`, `15m`, `2h10m`, `3d4h`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  return `${Math.floor(hours / 24 / 365)}y`
}

/** go-units HumanDuration as crictl prints CREATED: `About a minute ago`, `5 minutes ago`. */
export function unitsAgo(ms: number): string {
  const s = Math.floor(ms / 1000)
  let text: string
  if (s < 1) text = 'Less than a second'
  else if (s === 1) text = '1 second'
  else if (s < 60) text = `${s} seconds`
  else {
    const m = Math.floor(s / 60)
    if (m === 1) text = 'About a minute'
    else if (m < 60) text = `${m} minutes`
    else {
      const h = Math.round(s / 3600)
      if (h === 1) text = 'About an hour'
      else if (h < 48) text = `${h} hours`
      else text = `${Math.floor(h / 24)} days`
    }
  }
  return `${text} ago`
}

const DAYS = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Civil date (UTC) of a time in ms since the epoch (Howard Hinnant's days_from_civil, inverted). */
export function civil(ms: number): { year: number; month: number; day: number; weekday: string; hh: number; mm: number; ss: number; us: number } {
  const days = Math.floor(ms / 86_400_000)
  const rest = ms - days * 86_400_000
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  const totalUs = Math.round(rest * 1000)
  return {
    year,
    month,
    day,
    weekday: DAYS[((days % 7) + 7) % 7]!,
    hh: Math.floor(totalUs / 3_600_000_000),
    mm: Math.floor(totalUs / 60_000_000) % 60,
    ss: Math.floor(totalUs / 1_000_000) % 60,
    us: totalUs % 1_000_000,
  }
}

const two = (n: number) => String(n).padStart(2, '0')

/** `date`'s default: `Thu Nov 26 06:57:00 UTC 2026`. */
export function formatDate(ms: number): string {
  const c = civil(ms)
  return `${c.weekday} ${MONTHS[c.month - 1]!} ${two(c.day)} ${two(c.hh)}:${two(c.mm)}:${two(c.ss)} UTC ${c.year}`
}

/** asctime(3), as iptables-save prints it: `Thu Nov 26 06:57:00 2026` (day padded with a space). */
export function formatAsctime(ms: number): string {
  const c = civil(ms)
  return `${c.weekday} ${MONTHS[c.month - 1]!} ${String(c.day).padStart(2, ' ')} ${two(c.hh)}:${two(c.mm)}:${two(c.ss)} ${c.year}`
}

/** tcpdump's timestamp: `06:50:21.895712`. */
export function formatTimeOfDay(ms: number): string {
  const c = civil(ms)
  return `${two(c.hh)}:${two(c.mm)}:${two(c.ss)}.${String(c.us).padStart(6, '0')}`
}

/** RFC 3339 as Kubernetes and crictl print it: `2026-11-26T06:57:00Z`. */
export function formatRfc3339(ms: number): string {
  const c = civil(ms)
  return `${c.year}-${two(c.month)}-${two(c.day)}T${two(c.hh)}:${two(c.mm)}:${two(c.ss)}Z`
}

/** A stable 32-bit hash of a string (FNV-1a), for ids and sequence numbers derived from names. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h >>> 0
}

/** Hex digits derived from a string: stand-ins for container and sandbox ids. */
export function hexId(text: string, length: number): string {
  let out = ''
  let i = 0
  while (out.length < length) out += hash32(`${text}#${i++}`).toString(16).padStart(8, '0')
  return out.slice(0, length)
}
