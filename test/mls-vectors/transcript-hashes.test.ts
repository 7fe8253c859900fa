// RFC 9420 transcript-hashes vectors: a commit's confirmation tag and the confirmed and
// interim transcript hashes it produces.
import { test } from 'node:test'
import { decodeAuthenticatedContent, encodeAuthenticatedContent } from 'ts-mls/authenticatedContent.js'
import { verifyConfirmationTag } from 'ts-mls/framedContent.js'
import { createConfirmedHash, createInterimHash } from 'ts-mls/transcriptHash.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 transcript-hashes vectors', async (t) => {
  await runSuiteVectors(t, 'transcript-hashes', loadVectors('transcript-hashes'), async (c, cs) => {
    const bytes = c.v.hex('authenticated_content')
    const [ac] = c.some(decodeAuthenticatedContent(bytes, 0), 'decoded authenticated_content')
    c.bytes(encodeAuthenticatedContent(ac), bytes, 'authenticated_content re-encodes')
    const { content, auth } = ac
    if (content.contentType !== 'commit' || auth.contentType !== 'commit') {
      throw new Error(c.msg(`authenticated_content is a ${content.contentType}, expected a commit`))
    }

    const confirmed = c.v.hex('confirmed_transcript_hash_after')
    const tagOk = await verifyConfirmationTag(c.v.hex('confirmation_key'), auth.confirmationTag, confirmed, cs.hash)
    c.ok(tagOk, 'confirmation_tag is the MAC of confirmed_transcript_hash_after')

    const input = { wireformat: ac.wireformat, content, signature: auth.signature }
    const ours = await createConfirmedHash(c.v.hex('interim_transcript_hash_before'), input, cs.hash)
    c.bytes(ours, confirmed, 'confirmed_transcript_hash_after')
    const interim = await createInterimHash(confirmed, auth.confirmationTag, cs.hash)
    c.bytes(interim, c.v.hex('interim_transcript_hash_after'), 'interim_transcript_hash_after')
  })
})
