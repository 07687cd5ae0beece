/**
 * The terminal panel's body (loaded lazily by TerminalPanel): connects the app's world to the
 * shell store, and lays out the netns picker, the terminal and the lab panel.
 */
import { useEffect, useRef, useState } from 'react'
import { parseDnsFault } from '../../engine/shell/labs.ts'
import type { DnsFault, LabId } from '../../engine/shell/labs.ts'
import { LabPanel } from './LabPanel.tsx'
import { NetnsPicker } from './NetnsPicker.tsx'
import type { TerminalPanelProps } from './TerminalPanel.tsx'
import { useShellStore } from './useShellStore.ts'
import { XtermView } from './XtermView.tsx'
import './terminal.css'

const LAB_IDS: readonly LabId[] = ['bridge', 'vxlan', 'service-dnat', 'dns-debug']

/** `?lab=bridge` in the page URL opens that lab when the app does not pick one. */
function labFromUrl(): LabId | undefined {
  const v = new URLSearchParams(globalThis.location?.search ?? '').get('lab')
  return LAB_IDS.find((id) => id === v)
}

/** `?fault=kube-dns-no-endpoints`: the instructor's fault for the DNS lab (a link for the class). */
function faultFromUrl(): DnsFault | undefined {
  return parseDnsFault(new URLSearchParams(globalThis.location?.search ?? '').get('fault'))
}

export default function TerminalWorkspace(props: TerminalPanelProps) {
  const { world, netns, onCommit } = props
  const [lab] = useState(() => props.lab ?? labFromUrl())
  const [fault] = useState(() => props.fault ?? faultFromUrl())
  const attached = useRef<string | null>(null)
  const [session, setSession] = useState<number | null>(null)
  const commitRef = useRef(onCommit)
  useEffect(() => {
    commitRef.current = onCommit
  }, [onCommit])

  // Attach once per lab (or once for the app's world); later app worlds are adopted as they come.
  useEffect(() => {
    const key = lab ?? `world:${netns ?? ''}`
    if (attached.current === key) return
    attached.current = key
    const store = useShellStore.getState()
    if (lab) {
      const before = world ?? { netns: {}, segments: {}, nodes: [] }
      const w = store.startLab(lab, fault ? { fault } : {})
      commitRef.current?.({ command: `# lab: ${lab}`, before, world: w, traces: [], segments: [{ kind: 'change', title: `Lab: ${lab}`, before, after: w, events: [{ kind: 'shell', text: `lab ${lab} starts` }] }] })
    } else store.attach(world ?? { netns: {}, segments: {}, nodes: [] }, netns !== undefined ? { netns } : {})
    setSession(useShellStore.getState().session)
  }, [lab, fault, netns, world])

  // Adopt the app's world only when the app hands over a different one (a new frame or
  // scenario); re-renders with the same world keep the shell's own changes.
  const lastWorld = useRef(world)
  useEffect(() => {
    if (world === lastWorld.current) return
    lastWorld.current = world
    if (world && attached.current !== null && !lab) useShellStore.getState().syncWorld(world)
  }, [world, lab])

  return (
    <div className="pw-terminal-workspace" data-theme-terminal={props.theme ?? 'dark'}>
      {session !== null && <NetnsPicker />}
      {session !== null && <XtermView key={session} height={props.height ?? '22rem'} theme={props.theme ?? 'dark'} onCommit={(c) => commitRef.current?.(c)} />}
      {lab && session !== null && <LabPanel lab={lab} onRestart={(w, before) => commitRef.current?.({ command: `# lab: ${lab} (restart)`, before, world: w, traces: [], segments: [{ kind: 'change', title: `Lab: ${lab}`, before, after: w, events: [{ kind: 'shell', text: `lab ${lab} restarts` }] }] })} />}
    </div>
  )
}
