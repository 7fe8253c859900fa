// RFC 9420 key-schedule vectors: a chain of epochs, each checked for the encoded
// GroupContext, every derived secret, external_pub and one MLS-Exporter output.
import { test } from 'node:test'
import { mlsExporter } from 'ts-mls'
import { encodeGroupContext } from 'ts-mls/groupContext.js'
import { initializeEpoch } from 'ts-mls/keySchedule.js'
import { groupContext } from './group-context.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 key-schedule vectors', async (t) => {
  await runSuiteVectors(t, 'key-schedule', loadVectors('key-schedule'), async (c, cs) => {
    const groupId = c.v.hex('group_id')
    let initSecret = c.v.hex('initial_init_secret')
    for (const [i, e] of c.v.list('epochs').entries()) {
      const at = (field: string): string => `epoch ${i} ${field}`
      const gc = groupContext(cs, {
        groupId,
        epoch: BigInt(i),
        treeHash: e.hex('tree_hash'),
        confirmedTranscriptHash: e.hex('confirmed_transcript_hash')
      })
      c.bytes(encodeGroupContext(gc), e.hex('group_context'), at('group_context'))

      const out = await initializeEpoch(initSecret, e.hex('commit_secret'), gc, e.hex('psk_secret'), cs.kdf)
      const ks = out.keySchedule
      c.bytes(out.joinerSecret, e.hex('joiner_secret'), at('joiner_secret'))
      c.bytes(out.welcomeSecret, e.hex('welcome_secret'), at('welcome_secret'))
      c.bytes(out.encryptionSecret, e.hex('encryption_secret'), at('encryption_secret'))
      c.bytes(ks.initSecret, e.hex('init_secret'), at('init_secret'))
      c.bytes(ks.senderDataSecret, e.hex('sender_data_secret'), at('sender_data_secret'))
      c.bytes(ks.exporterSecret, e.hex('exporter_secret'), at('exporter_secret'))
      c.bytes(ks.epochAuthenticator, e.hex('epoch_authenticator'), at('epoch_authenticator'))
      c.bytes(ks.externalSecret, e.hex('external_secret'), at('external_secret'))
      c.bytes(ks.confirmationKey, e.hex('confirmation_key'), at('confirmation_key'))
      c.bytes(ks.membershipKey, e.hex('membership_key'), at('membership_key'))
      c.bytes(ks.resumptionPsk, e.hex('resumption_psk'), at('resumption_psk'))

      const { publicKey } = await cs.hpke.deriveKeyPair(ks.externalSecret)
      c.bytes(await cs.hpke.exportPublicKey(publicKey), e.hex('external_pub'), at('external_pub'))

      const x = e.get('exporter')
      const exported = await mlsExporter(ks.exporterSecret, x.str('label'), x.hex('context'), x.num('length'), cs)
      c.bytes(exported, x.hex('secret'), at('exporter.secret'))

      // Each epoch's init_secret seeds the next one, as in a real group.
      initSecret = ks.initSecret
    }
  })
})
