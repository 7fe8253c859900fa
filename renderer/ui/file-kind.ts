/** What kind of file a media type says, for its badge's colour and the Files view's filters. */
export type FileKind = 'image' | 'media' | 'pdf' | 'text' | 'archive' | 'other'

export function kindOf(mime: string): FileKind {
  if (mime.startsWith('image/')) return 'image'
  if (mime.startsWith('video/') || mime.startsWith('audio/')) return 'media'
  if (mime === 'application/pdf') return 'pdf'
  if (mime.startsWith('text/')) return 'text'
  if (/zip|tar|gzip|compressed|7z|rar/.test(mime)) return 'archive'
  return 'other'
}

/** "PDF", "PNG": a name's extension, up to 4 characters, for the badge (no emoji: not every desktop has a font for them). */
export function extensionOf(name: string): string {
  return (/\.([A-Za-z0-9]{1,4})$/.exec(name)?.[1] ?? '').toUpperCase()
}

/** The Files view's filters. Documents: PDFs, text, office files. */
export type FileFilter = 'all' | 'media' | 'documents' | 'other'

export function matchesFilter(mime: string, filter: FileFilter): boolean {
  const kind = kindOf(mime)
  switch (filter) {
    case 'all': return true
    case 'media': return kind === 'image' || kind === 'media'
    case 'documents': return kind === 'pdf' || kind === 'text' || /msword|officedocument|opendocument|spreadsheet|presentation|rtf/.test(mime)
    case 'other': return !matchesFilter(mime, 'media') && !matchesFilter(mime, 'documents')
  }
}
