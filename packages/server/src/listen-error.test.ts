import { describe, expect, it } from 'vitest';
import { HttpAdminError } from './http/index.js';
import { listenFailure } from './listen-error.js';
import { NameServerError } from './name-server-error.js';
import { TransportError } from './transport/transport-error.js';

function osError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}: something`), { code });
}

const MAIN = { port: 'listenPort', address: 'bindAddress' } as const;
const HTTP = { port: 'httpPort', address: 'httpBindAddress' } as const;

describe('listenFailure', () => {
  it('names the port key for a port problem, with the address and the OS code', () => {
    const cause = new TransportError('NS_LISTEN_FAILED', 'x', { cause: osError('EADDRINUSE') });
    const err = listenFailure(cause, MAIN, '0.0.0.0', 9876);
    expect(err).toBeInstanceOf(NameServerError);
    expect((err as NameServerError).code).toBe('NS_STARTUP_LISTEN');
    expect((err as Error).message).toBe(
      'cannot listen on 0.0.0.0:9876 (listenPort): EADDRINUSE (nodes sharing a host need listenPorts at least 2 apart: each also takes listenPort + 1 for httpPort)',
    );
    expect((err as Error).cause).toBe(cause);

    const denied = new HttpAdminError('NS_HTTP_LISTEN_FAILED', 'x', { cause: osError('EACCES') });
    const httpErr = listenFailure(denied, HTTP, '0.0.0.0', 80) as NameServerError;
    expect(httpErr.code).toBe('NS_STARTUP_HTTP');
    expect(httpErr.message).toBe('cannot listen on 0.0.0.0:80 (httpPort): EACCES');
  });

  it('names the address key when the address is the problem', () => {
    const cause = new HttpAdminError('NS_HTTP_LISTEN_FAILED', 'x', {
      cause: osError('EADDRNOTAVAIL'),
    });
    expect((listenFailure(cause, HTTP, '192.0.2.1', 9877) as Error).message).toBe(
      'cannot listen on 192.0.2.1:9877 (httpBindAddress): EADDRNOTAVAIL',
    );
    const unknownHost = new TransportError('NS_LISTEN_FAILED', 'x', {
      cause: osError('ENOTFOUND'),
    });
    expect((listenFailure(unknownHost, MAIN, 'nohost', 9876) as Error).message).toBe(
      'cannot listen on nohost:9876 (bindAddress): ENOTFOUND',
    );
  });

  it('passes other errors through unchanged', () => {
    const state = new TransportError('NS_TRANSPORT_STATE', 'cannot listen: closed');
    expect(listenFailure(state, MAIN, '0.0.0.0', 9876)).toBe(state);
    const bug = new TypeError('boom');
    expect(listenFailure(bug, HTTP, '0.0.0.0', 9877)).toBe(bug);
  });
});
