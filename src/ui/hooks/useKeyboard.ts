/**
 * Playback keys, anywhere in the page: space plays/pauses, ←/→ step, Home/End jump, +/−
 * change speed. Keys typed into a text field, and keys a focused control handles itself
 * (space on a button, arrows on the scrubber), are left alone.
 */
import { useEffect } from 'react'
import { useExplainer } from '../store/explainer.ts'
import type { PlaybackAction } from '../store/playback.ts'

const KEYS: Readonly<Record<string, PlaybackAction['type']>> = {
  ' ': 'toggle',
  ArrowRight: 'forward',
  ArrowLeft: 'back',
  Home: 'start',
  End: 'end',
  '+': 'faster',
  '=': 'faster',
  '-': 'slower',
  _: 'slower',
}

/** Would the focused element handle this key itself? */
export function ownsKey(el: Element | null, key: string): boolean {
  if (!el) return false
  const tag = el.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable) return true
  if (tag === 'INPUT') {
    const type = (el as HTMLInputElement).type
    // The scrubber moves itself with arrows and Home/End (same effect); other keys are ours.
    if (type === 'range') return ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'].includes(key)
    return true
  }
  if (tag === 'BUTTON' || tag === 'SUMMARY' || el.getAttribute('role') === 'tab' || el.getAttribute('role') === 'button') return key === ' ' || key === 'Enter'
  return false
}

export function useKeyboard(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return
      const type = KEYS[e.key]
      if (!type || ownsKey(document.activeElement, e.key)) return
      // Arrow keys inside the graph pan it; leave them to React Flow when it has focus.
      if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && document.activeElement?.closest('.react-flow__node')) return
      e.preventDefault()
      useExplainer.getState().dispatch({ type } as PlaybackAction)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
