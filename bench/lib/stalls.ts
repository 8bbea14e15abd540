/**
 * The longest event-loop stall of a node's processes since the previous scrape, read from its
 * /metrics (`namesrv_event_loop_stall_max_seconds{role}`, combined by max across the processes
 * of each role). Every scrape resets the gauges, so two scrapes bracket an interval. Also the
 * decode threads' time so far (`namesrv_register_body_decode_seconds_sum`, all kinds and serving
 * processes): a counter, so an interval's share is the difference of two scrapes.
 */
import { request } from 'node:http';

const METRIC = 'namesrv_event_loop_stall_max_seconds';

export interface Stalls {
  /** Longest stall of the processes answering clients (the only process when W = 1), ms. */
  servingMs: number | undefined;
  /** Longest stall of the registry owner when serving workers answer the clients, ms. */
  ownerMs: number | undefined;
  /** Decode-thread time of every REGISTER_BROKER body so far (cumulative), ms. */
  decodeTotalMs: number;
}

const DECODE_SUM = 'namesrv_register_body_decode_seconds_sum';

function get(port: number, path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Parses the stall gauges out of a Prometheus text exposition. */
export function parseStalls(text: string): Stalls {
  const out: Stalls = { servingMs: undefined, ownerMs: undefined, decodeTotalMs: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith(`${DECODE_SUM}{`)) {
      out.decodeTotalMs += Number(/\}\s+(\S+)/.exec(line)?.[1] ?? 0) * 1000;
      continue;
    }
    if (!line.startsWith(`${METRIC}{`)) continue;
    const m = /role="(\w+)"[^}]*\}\s+(\S+)/.exec(line);
    if (m === null) continue;
    const ms = Number(m[2]) * 1000;
    if (m[1] === 'serving') out.servingMs = ms;
    else if (m[1] === 'owner') out.ownerMs = ms;
  }
  return out;
}

/** Scrapes the node's /metrics: the stalls since the previous scrape (and resets them). */
export async function scrapeStalls(httpPort: number, timeoutMs = 10_000): Promise<Stalls> {
  return parseStalls(await get(httpPort, '/metrics', timeoutMs));
}
