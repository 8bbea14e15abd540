import { describe, expect, it } from 'vitest';
import { listenHostOf } from './listen-host.js';

describe('listenHostOf', () => {
  it('binds the JVM way: 0.0.0.0 is the dual-stack wildcard, brackets are dropped', () => {
    expect(listenHostOf('0.0.0.0')).toBeUndefined();
    expect(listenHostOf('[::1]')).toBe('::1');
    expect(listenHostOf('[::]')).toBe('::');
    expect(listenHostOf('::')).toBe('::');
    expect(listenHostOf('127.0.0.1')).toBe('127.0.0.1');
  });
});
