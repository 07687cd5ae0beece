/** The packetwalk command line (contract: README "Command line"). */
export function main(argv: string[]): Promise<number> {
  return Promise.resolve(run(argv))
}

function run(argv: string[]): number {
  const [cmd] = argv
  if (!cmd || cmd === '--help' || cmd === '-h') {
    process.stdout.write('usage: packetwalk trace|rules|import|check|export-script ...\n')
    return 0
  }
  process.stderr.write(`packetwalk: unknown command "${cmd}"\n`)
  return 2
}
