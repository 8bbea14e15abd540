/**
 * Ports that were free a moment ago, for the few scenarios that cannot use port 0 (a rule that
 * derives one port from another, a process whose stdout is unreadable so it cannot report the port
 * it got). Another process may still take one before the child binds it: callers that can, retry.
 */
import { createServer } from 'node:net';

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/** A port the OS just handed out on `host` (and was released again). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error(`no port from ${JSON.stringify(address)}`));
      });
    });
  });
}

/** A port P such that P and P + 1 are both free on `host`, and neither is in `avoid`. */
export async function freePortPair(
  host: string,
  avoid: ReadonlySet<number> = new Set(),
): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(host);
    if (port >= 65_535 || avoid.has(port) || avoid.has(port + 1)) continue;
    if (await canListen(port + 1, host)) return port;
  }
  throw new Error(`no two consecutive free ports on ${host} after 50 attempts`);
}
