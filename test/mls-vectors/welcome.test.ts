// RFC 9420 welcome vectors: find our entry by KeyPackageRef, decrypt GroupSecrets and
// GroupInfo, then check the GroupInfo signature and confirmation tag.
import { test } from 'node:test'
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js'
import { bytesToHex } from './hex.js'
import { decodeKeyPackage, decodeWelcome } from './messages-util.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 welcome vectors', async (t) => {
  await runSuiteVectors(t, 'welcome', loadVectors('welcome'), async (c, cs) => {
    const welcome = decodeWelcome(c, c.v.hex('welcome'), 'welcome')
    const keyPackage = decodeKeyPackage(c, c.v.hex('key_package'), 'key_package')
    const ref = await makeKeyPackageRef(keyPackage, cs.hash)
    const ours = welcome.secrets.filter((s) => bytesToHex(s.newMember) === bytesToHex(ref))
    c.equal(ours.length, 1, 'welcome.secrets entries for our KeyPackageRef')

    const initKey = await cs.hpke.importPrivateKey(c.v.hex('init_priv'))
    const secrets = c.some(await decryptGroupSecrets(initKey, ref, welcome, cs.hpke), 'decrypted GroupSecrets')
    // The vectors use no PSKs, so psk_secret is the all-zero string of KDF length.
    const noPsk = new Uint8Array(cs.kdf.size)
    const info = c.some(await decryptGroupInfo(welcome, secrets.joinerSecret, noPsk, cs), 'decrypted GroupInfo')

    c.ok(await verifyGroupInfoSignature(info, c.v.hex('signer_pub'), cs.signature), 'GroupInfo signature')
    c.ok(await verifyGroupInfoConfirmationTag(info, secrets.joinerSecret, noPsk, cs), 'GroupInfo confirmation_tag')
  })
})
