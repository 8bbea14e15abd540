/**
 * Headers of the broker-side requests: REGISTER_BROKER (103) and its response, UNREGISTER_BROKER
 * (104), QUERY_DATA_VERSION (322) and its response, BROKER_HEARTBEAT (904, 5.x), and the one the
 * NameServer sends to brokers, NOTIFY_MIN_BROKER_ID_CHANGE (905, 5.x).
 */
import type { ExtFields } from '../remoting-command.js';
import type { JavaLine } from '../java-line.js';
import { ZONE_NAME_EXT_FIELD } from '../constants.js';
import { decodeHeader, encodeHeader, type HeaderSpec } from './header-codec.js';

export interface RegisterBrokerRequestHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  /** Marked required in Java, but a missing one is stored as null (a broker without HA). */
  haServerAddr?: string;
  brokerId: number;
  /** 5.x: per-broker expiry; absent ⇒ 120 000 ms. */
  heartbeatTimeoutMillis?: number;
  /** 5.x: absent ⇒ an "old version broker". */
  enableActingMaster?: boolean;
  /** Primitive in Java: always sent; absent reads as false. */
  compressed: boolean;
  /** 0 = not checked. */
  bodyCrc32: number;
  /** 5.x `__ZONE_NAME` ext field. */
  zoneName?: string;
}

export interface RegisterBrokerResponseHeader {
  haServerAddr?: string;
  masterAddr?: string;
}

export interface UnRegisterBrokerRequestHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  brokerId: number;
}

/**
 * UNREGISTER_BROKER as Java reads it: a missing field (or an unparsable `brokerId`) is null. Java
 * 4.9.7 unboxes `brokerId` into a `long` before anything else, so it fails without one; 5.3.3 only
 * queues the request, whatever it holds, and answers SUCCESS.
 */
export type UnRegisterBrokerRequestFields = Partial<UnRegisterBrokerRequestHeader>;

/** brokerName and brokerId are marked required in Java but never read: they may be missing. */
export interface QueryDataVersionRequestHeader {
  brokerName?: string;
  brokerAddr: string;
  clusterName: string;
  brokerId?: number;
}

/**
 * QUERY_DATA_VERSION as Java 4.9.7 reads it: its tables are HashMaps keyed by the broker address
 * alone, so a missing `brokerAddr` (null) or `clusterName` is looked up, not refused. 5.3.3 hashes
 * both into its live-table key and fails without either (the decoder's default).
 */
export type QueryDataVersionRequestFields = Partial<QueryDataVersionRequestHeader>;

export interface QueryDataVersionResponseHeader {
  changed: boolean;
}

export interface BrokerHeartbeatRequestHeader {
  clusterName: string;
  brokerAddr: string;
  /** Marked required in Java but never read: it may be missing. */
  brokerName?: string;
  brokerId?: number;
  epoch?: number;
  maxOffset?: number;
  confirmOffset?: number;
  /** Java spells it `heartbeatTimeoutMills` here. */
  heartbeatTimeoutMills?: number;
  electionPriority?: number;
}

/** NOTIFY_MIN_BROKER_ID_CHANGE (905): every field is nullable; the NameServer never sets brokerName. */
export interface NotifyMinBrokerIdChangeRequestHeader {
  minBrokerId?: number;
  brokerName?: string;
  minBrokerAddr?: string;
  /** Set when a broker left the group (unregister, connection closed, expiry). */
  offlineBrokerAddr?: string;
  /** Set when a broker with a smaller id registered: its HA address. */
  haBrokerAddr?: string;
}

// Field lists are in Java declaration order (it decides ties inside a HashMap bucket).
const REGISTER: HeaderSpec = {
  name: 'RegisterBrokerRequestHeader',
  fields: [
    { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: true },
    { prop: 'brokerAddr', ext: 'brokerAddr', kind: 'string', required: true },
    { prop: 'clusterName', ext: 'clusterName', kind: 'string', required: true },
    { prop: 'haServerAddr', ext: 'haServerAddr', kind: 'string', required: false },
    { prop: 'brokerId', ext: 'brokerId', kind: 'long', required: true },
    {
      prop: 'heartbeatTimeoutMillis',
      ext: 'heartbeatTimeoutMillis',
      kind: 'long',
      required: false,
    },
    { prop: 'enableActingMaster', ext: 'enableActingMaster', kind: 'bool', required: false },
    { prop: 'compressed', ext: 'compressed', kind: 'bool', required: false, dflt: false },
    { prop: 'bodyCrc32', ext: 'bodyCrc32', kind: 'int', required: false, dflt: 0 },
    // Added by the 5.x broker with addExtField after the header fields.
    { prop: 'zoneName', ext: ZONE_NAME_EXT_FIELD, kind: 'string', required: false },
  ],
};
const REGISTER_RESPONSE: HeaderSpec = {
  name: 'RegisterBrokerResponseHeader',
  fields: [
    { prop: 'haServerAddr', ext: 'haServerAddr', kind: 'string', required: false },
    { prop: 'masterAddr', ext: 'masterAddr', kind: 'string', required: false },
  ],
};
const UNREGISTER: HeaderSpec = {
  name: 'UnRegisterBrokerRequestHeader',
  fields: [
    { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: true },
    { prop: 'brokerAddr', ext: 'brokerAddr', kind: 'string', required: true },
    { prop: 'clusterName', ext: 'clusterName', kind: 'string', required: true },
    { prop: 'brokerId', ext: 'brokerId', kind: 'long', required: true },
  ],
};
/** Java's reading of UNREGISTER: every field may be null; 4.9.7 still needs `brokerId`. */
const UNREGISTER_AS_JAVA: HeaderSpec = {
  name: UNREGISTER.name,
  fields: UNREGISTER.fields.map((f) => ({ ...f, required: false })),
};
const UNREGISTER_AS_JAVA_4_9: HeaderSpec = {
  name: UNREGISTER.name,
  fields: UNREGISTER.fields.map((f) => ({ ...f, required: f.prop === 'brokerId' })),
};
const QUERY_DATA_VERSION: HeaderSpec = {
  name: 'QueryDataVersionRequestHeader',
  fields: [
    { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: false },
    { prop: 'brokerAddr', ext: 'brokerAddr', kind: 'string', required: true },
    { prop: 'clusterName', ext: 'clusterName', kind: 'string', required: true },
    { prop: 'brokerId', ext: 'brokerId', kind: 'long', required: false },
  ],
};
const QUERY_DATA_VERSION_AS_JAVA_4_9: HeaderSpec = {
  name: QUERY_DATA_VERSION.name,
  fields: QUERY_DATA_VERSION.fields.map((f) => ({ ...f, required: false })),
};
const QUERY_DATA_VERSION_RESPONSE: HeaderSpec = {
  name: 'QueryDataVersionResponseHeader',
  fields: [{ prop: 'changed', ext: 'changed', kind: 'bool', required: true }],
};
const HEARTBEAT: HeaderSpec = {
  name: 'BrokerHeartbeatRequestHeader',
  fields: [
    { prop: 'clusterName', ext: 'clusterName', kind: 'string', required: true },
    { prop: 'brokerAddr', ext: 'brokerAddr', kind: 'string', required: true },
    { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: false },
    { prop: 'brokerId', ext: 'brokerId', kind: 'long', required: false },
    { prop: 'epoch', ext: 'epoch', kind: 'int', required: false },
    { prop: 'maxOffset', ext: 'maxOffset', kind: 'long', required: false },
    { prop: 'confirmOffset', ext: 'confirmOffset', kind: 'long', required: false },
    { prop: 'heartbeatTimeoutMills', ext: 'heartbeatTimeoutMills', kind: 'long', required: false },
    { prop: 'electionPriority', ext: 'electionPriority', kind: 'int', required: false },
  ],
};

type Ext = Readonly<Record<string, unknown>> | null;
type Extra = Readonly<Record<string, string>>;

export function decodeRegisterBrokerRequestHeader(ext: Ext): RegisterBrokerRequestHeader {
  return decodeHeader(REGISTER, ext) as unknown as RegisterBrokerRequestHeader;
}
export function encodeRegisterBrokerRequestHeader(
  h: RegisterBrokerRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(REGISTER, h, extra);
}

export function decodeRegisterBrokerResponseHeader(ext: Ext): RegisterBrokerResponseHeader {
  return decodeHeader(REGISTER_RESPONSE, ext);
}
/** `{}` for a master (Java builds the response from the header class even when both are null). */
export function encodeRegisterBrokerResponseHeader(h: RegisterBrokerResponseHeader): ExtFields {
  return encodeHeader(REGISTER_RESPONSE, h);
}

/**
 * Every field required (missing or unparsable → `HeaderFieldError`); with `asJava`, the fields as
 * that Java line reads them (see UnRegisterBrokerRequestFields): missing ones absent, only the 4.9
 * line still refusing a missing or unparsable `brokerId`.
 */
export function decodeUnRegisterBrokerRequestHeader(ext: Ext): UnRegisterBrokerRequestHeader;
export function decodeUnRegisterBrokerRequestHeader(
  ext: Ext,
  asJava: JavaLine,
): UnRegisterBrokerRequestFields;
export function decodeUnRegisterBrokerRequestHeader(
  ext: Ext,
  asJava?: JavaLine,
): UnRegisterBrokerRequestHeader | UnRegisterBrokerRequestFields {
  const spec =
    asJava === undefined
      ? UNREGISTER
      : asJava === '4.9'
        ? UNREGISTER_AS_JAVA_4_9
        : UNREGISTER_AS_JAVA;
  return decodeHeader(spec, ext);
}
export function encodeUnRegisterBrokerRequestHeader(
  h: UnRegisterBrokerRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(UNREGISTER, h, extra);
}

/**
 * `brokerAddr` and `clusterName` required (5.3.3 fails without either); with `asJava` '4.9', the
 * fields as Java 4.9.7 reads them, none required (see QueryDataVersionRequestFields).
 */
export function decodeQueryDataVersionRequestHeader(ext: Ext): QueryDataVersionRequestHeader;
export function decodeQueryDataVersionRequestHeader(
  ext: Ext,
  asJava: '4.9',
): QueryDataVersionRequestFields;
export function decodeQueryDataVersionRequestHeader(
  ext: Ext,
  asJava?: '4.9',
): QueryDataVersionRequestHeader | QueryDataVersionRequestFields {
  return decodeHeader(asJava === '4.9' ? QUERY_DATA_VERSION_AS_JAVA_4_9 : QUERY_DATA_VERSION, ext);
}
export function encodeQueryDataVersionRequestHeader(
  h: QueryDataVersionRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(QUERY_DATA_VERSION, h, extra);
}

export function decodeQueryDataVersionResponseHeader(ext: Ext): QueryDataVersionResponseHeader {
  return decodeHeader(
    QUERY_DATA_VERSION_RESPONSE,
    ext,
  ) as unknown as QueryDataVersionResponseHeader;
}
export function encodeQueryDataVersionResponseHeader(h: QueryDataVersionResponseHeader): ExtFields {
  return encodeHeader(QUERY_DATA_VERSION_RESPONSE, h);
}

export function decodeBrokerHeartbeatRequestHeader(ext: Ext): BrokerHeartbeatRequestHeader {
  return decodeHeader(HEARTBEAT, ext) as unknown as BrokerHeartbeatRequestHeader;
}
export function encodeBrokerHeartbeatRequestHeader(
  h: BrokerHeartbeatRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(HEARTBEAT, h, extra);
}

const NOTIFY_MIN_BROKER_ID_CHANGE: HeaderSpec = {
  name: 'NotifyMinBrokerIdChangeRequestHeader',
  fields: [
    { prop: 'minBrokerId', ext: 'minBrokerId', kind: 'long', required: false },
    { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: false },
    { prop: 'minBrokerAddr', ext: 'minBrokerAddr', kind: 'string', required: false },
    { prop: 'offlineBrokerAddr', ext: 'offlineBrokerAddr', kind: 'string', required: false },
    { prop: 'haBrokerAddr', ext: 'haBrokerAddr', kind: 'string', required: false },
  ],
};

export function decodeNotifyMinBrokerIdChangeRequestHeader(
  ext: Ext,
): NotifyMinBrokerIdChangeRequestHeader {
  // Every field is optional, so the decoded record is already a valid header.
  return decodeHeader(NOTIFY_MIN_BROKER_ID_CHANGE, ext);
}
export function encodeNotifyMinBrokerIdChangeRequestHeader(
  h: NotifyMinBrokerIdChangeRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(NOTIFY_MIN_BROKER_ID_CHANGE, h, extra);
}
