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
 * A response built from a Java response-header class: `extFields` is always present — the
 * header's fields as encoded by its codec (Java HashMap order), or `{}` when it has none set.
 */
export function withHeader(
  request: RemotingCommand,
  code: number,
  extFields: ExtFields = newExtFields(),
  remark: string | null = null,
  body: Buffer | null = null,
): RemotingCommand {
  return createResponse(request, { code, remark, extFields, body });
}
