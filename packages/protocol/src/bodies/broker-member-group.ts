/**
 * `GetBrokerMemberGroupResponseBody` (code 901, 5.x), always legacy JSON:
 * `{"brokerMemberGroup":{"brokerAddrs":{0:"…"},"brokerName":"…","cluster":"…"}}`.
 */
import type { BrokerMemberGroup, GetBrokerMemberGroupResponseBody } from './types.js';
import { type JsonFlavour, LEGACY, writeString } from '../json/fastjson-writer.js';
import { asRecord, parseJsonBody, readRequiredString } from '../json/read-fields.js';
import { readBrokerAddrs, writeBrokerAddrs } from './broker-data.js';

export function writeGetBrokerMemberGroupResponseBody(
  body: GetBrokerMemberGroupResponseBody,
  flavour: JsonFlavour = LEGACY,
): string {
  const g = body.brokerMemberGroup;
  return (
    `{"brokerMemberGroup":{"brokerAddrs":${writeBrokerAddrs(g.brokerAddrs, flavour)},` +
    `"brokerName":${writeString(g.brokerName, flavour)},"cluster":${writeString(g.cluster, flavour)}}}`
  );
}

export function encodeGetBrokerMemberGroupResponseBody(
  body: GetBrokerMemberGroupResponseBody,
  flavour: JsonFlavour = LEGACY,
): Buffer {
  return Buffer.from(writeGetBrokerMemberGroupResponseBody(body, flavour), 'utf8');
}

export function readGetBrokerMemberGroupResponseBody(
  v: unknown,
  where: string,
): GetBrokerMemberGroupResponseBody {
  const rec = asRecord(v, where);
  const gw = `${where}.brokerMemberGroup`;
  const g = asRecord(rec['brokerMemberGroup'], gw);
  const group: BrokerMemberGroup = {
    cluster: readRequiredString(g, 'cluster', gw),
    brokerName: readRequiredString(g, 'brokerName', gw),
    brokerAddrs: readBrokerAddrs(g['brokerAddrs'], `${gw}.brokerAddrs`),
  };
  return { brokerMemberGroup: group };
}

export function decodeGetBrokerMemberGroupResponseBody(
  body: Buffer,
): GetBrokerMemberGroupResponseBody {
  return readGetBrokerMemberGroupResponseBody(
    parseJsonBody(body, 'GetBrokerMemberGroupResponseBody'),
    'GetBrokerMemberGroupResponseBody',
  );
}
