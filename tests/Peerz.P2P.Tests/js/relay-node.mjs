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
import { emit, handleEcho, echoOnce, serveCommands } from './interop.mjs'

const [mode, relayAddr] = process.argv.slice(2)

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

await handleEcho(node, { runOnLimitedConnection: true })

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
      return { bytes: await echoOnce(node, cmd.addr ? multiaddr(cmd.addr) : peerIdFromString(cmd.peer), cmd.size, { runOnLimitedConnection: true }) }
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

serveCommands(node, run)
