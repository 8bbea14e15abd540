/** JSON reads from the node that served the console (same origin, read-only). */

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    signal: signal ?? null,
    headers: { accept: 'application/json' },
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `${path}: HTTP ${res.status}, not JSON`);
  }
  if (!res.ok) {
    const error = (body as { error?: unknown }).error;
    throw new ApiError(
      res.status,
      typeof error === 'string' ? error : `${path}: HTTP ${res.status}`,
    );
  }
  return body as T;
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(path, { signal: signal ?? null });
  if (!res.ok) throw new ApiError(res.status, `${path}: HTTP ${res.status}`);
  return res.text();
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
