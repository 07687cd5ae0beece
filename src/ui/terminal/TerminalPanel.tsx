/**
 * The simulated shell as a panel: a netns picker, an xterm.js terminal and, in lab mode, the
 * lab's task, hints and checks. Everything but this wrapper loads lazily (xterm.js and the
 * shell engine are a separate chunk), so the app's first load does not grow.
 *
 * Mount it anywhere with the app's current world and a callback that receives what each
 * command did (the world after it and the segments to append to the timeline):
 *
 *   <TerminalPanel world={world} onCommit={(c) => appendSegments(c.segments)} />
 */
import { Suspense, lazy } from 'react'
import type { World } from '../../engine/model/types.ts'
import type { DnsFault, LabId } from '../../engine/shell/labs.ts'
import type { ShellCommit } from './useShellStore.ts'

const TerminalWorkspace = lazy(() => import('./TerminalWorkspace.tsx'))

export interface TerminalPanelProps {
  /** The world the shell acts on (the explainer's current world); null starts an empty host. */
  readonly world: World | null
  /** Called after every command line that changed the world or sent packets. */
  readonly onCommit?: (commit: ShellCommit) => void
  /** The netns the prompt opens in (default: the first host netns). */
  readonly netns?: string
  /** Lab mode: the lab's starting world replaces `world` (reported through onCommit). Without it, `?lab=ID` in the URL picks one. */
  readonly lab?: LabId
  /** The DNS lab's fault (the instructor's pick). Without it, `?fault=ID` in the URL, else the one saved with the learner's session, else CoreDNS scaled to zero. */
  readonly fault?: DnsFault
  readonly theme?: 'light' | 'dark'
  /** CSS height of the terminal area (default 22rem). */
  readonly height?: string
  readonly className?: string
}

export function TerminalPanel(props: TerminalPanelProps) {
  return (
    <section className={`pw-terminal-panel ${props.className ?? ''}`.trim()} aria-label="Terminal" data-testid="terminal-panel">
      <Suspense fallback={<div className="pw-status" role="status">Loading the terminal…</div>}>
        <TerminalWorkspace {...props} />
      </Suspense>
    </section>
  )
}
