/**
 * The OS keychain as Electron's safeStorage offers it, behind one promise-based surface.
 *
 * Electron 41 (ours) has only the synchronous calls. Later Electrons add
 * `encryptStringAsync`/`decryptStringAsync`/`isAsyncEncryptionAvailable` (non-blocking, key
 * rotation via `shouldReEncrypt`) and deprecate, then remove, the synchronous ones; data sealed
 * with the synchronous API opens with the asynchronous one. The asynchronous calls are found at
 * runtime and preferred when present, so an Electron upgrade switches without code changes.
 */

/** What is used of Electron's `safeStorage`; the asynchronous calls are not in Electron 41's types. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plainText: string): Buffer
  decryptString(encrypted: Buffer): string
  /** Linux only (absent elsewhere): which secret store backs the keys; `basic_text` is none. */
  getSelectedStorageBackend?: () => string
  isAsyncEncryptionAvailable?: () => Promise<boolean>
  encryptStringAsync?: (plainText: string) => Promise<Buffer>
  decryptStringAsync?: (encrypted: Buffer) => Promise<{ shouldReEncrypt: boolean; result: string }>
}

/**
 * - `available`: keys are kept by the OS (macOS Keychain, Windows DPAPI, a Linux keyring).
 * - `basic-text`: Linux without a keyring: Chromium would "encrypt" with a key hard-coded in
 *   every copy of Chromium, which protects nothing.
 * - `unavailable`: the keychain cannot be used at all right now.
 */
export type KeychainStatus = 'available' | 'basic-text' | 'unavailable'

export interface Keychain {
  /** Which of safeStorage's APIs seals and opens: `async` when this Electron has it. */
  readonly api: 'async' | 'sync'
  status(): Promise<KeychainStatus>
  seal(text: string): Promise<Buffer>
  /** `reseal`: the keychain rotated its key; seal the text again and store the new bytes. */
  open(sealed: Buffer): Promise<{ text: string; reseal: boolean }>
}

export function keychainOf(safeStorage: SafeStorageLike): Keychain {
  const backend = (): string | null => (typeof safeStorage.getSelectedStorageBackend === 'function' ? safeStorage.getSelectedStorageBackend() : null)
  const asyncApi = typeof safeStorage.encryptStringAsync === 'function' && typeof safeStorage.decryptStringAsync === 'function'

  const available = async (): Promise<boolean> => {
    if (asyncApi && typeof safeStorage.isAsyncEncryptionAvailable === 'function') return safeStorage.isAsyncEncryptionAvailable()
    return safeStorage.isEncryptionAvailable()
  }

  return {
    api: asyncApi ? 'async' : 'sync',
    status: async () => {
      // Checked first: with basic_text, Chromium reports encryption as available.
      if (backend() === 'basic_text') return 'basic-text'
      return (await available()) ? 'available' : 'unavailable'
    },
    seal: async (text) => {
      if (safeStorage.encryptStringAsync !== undefined && asyncApi) return safeStorage.encryptStringAsync(text)
      return safeStorage.encryptString(text)
    },
    open: async (sealed) => {
      if (safeStorage.decryptStringAsync !== undefined && asyncApi) {
        const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(sealed)
        return { text: result, reseal: shouldReEncrypt }
      }
      return { text: safeStorage.decryptString(sealed), reseal: false }
    }
  }
}
