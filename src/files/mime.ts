import mime from 'mime'

/**
 * A file's media type from its name, for previews and thumbnails (a receiver never trusts it to
 * run anything: it only picks a viewer). Unknown types are `application/octet-stream`.
 */
export function mimeOf(name: string): string {
  return mime.getType(name) ?? 'application/octet-stream'
}
