/**
 * Presenter mode, for a classroom projector: the inspector and the graph's own controls are
 * hidden, type is large, the narration is the caption. A clicker's PageUp/PageDown step; L
 * shows a laser dot that follows the mouse; a scenario that compares with another opens its
 * side-by-side view from here too; Esc (or the button) leaves.
 */
import { useEffect, useRef } from 'react'
import { CompareButton } from '../compare/CompareButton.tsx'
import { useExplainer } from '../store/explainer.ts'

export function PresenterBar() {
  const scenario = useExplainer((s) => s.scenario)
  const frame = useExplainer((s) => s.playback.frame)
  const total = useExplainer((s) => s.playback.total)
  const pointer = useExplainer((s) => s.pointer)
  useEffect(() => {
    // Focus the page itself (it owns no key), so space, arrows and the clicker reach playback;
    // on leaving, back to the button that entered.
    document.querySelector<HTMLElement>('[data-testid="app"]')?.focus({ preventScroll: true })
    return () => document.querySelector<HTMLElement>('[data-testid="presenter-on"]')?.focus({ preventScroll: true })
  }, [])
  return (
    <header className="pw-presenter-bar" data-testid="presenter-bar">
      <h1 className="pw-presenter-title">{scenario?.title ?? 'packetwalk'}</h1>
      <span className="pw-counter" aria-hidden="true">
        {total ? `${frame + 1} / ${total}` : ''}
      </span>
      <CompareButton />
      <button type="button" className="pw-button" aria-pressed={pointer} onClick={() => useExplainer.getState().setPointer(!pointer)} aria-keyshortcuts="l" data-testid="pointer-toggle">
        Pointer (L)
      </button>
      <button type="button" className="pw-button" onClick={() => useExplainer.getState().setPresenter(false)} aria-keyshortcuts="Escape" data-testid="presenter-off">
        Exit presenter mode (Esc)
      </button>
    </header>
  )
}

/** A red dot that follows the mouse, for pointing at a projected graph. Moves without re-rendering. */
export function LaserPointer() {
  const dot = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const move = (e: PointerEvent) => {
      const d = dot.current
      if (!d) return
      d.style.transform = `translate(${e.clientX}px, ${e.clientY}px)`
      d.hidden = false
    }
    window.addEventListener('pointermove', move)
    return () => window.removeEventListener('pointermove', move)
  }, [])
  return <div ref={dot} className="pw-laser" hidden aria-hidden="true" data-testid="laser" />
}
