/**
 * Argument rules the iproute2 tools (`ip`, `bridge`) share. iproute2 accepts any non-empty
 * prefix of a keyword (`ip a`, `ip l s`, `bridge f sh`), checked in its own order, so the
 * first keyword that matches wins (`ip a` is `address`, not `addrlabel`).
 */

/**
 * iproute2's `matches()`: is `arg` a non-empty prefix of `word`?
 *
 * @example
 * matches('sh', 'show') // true
 */
export function matches(arg: string | undefined, word: string): boolean {
  return arg !== undefined && arg.length > 0 && word.startsWith(arg)
}
