/** Most files one share takes (a drop, a folder): a dropped home folder should not queue a hundred thousand uploads. */
export const MAX_DROPPED_FILES = 500

/**
 * The files a drop carries, folders opened: every file inside a dropped folder, at any depth
 * (the browser hands a folder as an entry, not a file). Hidden files (".DS_Store", ".git") are
 * left out of folders. Throws past MAX_DROPPED_FILES rather than sharing part of a folder.
 */
export async function droppedFiles(data: DataTransfer): Promise<File[]> {
  // Entries must be taken while the event is being handled; reading them may come later. Only
  // file items count (a drag from a web page carries text and links beside them).
  const items = [...data.items].filter((item) => item.kind === 'file').map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }))
  const out: File[] = []
  for (const { entry, file } of items) {
    if (entry !== null) await collect(entry, out, true)
    else if (file !== null) add(out, file)
  }
  return out
}

function add(out: File[], file: File): void {
  if (out.length >= MAX_DROPPED_FILES) throw new Error(`one share takes at most ${MAX_DROPPED_FILES} files`)
  out.push(file)
}

async function collect(entry: FileSystemEntry, out: File[], top: boolean): Promise<void> {
  if (!top && entry.name.startsWith('.')) return
  if (entry.isFile) {
    add(out, await new Promise<File>((resolve, reject) => { (entry as FileSystemFileEntry).file(resolve, reject) }))
    return
  }
  if (!entry.isDirectory) return
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  // readEntries gives a batch at a time (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => { reader.readEntries(resolve, reject) })
    if (batch.length === 0) break
    for (const child of batch.sort((a, b) => a.name.localeCompare(b.name))) await collect(child, out, false)
  }
}
