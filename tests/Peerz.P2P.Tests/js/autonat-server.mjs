// A js-libp2p node running the @libp2p/autonat (v1) service, for the C# AutoNAT interop tests.
// It listens on loopback and prints one "listening" JSON line; closing stdin stops it.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { autoNAT } from '@libp2p/autonat'
import { emit, serveCommands } from './interop.mjs'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), autoNAT: autoNAT() }
})

emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

// It takes no commands; stdin closing stops it.
serveCommands(node, async (cmd) => { throw new Error(`unknown command ${cmd.cmd}`) })
