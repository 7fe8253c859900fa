import { EnclaveError } from '../errors.js'
import { previewOf } from '../chat/file-message.js'
import type { ConversationRef, MessageId, MessageView } from '../api/contract.js'
import type { FileService } from './file-service.js'

/**
 * Forwards a file to another conversation as a new share, sealed afresh from this device's copy:
 * a new key and a new root, announced to the target's members only. The original's key never
 * leaves its conversation, and its holders go on serving only that conversation's members. The
 * plaintext passes through memory chunk by chunk (as a shell's upload does), never to disk, and
 * the target's file rules apply as to any share.
 */
export async function forwardFile(files: Pick<FileService, 'get' | 'readChunk' | 'startUpload' | 'uploadChunk' | 'finishUpload' | 'cancelUpload'>, messageId: MessageId, ref: ConversationRef, caption: string): Promise<MessageView> {
  const file = await files.get(messageId)
  if (file.state !== 'complete') throw new EnclaveError('bad-request', 'the file is not on this device yet: download it, then forward it')
  const { uploadId, chunkBytes } = await files.startUpload({ name: file.name, size: file.size, mime: file.mime })
  try {
    for (let i = 0; i * chunkBytes < file.size; i++) await files.uploadChunk(uploadId, i, await files.readChunk(messageId, i))
    return await files.finishUpload(uploadId, ref, caption, file.preview === undefined ? undefined : previewOf(file.preview))
  } catch (err) {
    await files.cancelUpload(uploadId).catch(() => undefined)
    throw err
  }
}
