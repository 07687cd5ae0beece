/** Which netns the tables describe: the current step's, or one the user picks. */
import { useMemo } from 'react'
import { useExplainer } from '../store/explainer.ts'

export function NetnsPicker({ netns, stepNetns }: { netns: string; stepNetns: string | null }) {
  const world = useExplainer((s) => s.world)
  const names = useMemo(() => (world ? Object.keys(world.netns) : []), [world])
  const select = useExplainer((s) => s.select)
  return (
    <div className="pw-netns-picker">
      <label>
        netns{' '}
        <select data-testid="netns-picker" value={netns} onChange={(e) => select(e.target.value === stepNetns ? null : { netns: e.target.value })}>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
              {n === stepNetns ? ' (this step)' : ''}
            </option>
          ))}
        </select>
      </label>
      {stepNetns && netns !== stepNetns && (
        <button type="button" className="pw-link" onClick={() => select(null)}>
          follow the packet ({stepNetns})
        </button>
      )}
    </div>
  )
}
