/**
 * Headers of the route and topic requests: GET_ROUTEINFO_BY_TOPIC (105), WIPE/ADD_WRITE_PERM
 * (205/327) and their responses, DELETE_TOPIC_IN_NAMESRV (216), REGISTER_TOPIC_IN_NAMESRV (217,
 * 5.x), GET_TOPICS_BY_CLUSTER (224), GET_BROKER_MEMBER_GROUP (901, 5.x).
 */
import type { ExtFields } from '../remoting-command.js';
import { ZONE_MODE_EXT_FIELD, ZONE_NAME_EXT_FIELD } from '../constants.js';
import { decodeHeader, encodeHeader, type HeaderSpec } from './header-codec.js';

// Fields marked `?` below although Java's annotation says required: Java reads a missing field as
// null and, for these, answers as it would for an unknown name (nothing matches), so the request
// succeeds; the handlers do the same rather than refuse it.

export interface GetRouteInfoRequestHeader {
  /** Missing: TOPIC_NOT_EXIST for topic "null". */
  topic?: string;
  /** 4.9.4+: ask for standard JSON whatever the version. */
  acceptStandardJsonOnly?: boolean;
  /** 5.x `__ZONE_MODE` ext field. */
  zoneMode?: boolean;
  /** 5.x `__ZONE_NAME` ext field. */
  zoneName?: string;
}

export interface WipeWritePermOfBrokerRequestHeader {
  /** Missing: no topic matches (count 0). */
  brokerName?: string;
}
export interface WipeWritePermOfBrokerResponseHeader {
  wipeTopicCount: number;
}
export type AddWritePermOfBrokerRequestHeader = WipeWritePermOfBrokerRequestHeader;
export interface AddWritePermOfBrokerResponseHeader {
  addTopicCount: number;
}

export interface DeleteTopicFromNamesrvRequestHeader {
  /** Missing: nothing is deleted. */
  topic?: string;
  clusterName?: string;
}

export interface RegisterTopicRequestHeader {
  /** Missing: nothing is registered (Java's tables refuse the null key; the NPE is swallowed). */
  topic?: string;
}

export interface GetTopicsByClusterRequestHeader {
  /** Missing: an empty list. */
  cluster?: string;
}

export interface GetBrokerMemberGroupRequestHeader {
  /** Only echoed: missing, the group has no `cluster`. */
  clusterName?: string;
  /** Missing: a group without `brokerName` and no addresses (Java's lookup NPE is swallowed). */
  brokerName?: string;
}

const ROUTE: HeaderSpec = {
  name: 'GetRouteInfoRequestHeader',
  fields: [
    { prop: 'topic', ext: 'topic', kind: 'string', required: false },
    {
      prop: 'acceptStandardJsonOnly',
      ext: 'acceptStandardJsonOnly',
      kind: 'bool',
      required: false,
    },
    { prop: 'zoneMode', ext: ZONE_MODE_EXT_FIELD, kind: 'bool', required: false },
    { prop: 'zoneName', ext: ZONE_NAME_EXT_FIELD, kind: 'string', required: false },
  ],
};
const BROKER_NAME_FIELDS = [
  { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: false },
] as const;
const WIPE: HeaderSpec = { name: 'WipeWritePermOfBrokerRequestHeader', fields: BROKER_NAME_FIELDS };
const WIPE_RESPONSE: HeaderSpec = {
  name: 'WipeWritePermOfBrokerResponseHeader',
  fields: [{ prop: 'wipeTopicCount', ext: 'wipeTopicCount', kind: 'int', required: true }],
};
const ADD: HeaderSpec = { name: 'AddWritePermOfBrokerRequestHeader', fields: BROKER_NAME_FIELDS };
const ADD_RESPONSE: HeaderSpec = {
  name: 'AddWritePermOfBrokerResponseHeader',
  fields: [{ prop: 'addTopicCount', ext: 'addTopicCount', kind: 'int', required: true }],
};
const DELETE_TOPIC: HeaderSpec = {
  name: 'DeleteTopicFromNamesrvRequestHeader',
  fields: [
    { prop: 'topic', ext: 'topic', kind: 'string', required: false },
    { prop: 'clusterName', ext: 'clusterName', kind: 'string', required: false },
  ],
};
const REGISTER_TOPIC: HeaderSpec = {
  name: 'RegisterTopicRequestHeader',
  fields: [{ prop: 'topic', ext: 'topic', kind: 'string', required: false }],
};
const TOPICS_BY_CLUSTER: HeaderSpec = {
  name: 'GetTopicsByClusterRequestHeader',
  fields: [{ prop: 'cluster', ext: 'cluster', kind: 'string', required: false }],
};
const MEMBER_GROUP: HeaderSpec = {
  name: 'GetBrokerMemberGroupRequestHeader',
  fields: [
    { prop: 'clusterName', ext: 'clusterName', kind: 'string', required: false },
    { prop: 'brokerName', ext: 'brokerName', kind: 'string', required: false },
  ],
};

type Ext = Readonly<Record<string, unknown>> | null;
type Extra = Readonly<Record<string, string>>;

export function decodeGetRouteInfoRequestHeader(ext: Ext): GetRouteInfoRequestHeader {
  return decodeHeader(ROUTE, ext);
}
export function encodeGetRouteInfoRequestHeader(
  h: GetRouteInfoRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(ROUTE, h, extra);
}

export function decodeWipeWritePermOfBrokerRequestHeader(
  ext: Ext,
): WipeWritePermOfBrokerRequestHeader {
  return decodeHeader(WIPE, ext);
}
export function encodeWipeWritePermOfBrokerRequestHeader(
  h: WipeWritePermOfBrokerRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(WIPE, h, extra);
}
export function decodeWipeWritePermOfBrokerResponseHeader(
  ext: Ext,
): WipeWritePermOfBrokerResponseHeader {
  return decodeHeader(WIPE_RESPONSE, ext) as unknown as WipeWritePermOfBrokerResponseHeader;
}
export function encodeWipeWritePermOfBrokerResponseHeader(
  h: WipeWritePermOfBrokerResponseHeader,
): ExtFields {
  return encodeHeader(WIPE_RESPONSE, h);
}

export function decodeAddWritePermOfBrokerRequestHeader(
  ext: Ext,
): AddWritePermOfBrokerRequestHeader {
  return decodeHeader(ADD, ext);
}
export function encodeAddWritePermOfBrokerRequestHeader(
  h: AddWritePermOfBrokerRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(ADD, h, extra);
}
export function decodeAddWritePermOfBrokerResponseHeader(
  ext: Ext,
): AddWritePermOfBrokerResponseHeader {
  return decodeHeader(ADD_RESPONSE, ext) as unknown as AddWritePermOfBrokerResponseHeader;
}
export function encodeAddWritePermOfBrokerResponseHeader(
  h: AddWritePermOfBrokerResponseHeader,
): ExtFields {
  return encodeHeader(ADD_RESPONSE, h);
}

export function decodeDeleteTopicFromNamesrvRequestHeader(
  ext: Ext,
): DeleteTopicFromNamesrvRequestHeader {
  return decodeHeader(DELETE_TOPIC, ext);
}
export function encodeDeleteTopicFromNamesrvRequestHeader(
  h: DeleteTopicFromNamesrvRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(DELETE_TOPIC, h, extra);
}

export function decodeRegisterTopicRequestHeader(ext: Ext): RegisterTopicRequestHeader {
  return decodeHeader(REGISTER_TOPIC, ext);
}
export function encodeRegisterTopicRequestHeader(
  h: RegisterTopicRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(REGISTER_TOPIC, h, extra);
}

export function decodeGetTopicsByClusterRequestHeader(ext: Ext): GetTopicsByClusterRequestHeader {
  return decodeHeader(TOPICS_BY_CLUSTER, ext);
}
export function encodeGetTopicsByClusterRequestHeader(
  h: GetTopicsByClusterRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(TOPICS_BY_CLUSTER, h, extra);
}

export function decodeGetBrokerMemberGroupRequestHeader(
  ext: Ext,
): GetBrokerMemberGroupRequestHeader {
  return decodeHeader(MEMBER_GROUP, ext);
}
export function encodeGetBrokerMemberGroupRequestHeader(
  h: GetBrokerMemberGroupRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(MEMBER_GROUP, h, extra);
}
