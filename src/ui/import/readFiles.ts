/**
 * Turning what the user drops or picks into inputs: files (a folder's files are named after
 * the folder, one node per folder, as the CLI does), or dragged text. Binary files are
 * skipped and said so; nothing is uploaded anywhere (File.text() reads locally).
 */
import { folderOf } from './nameInference.ts'
import type { NewInput } from './useImportStore.ts'

export interface Picked {
  readonly inputs: NewInput[]
  /** Files left out, with why. */
  readonly skipped: string[]
}

/** NUL bytes in the first 4 KB: not a text dump. */
export function looksBinary(text: string): boolean {
  return text.slice(0, 4096).includes('\u0000')
}

async function fromFile(file: File, relativePath: string, out: Picked): Promise<void> {
  let text: string
  try {
    text = await file.text()
  } catch (e) {
    out.skipped.push(`${relativePath}: cannot be read (${e instanceof Error ? e.message : String(e)})`)
    return
  }
  if (looksBinary(text)) {
    out.skipped.push(`${relativePath}: not text (an archive or a binary file?); unpack it and drop the text files`)
    return
  }
  const folder = folderOf(relativePath)
  out.inputs.push({ text, name: file.name, ...(folder !== undefined && { folder }) })
}

/** Files from a file input (`webkitRelativePath` is set when a folder was picked). */
export async function readPickedFiles(files: Iterable<File>): Promise<Picked> {
  const out: Picked = { inputs: [], skipped: [] }
  for (const f of files) await fromFile(f, f.webkitRelativePath || f.name, out)
  return out
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject))
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = []
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all)
        else {
          all.push(...batch)
          next()
        }
      }, reject)
    next()
  })
}

async function walk(entry: FileSystemEntry, path: string, out: Picked, depth: number): Promise<void> {
  if (entry.isFile) {
    if (!entry.name.startsWith('.')) await fromFile(await entryFile(entry as FileSystemFileEntry), path, out)
    return
  }
  if (entry.isDirectory && depth < 3) {
    const children = await readAll((entry as FileSystemDirectoryEntry).createReader())
    children.sort((a, b) => a.name.localeCompare(b.name))
    for (const c of children) await walk(c, `${path}/${c.name}`, out, depth + 1)
  }
}

/** What was dropped: folders and files, or else dragged text. */
export async function readDropped(dt: DataTransfer): Promise<Picked> {
  const out: Picked = { inputs: [], skipped: [] }
  const entries = Array.from(dt.items ?? [])
    .filter((i) => i.kind === 'file')
    .map((i) => (typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null))
  if (entries.length > 0 && entries.every((e) => e !== null)) {
    for (const e of entries) await walk(e, e.name, out, 0)
    return out
  }
  if (dt.files.length > 0) return readPickedFiles(Array.from(dt.files))
  const text = dt.getData('text/plain')
  if (text.trim() !== '') out.inputs.push({ text })
  return out
}
