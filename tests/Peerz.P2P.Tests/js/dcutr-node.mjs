// A js-libp2p peer running @libp2p/dcutr for the C# DCUtR interop tests, driven over stdin/stdout with JSON lines.
//   node dcutr-node.mjs [RELAYADDR]   with RELAYADDR it reserves a slot there and reports its /p2p-circuit
//                                     addresses ("reserved" event)
// It serves /peerz/echo/1.0.0 and reports every connection opening and closing ("connection:open",
// "connection:close" events), so the tests wait for the upgrade instead of polling.
//
// Loopback and js dcutr: dcutr only dials addresses that pass isPublicAndDialable (dcutr/dist/src/utils.js), which
// drops private IPs (127.0.0.1 among them) and has no option to allow them, but takes DNS addresses as "probably
// public". So the C# side offers /dns4/localhost/tcp/<port> in its CONNECT and everything stays on loopback.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { dcutr } from '@libp2p/dcutr'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes, createHash } from 'node:crypto'
import { createInterface } from 'node:readline'

const ECHO = '/peerz/echo/1.0.0'
const [relayAddr] = process.argv.slice(2)
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const bytesOf = (chunk) => (typeof chunk.subarray === 'function' ? chunk.subarray() : chunk)

const listen = ['/ip4/127.0.0.1/tcp/0']
if (relayAddr) listen.push(`${relayAddr}/p2p-circuit`)

const node = await createLibp2p({
  addresses: { listen },
  transports: [tcp(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater: {
    // Loopback addresses are what these tests use; nothing here may be filtered as private.
    denyDialMultiaddr: () => false,
    // Keeps DNS addresses learnt by identify out of the peer store (it is the peer store's address filter), and so
    // out of dcutr's unilateral upgrade: the inbound side (B) first dials the other's public identify addresses
    // directly, without CONNECT/SYNC. Without them it coordinates as it would with a peer behind a NAT. The DNS
    // address in the other side's CONNECT is still dialled (CONNECT addresses do not pass the peer store).
    filterMultiaddrForPeer: (peerId, ma) => !ma.getComponents().some((c) => c.name.startsWith('dns'))
  },
  nodeInfo: { userAgent: 'peerz-dcutr-interop-js' },
  services: { identify: identify(), dcutr: dcutr() }
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

// Echo over the peer's current connection; refuses a limited (relayed) one, so a success proves a direct connection.
async function echoOnce (peer, size) {
  const stream = await node.dialProtocol(peer, ECHO)
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

const describe = (c) => ({
  remotePeer: c.remotePeer.toString(),
  remoteAddr: c.remoteAddr.toString(),
  direction: c.direction,
  limited: c.limits != null
})
node.addEventListener('connection:open', (e) => emit({ event: 'connection:open', ...describe(e.detail) }))
node.addEventListener('connection:close', (e) => emit({ event: 'connection:close', ...describe(e.detail) }))

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
      return describe(conn)
    }
    case 'echo':
      return { bytes: await echoOnce(peerIdFromString(cmd.peer), cmd.size) }
    case 'connections':
      return { connections: node.getConnections().map(describe) }
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
