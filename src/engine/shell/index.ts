/**
 * The simulated shell's public surface: run command lines against a world as the real tools
 * would (runLine), complete words (complete), and the curriculum's exercises as labs.
 */
export { runLine, needsMoreInput, shellSegments, interruptShell } from './run.ts'
export type { RunContext, ShellRun } from './run.ts'
export { createShell, adoptWorld, moveShell, prompt, netnsDisplayName, namedNetns, resolveNetnsName, machineOf } from './state.ts'
export type { ShellState, Capture, ShellFrame } from './state.ts'
export { complete } from './complete.ts'
export { LABS, checkLab, labWorld, findLab } from './labs.ts'
export type { Lab, LabId, LabCheck, LabResult, DnsFault } from './labs.ts'
export { parseShell } from './parse.ts'
export type { ParseResult } from './parse.ts'
export { SH_CODES, SH_CODE_TABLE } from './codes.ts'
export type { OutputChunk } from './session.ts'
