/**
 * Which redirects of the address service are followed. Java's TopAddressing fetches with
 * HttpURLConnection and leaves its default on, so the JDK follows 300-303 and 307 answers (not 304,
 * 305 "use proxy" or 306, nor 308, which it does not know) to a URL of the same protocol: an
 * http:// service moved to https:// is not followed, and the 3xx counts as a failed fetch. An
 * operator who moved the service behind a redirect gets the same list from both clients.
 */
import type { IncomingHttpHeaders } from 'node:http';

/**
 * At most this many redirects per fetch. (The JDK allows 20, `http.maxRedirects`; an address
 * service redirects once or twice, and each hop spends the same request deadline.)
 */
export const MAX_ADDRESS_REDIRECTS = 5;

const FOLLOWED_STATUSES: ReadonlySet<number> = new Set([300, 301, 302, 303, 307]);

/**
 * The URL to ask next when the answer from `from` is a redirect to follow; undefined otherwise
 * (not a redirect, no usable Location, or another protocol).
 */
export function redirectTarget(
  from: string,
  statusCode: number,
  headers: IncomingHttpHeaders,
): string | undefined {
  if (!FOLLOWED_STATUSES.has(statusCode)) return undefined;
  const location = headers.location;
  if (typeof location !== 'string' || location === '') return undefined;
  let target: URL;
  try {
    // A relative Location is resolved against the URL that answered, as the JDK does.
    target = new URL(location, from);
  } catch {
    return undefined;
  }
  return target.protocol === new URL(from).protocol ? target.href : undefined;
}
