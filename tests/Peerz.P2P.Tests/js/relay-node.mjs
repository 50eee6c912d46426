// A js-libp2p circuit relay v2 peer for the C# relay interop tests, driven over stdin/stdout with JSON lines.
//   node relay-node.mjs relay            a relay (circuitRelayServer, no default limits) on loopback
//   node relay-node.mjs peer [RELAYADDR] a peer with circuitRelayTransport; with RELAYADDR it reserves a slot
//                                        there and reports its /p2p-circuit addresses ("reserved" event)
// Both serve /peerz/echo/1.0.0, also over limited (relayed) connections, and on command dial and echo.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes, createHash } from 'node:crypto'
import { createInterface } from 'node:readline'

const ECHO = '/peerz/echo/1.0.0'
const [mode, relayAddr] = process.argv.slice(2)
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const bytesOf = (chunk) => (typeof chunk.subarray === 'function' ? chunk.subarray() : chunk)

const listen = ['/ip4/127.0.0.1/tcp/0']
if (relayAddr) listen.push(`${relayAddr}/p2p-circuit`)
const services = { identify: identify(), ping: ping() }
if (mode === 'relay') {
  services.relay = circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: 16 } })
}

const node = await createLibp2p({
  addresses: { listen },
  transports: [tcp(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  // Loopback addresses are what these tests use; nothing here may be filtered as private.
  connectionGater: { denyDialMultiaddr: () => false },
  nodeInfo: { userAgent: `peerz-relay-interop-js-${mode}` },
  services
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
}, { runOnLimitedConnection: true })

async function echoOnce (target, size) {
  const stream = await node.dialProtocol(target, ECHO, { runOnLimitedConnection: true })
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

const circuitAddrs = () => node.getMultiaddrs().map((a) => a.toString()).filter((a) => a.includes('/p2p-circuit'))
let reported = false
const reportReservation = () => {
  if (!reported && circuitAddrs().length > 0) {
    reported = true
    emit({ event: 'reserved', addrs: circuitAddrs() })
  }
}
node.addEventListener('self:peer:update', reportReservation)

async function run (cmd) {
  switch (cmd.cmd) {
    case 'dial': {
      const conn = await node.dial(multiaddr(cmd.addr))
      return { remotePeer: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString(), limited: conn.limits != null }
    }
    case 'echo':
      return { bytes: await echoOnce(cmd.addr ? multiaddr(cmd.addr) : peerIdFromString(cmd.peer), cmd.size) }
    case 'connections':
      return {
        connections: node.getConnections().map((c) => ({ remotePeer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString() }))
      }
    default:
      throw new Error(`unknown command ${cmd.cmd}`)
  }
}

emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()).filter((a) => !a.includes('/p2p-circuit')) })
reportReservation()

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
