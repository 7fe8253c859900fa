import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EnclaveError } from '../errors.js'
import { decodeLinkCode, encodeLinkCode, isLinkProof, linkProof, linkSas, newLinkSecret } from './link-code.js'

const device = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const badRequest = (err: unknown): boolean => err instanceof EnclaveError && err.code === 'bad-request'

test('a link code reads back as written, also inside pasted text, and not once expired or damaged', async () => {
  const shown = await device()
  const addresses = [`/ip4/192.168.1.5/tcp/4001/p2p/${shown}`, `/ip4/127.0.0.1/tcp/4001/p2p/${shown}`, `/ip4/10.1.2.3/tcp/4001/p2p/12D3KooWDpr2WRAKze7emjz3naCQ5arNASaNXiLxQBj2trobZ3Wd/p2p-circuit/p2p/${shown}`]
  const code = { v: 1 as const, device: shown, addresses, secret: newLinkSecret(), expiresAt: Math.ceil((Date.now() + 60_000) / 1000) * 1000 }
  const text = encodeLinkCode(code)
  // Packed as bytes, so its QR code scans from a screen: three addresses, one through a relay.
  assert.ok(text.length < 200, `${text.length} characters`)
  assert.deepEqual(decodeLinkCode(`my code: ${text} (thanks)`), code)
  assert.throws(() => decodeLinkCode(text, code.expiresAt + 1), (err: unknown) => badRequest(err) && /expired/.test((err as Error).message))
  assert.throws(() => decodeLinkCode(text.slice(0, -6)), badRequest)
  assert.throws(() => decodeLinkCode(`${text}AAAA`), badRequest)
  assert.throws(() => decodeLinkCode('enclave://join/abcdefghijklmnopqrstuvwxyz'), badRequest)
  // A code leading anywhere but its own device is refused on both sides.
  const other = await device()
  assert.throws(() => encodeLinkCode({ ...code, addresses: [`/ip4/10.0.0.9/tcp/4001/p2p/${other}`] }))
})

test('the proof holds only for the devices it names, and the digits differ for any other device', async () => {
  const [shown, linked, thief] = [await device(), await device(), await device()]
  const secret = newLinkSecret()
  const proof = linkProof(secret, shown, linked)
  assert.ok(isLinkProof(proof, secret, shown, linked))
  assert.ok(!isLinkProof(proof, secret, shown, thief), 'a proof is not good for another device')
  assert.ok(!isLinkProof(proof, newLinkSecret(), shown, linked), 'nor under another secret')
  assert.ok(!isLinkProof(proof.subarray(0, 16), secret, shown, linked))
  const sas = linkSas(secret, shown, linked)
  assert.match(sas, /^\d{3} \d{3}$/)
  assert.equal(linkSas(secret, shown, linked), sas, 'both sides compute the same digits')
  assert.notEqual(linkSas(secret, shown, thief), sas)
})
