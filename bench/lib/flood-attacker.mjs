// The partial-frame flood of bench/scenarios/flood.ts, in a process of its own (so its sockets'
// work does not delay the orchestrator's probes): `connections` connections, spread over the
// loopback source addresses given, each announcing the largest frame the node accepts and then
// sending `sendBytes` of it — never the rest. With `reconnect`, a connection the node closes is
// opened again, so the pressure lasts until 'stop'. Plain JS: forked with plain `node`.
//
// argv[2]: JSON { port, connections, sendBytes, announcedLength, addresses, reconnect }
// IPC out: { type: 'stats', ... } every second and once more after 'stop' (then it exits).
import { connect } from 'node:net';

const options = JSON.parse(process.argv[2]);
const { port, connections, sendBytes, announcedLength, addresses, reconnect } = options;

// One buffer for every connection: the length field announcing the frame, then filler bytes.
const payload = Buffer.alloc(sendBytes, 0x41);
payload.writeInt32BE(announcedLength, 0);
const SLICE = 64 * 1024;
/** Connections opened at once (the node's listen backlog is 1024). */
const CONNECT_BATCH = 250;

const stats = {
  opened: 0,
  closedByNode: 0,
  completedSends: 0,
  bytesWritten: 0,
  open: 0,
  connectErrors: 0,
};
let stopping = false;
const sockets = new Set();

function attack(i) {
  return new Promise((resolveConnected) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      localAddress: addresses[i % addresses.length],
    });
    sockets.add(socket);
    let connected = false;
    let offset = 0;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (connected) stats.open--;
      else {
        stats.connectErrors++;
        resolveConnected();
      }
      if (stopping) return;
      if (connected) stats.closedByNode++;
      if (reconnect) setImmediate(() => void attack(i));
    });
    const pump = () => {
      while (offset < sendBytes) {
        const end = Math.min(sendBytes, offset + SLICE);
        const more = socket.write(payload.subarray(offset, end));
        stats.bytesWritten += end - offset;
        offset = end;
        if (!more) {
          socket.once('drain', pump);
          return;
        }
      }
      stats.completedSends++;
    };
    socket.once('connect', () => {
      connected = true;
      stats.opened++;
      stats.open++;
      resolveConnected();
      pump();
    });
  });
}

const report = () => process.send?.({ type: 'stats', ...stats });
const timer = setInterval(report, 1000);

process.on('message', (msg) => {
  if (msg?.type !== 'stop') return;
  stopping = true;
  clearInterval(timer);
  for (const s of sockets) s.destroy();
  report();
  process.disconnect?.();
  setImmediate(() => process.exit(0));
});

for (let from = 0; from < connections && !stopping; from += CONNECT_BATCH) {
  const batch = [];
  for (let i = from; i < Math.min(connections, from + CONNECT_BATCH); i++) batch.push(attack(i));
  await Promise.all(batch);
}
process.send?.({ type: 'connected', ...stats });
