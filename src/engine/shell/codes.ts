/**
 * Stable diagnostic codes for command lines typed into the simulated shell. A code never
 * changes meaning once released; new problems get new numbers.
 */
export const SH_CODES = {
  SH001: 'unterminated quote',
  SH002: 'here-document not terminated',
  SH003: 'syntax error near an unexpected token',
  SH004: 'unterminated command substitution or parameter expansion',
  SH005: 'line ends with an operator',
  SH006: 'bad parameter expansion',
} as const

export type ShCode = keyof typeof SH_CODES

/** The codes as `{ code, title }` rows, for the diagnostics index. */
export const SH_CODE_TABLE: readonly { readonly code: ShCode; readonly title: string }[] = Object.entries(SH_CODES).map(([code, title]) => ({ code: code as ShCode, title }))
