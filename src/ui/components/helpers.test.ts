import { describe, expect, it } from 'vitest'
import { scriptFileName } from './downloadScript.ts'
import { lineOf, where } from './problemText.ts'

describe('the script download’s name', () => {
  it.each([
    ['scn-05-pod-to-pod-same-node', 0, '05-pod-to-pod-same-node.sh'], // the first step: just the scenario
    ['scn-05-pod-to-pod-same-node', 11, '05-pod-to-pod-same-node-step-12.sh'], // steps are 1-based, as shown
    ['file-week-3', 2, 'week-3-step-3.sh'],
    ['shell:lab-bridge', 0, 'shell-lab-bridge.sh'], // no characters a file system dislikes
  ])('%s at frame %i → %s', (id, frame, name) => {
    expect(scriptFileName(id, frame)).toBe(name)
  })
})

describe('a problem’s place and line', () => {
  const files = { 'lesson.yaml': 'a: 1\nb: 2\nc: 3', 'classroom.yaml': 'x\ny' }
  it.each([
    [{ file: 'lesson.yaml', line: 2, col: 4 }, 'lesson.yaml:2:4', 'b: 2'], // read from the file named
    [{ file: 'worlds/classroom.yaml', line: 2 }, 'worlds/classroom.yaml:2', 'y'], // named by path, given by name
    [{ file: 'lesson.yaml', line: 3, text: 'verbatim' }, 'lesson.yaml:3', 'verbatim'], // the diagnostic's own copy wins
    [{ line: 1 }, '1', undefined], // no file: no line to show
    [{}, '', undefined],
  ])('%j', (d, at, line) => {
    const diag = { code: 'SCN002', severity: 'error' as const, message: 'm', ...d }
    expect(where(diag)).toBe(at)
    expect(lineOf(diag, files)).toBe(line)
  })
})
