/**
 * Small response builders shared by the handlers. Every response mirrors the request's serialize
 * type and opaque (`createResponse`), as a 4.9 NameServer does for handler responses, and carries
 * the version of the Java line the node reproduces (see java-line.ts).
 *
 * `extFields` presence follows Java: a response built from a response-header class
 * (`createResponseCommand(XxxResponseHeader.class)`) always carries `"extFields":{}` even when
 * every field is null; one built with `createResponseCommand(null)` carries no `extFields` key.
 */
import { createResponse, newExtFields, ResponseCode } from '@ns/protocol';
import type { ExtFields, RemotingCommand } from '@ns/protocol';

export interface Responders {
  /** SUCCESS, no header class, optional body (and remark, which Java sometimes leaves set). */
  readonly ok: (
    request: RemotingCommand,
    body?: Buffer | null,
    remark?: string | null,
  ) => RemotingCommand;
  /** A response without a response-header class (no `extFields` key). */
  readonly fail: (request: RemotingCommand, code: number, remark: string) => RemotingCommand;
  /**
   * A response built from a Java response-header class: `extFields` is always present — the
   * header's fields as encoded by its codec (Java HashMap order), or `{}` when it has none set.
   */
  readonly withHeader: (
    request: RemotingCommand,
    code: number,
    extFields?: ExtFields,
    remark?: string | null,
    body?: Buffer | null,
  ) => RemotingCommand;
}

/** The builders for responses stamped with `version`. */
export function responders(version: number): Responders {
  return {
    ok: (request, body = null, remark = null) =>
      createResponse(request, { code: ResponseCode.SUCCESS, body, remark, version }),
    fail: (request, code, remark) => createResponse(request, { code, remark, version }),
    withHeader: (request, code, extFields = newExtFields(), remark = null, body = null) =>
      createResponse(request, { code, remark, extFields, body, version }),
  };
}
