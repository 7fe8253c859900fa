/** Most files one drop shares: a dropped home folder should not queue a hundred thousand uploads. */
export const MAX_DROPPED_FILES = 500

/**
 * The files a drop carries, folders opened: every file inside a dropped folder, at any depth
 * (the browser hands a folder as an entry, not a file). Hidden files (".DS_Store", ".git") are
 * left out of folders. Throws past MAX_DROPPED_FILES rather than sharing part of a folder.
 */
export async function droppedFiles(data: DataTransfer): Promise<File[]> {
  // Entries must be taken while the event is being handled; reading them may come later.
  const entries = [...data.items].map((item) => item.webkitGetAsEntry())
  const loose = [...data.files]
  const out: File[] = []
  for (const [i, entry] of entries.entries()) {
    if (entry === null) {
      const file = loose[i]
      if (file !== undefined) out.push(file)
    } else {
      await collect(entry, out, true)
    }
  }
  return out
}

async function collect(entry: FileSystemEntry, out: File[], top: boolean): Promise<void> {
  if (!top && entry.name.startsWith('.')) return
  if (out.length > MAX_DROPPED_FILES) throw new Error(`a drop shares at most ${MAX_DROPPED_FILES} files`)
  if (entry.isFile) {
    out.push(await new Promise<File>((resolve, reject) => { (entry as FileSystemFileEntry).file(resolve, reject) }))
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
