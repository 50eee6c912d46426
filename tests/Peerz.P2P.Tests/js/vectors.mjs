// Independent reference values from js-libp2p for the C# key, peer id and multiaddr codecs.
// Input (argv[2]): JSON {"seed": hex, "message": hex, "multiaddrs": [text]}. Output: one JSON line.
import { generateKeyPairFromSeed, privateKeyToProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

const input = JSON.parse(process.argv[2])
const hex = (bytes) => Buffer.from(bytes).toString('hex')
const key = await generateKeyPairFromSeed('Ed25519', Buffer.from(input.seed, 'hex'))
const peerId = peerIdFromPrivateKey(key)
const signature = await key.sign(Buffer.from(input.message, 'hex'))
console.log(JSON.stringify({
  privateKeyProto: hex(privateKeyToProtobuf(key)),
  publicKeyProto: hex(publicKeyToProtobuf(key.publicKey)),
  peerId: peerId.toString(),
  cid: peerId.toCID().toString(),
  signature: hex(signature),
  multiaddrs: input.multiaddrs.map((text) => ({ text: multiaddr(text).toString(), bytes: hex(multiaddr(text).bytes) }))
}))
