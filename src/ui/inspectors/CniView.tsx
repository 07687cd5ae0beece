/**
 * CNI: every plugin invocation the cluster made (env, stdin, result), when the world came from
 * a cluster description. A call's pod points at its netns in the graph, its veth at the host end.
 */
import type { World } from '../../engine/model/types.ts'
import { GraphLink } from './GraphLink.tsx'
import { cniTargets } from './graphTarget.ts'
import { useInspected } from './useInspected.ts'

function CallTargets({ world, pod }: { world: World; pod: string }) {
  const t = cniTargets(world, pod)
  if (!t.pod && !t.veth) return null
  return (
    <p className="pw-graph-links">
      {t.pod && (
        <span>
          <span className="pw-muted">pod</span> <GraphLink target={t.pod} text={pod} />
        </span>
      )}
      {t.veth && (
        <span>
          <span className="pw-muted">host veth</span> <GraphLink target={t.veth} text={t.veth.dev} />
        </span>
      )}
    </p>
  )
}

export function CniView() {
  const { world } = useInspected()
  const calls = world?.cluster?.cniInvocations ?? []
  if (calls.length === 0)
    return (
      <p className="pw-empty" data-testid="inspector-cni">
        No CNI data: this world was written by hand, not built from a cluster. Cluster scenarios show each plugin call here (CNI_COMMAND, CNI_NETNS… the config on stdin and the result JSON).
      </p>
    )
  // The pod and veth a command made, shown once: under the first plugin of the chain that ran it.
  const firstFor = new Map<string, number>()
  for (const k of calls) if (k.pod && k.parent === undefined && !firstFor.has(`${k.pod}|${k.command}`)) firstFor.set(`${k.pod}|${k.command}`, k.seq)
  return (
    <div data-testid="inspector-cni">
      <ol className="pw-cni">
        {calls.map((k) => (
          <li key={k.seq} style={{ marginLeft: k.parent !== undefined ? 16 : 0 }}>
            <details>
              <summary>
                <strong>{k.plugin}</strong> {k.command} {k.pod ?? ''} <span className="pw-muted">on {k.node}</span> {k.exitCode !== 0 && <span className="pw-badge is-removed">exit {k.exitCode}</span>}
              </summary>
              <h4>env</h4>
              <pre className="pw-tech">
                {Object.entries(k.env)
                  .map(([a, b]) => `${a}=${b}`)
                  .join('\n')}
              </pre>
              <h4>stdin</h4>
              <pre className="pw-tech">{k.stdin}</pre>
              <h4>stdout</h4>
              <pre className="pw-tech">{k.stdout || '(empty)'}</pre>
              {k.stderr && (
                <>
                  <h4>stderr</h4>
                  <pre className="pw-tech">{k.stderr}</pre>
                </>
              )}
            </details>
            {k.pod && firstFor.get(`${k.pod}|${k.command}`) === k.seq && world && <CallTargets world={world} pod={k.pod} />}
          </li>
        ))}
      </ol>
    </div>
  )
}
