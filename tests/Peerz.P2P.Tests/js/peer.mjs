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
import { emit, handleEcho, echoOnce, serveCommands } from './interop.mjs'

const hex = (bytes) => Buffer.from(bytes).toString('hex')

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

await handleEcho(node, { maxInboundStreams: 256, maxOutboundStreams: 256 })

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
      const sizes = await Promise.all(Array.from({ length: cmd.streams }, () => echoOnce(node, target, cmd.size, { maxOutboundStreams: 256 })))
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

serveCommands(node, run)
