/**
 * YAML documents with their source positions, so a bad field in a world, cluster or
 * scenario file is reported with the line and column a person can jump to.
 */
import { LineCounter, isNode, parseAllDocuments } from 'yaml'
import type { Document } from 'yaml'
import type { Diagnostic } from './diagnostics.ts'

export type YamlPath = readonly (string | number)[]

export interface YamlDoc {
  readonly index: number
  readonly value: unknown
  readonly doc: Document.Parsed
}

export interface YamlSource {
  readonly docs: readonly YamlDoc[]
  readonly diagnostics: Diagnostic[]
  /** 1-based line/column of a path inside a document (the closest existing ancestor). */
  locate(docIndex: number, path: YamlPath): { line: number; col: number } | undefined
  /** The source line, verbatim. */
  lineText(line: number): string
}

/** `spec.ports[0].targetPort` */
export function formatYamlPath(path: YamlPath): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`
  return out
}

/** Parse one or more YAML documents. Never throws; syntax errors become diagnostics with `code`. */
export function readYaml(text: string, opts: { file?: string; code: string }): YamlSource {
  const lc = new LineCounter()
  const lines = text.split(/\r?\n/)
  const diagnostics: Diagnostic[] = []
  let parsed: Document.Parsed[] = []
  try {
    const r = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false })
    parsed = Array.isArray(r) ? r : []
  } catch (e) {
    diagnostics.push({ code: opts.code, severity: 'error', message: `cannot read YAML: ${String(e)}`, ...(opts.file !== undefined && { file: opts.file }) })
  }
  const docs: YamlDoc[] = []
  parsed.forEach((doc, index) => {
    for (const err of doc.errors) {
      const pos = lc.linePos(err.pos[0])
      diagnostics.push({
        code: opts.code,
        severity: 'error',
        message: `YAML syntax: ${err.message.split('\n')[0] ?? err.message}`,
        hint: 'check the indentation and quoting around this line',
        ...(opts.file !== undefined && { file: opts.file }),
        line: pos.line,
        col: pos.col,
        text: lines[pos.line - 1] ?? '',
      })
    }
    if (doc.errors.length === 0 && doc.contents !== null) {
      try {
        docs.push({ index, value: doc.toJS({ maxAliasCount: 100 }) as unknown, doc })
      } catch (e) {
        // e.g. an alias to an anchor that does not exist (`*nope`): the parser accepts it, toJS throws.
        const pos = lc.linePos(doc.range[0])
        diagnostics.push({ code: opts.code, severity: 'error', message: `YAML: ${e instanceof Error ? e.message : String(e)}`, hint: 'check aliases (*name) refer to an anchor (&name) defined earlier', ...(opts.file !== undefined && { file: opts.file }), line: pos.line, col: pos.col, text: lines[pos.line - 1] ?? '' })
      }
    }
  })
  return {
    docs,
    diagnostics,
    locate(docIndex, path) {
      const d = parsed[docIndex]
      if (!d) return undefined
      for (let n = path.length; n >= 0; n--) {
        const node: unknown = n === 0 ? d.contents : d.getIn(path.slice(0, n), true)
        if (isNode(node) && node.range) {
          const pos = lc.linePos(node.range[0])
          return { line: pos.line, col: pos.col }
        }
        // A key whose value is null/absent: point at the key itself.
        if (n > 0) {
          const parent: unknown = n === 1 ? d.contents : d.getIn(path.slice(0, n - 1), true)
          if (isNode(parent) && 'items' in parent && Array.isArray((parent as { items: unknown[] }).items)) {
            for (const item of (parent as { items: { key?: unknown }[] }).items) {
              if (isNode(item.key) && (item.key as unknown as { value?: unknown }).value === path[n - 1] && item.key.range) {
                const pos = lc.linePos(item.key.range[0])
                return { line: pos.line, col: pos.col }
              }
            }
          }
        }
      }
      return undefined
    },
    lineText: (line) => lines[line - 1] ?? '',
  }
}

/** A diagnostic located at a path of a document. */
export function diagnosticAt(src: YamlSource, docIndex: number, path: YamlPath, d: Omit<Diagnostic, 'line' | 'col' | 'text'>): Diagnostic {
  const pos = src.locate(docIndex, path)
  return { ...d, ...(pos && { line: pos.line, col: pos.col, text: src.lineText(pos.line) }) }
}

/** zod issues → diagnostics at the offending field. */
export function zodIssuesToDiagnostics(
  src: YamlSource,
  docIndex: number,
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[],
  opts: { file?: string; code: string; base?: YamlPath },
): Diagnostic[] {
  return issues.map((i) => {
    const path = [...(opts.base ?? []), ...i.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number')]
    return diagnosticAt(src, docIndex, path, {
      code: opts.code,
      severity: 'error',
      message: `${formatYamlPath(path) || '(document)'}: ${i.message}`,
      ...(opts.file !== undefined && { file: opts.file }),
    })
  })
}
