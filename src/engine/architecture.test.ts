/** The engine stays pure: no UI libraries, no DOM, no Node built-ins, no clock, no global RNG. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ENGINE = new URL('.', import.meta.url).pathname

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return sources(p)
    return /\.tsx?$/.test(name) && !/\.(test|bench)\.tsx?$/.test(name) ? [p] : []
  })
}

const FORBIDDEN: [RegExp, string][] = [
  [/from\s+['"](react|react-dom)(\/[^'"]*)?['"]/, 'imports React'],
  [/from\s+['"]zustand(\/[^'"]*)?['"]/, 'imports zustand'],
  [/from\s+['"]@xyflow\/[^'"]+['"]/, 'imports React Flow'],
  [/from\s+['"](framer-motion|motion)(\/[^'"]*)?['"]/, 'imports framer-motion'],
  [/from\s+['"](node:)?(fs|path|child_process|os|process)['"]/, 'imports a Node built-in'],
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now())'],
  [/\bnew Date\s*\(\s*\)/, 'reads the clock (new Date())'],
  [/\bMath\.random\s*\(/, 'uses Math.random()'],
  [/\b(window|document|localStorage|navigator)\s*\./, 'touches the DOM'],
  [/\bperformance\.now\s*\(/, 'reads the clock (performance.now())'],
]

export function violations(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
  return FORBIDDEN.filter(([re]) => re.test(code)).map(([, why]) => why)
}

describe('engine purity', () => {
  it('finds engine sources to check', () => {
    expect(sources(ENGINE).length).toBeGreaterThan(3)
  })

  it('no engine module imports UI/DOM/Node or reads the clock or Math.random', () => {
    const bad = sources(ENGINE).flatMap((f) => violations(readFileSync(f, 'utf8')).map((v) => `${f.slice(ENGINE.length)}: ${v}`))
    expect(bad).toEqual([])
  })

  it('the checker itself catches each forbidden pattern', () => {
    expect(violations(`import { useState } from 'react'`)).toContain('imports React')
    expect(violations(`import { create } from 'zustand'`)).toContain('imports zustand')
    expect(violations(`import { ReactFlow } from '@xyflow/react'`)).toContain('imports React Flow')
    expect(violations(`import { motion } from 'motion/react'`)).toContain('imports framer-motion')
    expect(violations(`const t = Date.now()`)).toContain('reads the clock (Date.now())')
    expect(violations(`const r = Math.random()`)).toContain('uses Math.random()')
    expect(violations(`window.alert(1)`)).toContain('touches the DOM')
    expect(violations(`// Date.now() in a comment is fine`)).toEqual([])
  })
})
