/** While playing, one frame every `frameDuration(speed)` ms; the reducer stops at the end. */
import { useEffect } from 'react'
import { useExplainer } from '../store/explainer.ts'
import { frameDuration } from '../store/playback.ts'

export function usePlaybackClock(): void {
  const playing = useExplainer((s) => s.playback.playing)
  const speed = useExplainer((s) => s.playback.speed)
  const frame = useExplainer((s) => s.playback.frame)
  useEffect(() => {
    if (!playing) return
    const t = window.setTimeout(() => useExplainer.getState().dispatch({ type: 'tick' }), frameDuration(speed))
    return () => window.clearTimeout(t)
  }, [playing, speed, frame])
}
