/**
 * Why an admin port refused a read, from its answer's body: our nodes answer a refusal with a
 * JSON `{"error":"…"}` (a 403 names `httpAllowedHosts` or the signed request to use instead), and
 * a bare "HTTP 403" left an operator to guess which. Pure: the readers (nsadmin checkNodes, the
 * node's own consistency view) read at most REFUSAL_BODY_BYTES of the body and hand it here.
 */

/** Bytes of a refusal's body worth reading: our reasons are one sentence. */
export const REFUSAL_BODY_BYTES = 4096;

/** The `error` of a refusal's JSON body, on one line, at most 500 characters; null if none. */
export function refusalReason(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (typeof error !== 'string') return null;
  // Control characters too: the text comes from whatever answered at that address.
  const line = error.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  if (line === '') return null;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
