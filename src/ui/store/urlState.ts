/**
 * The moment on screen, in the URL: `?s=<scenario>&f=<step>&v=<view>&w=<what-if>`, so a
 * link (or a reload) reopens exactly that moment. `f` is the step number people see
 * (1-based). `scenario=<URL>` (an instructor's file on this site) is read by the app and
 * kept as it is. Parsing never throws: anything unreadable is left out and the app falls
 * back to its defaults.
 */

export const VIEWS = ['step', 'packet', 'tables', 'iptables', 'conntrack', 'dns', 'cni', 'hops', 'outcome'] as const
export type InspectorView = (typeof VIEWS)[number]

export interface UrlState {
  readonly scenario?: string
  /** 0-based frame index. */
  readonly frame?: number
  readonly view?: InspectorView
  /** The what-if on (none: the scenario as written). */
  readonly whatIf?: string
  /** `scenario=`: an instructor's file to fetch (a same-origin URL or path). */
  readonly url?: string
}

const isView = (v: string): v is InspectorView => (VIEWS as readonly string[]).includes(v)

export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search)
  const s = q.get('s')
  const f = q.get('f')
  const v = q.get('v')
  const w = q.get('w')
  const url = q.get('scenario')
  const frame = f !== null && /^\d{1,7}$/.test(f) && Number(f) >= 1 ? Number(f) - 1 : undefined
  return {
    ...(s && /^[\w.-]{1,80}$/.test(s) && { scenario: s }),
    ...(frame !== undefined && { frame }),
    ...(v && isView(v) && { view: v }),
    ...(w && /^[a-z0-9-]{1,80}$/.test(w) && { whatIf: w }),
    ...(url && url.length <= 2000 && { url }),
  }
}

/** The search string for a state, keeping any other parameters of `current`. */
export function serializeUrlState(state: UrlState, current = ''): string {
  const q = new URLSearchParams(current)
  for (const k of ['s', 'f', 'v', 'w']) q.delete(k)
  const out = new URLSearchParams()
  if (state.scenario) out.set('s', state.scenario)
  if (state.frame !== undefined) out.set('f', String(state.frame + 1))
  if (state.view) out.set('v', state.view)
  if (state.whatIf) out.set('w', state.whatIf)
  for (const [k, v] of q) out.append(k, v)
  const text = out.toString()
  return text ? `?${text}` : ''
}
