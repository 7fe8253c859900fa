/** Side of the square avatar picture stored in the directory, in pixels. */
const SIZE = 128
/**
 * Every member who shows the picture fetches it (the profile op names it by hash): keep it a few
 * KiB, well under the core's 48 KiB limit.
 */
const MAX_BYTES = 48 * 1024

/**
 * Turns a picked image file into a small square WebP data: URL (centre-cropped), ready to put in
 * a member profile. Throws when the file is not an image the browser can decode.
 */
export async function avatarFromFile(file: File): Promise<string> {
  const bitmap = await createImageBitmap(file)
  const side = Math.min(bitmap.width, bitmap.height)
  const canvas = document.createElement('canvas')
  canvas.width = SIZE
  canvas.height = SIZE
  const ctx = canvas.getContext('2d')
  if (ctx === null) throw new Error('no 2D canvas')
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, SIZE, SIZE)
  bitmap.close()
  for (const quality of [0.85, 0.7, 0.5]) {
    const url = canvas.toDataURL('image/webp', quality)
    if (url.length <= MAX_BYTES && url.startsWith('data:image/webp;base64,')) return url
  }
  // Browsers without WebP encoding fall back to JPEG.
  return canvas.toDataURL('image/jpeg', 0.7)
}
