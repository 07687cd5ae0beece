/**
 * Reading the user's own lines back (for "the lines it came from") and printing a route the
 * way `ip route` does. Plain helpers beside the result view.
 */
import { createContext } from 'react'
import type { Route } from '../../engine/model/types.ts'

/** Reads line N of an input (by its name), for "the lines it came from". */
export type LineSource = (file: string, line: number) => string | undefined

export const LineSourceContext = createContext<LineSource>(() => undefined)

/** A LineSource over the given texts; each text is split the first time a line of it is asked for. */
export function lineSource(texts: readonly { readonly name: string; readonly text: string }[]): LineSource {
  const cache = new Map<string, string[]>()
  return (file, line) => {
    let lines = cache.get(file)
    if (!lines) {
      const t = texts.find((x) => x.name === file)?.text
      if (t === undefined) return undefined
      lines = t.split(/\r\n|\n|\r/)
      cache.set(file, lines)
    }
    return lines[line - 1]
  }
}

/** A route as `ip route` prints it (the importer keeps the parsed form; `raw` is the user's line). */
export function printRoute(r: Route): string {
  const type = r.type === 'unicast' ? '' : `${r.type} `
  const table = r.table === 'main' ? '' : ` table ${r.table}`
  return `${type}${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${table}${r.proto !== 'boot' ? ` proto ${r.proto}` : ''}${r.scope !== 'global' ? ` scope ${r.scope}` : ''}${r.src ? ` src ${r.src}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}${r.onlink ? ' onlink' : ''}`
}
