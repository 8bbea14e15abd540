/**
 * The audit trail: every admin-write and every refused request is logged once, at info, on a
 * dedicated logger (AUDIT_LOGGER_NAME), as one record saying who, what and the outcome.
 * Pure: building the record is separate from writing it.
 *
 * Never in a record: Signature, SecurityToken, secret keys, or the values of an
 * UPDATE_NAMESRV_CONFIG body (only its keys).
 */
import {
  ACL_ACCESS_KEY,
  ACL_SECURITY_TOKEN,
  ACL_SIGNATURE,
  decodePropertiesBody,
  RequestCode,
  requestCodeName,
  responseCodeName,
} from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';
import type { AccessDecision } from './access-policy.js';
import { describeIdentity } from './access-policy.js';
import type { RequestClass } from './request-classes.js';
import type { SecurityLogger } from './security-logger.js';

/** The `name` binding of the audit child logger (pino `logger.child({ name })`). */
export const AUDIT_LOGGER_NAME = 'namesrv.audit';

const HIDDEN_FIELDS = new Set([ACL_ACCESS_KEY, ACL_SIGNATURE, ACL_SECURITY_TOKEN]);
const MAX_FIELDS = 16;
const MAX_VALUE = 200;

export interface AuditRecord {
  /** Access key, cert subject or address the request was accepted (or refused) as. */
  readonly who: string;
  /** How `who` is known; `claimed` = an AccessKey the request named but did not prove. */
  readonly whoKind: 'accessKey' | 'cert' | 'address' | 'anonymous' | 'claimed';
  readonly address: string;
  readonly requestClass: RequestClass;
  readonly code: number;
  /** Java name of the request code, e.g. PUT_KV_CONFIG. */
  readonly request: string;
  /** Non-secret header fields (and config keys of an UPDATE_NAMESRV_CONFIG body). */
  readonly what: Readonly<Record<string, string>>;
  /** `refused`, or the response code name (`SUCCESS`, `NO_PERMISSION`, …; `NONE` for one-way). */
  readonly outcome: string;
  /** Why it was refused (the NO_PERMISSION remark). */
  readonly remark?: string;
  /**
   * Refusals not written since the previous refusal record (at most REFUSALS_PER_SECOND are;
   * namesrv_access_denied_total counts them all).
   */
  readonly refusalsLeftOut?: number;
  /**
   * Anonymous admin writes not written since the previous such record: anyone who reaches the
   * port is anonymous, so their records are bounded like the refusals (an identified admin's are
   * all written).
   */
  readonly recordsLeftOut?: number;
}

/** Every admin-write and every refusal is audited. */
export function shouldAudit(decision: AccessDecision): boolean {
  return !decision.allowed || decision.requestClass === 'admin-write';
}

function cut(value: string): string {
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
}

function describeWhat(
  code: number,
  extFields: ExtFields | null,
  body: Buffer | null,
): Record<string, string> {
  const what: Record<string, string> = {};
  let n = 0;
  if (extFields !== null) {
    for (const [key, value] of Object.entries(extFields)) {
      if (HIDDEN_FIELDS.has(key)) continue;
      if (n++ >= MAX_FIELDS) break;
      // Names too: a peer chooses them (a 1 MiB field name would be a 1 MiB log line).
      what[cut(key)] = cut(value);
    }
  }
  if (code === RequestCode.UPDATE_NAMESRV_CONFIG && body !== null) {
    try {
      what['configKeys'] = cut([...decodePropertiesBody(body).keys()].join(','));
    } catch {
      what['configKeys'] = '(body is not properties text)';
    }
  }
  return what;
}

export interface AuditInput {
  readonly code: number;
  readonly extFields: ExtFields | null;
  readonly body: Buffer | null;
}

/**
 * The record for one request. `responseCode` is the code answered (null: refused before any
 * handler ran, or a one-way request that got no answer — `allowed` tells which).
 */
export function auditRecord(
  request: AuditInput,
  decision: AccessDecision,
  responseCode: number | null,
): AuditRecord {
  const base = {
    requestClass: decision.requestClass,
    code: request.code,
    request: requestCodeName(request.code),
    what: describeWhat(request.code, request.extFields, request.body),
  };
  if (!decision.allowed) {
    return {
      ...base,
      who: decision.claimedAccessKey ?? decision.address,
      whoKind: decision.claimedAccessKey === null ? 'address' : 'claimed',
      address: decision.address,
      outcome: 'refused',
      remark: decision.remark,
    };
  }
  return {
    ...base,
    who: describeIdentity(decision.identity),
    whoKind: decision.identity.kind,
    address: decision.address,
    outcome: responseCode === null ? 'NONE' : responseCodeName(responseCode),
  };
}

/** Writes one record at info (the logger should be the dedicated audit logger). */
export function writeAudit(logger: SecurityLogger, record: AuditRecord): void {
  logger.info({ audit: record }, `${record.request} by ${record.who}: ${record.outcome}`);
}
