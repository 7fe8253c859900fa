// RFC 9420 crypto-basics vectors: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret,
// SignWithLabel/VerifyWithLabel and EncryptWithLabel/DecryptWithLabel per cipher suite.
import { test } from 'node:test'
import type { CiphersuiteImpl } from 'ts-mls'
import { refhash } from 'ts-mls/crypto/hash.js'
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js'
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js'
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js'
import type { VectorCase } from './runner.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

async function kdfChecks(c: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const rh = c.v.get('ref_hash')
  c.bytes(await refhash(rh.str('label'), rh.hex('value'), cs.hash), rh.hex('out'), 'ref_hash')

  const ewl = c.v.get('expand_with_label')
  const expanded = await expandWithLabel(ewl.hex('secret'), ewl.str('label'), ewl.hex('context'), ewl.num('length'), cs.kdf)
  c.bytes(expanded, ewl.hex('out'), 'expand_with_label')

  const ds = c.v.get('derive_secret')
  c.bytes(await deriveSecret(ds.hex('secret'), ds.str('label'), cs.kdf), ds.hex('out'), 'derive_secret')

  const dts = c.v.get('derive_tree_secret')
  const tree = await deriveTreeSecret(dts.hex('secret'), dts.str('label'), dts.num('generation'), dts.num('length'), cs.kdf)
  c.bytes(tree, dts.hex('out'), 'derive_tree_secret')
}

async function signatureChecks(c: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const s = c.v.get('sign_with_label')
  const [pub, label, content] = [s.hex('pub'), s.str('label'), s.hex('content')]
  c.ok(await verifyWithLabel(pub, label, content, s.hex('signature'), cs.signature), 'sign_with_label: given signature verifies')
  const ours = await signWithLabel(s.hex('priv'), label, content, cs.signature)
  c.ok(await verifyWithLabel(pub, label, content, ours, cs.signature), 'sign_with_label: our signature verifies')
}

async function hpkeChecks(c: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const e = c.v.get('encrypt_with_label')
  const [label, context, plaintext] = [e.str('label'), e.hex('context'), e.hex('plaintext')]
  const priv = await cs.hpke.importPrivateKey(e.hex('priv'))
  const given = await decryptWithLabel(priv, label, context, e.hex('kem_output'), e.hex('ciphertext'), cs.hpke)
  c.bytes(given, plaintext, 'encrypt_with_label: decrypt given ciphertext')
  // HPKE encryption is randomised, so the round trip is the only check on our own output.
  const { ct, enc } = await encryptWithLabel(await cs.hpke.importPublicKey(e.hex('pub')), label, context, plaintext, cs.hpke)
  c.bytes(await decryptWithLabel(priv, label, context, enc, ct, cs.hpke), plaintext, 'encrypt_with_label: round trip')
}

test('RFC 9420 crypto-basics vectors', async (t) => {
  await runSuiteVectors(t, 'crypto-basics', loadVectors('crypto-basics'), async (c, cs) => {
    await kdfChecks(c, cs)
    await signatureChecks(c, cs)
    await hpkeChecks(c, cs)
  })
})
