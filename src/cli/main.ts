/**
 * The packetwalk command line. Contract: README "Command line". Each command lives in
 * src/cli/commands/ and receives its arguments and an Io; nothing here knows their insides.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import type { Command, Io } from './io.ts'
import { EXIT, UsageError } from './io.ts'

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  trace: { summary: 'trace a packet through a world, cluster, scenario or node dumps', load: async () => (await import('./commands/trace.ts')).trace },
  rules: { summary: 'print the iptables-save text kube-proxy would program on a node', load: async () => (await import('./commands/rules.ts')).rules },
  import: { summary: 'show what the importer understood from node dumps', load: async () => (await import('./commands/import.ts')).importCmd },
  check: { summary: 'validate and replay scenario files', load: async () => (await import('./commands/check.ts')).check },
  'export-script': { summary: 'print a bash script that builds the world in real network namespaces', load: async () => (await import('./commands/exportScript.ts')).exportScript },
}

export const nodeIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => (p === '-' ? readFileSync(0, 'utf8') : readFileSync(p, 'utf8')),
  isDirectory: (p) => existsSync(p) && statSync(p).isDirectory(),
  listDir: (p) => readdirSync(p).sort(),
  exists: (p) => p === '-' || existsSync(p),
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`)
  return `usage: packetwalk <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`packetwalk <command> --help\` for a command's options.\n`
}

export async function main(argv: string[], io: Io = nodeIo): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage())
    return name ? EXIT.ok : EXIT.badInput
  }
  const cmd = COMMANDS[name]
  if (!cmd) {
    io.stderr(`packetwalk: unknown command "${name}"\n${usage()}`)
    return EXIT.badInput
  }
  try {
    return await (await cmd.load())(rest, io)
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`packetwalk ${name}: ${e.message}\n`)
      return EXIT.badInput
    }
    throw e
  }
}
