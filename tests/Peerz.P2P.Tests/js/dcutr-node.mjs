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
import { emit, handleEcho, echoOnce, serveCommands } from './interop.mjs'

const [relayAddr] = process.argv.slice(2)

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

await handleEcho(node, { runOnLimitedConnection: true })

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
      // Over the peer's current connection; js refuses a limited (relayed) one, so a success proves a direct connection.
      return { bytes: await echoOnce(node, peerIdFromString(cmd.peer), cmd.size) }
    case 'connections':
      return { connections: node.getConnections().map(describe) }
    default:
      throw new Error(`unknown command ${cmd.cmd}`)
  }
}

emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()).filter((a) => !a.includes('/p2p-circuit')) })
reportReservation()

serveCommands(node, run)
