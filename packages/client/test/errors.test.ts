import { describe, expect, it } from 'vitest';
import {
  AddressServiceError,
  InvalidAddressListError,
  NoNameServerError,
  NsClientError,
  ProtocolViolationError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
  ResponseError,
  isRetriable,
} from '../src/errors.js';

describe('client errors', () => {
  it('gives every class a stable code, a name and the base class', () => {
    const cases: [NsClientError, string, string, boolean][] = [
      [
        new InvalidAddressListError('a,b', 'bad'),
        'NS_INVALID_ADDRESS_LIST',
        'InvalidAddressListError',
        false,
      ],
      [new NoNameServerError(), 'NS_NO_NAME_SERVER', 'NoNameServerError', true],
      [
        new AddressServiceError('http://x', 'timeout', 't'),
        'NS_ADDRESS_SERVICE',
        'AddressServiceError',
        true,
      ],
      [
        new RemotingConnectError('1.2.3.4:9876'),
        'NS_REMOTING_CONNECT',
        'RemotingConnectError',
        true,
      ],
      [
        new RemotingTimeoutError('1.2.3.4:9876', 3000),
        'NS_REMOTING_TIMEOUT',
        'RemotingTimeoutError',
        true,
      ],
      [new RemotingClosedError('1.2.3.4:9876'), 'NS_REMOTING_CLOSED', 'RemotingClosedError', true],
      [new ResponseError(17, 'No topic route info'), 'NS_RESPONSE_ERROR', 'ResponseError', false],
      [
        new ProtocolViolationError('bad frame'),
        'NS_PROTOCOL_VIOLATION',
        'ProtocolViolationError',
        false,
      ],
    ];
    for (const [err, code, name, retriable] of cases) {
      expect(err).toBeInstanceOf(NsClientError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(name);
      expect(err.retriable).toBe(retriable);
      expect(isRetriable(err)).toBe(retriable);
    }
  });

  it('retries a ResponseError only for SYSTEM_BUSY', () => {
    expect(new ResponseError(2, 'busy').retriable).toBe(true);
    expect(new ResponseError(1, 'boom').retriable).toBe(false);
    const err = new ResponseError(17, 'No topic route info for T', {
      requestCode: 105,
      addr: 'a:1',
    });
    expect(err.responseCode).toBe(17);
    expect(err.remark).toBe('No topic route info for T');
    expect(err.message).toBe('response code 17 to request 105 from a:1: No topic route info for T');
  });

  it('does not retry a malformed address-service body but keeps the status and cause', () => {
    const cause = new Error('inner');
    const err = new AddressServiceError('http://x/rocketmq/nsaddr', 'http-status', 'HTTP 503', {
      statusCode: 503,
      cause,
    });
    expect(err.statusCode).toBe(503);
    expect(err.cause).toBe(cause);
    expect(new AddressServiceError('u', 'malformed-body', 'm').retriable).toBe(false);
  });

  it('passes the cause through remoting errors and says nothing retriable about foreign errors', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new RemotingConnectError('127.0.0.1:1', undefined, { cause });
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('cannot connect to 127.0.0.1:1: ECONNREFUSED');
    expect(new RemotingConnectError('127.0.0.1:1').message).toBe('cannot connect to 127.0.0.1:1');
    expect(isRetriable(cause)).toBe(false);
    expect(new RemotingTimeoutError('a:1', 250).timeoutMs).toBe(250);
  });
});
