/**
 * Terminal & labs: the simulated shell beside the graph. The shell starts on the world of the
 * scenario on screen (or a lab's own starting world); every command that changes the world
 * or sends packets adds frames to a timeline of its own ("shell session"), which the graph,
 * the inspectors and playback show like any scenario. Loaded lazily with the shell engine.
 */
import { useState } from 'react'
import type { World } from '../../engine/model/types.ts'
import { LABS } from '../../engine/shell/labs.ts'
import type { LabId } from '../../engine/shell/labs.ts'
import { EPHEMERAL_PREFIX } from '../hooks/useUrlSync.ts'
import { useExplainer } from '../store/explainer.ts'
import { TerminalPanel } from '../terminal/TerminalPanel.tsx'
import type { ShellCommit } from '../terminal/useShellStore.ts'

export default function TerminalMode() {
  const [lab, setLab] = useState<LabId | ''>('')
  const theme = useExplainer((s) => s.theme)
  const scenario = useExplainer((s) => s.scenario)
  const world = useExplainer((s) => s.world)
  // The shell's world: the scenario's when the mode opened or another scenario was picked, not every frame.
  const [base, setBase] = useState<{ id: string | null; world: World | null }>({ id: scenario?.id ?? null, world })
  const id = scenario?.id ?? null
  if (id !== base.id && !id?.startsWith(EPHEMERAL_PREFIX)) setBase({ id, world })

  const onCommit = (c: ShellCommit) => {
    const st = useExplainer.getState()
    const info = lab ? LABS.find((l) => l.id === lab) : undefined
    const starting = c.command.startsWith('# lab:')
    const mine = st.scenario?.id.startsWith(EPHEMERAL_PREFIX) ?? false
    if (starting && info) st.appendSegments(c.segments, info.title, { id: `${EPHEMERAL_PREFIX}lab-${info.id}`, title: `Lab: ${info.title}`, summary: info.task })
    else if (!mine) st.appendSegments(c.segments, `$ ${c.command}`, { id: `${EPHEMERAL_PREFIX}session`, title: `Shell session${base.id ? ` on ${st.catalog.find((e) => e.id === base.id)?.title ?? base.id}` : ''}`, summary: 'What your commands did, frame by frame.' })
    else st.appendSegments(c.segments, `$ ${c.command}`)
  }

  return (
    <aside className="pw-terminal-side" aria-label="Terminal and labs" data-testid="terminal-mode">
      <label className="pw-lab-picker">
        Work on{' '}
        <select value={lab} onChange={(e) => setLab(e.target.value as LabId | '')} data-testid="lab-picker">
          <option value="">a shell on this scenario’s world</option>
          {LABS.map((l) => (
            <option key={l.id} value={l.id}>
              Lab: {l.title} ({l.section})
            </option>
          ))}
        </select>
      </label>
      <TerminalPanel key={lab || 'free'} world={base.world} onCommit={onCommit} {...(lab && { lab })} theme={theme} height="calc(100vh - 340px)" />
    </aside>
  )
}
