// What the js interop peers share: JSON lines on stdout, the command loop on stdin, and the echo protocol the
// C# tests check byte-exact transfers with.
import { randomBytes, createHash } from 'node:crypto'
import { createInterface } from 'node:readline'

export const ECHO = '/peerz/echo/1.0.0'

export const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

export const bytesOf = (chunk) => (typeof chunk.subarray === 'function' ? chunk.subarray() : chunk)

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

// Serves ECHO on node: every byte read is written back, then the stream is closed.
export async function handleEcho (node, options) {
  await node.handle(ECHO, async (stream) => {
    for await (const chunk of stream) {
      await sendAll(stream, bytesOf(chunk))
    }
    await stream.close()
  }, options)
}

// Sends size random bytes to target's ECHO and checks that the same bytes come back; returns the count.
export async function echoOnce (node, target, size, dialOptions) {
  const stream = await node.dialProtocol(target, ECHO, dialOptions)
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

// Runs each stdin line (a JSON command with an id) through run and answers with a result line; stops node and
// exits when stdin closes (the C# side disposed the peer).
export function serveCommands (node, run) {
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
}
