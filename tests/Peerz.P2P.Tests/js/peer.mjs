// A js-libp2p reference peer driven over stdin/stdout with JSON lines, for the C# interop tests.
// It listens on loopback, serves /peerz/echo/1.0.0, and on command dials, pings, identifies and echoes.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes, createHash } from 'node:crypto'
import { createInterface } from 'node:readline'

const ECHO = '/peerz/echo/1.0.0'
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const hex = (bytes) => Buffer.from(bytes).toString('hex')
const bytesOf = (chunk) => (typeof chunk.subarray === 'function' ? chunk.subarray() : chunk)

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  nodeInfo: { userAgent: 'peerz-interop-js' },
  connectionManager: { maxConnections: 64 },
  services: { identify: identify(), ping: ping() }
})

node.addEventListener('peer:identify', (evt) => {
  const r = evt.detail
  emit({
    event: 'identify',
    peerId: r.peerId.toString(),
    agentVersion: r.agentVersion,
    protocolVersion: r.protocolVersion,
    protocols: r.protocols,
    // IdentifyResult.publicKey is the protobuf PublicKey exactly as received
    publicKey: r.publicKey ? hex(r.publicKey) : null,
    listenAddrs: r.listenAddrs.map((a) => a.toString())
  })
})

async function sendAll (stream, data) {
  for (let offset = 0; offset < data.length; offset += 65536) {
    if (!stream.send(data.subarray(offset, Math.min(offset + 65536, data.length)))) {
      await new Promise((resolve, reject) => {
        stream.addEventListener('drain', resolve, { once: true })
        stream.addEventListener('close', () => reject(new Error('stream closed while draining')), { once: true })
      })
    }
  }
}

await node.handle(ECHO, async (stream) => {
  for await (const chunk of stream) {
    await sendAll(stream, bytesOf(chunk))
  }
  await stream.close()
}, { maxInboundStreams: 256, maxOutboundStreams: 256 })

async function echoOnce (target, size) {
  const stream = await node.dialProtocol(target, ECHO, { maxOutboundStreams: 256 })
  const data = randomBytes(size)
  const reading = (async () => {
    const hash = createHash('sha256')
    let received = 0
    for await (const chunk of stream) {
      const b = bytesOf(chunk)
      hash.update(b)
      received += b.length
    }
    return { received, digest: hash.digest('hex') }
  })()
  await sendAll(stream, data)
  await stream.close()
  const { received, digest } = await reading
  const expected = createHash('sha256').update(data).digest('hex')
  if (received !== size || digest !== expected) throw new Error(`echo mismatch: ${received}/${size} bytes`)
  return received
}

async function run (cmd) {
  switch (cmd.cmd) {
    case 'dial': {
      const conn = await node.dial(multiaddr(cmd.addr))
      return { remotePeer: conn.remotePeer.toString(), encryption: conn.encryption, multiplexer: conn.multiplexer }
    }
    case 'ping':
      return { rtt: await node.services.ping.ping(peerIdFromString(cmd.peer)) }
    case 'echo': {
      const target = peerIdFromString(cmd.peer)
      const sizes = await Promise.all(Array.from({ length: cmd.streams }, () => echoOnce(target, cmd.size)))
      return { bytes: sizes.reduce((a, b) => a + b, 0) }
    }
    case 'connections':
      return {
        connections: node.getConnections().map((c) => ({
          remotePeer: c.remotePeer.toString(), encryption: c.encryption, multiplexer: c.multiplexer, status: c.status
        }))
      }
    default:
      throw new Error(`unknown command ${cmd.cmd}`)
  }
}

emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const cmd = JSON.parse(line)
  run(cmd).then(
    (result) => emit({ event: 'result', id: cmd.id, ok: true, ...result }),
    (err) => emit({ event: 'result', id: cmd.id, ok: false, error: String(err?.stack ?? err) })
  )
})
lines.on('close', async () => {
  await node.stop()
  process.exit(0)
})
