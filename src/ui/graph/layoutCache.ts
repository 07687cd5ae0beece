/**
 * Layouts already computed, by topology key: the ones shipped with a precompiled scenario,
 * the ones ELK computed in this page, and the last few kept in localStorage, so switching
 * back to a scenario or reloading the page lays nothing out again.
 */
import type { Positions } from './layout.ts'

const cache = new Map<string, Positions>()
const STORE_KEY = 'packetwalk.layouts.v1'
let loaded = false

function loadStored(): void {
  if (loaded) return
  loaded = true
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORE_KEY) ?? '{}') as Record<string, Positions>
    for (const [k, v] of Object.entries(saved)) if (!cache.has(k)) cache.set(k, v)
  } catch {
    // unreadable or disabled storage: lay out again
  }
}

export function cachedLayout(key: string): Positions | undefined {
  loadStored()
  return cache.get(key)
}

/** A layout ELK just computed: kept in memory and (the most recent few) in localStorage. */
export function storeLayout(key: string, p: Positions): void {
  loadStored()
  cache.delete(key)
  cache.set(key, p)
  try {
    window.localStorage.setItem(STORE_KEY, JSON.stringify(Object.fromEntries([...cache].slice(-8))))
  } catch {
    // storage full or disabled: the in-memory cache still works
  }
}

/** Layouts computed at build time for a precompiled scenario. */
export function seedLayouts(layouts: Readonly<Record<string, Positions>>): void {
  for (const [k, v] of Object.entries(layouts)) cache.set(k, v)
}
