import type { FilePreviewView } from '../../src/api/contract'

/** A thumbnail fits this box, in CSS pixels at 2× (a 320×240 card on a sharp screen is 640 px wide). */
const BOX = 640
/** The core takes thumbnails up to 32 KiB (limits.ts); these stay well under, as a data: URL. */
const MAX_URL_LENGTH = 40 * 1024
/** A video that does not show a frame within this long gets no thumbnail (the file still goes). */
const VIDEO_WAIT_MS = 5000

/** Pictures the browser decodes into pixels (SVG is left alone: it is a document, not pixels). */
export const isPicture = (mime: string): boolean => mime.startsWith('image/') && mime !== 'image/svg+xml'
export const isVideo = (mime: string): boolean => mime.startsWith('video/')
/**
 * What the viewer reads into the page's memory at most, by kind (it holds the whole file): a
 * larger file is saved and opened elsewhere, and the viewer never fetches it.
 */
export const MAX_PICTURE_VIEW_BYTES = 50 * 1000 * 1000
export const MAX_VIDEO_VIEW_BYTES = 200 * 1000 * 1000
export const MAX_TEXT_VIEW_BYTES = 2 * 1000 * 1000
export const MAX_PDF_VIEW_BYTES = 50 * 1000 * 1000
export const isPdf = (mime: string): boolean => mime === 'application/pdf'
export const isText = (mime: string): boolean => mime.startsWith('text/') || /^application\/(json|xml|x-yaml|yaml|toml|x-sh|javascript|sql)$/.test(mime)
/** What the viewer opens: pictures, videos, PDFs, and text that is not too long to read. */
export const isViewable = (file: { mime: string; size: number }): boolean =>
  (isPicture(file.mime) && file.size <= MAX_PICTURE_VIEW_BYTES) || (isVideo(file.mime) && file.size <= MAX_VIDEO_VIEW_BYTES) ||
  (isText(file.mime) && file.size <= MAX_TEXT_VIEW_BYTES) || (isPdf(file.mime) && file.size <= MAX_PDF_VIEW_BYTES)

/**
 * An image's or short video's look, made here before it is shared: its size and a small WebP
 * thumbnail, which travel inside the message so colleagues see the picture before fetching the
 * file. Undefined for other files, and for anything this browser cannot decode.
 */
export async function previewOf(file: File): Promise<FilePreviewView | undefined> {
  try {
    if (isPicture(file.type)) return await pictureLook(file)
    if (isVideo(file.type)) return await videoLook(file)
  } catch {
    // Not decodable here (a broken or exotic file): it is shared without a preview.
  }
  return undefined
}

async function pictureLook(file: File): Promise<FilePreviewView | undefined> {
  const bitmap = await createImageBitmap(file)
  try {
    const thumb = thumbnail(bitmap, bitmap.width, bitmap.height)
    return thumb === undefined ? undefined : { width: bitmap.width, height: bitmap.height, thumb }
  } finally {
    bitmap.close()
  }
}

async function videoLook(file: File): Promise<FilePreviewView | undefined> {
  const video = document.createElement('video')
  video.muted = true
  video.preload = 'auto'
  const url = URL.createObjectURL(file)
  try {
    const ready = (event: string): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('the video shows no frame')) }, VIDEO_WAIT_MS)
      video.addEventListener(event, () => { clearTimeout(timer); resolve() }, { once: true })
      video.addEventListener('error', () => { clearTimeout(timer); reject(new Error('the video cannot be decoded')) }, { once: true })
    })
    const loaded = ready('loadeddata')
    video.src = url
    await loaded
    // A frame a little way in: the very first is often black.
    const seeked = ready('seeked')
    video.currentTime = Math.min(1, video.duration / 10)
    await seeked
    const thumb = thumbnail(video, video.videoWidth, video.videoHeight)
    if (thumb === undefined || video.videoWidth === 0) return undefined
    const durationMs = Number.isFinite(video.duration) ? Math.round(video.duration * 1000) : undefined
    return { width: video.videoWidth, height: video.videoHeight, thumb, ...(durationMs === undefined ? {} : { durationMs }) }
  } finally {
    video.removeAttribute('src')
    URL.revokeObjectURL(url)
  }
}

/** The source scaled to fit BOX (never up), as a WebP data: URL under MAX_URL_LENGTH, or undefined. */
function thumbnail(source: CanvasImageSource, width: number, height: number): string | undefined {
  if (width === 0 || height === 0) return undefined
  for (const box of [BOX, BOX / 2]) {
    const scale = Math.min(1, box / Math.max(width, height))
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(width * scale))
    canvas.height = Math.max(1, Math.round(height * scale))
    const ctx = canvas.getContext('2d')
    if (ctx === null) return undefined
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height)
    for (const quality of [0.75, 0.55, 0.4]) {
      const url = canvas.toDataURL('image/webp', quality)
      // A browser without WebP encoding gives PNG: JPEG then, which every browser encodes.
      const usable = url.startsWith('data:image/webp;base64,') ? url : canvas.toDataURL('image/jpeg', quality)
      if (usable.length <= MAX_URL_LENGTH) return usable
    }
  }
  return undefined
}
