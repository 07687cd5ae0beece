/** Where the prompt is: every netns of the world, grouped by what it is; picking one moves the prompt there. */
import { useShellStore } from './useShellStore.ts'

export function NetnsPicker() {
  const shell = useShellStore((s) => s.shell)
  const setNetns = useShellStore((s) => s.setNetns)
  if (!shell) return null
  const all = Object.values(shell.world.netns)
  const groups: [string, typeof all][] = [
    ['Nodes and hosts', all.filter((n) => n.kind === 'host')],
    ['Pods', all.filter((n) => n.kind === 'pod')],
    ['Other namespaces', all.filter((n) => n.kind === 'plain' || n.kind === 'client')],
  ]
  return (
    <div className="pw-terminal-bar">
      <label htmlFor="pw-terminal-netns">Shell in</label>
      <select id="pw-terminal-netns" data-testid="terminal-netns" value={shell.netns} onChange={(e) => setNetns(e.target.value)}>
        {groups
          .filter(([, ns]) => ns.length > 0)
          .map(([label, ns]) => (
            <optgroup key={label} label={label}>
              {ns.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.pod ? `${n.pod.namespace}/${n.pod.name} (on ${n.pod.node})` : n.name}
                </option>
              ))}
            </optgroup>
          ))}
      </select>
    </div>
  )
}
