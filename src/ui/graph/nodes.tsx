/**
 * The graph's node components, one per kind, each memoised and typed `Node<Data, 'kind'>`.
 * Emphasis (current hop, selection, entries the step used) comes from the highlight store,
 * so the node list itself never changes between steps.
 */
import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import { useNodeEmphasis } from './highlight.ts'
import { HANDLES } from './layout.ts'
import type { ChainNode, ContainersNode, IfaceNode, NetnsNode, PodGroupNode, PodNode, SegmentNode, ServiceNode, ServicesGroupNode, StackNode } from './types.ts'

/**
 * Handles as plain markup, where React Flow measures them when it first sees a node (layout.ts
 * HANDLES, the list nodeHandles gives each node too). Nothing connects by hand, so React
 * Flow's <Handle> components, one store subscription each, would only cost time.
 */
const HANDLE_MARKUP = HANDLES.map(({ id, type, position }) => <div key={`${type}-${id ?? ''}`} className={`react-flow__handle react-flow__handle-${position} ${type}`} data-handlepos={position} {...(id !== null && { 'data-handleid': id })} />)

const KIND_LABEL: Record<string, string> = { veth: 'veth', bridge: 'bridge', vxlan: 'vxlan', phys: 'nic', ipip: 'ipip', dummy: 'dummy', loopback: 'lo' }

export const NetnsGroupNode = memo(function NetnsGroupNode({ id, data }: NodeProps<NetnsNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-group pw-group-${data.nsKind}${em}`} data-testid={`graph-netns-${data.netns}`}>
      <div className="pw-group-title">
        <span className="pw-group-name">{data.title}</span>
        <span className="pw-group-sub">{data.subtitle}</span>
      </div>
    </div>
  )
})

export const PodBoxNode = memo(function PodBoxNode({ id, data }: NodeProps<PodNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-group pw-group-pod${em}`} data-testid={`graph-netns-${data.netns}`}>
      <div className="pw-group-title">
        <span className="pw-group-name">{data.title}</span>
        <span className="pw-group-sub">{data.subtitle}</span>
      </div>
    </div>
  )
})

export const IfaceBoxNode = memo(function IfaceBoxNode({ id, data }: NodeProps<IfaceNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-iface pw-iface-${data.linkKind}${em}${data.up ? '' : ' is-down'}`} data-testid={`graph-iface-${data.netns}-${data.dev}`} title={`${data.dev} in ${data.netns}: ${data.detail}, MTU ${data.mtu}${data.up ? '' : ', DOWN'}`}>
      {HANDLE_MARKUP}
      <div className="pw-node-head">
        <span className="pw-dev">{data.dev}</span>
        <span className="pw-badge">{KIND_LABEL[data.linkKind] ?? data.linkKind}</span>
      </div>
      {data.lines.map((l, i) => (
        <div key={i} className={`pw-node-line${i === 0 && data.addrs.length ? ' pw-mono' : ' pw-muted'}`}>
          {l}
        </div>
      ))}
    </div>
  )
})

export const StackBoxNode = memo(function StackBoxNode({ id, data }: NodeProps<StackNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-stack${em}`} data-testid={`graph-stack-${data.netns}`}>
      {HANDLE_MARKUP}
      <div className="pw-node-head">
        <span className="pw-dev">{data.title}</span>
      </div>
      <div className="pw-node-line pw-muted">{data.detail}</div>
    </div>
  )
})

export const ContainersBoxNode = memo(function ContainersBoxNode({ id, data }: NodeProps<ContainersNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-containers${em}`} data-testid={`graph-stack-${data.netns}`}>
      {HANDLE_MARKUP}
      <ul className="pw-container-list" aria-label="containers sharing this netns">
        {data.containers.map((c) => (
          <li key={c.name} className={c.pause ? 'is-pause' : ''} title={c.image}>
            {c.pause ? (
              <>
                <strong>pause</strong> <span className="pw-muted">holds the netns</span>
              </>
            ) : (
              <>
                <strong>{c.name}</strong> <span className="pw-muted">{c.image}</span>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  )
})

export const SegmentBoxNode = memo(function SegmentBoxNode({ id, data }: NodeProps<SegmentNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-segment${em}`} data-testid={`graph-segment-${data.name}`}>
      {HANDLE_MARKUP}
      <div className="pw-node-head">
        <span className="pw-dev">{data.name}</span>
        <span className="pw-badge">underlay</span>
      </div>
      <div className="pw-node-line pw-mono">{data.cidr || 'L2 segment'}</div>
    </div>
  )
})

export const ServiceBoxNode = memo(function ServiceBoxNode({ id, data }: NodeProps<ServiceNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-service${em}`} data-testid={`graph-service-${data.clusterIP}`} title={`Read from the nat table of ${data.from}`}>
      {HANDLE_MARKUP}
      <div className="pw-node-head">
        <span className="pw-dev pw-mono">
          {data.clusterIP}:{data.port}
        </span>
        <span className="pw-badge">ClusterIP</span>
      </div>
      <div className="pw-node-line">{data.name}</div>
      <div className="pw-node-line pw-muted">virtual: no interface has it</div>
    </div>
  )
})

export const ChainBoxNode = memo(function ChainBoxNode({ id, data }: NodeProps<ChainNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-chain pw-chain-${data.role}${em}`} data-testid={`graph-chain-${data.chain}`}>
      {HANDLE_MARKUP}
      <div className="pw-node-head">
        <span className="pw-dev pw-mono">{data.chain}</span>
      </div>
      <div className="pw-node-line pw-muted">{data.detail}</div>
    </div>
  )
})

export const PodGroupBoxNode = memo(function PodGroupBoxNode({ id, data }: NodeProps<PodGroupNode>) {
  const em = useNodeEmphasis(id)
  return (
    <div className={`pw-node pw-podgroup${em}`} data-testid={`graph-podgroup-${data.node}`}>
      {HANDLE_MARKUP}
      <div className="pw-node-head">
        <span className="pw-dev">{data.count} more pods</span>
      </div>
      <div className="pw-node-line pw-muted">folded · select to show</div>
    </div>
  )
})

export const ServicesGroupBoxNode = memo(function ServicesGroupBoxNode({ data }: NodeProps<ServicesGroupNode>) {
  return (
    <div className="pw-group pw-group-services" data-testid="graph-services">
      <div className="pw-group-title">
        <span className="pw-group-name">{data.title}</span>
        <span className="pw-group-sub">KUBE-SERVICES → KUBE-SVC → KUBE-SEP → pods</span>
      </div>
    </div>
  )
})
