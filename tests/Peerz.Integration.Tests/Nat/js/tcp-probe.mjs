// A TCP probe for the NAT lab (node tcp-probe.mjs ...):
//   listen PORT...                  accept on each port; print "listening" once, then "seen PORT <remote ip> <remote port>" per connection
//   connect HOST PORT LOCAL_PORT    connect from LOCAL_PORT; exit 0 when connected, 1 when refused or not answered within 3 s
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'listen') {
  let bound = 0;
  for (const port of args.map(Number)) {
    net.createServer(socket => {
      console.log(`seen ${port} ${socket.remoteAddress} ${socket.remotePort}`);
      socket.destroy(); // the server closes first, so the client's port is free again at once
    }).listen(port, '0.0.0.0', () => { if (++bound === args.length) console.log('listening'); });
  }
} else if (mode === 'connect') {
  const [host, port, localPort] = args;
  const socket = net.connect({ host, port: Number(port), localPort: Number(localPort) });
  const timer = setTimeout(() => { console.log('no answer'); process.exit(1); }, 3000);
  socket.on('connect', () => { clearTimeout(timer); console.log('connected'); socket.end(); });
  socket.on('close', () => process.exit(0));
  socket.on('error', e => { clearTimeout(timer); console.log(`error ${e.code}`); process.exit(1); });
} else {
  console.error('usage: tcp-probe.mjs listen PORT... | connect HOST PORT LOCAL_PORT');
  process.exit(2);
}
