import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, envNameOf } from './schema.js';
import { formatUsage } from './usage.js';

describe('formatUsage', () => {
  it('documents every key with its default, env variable and live flag', () => {
    const text = formatUsage();
    for (const key of CONFIG_KEYS) {
      expect(text).toContain(`--${key}  [`);
      expect(text).toContain(`Env ${envNameOf(key)}.`);
    }
    expect(text).toMatch(/--listenPort {2}\[an integer 0\.\.65535; default 9876\]/);
    expect(text).toMatch(/--httpPort {2}\[an integer -1\.\.65535; default listenPort \+ 1\]/);
    expect(text).toMatch(/--orderMessageEnable {2}\[true or false; default false; live\]/);
    expect(text).toContain('default ~/namesrv/kvConfig.json');
    expect(text).toMatch(/^Usage: ns-server /);
  });

  it('maps keys to NAMESRV_* environment names', () => {
    expect(envNameOf('listenPort')).toBe('NAMESRV_LISTEN_PORT');
    expect(envNameOf('serverSocketSndBufSize')).toBe('NAMESRV_SERVER_SOCKET_SND_BUF_SIZE');
    expect(envNameOf('kvConfigPath')).toBe('NAMESRV_KV_CONFIG_PATH');
    expect(envNameOf('unRegisterBrokerQueueCapacity')).toBe(
      'NAMESRV_UN_REGISTER_BROKER_QUEUE_CAPACITY',
    );
  });
});
