/**
 * The API's views of linking devices to one account (docs/devices.md): part of the contract
 * (which re-exports them), kept in a file of their own to keep contract.ts readable.
 */

/** A code this device shows for a new device to link with (`enclave://link/…`), and until when it works. */
export interface LinkCodeView {
  code: string
  expiresAt: number
}

/** What the new device shows while the person confirms on the other one. */
export interface LinkPreview {
  /** Six digits, "123 456": the other device must show the same. */
  sas: string
  expiresAt: number
}

/** A device asking to link through this device's code, and how that went. */
export interface LinkRequestView {
  requestId: string
  /** The name the new device gave itself. */
  deviceName: string
  sas: string
  /** `waiting` for the person until `expiresAt`; then confirmed and `linked` (or `failed`), `declined` or `timed-out`. */
  state: 'waiting' | 'confirmed' | 'declined' | 'timed-out' | 'linked' | 'failed'
  expiresAt: number
}
