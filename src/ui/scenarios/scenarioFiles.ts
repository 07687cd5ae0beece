/**
 * The curriculum's scenario files (scenarios/*.yaml) as catalog entries. Titles in the picker
 * come from the file names until a file is opened (reading every file up front would put
 * them all in the first download); opening one runs it with the engine's scenario runner.
 */
import type { LoadedScenario, ScenarioEntry } from './types.ts'

const files = import.meta.glob<string>('../../../scenarios/*.yaml', { query: '?raw', import: 'default' })

/** `06-pod-to-pod-flannel-vxlan` → `6. pod to pod flannel vxlan` */
export function titleFromFile(name: string): string {
  const m = /^(\d+)-(.*)$/.exec(name)
  const words = (m ? m[2]! : name).replace(/-/g, ' ')
  return m ? `${Number(m[1])}. ${words}` : words
}

export const scenarioFileCatalog: readonly ScenarioEntry[] = Object.keys(files)
  .sort()
  .map((path) => {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.yaml$/, '')
    return {
      id: `scn-${name}`,
      title: titleFromFile(name),
      summary: 'A curriculum scenario (scenarios/' + name + '.yaml)',
      group: 'Curriculum scenarios',
      load: async (): Promise<LoadedScenario> => {
        const read = files[path]
        if (!read) throw new Error(`no scenario file ${path}`)
        const { loadScenarioText } = await import('./runScenarioFile.ts')
        return loadScenarioText(`scn-${name}`, await read(), `scenarios/${name}.yaml`)
      },
    }
  })
