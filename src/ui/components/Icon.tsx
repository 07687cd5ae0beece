/** Playback icons as SVG (symbol fonts are not everywhere); the button text or label says what they do. */
const PATHS = {
  start: 'M4 3h2v14H4zM17 3v14L7 10z',
  end: 'M14 3h2v14h-2zM3 3v14l10-7z',
  back: 'M15 3v14L5 10z',
  forward: 'M5 3v14l10-7z',
  play: 'M5 3v14l11-7z',
  pause: 'M5 3h4v14H5zM11 3h4v14h-4z',
} as const

export function Icon({ name }: { name: keyof typeof PATHS }) {
  return (
    <svg viewBox="0 0 20 20" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} />
    </svg>
  )
}
