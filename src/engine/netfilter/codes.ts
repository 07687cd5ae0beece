/**
 * Stable diagnostic codes for netfilter text (iptables-save, iptables -S, iptables argv).
 * A code never changes meaning once released; new problems get new numbers.
 */
export const NF_CODES = {
  NF001: 'unknown chain or jump target',
  NF002: 'jump loop',
  NF003: 'missing COMMIT',
  NF004: 'line outside a table',
  NF005: 'unknown table',
  NF006: 'unknown option',
  NF007: 'bad value',
  NF008: 'unterminated quote',
  NF009: 'bad policy',
  NF010: 'chain already exists',
  NF011: 'old negation form',
  NF012: 'option not modelled',
  NF013: 'missing value',
  NF014: 'unsupported command in a save file',
  NF015: 'not iptables-save text',
  NF016: 'bad counters',
  NF017: 'unquoted multi-word comment',
  NF018: 'unknown match module',
} as const

export type NfCode = keyof typeof NF_CODES

/** The codes as `{ code, title }` rows, for the diagnostics index. */
export const NF_CODE_TABLE: readonly { readonly code: NfCode; readonly title: string }[] = Object.entries(NF_CODES).map(([code, title]) => ({ code: code as NfCode, title }))
