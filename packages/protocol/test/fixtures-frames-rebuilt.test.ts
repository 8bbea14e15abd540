/**
 * Whole-frame check: rebuild each fixture response from typed values (header codec + body codec),
 * put it through the frame encoder, and compare with the Java frame byte for byte.
 */
import { describe, it, expect } from 'vitest';
import { listFixtures, loadFixture } from './fixtures.js';
import { decodeFrame, encodeCommand } from '../src/frame.js';
import type { RemotingCommand } from '../src/remoting-command.js';
import {
  decodeTopicRouteData,
  encodeTopicRouteData,
  routeBodyWantsStandardJson,
} from '../src/bodies/topic-route-data.js';
import { decodeClusterInfo, encodeClusterInfo } from '../src/bodies/cluster-info.js';
import { decodeTopicList, encodeTopicList } from '../src/bodies/topic-list.js';
import { decodeKVTable, encodeKVTable } from '../src/bodies/kv-table.js';
import { decodeDataVersion, encodeDataVersion } from '../src/bodies/data-version.js';
import {
  decodeRegisterBrokerResult,
  encodeRegisterBrokerResult,
} from '../src/bodies/register-broker-result.js';
import { decodeGetRouteInfoRequestHeader } from '../src/headers/route-headers.js';
import {
  decodeQueryDataVersionResponseHeader,
  encodeQueryDataVersionResponseHeader,
} from '../src/headers/broker-headers.js';
import {
  decodeWipeWritePermOfBrokerResponseHeader,
  encodeWipeWritePermOfBrokerResponseHeader,
  decodeAddWritePermOfBrokerResponseHeader,
  encodeAddWritePermOfBrokerResponseHeader,
} from '../src/headers/route-headers.js';
import {
  decodeGetKVConfigResponseHeader,
  encodeGetKVConfigResponseHeader,
} from '../src/headers/kv-config-headers.js';

type Rebuild = (
  req: RemotingCommand,
  res: RemotingCommand,
) => Pick<RemotingCommand, 'extFields' | 'body'>;

const LIST_CODES = [206, 224, 304, 311, 312, 313];

function rebuilderFor(req: RemotingCommand, res: RemotingCommand): Rebuild | null {
  if (res.code !== 0) return null;
  switch (req.code) {
    case 105:
      return (q, r) => {
        const h = decodeGetRouteInfoRequestHeader(q.extFields);
        const standard = routeBodyWantsStandardJson(q.version, h.acceptStandardJsonOnly === true);
        return {
          extFields: r.extFields,
          body: encodeTopicRouteData(decodeTopicRouteData(r.body!), { standardJson: standard }),
        };
      };
    case 106:
      return (_q, r) => ({
        extFields: r.extFields,
        body: encodeClusterInfo(decodeClusterInfo(r.body!)),
      });
    case 103:
      return (_q, r) => encodeRegisterBrokerResult(decodeRegisterBrokerResult(r.extFields, r.body));
    case 322:
      return (_q, r) => ({
        extFields: encodeQueryDataVersionResponseHeader(
          decodeQueryDataVersionResponseHeader(r.extFields),
        ),
        body: r.body === null ? null : encodeDataVersion(decodeDataVersion(r.body)),
      });
    case 205:
      return (_q, r) => ({
        extFields: encodeWipeWritePermOfBrokerResponseHeader(
          decodeWipeWritePermOfBrokerResponseHeader(r.extFields),
        ),
        body: null,
      });
    case 327:
      return (_q, r) => ({
        extFields: encodeAddWritePermOfBrokerResponseHeader(
          decodeAddWritePermOfBrokerResponseHeader(r.extFields),
        ),
        body: null,
      });
    case 101:
      return (_q, r) => ({
        extFields: encodeGetKVConfigResponseHeader(decodeGetKVConfigResponseHeader(r.extFields)),
        body: null,
      });
    case 219:
      return (_q, r) => ({ extFields: r.extFields, body: encodeKVTable(decodeKVTable(r.body!)) });
    default:
      return LIST_CODES.includes(req.code)
        ? (_q, r) => ({ extFields: r.extFields, body: encodeTopicList(decodeTopicList(r.body!)) })
        : null;
  }
}

const cases = listFixtures()
  .filter((n) => !n.startsWith('malformed-'))
  .flatMap((name) => {
    const { request, response } = loadFixture(name);
    if (response === null) return [];
    const req = decodeFrame(request.subarray(4));
    const res = decodeFrame(response.subarray(4));
    return rebuilderFor(req, res) === null ? [] : [[name, request, response] as const];
  });

describe('fixture responses rebuilt from typed values', () => {
  it('covers the successful responses that carry typed data', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', (_name, request, response) => {
    const req = decodeFrame(request.subarray(4));
    const res = decodeFrame(response.subarray(4));
    const rebuilt = rebuilderFor(req, res)!(req, res);
    expect(encodeCommand({ ...res, ...rebuilt })).toEqual(response);
  });
});
