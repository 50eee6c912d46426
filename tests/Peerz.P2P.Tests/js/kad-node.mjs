// A js-libp2p node running @libp2p/kad-dht as an independent reference peer for the C# DHT.
// Usage: node kad-node.mjs <protocol-id>
// Prints one JSON line {"peerId","addrs"} when listening, then executes one JSON command per stdin line
// and answers each with one JSON line {"id", "ok", ...} on stdout.
//
// The "/peerz/" namespace gets a validator that checks the Peerz signed-record format independently of the
// C# code (protobuf parsed here by hand, Ed25519 verified by @libp2p/crypto): publicKey = 1 (libp2p PublicKey
// protobuf), payload = 2, sequence = 3, expiresAtUnixMs = 4, signature = 5; the signature covers
// "peerz-dht-record:" || protobuf{key = 1, payload = 2, sequence = 3, expiresAtUnixMs = 4}.
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

const protocol = process.argv[2] ?? '/peerz/kad/1.0.0'
const domain = new TextEncoder().encode('peerz-dht-record:')

function varint (n) {
  const out = []
  let v = BigInt(n)
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n }
  out.push(Number(v))
  return out
}
const bytesField = (field, bytes) => bytes.length === 0 ? [] : [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]
const uintField = (field, n) => BigInt(n) === 0n ? [] : [...varint(field << 3), ...varint(n)]

function parse (bytes) {
  const fields = new Map()
  let i = 0
  const readVarint = () => {
    let result = 0n; let shift = 0n
    for (;;) {
      if (i >= bytes.length) throw new Error('truncated varint')
      const b = bytes[i++]
      result |= BigInt(b & 0x7f) << shift
      if (b < 0x80) return result
      shift += 7n
      if (shift > 63n) throw new Error('varint too long')
    }
  }
  while (i < bytes.length) {
    const tag = readVarint(); const field = Number(tag >> 3n); const type = Number(tag & 7n)
    if (type === 0) fields.set(field, readVarint())
    else if (type === 2) {
      const len = Number(readVarint())
      if (i + len > bytes.length) throw new Error('truncated field')
      fields.set(field, bytes.subarray(i, i + len)); i += len
    } else throw new Error(`unsupported wire type ${type}`)
  }
  return fields
}

const signedBytes = (key, payload, seq, expires) =>
  Uint8Array.from([...domain, ...bytesField(1, key), ...bytesField(2, payload), ...uintField(3, seq), ...uintField(4, expires)])

async function validatePeerzRecord (key, value) {
  if (value.length > 16 * 1024) throw new Error('record too large')
  const f = parse(value)
  const pk = parse(f.get(1) ?? new Uint8Array())
  if (pk.get(1) !== 1n || !(pk.get(2) instanceof Uint8Array)) throw new Error('not an Ed25519 publisher key')
  const payload = f.get(2) ?? new Uint8Array(); const seq = f.get(3) ?? 0n; const expires = f.get(4) ?? 0n
  if (Number(expires) <= Date.now()) throw new Error('record expired')
  const ok = await publicKeyFromRaw(pk.get(2)).verify(signedBytes(key, payload, seq, expires), f.get(5) ?? new Uint8Array())
  if (!ok) throw new Error('bad signature')
}

function selectPeerzRecord (key, records) {
  let best = 0
  const rank = (r) => { const f = parse(r); return [f.get(3) ?? 0n, f.get(4) ?? 0n] }
  for (let i = 1; i < records.length; i++) {
    const [s, e] = rank(records[i]); const [bs, be] = rank(records[best])
    if (s > bs || (s === bs && e > be)) best = i
  }
  return best
}

async function signPeerzRecord (key, payload, seq, lifetimeMs) {
  const privateKey = await generateKeyPair('Ed25519')
  const expires = BigInt(Date.now() + lifetimeMs)
  const signature = await privateKey.sign(signedBytes(key, payload, seq, expires))
  const publicKeyProto = [...uintField(1, 1), ...bytesField(2, privateKey.publicKey.raw)]
  return Uint8Array.from([...bytesField(1, publicKeyProto), ...bytesField(2, payload), ...uintField(3, seq), ...uintField(4, expires), ...bytesField(5, signature)])
}

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({
      protocol,
      clientMode: false,
      peerInfoMapper: passthroughMapper,
      allowQueryWithZeroPeers: true,
      validators: { peerz: validatePeerzRecord },
      selectors: { peerz: selectPeerzRecord }
    })
  }
})

const enc = new TextEncoder(); const dec = new TextDecoder()
const reply = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
reply({ peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) })

const commands = {
  async dial ({ addr }) {
    const conn = await node.dial(multiaddr(addr))
    // Give identify time to tell kad-dht that the remote speaks the protocol, so it joins the routing table.
    for (let i = 0; i < 50 && node.services.dht.routingTable.size === 0; i++) await new Promise(r => setTimeout(r, 100))
    return { remotePeer: conn.remotePeer.toString(), routingTableSize: node.services.dht.routingTable.size }
  },
  async findPeer ({ peerId }) {
    const info = await node.peerRouting.findPeer(peerIdFromString(peerId), { signal: AbortSignal.timeout(20000) })
    return { peerId: info.id.toString(), addrs: info.multiaddrs.map(a => a.toString()) }
  },
  async closestPeers ({ key }) {
    const peers = []
    for await (const p of node.peerRouting.getClosestPeers(enc.encode(key), { signal: AbortSignal.timeout(20000) })) peers.push(p.id.toString())
    return { peers }
  },
  async put ({ key, payload, seq }) {
    const value = await signPeerzRecord(enc.encode(key), enc.encode(payload), BigInt(seq ?? 1), 3_600_000)
    await node.contentRouting.put(enc.encode(key), value, { signal: AbortSignal.timeout(20000) })
    return { value: Buffer.from(value).toString('base64') }
  },
  async putRaw ({ key, valueBase64 }) {
    await node.contentRouting.put(enc.encode(key), Buffer.from(valueBase64, 'base64'), { signal: AbortSignal.timeout(20000) })
    return {}
  },
  async get ({ key }) {
    const value = await node.contentRouting.get(enc.encode(key), { signal: AbortSignal.timeout(20000) })
    const f = parse(value)
    return { valueBase64: Buffer.from(value).toString('base64'), payload: dec.decode(f.get(2) ?? new Uint8Array()) }
  },
  async stop () { await node.stop(); setTimeout(() => process.exit(0), 10); return {} }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue
  const cmd = JSON.parse(line)
  try {
    reply({ id: cmd.id, ok: true, ...(await commands[cmd.cmd](cmd)) })
  } catch (e) {
    reply({ id: cmd.id, ok: false, error: String(e?.message ?? e) })
  }
}
await node.stop()
process.exit(0)
