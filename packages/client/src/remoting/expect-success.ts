/**
 * Turns a non-success response into a ResponseError. The remoting layer returns every response
 * as is; API layers call this once per request so response codes are interpreted in one place.
 */
import type { RemotingCommand } from '@ns/protocol';
import { ResponseCode } from '@ns/protocol';
import { ResponseError } from '../errors.js';

export function expectSuccess(
  response: RemotingCommand,
  requestCode: number,
  addr: string,
): RemotingCommand {
  if (response.code === ResponseCode.SUCCESS) return response;
  throw new ResponseError(response.code, response.remark ?? undefined, { requestCode, addr });
}
