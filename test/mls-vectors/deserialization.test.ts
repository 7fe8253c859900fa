// RFC 9420 deserialization vectors: the variable-length integer header of an opaque vector.
import { test } from 'node:test'
import { determineLength } from 'ts-mls/codec/variableLength.js'
import { runPlainVectors } from './runner.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 deserialization vectors', async (t) => {
  await runPlainVectors(t, 'deserialization', loadVectors('deserialization'), (c) => {
    const header = c.v.hex('vlbytes_header')
    const { length, lengthFieldSize } = determineLength(header)
    c.equal(length, c.v.num('length'), 'decoded length')
    // The vector holds exactly the header, so the whole of it must be the length prefix.
    c.equal(lengthFieldSize, header.length, 'header size')
  })
})
