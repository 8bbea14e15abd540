/**
 * The in-memory form of Java's `RemotingCommand`: one request or response.
 *
 * Only what travels on the wire is modelled. `serializeType` is the header encoding the command
 * arrived in (or will be sent in); the server answers in the request's type, as 4.9 does.
 */
import { CURRENT_VERSION } from './version.js';
import { RemotingFlag, SerializeType } from './constants.js';
import type { LanguageName } from './language-code.js';

/** Custom header fields. Always strings on the wire when Java writes them. Null-prototype objects. */
export type ExtFields = Record<string, string>;

export interface RemotingCommand {
  /** Request code for requests, response code for responses. */
  code: number;
  /** Sender's language; null when the sender used a name we do not know (Java tolerates that). */
  language: LanguageName | null;
  /** Sender's MQVersion ordinal. */
  version: number;
  /** Request id; a response carries its request's opaque. Signed 32-bit. */
  opaque: number;
  /** Bit 0 = response, bit 1 = one-way. */
  flag: number;
  remark: string | null;
  /** null = no custom header (key omitted in JSON); {} = a custom header with no non-null field. */
  extFields: ExtFields | null;
  /** null when the frame carried no body (Java treats length 0 as "no body"). */
  body: Buffer | null;
  serializeType: SerializeType;
  /**
   * Optional: the exact bytes `encodeCommand(this)` produces, when a cache already has them (the
   * route cache sets it on GET_ROUTEINFO_BY_TOPIC successes). The transport sends it as is.
   * Never set on a command that is later changed.
   */
  encodedFrame?: Buffer;
}

export function newExtFields(): ExtFields {
  return Object.create(null) as ExtFields;
}

export function isResponse(cmd: RemotingCommand): boolean {
  return (cmd.flag & RemotingFlag.RESPONSE) !== 0;
}

export function isOneway(cmd: RemotingCommand): boolean {
  return (cmd.flag & RemotingFlag.ONEWAY) !== 0;
}

export interface RequestInit {
  code: number;
  opaque: number;
  extFields?: ExtFields | null;
  body?: Buffer | null;
  oneway?: boolean;
  serializeType?: SerializeType;
  version?: number;
  language?: LanguageName;
  remark?: string | null;
}

export function createRequest(init: RequestInit): RemotingCommand {
  return {
    code: init.code,
    language: init.language ?? 'JAVA',
    version: init.version ?? CURRENT_VERSION,
    opaque: init.opaque,
    flag: init.oneway === true ? RemotingFlag.ONEWAY : 0,
    remark: init.remark ?? null,
    extFields: init.extFields ?? null,
    body: init.body ?? null,
    serializeType: init.serializeType ?? SerializeType.JSON,
  };
}

export interface ResponseInit {
  code: number;
  /** The responder's version (Java: its MQVersion.CURRENT_VERSION); default `CURRENT_VERSION`. */
  version?: number;
  remark?: string | null;
  extFields?: ExtFields | null;
  body?: Buffer | null;
}

/**
 * A response to `request`: same opaque, flag = RESPONSE only (the one-way bit is not copied),
 * the request's serialize type, and our own version and language, as the Java server does.
 */
export function createResponse(request: RemotingCommand, init: ResponseInit): RemotingCommand {
  return {
    code: init.code,
    language: 'JAVA',
    version: init.version ?? CURRENT_VERSION,
    opaque: request.opaque,
    flag: RemotingFlag.RESPONSE,
    remark: init.remark ?? null,
    extFields: init.extFields ?? null,
    body: init.body ?? null,
    serializeType: request.serializeType,
  };
}
