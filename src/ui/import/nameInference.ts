/**
 * The node name to prefill for one input, from what the importer itself would read: the
 * folder a file came from, a collector bundle's header, the `user@host` of shell prompts, or
 * a `hostname` output. Looks only at the first lines of a long paste (names come first), so
 * it is cheap enough to run on the main thread as text arrives.
 */
import { RE } from '../../engine/import/blocks.ts'
import { parsePrompt } from '../../engine/import/prompt.ts'

export type NameSource = 'folder' | 'bundle' | 'prompt' | 'hostname'

export interface NodeNameGuess {
  readonly name: string
  readonly from: NameSource
}

/** How many lines are searched for prompts; bundles and prompts name the node early. */
export const NAME_SCAN_LINES = 5000

/**
 * Every node name an input gives, strongest first and without repeats (a paste from two
 * nodes' terminals names both).
 *
 * @example
 * inferNodeNames('root@k8s-worker1:~# ip route\ndefault via 10.0.0.1 dev eth0\n') // [{ name: 'k8s-worker1', from: 'prompt' }]
 */
export function inferNodeNames(text: string, opts: { readonly folder?: string; readonly maxLines?: number } = {}): NodeNameGuess[] {
  const out: NodeNameGuess[] = []
  const add = (name: string, from: NameSource) => {
    if (name !== '' && !out.some((g) => g.name === name)) out.push({ name, from })
  }
  if (opts.folder !== undefined && opts.folder !== '') add(opts.folder, 'folder')
  const max = opts.maxLines ?? NAME_SCAN_LINES
  let start = 0
  let expectHostname = false
  for (let n = 0; n < max && start <= text.length; n++) {
    const nl = text.indexOf('\n', start)
    const end = nl < 0 ? text.length : nl
    const line = text.slice(start, end).replace(/\r$/, '')
    start = end + 1
    const t = line.trim()
    if (t === '') {
      if (nl < 0) break
      continue
    }
    if (expectHostname) {
      expectHostname = false
      if (RE.hostname.test(t)) {
        add(t, 'hostname')
        continue
      }
    }
    const header = RE.bundleHeader.exec(t)
    if (header) {
      if (header[2]) add(header[2], 'bundle')
      continue
    }
    const marker = RE.bundleMarker.exec(t)
    if (marker) {
      expectHostname = marker[1] === 'cmd' && /^(?:sudo\s+)?hostname(?:\s+-s)?$/.test(marker[2]!.trim())
      continue
    }
    if (t.length > 300) continue
    const prompt = parsePrompt(t)
    if (prompt) {
      if (prompt.host !== undefined) add(prompt.host, 'prompt')
      expectHostname = prompt.hint.format === 'hostname'
    }
    if (nl < 0) break
  }
  return out
}

/** The name field's prefill: one name, or none when the input names several nodes (each keeps its own). */
export function prefillFor(guesses: readonly NodeNameGuess[]): { readonly value: string; readonly from?: NameSource; readonly several?: readonly string[] } {
  const folder = guesses.find((g) => g.from === 'folder')
  if (folder) return { value: folder.name, from: 'folder' }
  if (guesses.length === 1) return { value: guesses[0]!.name, from: guesses[0]!.from }
  if (guesses.length > 1) return { value: '', several: guesses.map((g) => g.name) }
  return { value: '' }
}

/** The folder a dropped file came from (`dumps/node1/ip-route.txt` → `node1`), as the CLI names a node after its folder. */
export function folderOf(relativePath: string): string | undefined {
  const parts = relativePath.split('/').filter((p) => p !== '')
  return parts.length >= 2 ? parts[parts.length - 2] : undefined
}

/** A label for a new paste that no other input has: `paste 1`, `paste 2`… */
export function nextPasteName(existing: readonly string[]): string {
  for (let i = 1; ; i++) if (!existing.includes(`paste ${i}`)) return `paste ${i}`
}

/** A label for a file that no other input has (two `ip-route.txt` from two folders keep their folder). */
export function uniqueName(name: string, existing: readonly string[]): string {
  if (!existing.includes(name)) return name
  for (let i = 2; ; i++) if (!existing.includes(`${name} (${i})`)) return `${name} (${i})`
}
