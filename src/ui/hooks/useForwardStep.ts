/** Did the frame just move forward by exactly one? (Then the token travels; otherwise it is placed.) */
import { useState } from 'react'

export function useForwardStep(frame: number): boolean {
  const [frames, setFrames] = useState({ now: frame, before: frame })
  let before = frames.before
  if (frames.now !== frame) {
    setFrames({ now: frame, before: frames.now })
    before = frames.now
  }
  return frame === before + 1
}
