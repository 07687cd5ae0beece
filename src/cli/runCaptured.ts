/** For tests: run the CLI in this process with stdout and stderr captured. */
import { main, nodeIo } from './main.ts'
import type { Io } from './io.ts'

export async function runCaptured(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const io: Io = { ...nodeIo, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}
