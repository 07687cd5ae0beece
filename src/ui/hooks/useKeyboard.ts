/**
 * Playback keys, anywhere in the page: space plays/pauses, ←/→ and PageUp/PageDown (what a
 * presentation clicker sends) step, Home/End jump, +/− change speed. P turns presenter mode
 * on and off, L the laser pointer in it, Esc leaves it. Keys typed into a text field, and
 * keys a focused control handles itself (space on a button, arrows on the scrubber), are
 * left alone.
 */
import { useEffect } from 'react'
import { useExplainer } from '../store/explainer.ts'
import type { PlaybackAction } from '../store/playback.ts'

const KEYS: Readonly<Record<string, PlaybackAction['type']>> = {
  ' ': 'toggle',
  ArrowRight: 'forward',
  ArrowLeft: 'back',
  PageDown: 'forward',
  PageUp: 'back',
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

/** Is this element where letters are typed (a text field, a select's type-ahead)? */
export function typesText(el: Element | null): boolean {
  if (!el) return false
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el as HTMLElement).isContentEditable) return true
  return el.tagName === 'INPUT' && !['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'color'].includes((el as HTMLInputElement).type)
}

/** P, L and Esc for presenter mode; true when the key was used. */
function presenterKey(e: KeyboardEvent): boolean {
  const st = useExplainer.getState()
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
  if (key !== 'p' && key !== 'l' && key !== 'Escape') return false
  const el = document.activeElement
  if (typesText(el)) return false
  if (el?.closest('dialog[open]')) return false
  if (key === 'p' && st.mode === 'explainer') st.setPresenter(!st.presenter)
  else if (key === 'l' && st.presenter) st.setPointer(!st.pointer)
  else if (key === 'Escape' && st.presenter) st.setPresenter(false)
  else return false
  e.preventDefault()
  return true
}

export function useKeyboard(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return
      // A modal dialog (the problems list) has the keys; the import panel has its own.
      if (document.querySelector('dialog[open]') || useExplainer.getState().mode === 'import') return
      if (presenterKey(e)) return
      const type = KEYS[e.key]
      // A clicker's keys always step in presenter mode, whatever has focus.
      const clicker = useExplainer.getState().presenter && (e.key === 'PageUp' || e.key === 'PageDown')
      if (!type || (!clicker && ownsKey(document.activeElement, e.key))) return
      // Arrow keys inside the graph pan it; leave them to React Flow when it has focus.
      if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && document.activeElement?.closest('.react-flow__node')) return
      e.preventDefault()
      useExplainer.getState().dispatch({ type } as PlaybackAction)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
