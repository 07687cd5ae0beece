/** The side panel: one tab per inspector, all linked to the current step. Arrow keys move between tabs (ARIA tabs pattern). */
import type { KeyboardEvent } from 'react'
import { useExplainer } from '../store/explainer.ts'
import { VIEWS } from '../store/urlState.ts'
import type { InspectorView } from '../store/urlState.ts'
import { ResultsPanel } from '../components/ResultsPanel.tsx'
import { CniView } from './CniView.tsx'
import { ConntrackView } from './ConntrackView.tsx'
import { DnsView } from './DnsView.tsx'
import { HopList } from './HopList.tsx'
import { IptablesView } from './IptablesView.tsx'
import { PacketView } from './PacketView.tsx'
import { StepView } from './StepView.tsx'
import { TablesView } from './TablesView.tsx'

const LABELS: Record<InspectorView, string> = { step: 'Step', packet: 'Packet', tables: 'Tables', iptables: 'iptables', conntrack: 'conntrack', dns: 'DNS', cni: 'CNI', hops: 'Hops', outcome: 'Outcome' }

function Body({ view }: { view: InspectorView }) {
  switch (view) {
    case 'step':
      return <StepView />
    case 'packet':
      return <PacketView />
    case 'tables':
      return <TablesView />
    case 'iptables':
      return <IptablesView />
    case 'conntrack':
      return <ConntrackView />
    case 'dns':
      return <DnsView />
    case 'cni':
      return <CniView />
    case 'hops':
      return <HopList />
    case 'outcome':
      return <ResultsPanel />
  }
}

export function Inspector() {
  const view = useExplainer((s) => s.view)
  const setView = useExplainer((s) => s.setView)
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = VIEWS.indexOf(view)
    const next = e.key === 'ArrowRight' ? VIEWS[(i + 1) % VIEWS.length] : e.key === 'ArrowLeft' ? VIEWS[(i - 1 + VIEWS.length) % VIEWS.length] : e.key === 'Home' ? VIEWS[0] : e.key === 'End' ? VIEWS[VIEWS.length - 1] : undefined
    if (!next) return
    e.preventDefault()
    e.stopPropagation()
    setView(next)
    document.getElementById(`tab-${next}`)?.focus()
  }
  return (
    <aside className="pw-inspector" aria-label="Inspector">
      <div className="pw-tabs" role="tablist" aria-label="Inspector views" onKeyDown={onKey}>
        {VIEWS.map((v) => (
          <button key={v} id={`tab-${v}`} type="button" role="tab" aria-selected={v === view} aria-controls="inspector-panel" tabIndex={v === view ? 0 : -1} data-testid={`tab-${v}`} onClick={() => setView(v)}>
            {LABELS[v]}
          </button>
        ))}
      </div>
      <div className="pw-panel" id="inspector-panel" role="tabpanel" aria-labelledby={`tab-${view}`} tabIndex={0}>
        <Body view={view} />
      </div>
    </aside>
  )
}
