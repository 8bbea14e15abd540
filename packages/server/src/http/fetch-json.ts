/**
 * The console's consistency view reads the other nodes' digests: a bounded JSON GET (timeout,
 * size cap, no redirects), so a node list pointing at something that is not a node can neither
 * hang the admin port nor make it buffer an unbounded body.
 */

import { REFUSAL_BODY_BYTES, refusalReason } from '@ns/protocol';

export interface FetchJsonOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const what = `GET ${url}`;
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    throw new Error(`${what}: ${describeFetchError(err, options.timeoutMs)}`, { cause: err });
  }
  if (res.status !== 200) {
    // Our nodes say why in a JSON `error` (a 403 names httpAllowedHosts or the ACL key to use).
    const why = await errorOfAnswer(res);
    throw new Error(
      why === null
        ? `${what}: HTTP ${res.status} (is it a nameserver-ts admin port?)`
        : `${what}: HTTP ${res.status}: ${why}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (res.body !== null) {
      // Node types the web stream loosely; its chunks are bytes.
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > options.maxBytes) {
          throw new Error(`${what}: body larger than ${options.maxBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(what)) throw err;
    throw new Error(`${what}: ${describeFetchError(err, options.timeoutMs)}`, { cause: err });
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new Error(`${what}: the body is not JSON (is it a nameserver-ts admin port?)`);
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    // undici puts the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`.
    const cause = err.cause;
    if (cause instanceof Error) return cause.message;
    return err.message;
  }
  return String(err);
}

/** The reason in a refusal's body (its first REFUSAL_BODY_BYTES), or null; the rest is not read. */
async function errorOfAnswer(res: Response): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (res.body !== null) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        chunks.push(chunk);
        size += chunk.byteLength;
        if (size >= REFUSAL_BODY_BYTES) break;
      }
    }
    return refusalReason(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  } finally {
    await res.body?.cancel().catch(() => undefined);
  }
}
