/**
 * Headers of WATCH_TOPIC_ROUTE (30000, a nameserver-ts extension; see request-code.ts).
 *
 * Request: `holdMillis` (how long the node may hold the request when nothing is newer; 0 = answer
 * at once; absent = the node's maximum) and `epoch` (the node epoch the client's versions were
 * issued in; absent or different = the client holds nothing, every watched topic is answered).
 * `acceptStandardJsonOnly` picks the route flavour as for GET_ROUTEINFO_BY_TOPIC.
 *
 * Response: `epoch`, the node's current epoch (versions in the body belong to it).
 */
import type { ExtFields } from '../remoting-command.js';
import { decodeHeader, encodeHeader, type HeaderSpec } from './header-codec.js';

export interface WatchTopicRouteRequestHeader {
  holdMillis?: number;
  epoch?: string;
  acceptStandardJsonOnly?: boolean;
}

export interface WatchTopicRouteResponseHeader {
  epoch: string;
}

const REQUEST: HeaderSpec = {
  name: 'WatchTopicRouteRequestHeader',
  fields: [
    { prop: 'holdMillis', ext: 'holdMillis', kind: 'long', required: false },
    { prop: 'epoch', ext: 'epoch', kind: 'string', required: false },
    {
      prop: 'acceptStandardJsonOnly',
      ext: 'acceptStandardJsonOnly',
      kind: 'bool',
      required: false,
    },
  ],
};

const RESPONSE: HeaderSpec = {
  name: 'WatchTopicRouteResponseHeader',
  fields: [{ prop: 'epoch', ext: 'epoch', kind: 'string', required: true }],
};

type Ext = Readonly<Record<string, unknown>> | null;

export function decodeWatchTopicRouteRequestHeader(ext: Ext): WatchTopicRouteRequestHeader {
  return decodeHeader(REQUEST, ext);
}
export function encodeWatchTopicRouteRequestHeader(h: WatchTopicRouteRequestHeader): ExtFields {
  return encodeHeader(REQUEST, h);
}

export function decodeWatchTopicRouteResponseHeader(ext: Ext): WatchTopicRouteResponseHeader {
  return decodeHeader(RESPONSE, ext) as unknown as WatchTopicRouteResponseHeader;
}
export function encodeWatchTopicRouteResponseHeader(h: WatchTopicRouteResponseHeader): ExtFields {
  return encodeHeader(RESPONSE, h);
}
