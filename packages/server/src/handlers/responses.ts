/**
 * Small response builders shared by the handlers. Every response mirrors the request's serialize
 * type and opaque (`createResponse`), as a 4.9 NameServer does for handler responses.
 *
 * `extFields` presence follows Java: a response built from a response-header class
 * (`createResponseCommand(XxxResponseHeader.class)`) always carries `"extFields":{}` even when
 * every field is null; one built with `createResponseCommand(null)` carries no `extFields` key.
 */
import { createResponse, newExtFields, ResponseCode } from '@ns/protocol';
import type { ExtFields, RemotingCommand } from '@ns/protocol';

/** SUCCESS, no header class, optional body. */
export function ok(request: RemotingCommand, body: Buffer | null = null): RemotingCommand {
  return createResponse(request, { code: ResponseCode.SUCCESS, body });
}

/** A failure without a response-header class (no `extFields` key). */
export function fail(request: RemotingCommand, code: number, remark: string): RemotingCommand {
  return createResponse(request, { code, remark });
}

/**
 * A response built from a Java response-header class: `extFields` is always present (possibly
 * `{}`); only non-null fields are written, in the order given (callers pass Java's HashMap order).
 */
export function withHeader(
  request: RemotingCommand,
  code: number,
  fields: ReadonlyArray<readonly [string, string | null | undefined]>,
  remark: string | null = null,
  body: Buffer | null = null,
): RemotingCommand {
  const ext: ExtFields = newExtFields();
  for (const [k, v] of fields) {
    if (v !== null && v !== undefined) ext[k] = v;
  }
  return createResponse(request, { code, remark, extFields: ext, body });
}
