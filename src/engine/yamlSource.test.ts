import { test } from '@fast-check/vitest'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatYamlPath, readYaml } from './yamlSource.ts'

describe('readYaml', () => {
  it('locates a nested field by path', () => {
    const src = readYaml('a:\n  b:\n    - x: 1\n    - x: 2\n', { code: 'T' })
    expect(src.locate(0, ['a', 'b', 1, 'x'])).toEqual({ line: 4, col: 10 })
    // A missing key falls back to the closest ancestor that exists.
    expect(src.locate(0, ['a', 'b', 1, 'nope'])).toEqual({ line: 4, col: 7 })
  })

  it('an alias to no anchor is a diagnostic, not a crash', () => {
    const src = readYaml('a: *nope\n', { code: 'T', file: 'f.yaml' })
    expect(src.docs).toEqual([])
    expect(src.diagnostics[0]).toMatchObject({ code: 'T', file: 'f.yaml', line: 1 })
  })

  it('formats paths the way people write them', () => {
    expect(formatYamlPath(['spec', 'ports', 0, 'targetPort'])).toBe('spec.ports[0].targetPort')
  })

  test.prop([fc.string({ maxLength: 200 })])('never throws on arbitrary text', (text) => {
    const src = readYaml(text, { code: 'T' })
    expect(Array.isArray(src.diagnostics)).toBe(true)
  })

  test.prop([fc.array(fc.constantFrom('a: ', '*x', '&x ', '- ', '{', '}', '[', ']', '\n', '  ', ': ', '!!str ', '"', "'", '#', '---\n'), { maxLength: 40 })])('never throws on YAML-ish fragments', (parts) => {
    expect(() => readYaml(parts.join(''), { code: 'T' })).not.toThrow()
  })
})
