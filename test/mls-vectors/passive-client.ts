// Shared driver for the three RFC 9420 passive-client families: join from a Welcome, then
// follow the group's proposals and commits, checking the epoch authenticator at every epoch.
import type { CiphersuiteImpl, ClientState, PskIndex } from 'ts-mls'
import { bytesToBase64, joinGroup, makePskIndex, processPrivateMessage, processPublicMessage } from 'ts-mls'
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js'
import { hpkeKeysMatch, signatureKeysMatch } from './keys.js'
import type { Framed } from './messages-util.js'
import { decodeFramed, decodeKeyPackage, decodeWelcome } from './messages-util.js'
import type { VectorCase } from './runner.js'

// Private messages go through processPrivateMessage directly: ts-mls's generic
// processMessage hands private commits an empty PSK index, which would break PSK epochs.
async function apply(state: ClientState, m: Framed, psks: PskIndex, cs: CiphersuiteImpl): Promise<ClientState> {
  if (m.kind === 'public') return (await processPublicMessage(state, m.msg, psks, cs)).newState
  return (await processPrivateMessage(state, m.msg, psks, cs)).newState
}

async function join(c: VectorCase, cs: CiphersuiteImpl, psks: Record<string, Uint8Array>): Promise<ClientState> {
  const keyPackage = decodeKeyPackage(c, c.v.hex('key_package'), 'key_package')
  const keys = {
    initPrivateKey: c.v.hex('init_priv'),
    hpkePrivateKey: c.v.hex('encryption_priv'),
    signaturePrivateKey: c.v.hex('signature_priv')
  }
  c.ok(hpkeKeysMatch(cs, keyPackage.initKey, keys.initPrivateKey), 'init_priv matches key_package.init_key')
  c.ok(hpkeKeysMatch(cs, keyPackage.leafNode.hpkePublicKey, keys.hpkePrivateKey), 'encryption_priv matches the leaf')
  c.ok(
    signatureKeysMatch(cs, keyPackage.leafNode.signaturePublicKey, keys.signaturePrivateKey),
    'signature_priv matches the leaf'
  )

  const welcome = decodeWelcome(c, c.v.hex('welcome'), 'welcome')
  // null means the Welcome's GroupInfo carries the ratchet_tree extension instead.
  const rt = c.v.get('ratchet_tree')
  const tree = rt.isNull() ? undefined : c.some(decodeRatchetTree(rt.bytes(), 0), 'ratchet_tree decodes')[0]
  return joinGroup(welcome, keyPackage, keys, makePskIndex(undefined, psks), cs, tree)
}

/**
 * Plays the vector; `maxEpochs` cuts a long scenario short (the epochs are a chain, so a
 * prefix is still a complete, deterministic check). Returns how many epochs were applied.
 */
export async function followGroup(c: VectorCase, cs: CiphersuiteImpl, maxEpochs = Infinity): Promise<number> {
  // makePskIndex looks external PSKs up by the base64 of their id.
  const psks: Record<string, Uint8Array> = {}
  for (const p of c.v.list('external_psks')) psks[bytesToBase64(p.hex('psk_id'))] = p.hex('psk')

  let state = await join(c, cs, psks)
  c.bytes(state.keySchedule.epochAuthenticator, c.v.hex('initial_epoch_authenticator'), 'initial_epoch_authenticator')

  const epochs = c.v.list('epochs').slice(0, maxEpochs)
  for (const [i, e] of epochs.entries()) {
    const before = state.groupContext.epoch
    for (const [k, p] of e.list('proposals').entries()) {
      state = await apply(state, decodeFramed(c, p.bytes(), `epochs[${i}].proposals[${k}]`), makePskIndex(state, psks), cs)
    }
    state = await apply(state, decodeFramed(c, e.hex('commit'), `epochs[${i}].commit`), makePskIndex(state, psks), cs)
    c.equal(state.groupContext.epoch, before + 1n, `epochs[${i}]: commit advances the epoch`)
    c.bytes(state.keySchedule.epochAuthenticator, e.hex('epoch_authenticator'), `epochs[${i}].epoch_authenticator`)
  }
  return epochs.length
}
