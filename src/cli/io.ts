/** What a command may touch: its arguments, output streams and the file system (injected for tests). */
export interface Io {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly readFile: (path: string) => string
  readonly isDirectory: (path: string) => boolean
  readonly listDir: (path: string) => string[]
  readonly exists: (path: string) => boolean
}

export type Command = (argv: string[], io: Io) => Promise<number> | number

/** Exit statuses from the contract: 0 ran, 1 check failed, 2 bad input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const

/** Thrown for bad input: printed on stderr, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface ParsedArgs {
  readonly positional: string[]
  readonly flags: Map<string, string[]>
}

/**
 * Parse `--flag value`, `--flag=value` and boolean `--flag` options. `booleans` lists the
 * flags that take no value; anything unknown is an error naming the flags that exist.
 */
export function parseArgs(argv: string[], spec: { booleans: string[]; values: string[] }): ParsedArgs {
  const positional: string[] = []
  const flags = new Map<string, string[]>()
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v])
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (!a.startsWith('--') || a === '-') {
      positional.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
    if (spec.booleans.includes(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`)
      add(name, 'true')
    } else if (spec.values.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i]
      if (v === undefined) throw new UsageError(`--${name} needs a value`)
      add(name, v)
    } else {
      const known = [...spec.booleans, ...spec.values].map((f) => `--${f}`).join(', ')
      throw new UsageError(`unknown option ${a} (options: ${known})`)
    }
  }
  return { positional, flags }
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1)
}

export function flagAll(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? []
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name)
}
