/**
 * Start the layout worker before its first job: when a scenario without a ready layout is
 * picked (while it loads and runs), or an import is read. ELK's worker takes a few hundred
 * milliseconds to start; starting it early takes that off the first graph's render. Light on
 * purpose: the worker code itself stays in its own lazily loaded chunk.
 */
export function warmUpLayout(): void {
  if (typeof Worker === 'undefined') return
  void import('./elk.ts').then((m) => m.warmUpElk()).catch(() => undefined)
}
