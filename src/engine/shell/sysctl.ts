/**
 * `sysctl KEY…`, `sysctl -n KEY`, `sysctl -w KEY=VALUE…`, `sysctl KEY=VALUE`, `sysctl -a`
 * (procps-ng), on the netns the command runs in. Which keys are simulated: sysctlTable.ts.
 */
import { allSysctlKeys, readSysctl, sysctlKey, writeSysctl } from './sysctlTable.ts'
import type { Command } from './session.ts'

export const sysctl: Command = (io, argv) => {
  let write = false
  let valuesOnly = false
  let all = false
  let quiet = false
  const items: string[] = []
  for (const a of argv.slice(1)) {
    if (/^-[wnaqe]+$/.test(a)) {
      write ||= a.includes('w')
      valuesOnly ||= a.includes('n')
      all ||= a.includes('a')
      quiet ||= a.includes('q')
    } else if (a === '--all') all = true
    else if (a === '--write') write = true
    else if (a === '--values') valuesOnly = true
    else if (a.startsWith('-')) {
      io.err(`sysctl: invalid option -- '${a.replace(/^-+/, '')}'\n`)
      return 255
    } else items.push(a)
  }
  const w = io.sh.world
  if (all) {
    for (const k of allSysctlKeys(w, io.netns)) {
      const v = readSysctl(w, io.netns, io.sh.files, k)
      if (v !== undefined) io.out(valuesOnly ? `${v}\n` : `${k} = ${v}\n`)
    }
    return 0
  }
  let status = 0
  for (const item of items) {
    const eq = item.indexOf('=')
    if (write || eq >= 0) {
      if (eq < 0) {
        io.err(`sysctl: command line(0): invalid syntax, continuing...\n`)
        status = 1
        continue
      }
      const key = sysctlKey(item.slice(0, eq).trim())
      const value = item.slice(eq + 1).trim()
      const r = writeSysctl(io.sh.world, io.netns, io.sh.files, key, value)
      if (r.error) {
        io.err(r.error === 'ENOENT' ? `sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n` : `sysctl: setting key "${key}": Invalid argument\n`)
        status = 1
        continue
      }
      if (r.world !== io.sh.world) io.sh.setWorld(r.world)
      if (r.files) io.sh.files = r.files
      if (!quiet) io.out(valuesOnly ? `${value}\n` : `${key} = ${value}\n`)
      if (r.unmodelled) io.err(`packetwalk: ${key} is not simulated: the value is kept, but packets behave as before\n`)
      continue
    }
    const key = sysctlKey(item)
    const v = readSysctl(w, io.netns, io.sh.files, key)
    if (v === undefined) {
      io.err(`sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n`)
      status = 1
      continue
    }
    io.out(valuesOnly ? `${v}\n` : `${key} = ${v}\n`)
  }
  return status
}
