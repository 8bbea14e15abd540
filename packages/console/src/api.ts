/** JSON reads from the node that served the console (same origin, read-only). */

/**
 * How long one read may take. A node that hangs (stopped, swapping, a wedged event loop) keeps
 * the connection open and never answers: without a bound the page would wait forever and keep
 * showing the last answer as if it were live.
 */
export const REQUEST_TIMEOUT_MS = 5000;

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  /** From a 503's Retry-After (seconds), in ms; null when the answer named none. */
  readonly retryAfterMs: number | null;
  constructor(status: number, message: string, retryAfterMs: number | null = null) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The read timed out: the node accepted the request but did not answer in time. */
export class TimeoutError extends ApiError {
  override name = 'TimeoutError';
  constructor(path: string, ms: number) {
    super(0, `${path}: no answer within ${ms / 1000} s`);
  }
}

/** Aborts when `signal` does or after `ms`; `timedOut` tells which. */
function deadline(
  signal: AbortSignal | undefined,
  ms: number,
): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  // By hand rather than AbortSignal.any + AbortSignal.timeout (Chromium 116+, Firefox 124+,
  // Safari 17.4+): this works in any browser with fetch, tells a timeout from the page's own
  // abort (which must stay silent), and its timer ends with the read.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  const onAbort = (): void => controller.abort();
  if (signal?.aborted === true) controller.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Seconds of a Retry-After header (the node sends those, never a date), in ms. */
function retryAfterMs(res: Response): number | null {
  const s = Number(res.headers.get('retry-after') ?? NaN);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : null;
}

/** A fetch whose status and whole body arrive within the timeout; the body as text. */
async function read(
  path: string,
  init: RequestInit,
  signal: AbortSignal | undefined,
  ms: number,
): Promise<{ res: Response; text: string }> {
  const d = deadline(signal, ms);
  try {
    const res = await fetch(path, { ...init, signal: d.signal });
    return { res, text: await res.text() };
  } catch (err) {
    if (d.timedOut()) throw new TimeoutError(path, ms);
    throw err;
  } finally {
    d.done();
  }
}

export async function getJson<T>(
  path: string,
  signal?: AbortSignal,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<T> {
  const init = { headers: { accept: 'application/json' } };
  const { res, text } = await read(path, init, signal, timeoutMs);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `${path}: HTTP ${res.status}, not JSON`);
  }
  if (!res.ok) {
    const error = (body as { error?: unknown } | null)?.error;
    throw new ApiError(
      res.status,
      typeof error === 'string' ? error : `${path}: HTTP ${res.status}`,
      retryAfterMs(res),
    );
  }
  return body as T;
}

export async function getText(
  path: string,
  signal?: AbortSignal,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<string> {
  const { res, text } = await read(path, {}, signal, timeoutMs);
  if (!res.ok) throw new ApiError(res.status, `${path}: HTTP ${res.status}`, retryAfterMs(res));
  return text;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
