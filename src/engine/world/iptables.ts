/**
 * Attach iptables-save text to netns of a world (a world file's `iptables:` blocks, a
 * scenario's rules), parsed with the one netfilter grammar. Line numbers are mapped back
 * to the file the text came from.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { World } from '../model/types.ts'
import { parseIptablesSave } from '../netfilter/save.ts'

export function applyIptablesToWorld(w: World, blocks: Readonly<Record<string, { text: string; line?: number }>>, file?: string): { world: World; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = []
  let out = w
  for (const [name, block] of Object.entries(blocks)) {
    const ns = out.netns[name]
    if (!ns) continue
    // A YAML block scalar starts on the line after the `iptables: |` key.
    const r = parseIptablesSave(block.text, { ...(file !== undefined && { file }), lineOffset: block.line ?? 0 })
    diagnostics.push(...r.diagnostics)
    out = { ...out, netns: { ...out.netns, [name]: { ...ns, netfilter: r.ruleset } } }
  }
  return { world: out, diagnostics }
}
