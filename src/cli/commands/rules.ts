import type { Io } from '../io.ts'
import { EXIT } from '../io.ts'

export function rules(_argv: string[], io: Io): number {
  io.stderr('packetwalk: this command is not built yet\n')
  return EXIT.badInput
}
