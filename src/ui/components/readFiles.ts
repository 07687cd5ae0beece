/** Files from a picker or a drop, read as text (names kept: references resolve by file name). */
import type { GivenFile } from '../scenarios/references.ts'

export async function readFiles(list: FileList | readonly File[]): Promise<GivenFile[]> {
  return Promise.all(Array.from(list, async (f) => ({ name: f.name, text: await f.text() })))
}
