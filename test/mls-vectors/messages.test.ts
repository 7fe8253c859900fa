// RFC 9420 messages vectors: every structure must decode from the vector's bytes, consume
// all of them, and re-encode to exactly the same bytes.
import { test } from 'node:test'
import type { Decoder, Encoder, MLSMessage } from 'ts-mls'
import { decodeMlsMessage, encodeMlsMessage } from 'ts-mls'
import { decodeCommit, encodeCommit } from 'ts-mls/commit.js'
import { decodeGroupSecrets, encodeGroupSecrets } from 'ts-mls/groupSecrets.js'
import * as p from 'ts-mls/proposal.js'
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js'
import type { VectorCase } from './runner.js'
import { runPlainVectors } from './runner.js'
import { loadVectors } from './vectors.js'

function roundTrip<T>(c: VectorCase, field: string, dec: Decoder<T>, enc: Encoder<T>): T {
  const bytes = c.v.hex(field)
  const [value, end] = c.some(dec(bytes, 0), `${field} decodes`)
  c.equal(end, bytes.length, `${field}: bytes consumed`)
  c.bytes(enc(value), bytes, `${field} re-encodes`)
  return value
}

// Also pins the wire format (and content type) so a decoder that picks the wrong arm fails.
function mlsMessage(c: VectorCase, field: string, wireformat: MLSMessage['wireformat'], contentType?: string): void {
  const m = roundTrip(c, field, decodeMlsMessage, encodeMlsMessage)
  c.equal(m.wireformat, wireformat, `${field} wire format`)
  if (contentType !== undefined && m.wireformat === 'mls_public_message') {
    c.equal(m.publicMessage.content.contentType, contentType, `${field} content type`)
  }
}

test('RFC 9420 messages vectors', async (t) => {
  await runPlainVectors(t, 'messages', loadVectors('messages'), (c) => {
    mlsMessage(c, 'mls_welcome', 'mls_welcome')
    mlsMessage(c, 'mls_group_info', 'mls_group_info')
    mlsMessage(c, 'mls_key_package', 'mls_key_package')
    mlsMessage(c, 'public_message_application', 'mls_public_message', 'application')
    mlsMessage(c, 'public_message_proposal', 'mls_public_message', 'proposal')
    mlsMessage(c, 'public_message_commit', 'mls_public_message', 'commit')
    mlsMessage(c, 'private_message', 'mls_private_message')
    roundTrip(c, 'ratchet_tree', decodeRatchetTree, encodeRatchetTree)
    roundTrip(c, 'group_secrets', decodeGroupSecrets, encodeGroupSecrets)
    roundTrip(c, 'add_proposal', p.decodeAdd, p.encodeAdd)
    roundTrip(c, 'update_proposal', p.decodeUpdate, p.encodeUpdate)
    roundTrip(c, 'remove_proposal', p.decodeRemove, p.encodeRemove)
    roundTrip(c, 'pre_shared_key_proposal', p.decodePSK, p.encodePSK)
    roundTrip(c, 're_init_proposal', p.decodeReinit, p.encodeReinit)
    roundTrip(c, 'external_init_proposal', p.decodeExternalInit, p.encodeExternalInit)
    roundTrip(c, 'group_context_extensions_proposal', p.decodeGroupContextExtensions, p.encodeGroupContextExtensions)
    roundTrip(c, 'commit', decodeCommit, encodeCommit)
  })
})
