import { describe, expect, it } from 'vitest'
import type { DraftInput } from './persist.ts'
import { draftsSignature, newDraft, toDumpInputs } from './useImportStore.ts'

const draft = (d: Partial<DraftInput>): DraftInput => ({ id: 'a', name: 'paste 1', text: 'default via 10.0.0.1 dev eth0\n', node: '', nodeEdited: false, ...d })

describe('inputs for the importer', () => {
  it.each<[DraftInput, string | undefined, string]>([
    // [draft, node passed to the importer, why]
    [draft({}), undefined, 'no name: the importer names it'],
    [draft({ node: 'w1' }), undefined, 'a prefill from the prompt is what the importer reads anyway (and it says where it came from)'],
    [draft({ node: 'w1', nodeEdited: true }), 'w1', 'typed by the user: it wins'],
    [draft({ node: ' w1 ', nodeEdited: true }), 'w1', 'spaces around a typed name do not count'],
    [draft({ node: 'node1', folder: 'node1' }), 'node1', 'a folder names its files, as the CLI does'],
    [draft({ node: '', nodeEdited: true }), undefined, 'a name typed away: back to the importer'],
  ])('%j → %s (%s)', (d, node) => {
    expect(toDumpInputs([d])[0]?.node).toBe(node)
  })

  it('leaves empty inputs out', () => {
    expect(toDumpInputs([draft({ text: ' \n' }), draft({ id: 'b' })])).toHaveLength(1)
  })
})

describe('new inputs', () => {
  it('prefills the node from the text and labels pastes and files uniquely', () => {
    const first = newDraft({ text: 'root@k8s-worker1:~# ip route\n' }, [], 'x')
    expect([first.name, first.node, first.nodeEdited]).toEqual(['paste 1', 'k8s-worker1', false])
    const file = newDraft({ text: 'x', name: 'ip-route.txt', folder: 'node2' }, [first], 'y')
    expect([file.name, file.node, file.folder]).toEqual(['node2/ip-route.txt', 'node2', 'node2'])
    expect(newDraft({ text: 'x' }, [first, file], 'z').name).toBe('paste 2')
  })

  it('changes the signature when what is read changes, not otherwise', () => {
    const d = [draft({})]
    expect(draftsSignature(d, false)).toBe(draftsSignature([draft({})], false))
    expect(draftsSignature(d, true)).not.toBe(draftsSignature(d, false))
    expect(draftsSignature([draft({ text: 'default via 10.0.0.2 dev eth0\n' })], false)).not.toBe(draftsSignature(d, false))
    expect(draftsSignature([draft({ node: 'w2', nodeEdited: true })], false)).not.toBe(draftsSignature(d, false))
  })
})
