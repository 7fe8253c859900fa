// Decoding helpers shared by families that take MLSMessage-wrapped inputs.
import type { KeyPackage, MLSMessage, PrivateMessage, PublicMessage, Welcome } from 'ts-mls'
import { decodeMlsMessage } from 'ts-mls'
import type { VectorCase } from './runner.js'

export function decodeMessage(c: VectorCase, bytes: Uint8Array, what: string): MLSMessage {
  const decoded = c.some(decodeMlsMessage(bytes, 0), `${what} decodes as MLSMessage`)
  // A decoder that stops short would silently ignore trailing bytes of the vector.
  c.equal(decoded[1], bytes.length, `${what}: bytes consumed`)
  return decoded[0]
}

export function decodeWelcome(c: VectorCase, bytes: Uint8Array, what: string): Welcome {
  const m = decodeMessage(c, bytes, what)
  if (m.wireformat !== 'mls_welcome') throw new Error(c.msg(`${what} is ${m.wireformat}, expected mls_welcome`))
  return m.welcome
}

export function decodeKeyPackage(c: VectorCase, bytes: Uint8Array, what: string): KeyPackage {
  const m = decodeMessage(c, bytes, what)
  if (m.wireformat !== 'mls_key_package') throw new Error(c.msg(`${what} is ${m.wireformat}, expected mls_key_package`))
  return m.keyPackage
}

export type Framed = { kind: 'public'; msg: PublicMessage } | { kind: 'private'; msg: PrivateMessage }

export function decodeFramed(c: VectorCase, bytes: Uint8Array, what: string): Framed {
  const m = decodeMessage(c, bytes, what)
  if (m.wireformat === 'mls_public_message') return { kind: 'public', msg: m.publicMessage }
  if (m.wireformat === 'mls_private_message') return { kind: 'private', msg: m.privateMessage }
  throw new Error(c.msg(`${what} is ${m.wireformat}, expected a public or private message`))
}
