/**
 * A read-only window hook for end-to-end checks and the benchmark:
 * `window.__packetwalkImport.getState()` says where reading is, how long it took and what
 * came out (counts only). It exposes no actions: tests drive the panel like a person does.
 */
import { useEffect } from 'react'
import { useImportStore } from './useImportStore.ts'

export interface ImportDevSnapshot {
  readonly status: string
  readonly inputs: number
  readonly progress: { readonly linesDone: number; readonly lines: number; readonly blocksDone: number; readonly blocks: number; readonly stage: string } | null
  readonly ms: { readonly anonymise: number; readonly read: number; readonly build: number; readonly send: number; readonly total: number } | null
  readonly nodes: readonly string[]
  readonly services: number
  readonly notUnderstood: number
  readonly unsupported: number
}

export function importSnapshot(): ImportDevSnapshot {
  const s = useImportStore.getState()
  const r = s.read?.result
  const p = s.progress
  return {
    status: s.status,
    inputs: s.drafts.length,
    progress: p ? { linesDone: p.linesDone, lines: p.lines, blocksDone: p.blocksDone, blocks: p.blocks, stage: p.stage } : null,
    ms: s.read?.ms ?? null,
    nodes: r?.nodes.map((n) => n.name) ?? [],
    services: r?.nodes.reduce((k, n) => k + n.inferred.services.length, 0) ?? 0,
    notUnderstood: r?.notUnderstood.length ?? 0,
    unsupported: r?.unsupported.length ?? 0,
  }
}

declare global {
  interface Window {
    __packetwalkImport?: { readonly getState: () => ImportDevSnapshot }
  }
}

export function useImportDevHook(): void {
  useEffect(() => {
    window.__packetwalkImport = Object.freeze({ getState: importSnapshot })
  }, [])
}
