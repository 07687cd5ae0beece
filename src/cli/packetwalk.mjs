#!/usr/bin/env node
// The `packetwalk` command: runs the TypeScript engine in Node through tsx.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv.slice(2))
