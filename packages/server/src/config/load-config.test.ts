import { describe, expect, it } from 'vitest';
import { loadFixture } from '../../../protocol/test/fixtures.js';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';
import type { LoadConfigInput } from './load-config.js';

/** Body text of the response of a captured 4.9.7 exchange. */
function responseBody(name: string): string {
  const frame = loadFixture(name).response!;
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  return frame.subarray(8 + headerLength).toString('latin1');
}

function input(over: Partial<LoadConfigInput> & { files?: Record<string, string> } = {}) {
  const files = over.files ?? {};
  return {
    argv: over.argv ?? [],
    env: over.env ?? {},
    homeDir: over.homeDir ?? '/home/u',
    readFile:
      over.readFile ??
      ((path: string) => {
        const text = files[path];
        if (text === undefined)
          throw new Error(`ENOENT: no such file or directory, open '${path}'`);
        return text;
      }),
  };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('NS_CONFIG_INVALID');
    return (err as ConfigError).issues.map((i) => i.message);
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('gives Java defaults, paths under the home directory, and a frozen object', () => {
    const { config, printOnly, help } = loadConfig(input());
    expect(printOnly).toBe(false);
    expect(help).toBe(false);
    expect(config.listenPort).toBe(9876);
    expect(config.bindAddress).toBe('0.0.0.0');
    expect(config.serverChannelMaxIdleTimeSeconds).toBe(120);
    expect(config.kvConfigPath).toBe('/home/u/namesrv/kvConfig.json');
    expect(config.configStorePath).toBe('/home/u/namesrv/namesrv.properties');
    expect(config.rocketmqHome).toBe('');
    expect(config.productEnvName).toBe('center');
    expect(config.configBlackList).toBe('configBlackList;configStorePath;kvConfigPath');
    expect(config.heartbeatTimeoutMillis).toBe(120_000);
    expect(config.maxFrameLength).toBe(16 * 1024 * 1024);
    expect(config.httpPort).toBe(9877);
    expect(config.logLevel).toBe('info');
    expect(config.kvConfigDumpIntervalMillis).toBe(600_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes rocketmqHome from ROCKETMQ_HOME like Java', () => {
    expect(loadConfig(input({ env: { ROCKETMQ_HOME: '/opt/rocketmq' } })).config.rocketmqHome).toBe(
      '/opt/rocketmq',
    );
  });
});

describe('loadConfig precedence: defaults < file < env < command line', () => {
  const files = {
    '/etc/ns.properties': 'listenPort=1000\norderMessageEnable=true\nhttpPort=1001\n',
  };

  it('file over defaults', () => {
    const { config } = loadConfig(input({ argv: ['-c', '/etc/ns.properties'], files }));
    expect(config.listenPort).toBe(1000);
    expect(config.orderMessageEnable).toBe(true);
  });

  it('env over file', () => {
    const { config } = loadConfig(
      input({ argv: ['-c', '/etc/ns.properties'], files, env: { NAMESRV_LISTEN_PORT: '2000' } }),
    );
    expect(config.listenPort).toBe(2000);
    expect(config.orderMessageEnable).toBe(true);
  });

  it('command line over env, in both --k=v and --k v forms', () => {
    const env = { NAMESRV_LISTEN_PORT: '2000', NAMESRV_BIND_ADDRESS: '10.0.0.1' };
    const a = loadConfig(
      input({ argv: ['-c', '/etc/ns.properties', '--listenPort=3000'], files, env }),
    );
    expect(a.config.listenPort).toBe(3000);
    expect(a.config.bindAddress).toBe('10.0.0.1');
    const b = loadConfig(
      input({ argv: ['--listenPort', '4000', '--bindAddress', '127.0.0.1'], env }),
    );
    expect(b.config.listenPort).toBe(4000);
    expect(b.config.bindAddress).toBe('127.0.0.1');
  });

  it('records where each value came from', () => {
    const { sources } = loadConfig(
      input({
        argv: ['-c', '/etc/ns.properties', '--httpPort=3001'],
        files,
        env: { NAMESRV_ORDER_MESSAGE_ENABLE: 'false' },
      }),
    );
    expect(sources.get('listenPort')).toEqual({
      kind: 'file',
      detail: '/etc/ns.properties line 1',
    });
    expect(sources.get('orderMessageEnable')).toEqual({
      kind: 'env',
      detail: 'env NAMESRV_ORDER_MESSAGE_ENABLE',
    });
    expect(sources.get('httpPort')).toEqual({ kind: 'cli', detail: '--httpPort' });
    expect(sources.get('configStorePath')).toEqual({
      kind: 'cli',
      detail: '-c /etc/ns.properties',
    });
    expect(sources.get('logLevel')).toEqual({ kind: 'default', detail: 'default' });
  });

  it('-c also sets configStorePath to the file, over the file own value (Java parity)', () => {
    const { config } = loadConfig(
      input({
        argv: ['-c', '/etc/x.properties'],
        files: { '/etc/x.properties': 'configStorePath=/elsewhere\n' },
      }),
    );
    expect(config.configStorePath).toBe('/etc/x.properties');
    const { config: c2 } = loadConfig(
      input({
        argv: ['--configFile=/etc/x.properties', '--configStorePath', '/cli'],
        files: { '/etc/x.properties': '' },
      }),
    );
    expect(c2.configStorePath).toBe('/cli');
  });

  it('skips a leading byte order mark in the -c file', () => {
    const { config } = loadConfig(
      input({ argv: ['-c', '/f'], files: { '/f': '\uFEFFlistenPort=9000\n' } }),
    );
    expect(config.listenPort).toBe(9000);
  });

  it('loads the properties a real 4.9.7 namesrv reports (every Java key is known)', () => {
    const text = responseBody('get-namesrv-config');
    const { config } = loadConfig(input({ argv: ['-c', '/f'], files: { '/f': text } }));
    expect(config.kvConfigPath).toBe('/home/rocketmq/namesrv/kvConfig.json');
    expect(config.rocketmqHome).toBe('/opt/rocketmq');
    expect(config.serverPooledByteBufAllocatorEnable).toBe(true);
    expect(config.configStorePath).toBe('/f');
  });

  it('understands booleans, negative numbers, trimmed values and -n/namesrvAddr (ignored)', () => {
    const { config } = loadConfig(
      input({
        argv: [
          '--orderMessageEnable',
          '--clusterTest',
          'TRUE',
          '--enableTopicList',
          'false',
          '--httpPort',
          '-1',
          '-n',
          'a:9876',
          '--namesrvAddr=b:9876',
        ],
        files: {},
        env: {
          NAMESRV_WAIT_SECONDS_FOR_SERVICE: ' 7 ',
          NAMESRV_ADDR: 'x:9876',
          NAMESRV_LOG_LEVEL: '',
        },
      }),
    );
    expect(config.orderMessageEnable).toBe(true);
    expect(config.clusterTest).toBe(true);
    expect(config.enableTopicList).toBe(false);
    expect(config.httpPort).toBe(-1);
    expect(config.waitSecondsForService).toBe(7);
    expect(config.logLevel).toBe('info');
  });

  it('ignores the service-link variables of a Service named namesrv (Kubernetes, docker --link), not other unknown ones', () => {
    const links = {
      NAMESRV_SERVICE_HOST: '10.96.0.12',
      NAMESRV_SERVICE_PORT: '9876',
      NAMESRV_SERVICE_PORT_REMOTING: '9876',
      NAMESRV_PORT: 'tcp://10.96.0.12:9876',
      NAMESRV_PORT_9876_TCP: 'tcp://10.96.0.12:9876',
      NAMESRV_PORT_9876_TCP_PROTO: 'tcp',
      NAMESRV_PORT_9876_TCP_PORT: '9876',
      NAMESRV_PORT_9876_TCP_ADDR: '10.96.0.12',
    };
    // And those of a Service named namesrv-console.
    const consoleLinks = {
      NAMESRV_CONSOLE_SERVICE_HOST: '10.96.0.13',
      NAMESRV_CONSOLE_SERVICE_PORT: '8080',
      NAMESRV_CONSOLE_PORT: 'tcp://10.96.0.13:8080',
      NAMESRV_CONSOLE_PORT_8080_TCP_ADDR: '10.96.0.13',
    };
    const loaded = loadConfig(input({ env: { ...links, ...consoleLinks } }));
    expect(loaded.config.listenPort).toBe(9876);
    expect(() => loadConfig(input({ env: { ...links, NAMESRV_PORTS: '1' } }))).toThrow(
      /NAMESRV_PORTS: unknown configuration variable/,
    );
    // A misspelt key shaped like a link is still refused: its value is no link's.
    expect(() => loadConfig(input({ env: { NAMESRV_HTTPS_PORT: '8080' } }))).toThrow(
      /NAMESRV_HTTPS_PORT: unknown configuration variable/,
    );
  });

  it('ignores the links of a Service whose name makes a key of ours (namesrv-http → NAMESRV_HTTP_PORT), and docker --link copies', () => {
    // Kubernetes: a Service named namesrv-http sets NAMESRV_HTTP_PORT=tcp://…, our httpPort's
    // variable; every pod crash-looped on it. A value no port key accepts is the link's.
    const httpService = {
      NAMESRV_HTTP_SERVICE_HOST: '10.96.0.12',
      NAMESRV_HTTP_SERVICE_PORT: '9877',
      NAMESRV_HTTP_PORT: 'tcp://10.96.0.12:9877',
      NAMESRV_HTTP_PORT_9877_TCP: 'tcp://10.96.0.12:9877',
    };
    expect(loadConfig(input({ env: httpService })).config.httpPort).toBe(9877);
    expect(() => loadConfig(input({ env: { NAMESRV_HTTP_PORT: 'abc' } }))).toThrow(
      /httpPort: .*from env NAMESRV_HTTP_PORT/,
    );
    // docker --link ns1:namesrv: NAMESRV_NAME=/<container>/namesrv and NAMESRV_ENV_<var> copies.
    expect(() =>
      loadConfig(input({ env: { NAMESRV_NAME: '/web/namesrv', NAMESRV_ENV_JAVA_OPT: '-Xmx1g' } })),
    ).not.toThrow();
    // Without the link's NAME, or misspelt keys, they are still refused.
    expect(() => loadConfig(input({ env: { NAMESRV_ENV_JAVA_OPT: '-Xmx1g' } }))).toThrow(
      /NAMESRV_ENV_JAVA_OPT: unknown configuration variable/,
    );
    expect(() => loadConfig(input({ env: { NAMESRV_PRODUCT_ENV_NAMEX: '1' } }))).toThrow(
      /NAMESRV_PRODUCT_ENV_NAMEX: unknown configuration variable/,
    );
  });

  it('a period that is 0 (off) or long enough: kvConfigDumpIntervalMillis=1 would log the KV table every millisecond', () => {
    const dump = (v: string) =>
      loadConfig(input({ argv: [`--kvConfigDumpIntervalMillis=${v}`] })).config
        .kvConfigDumpIntervalMillis;
    expect(dump('0')).toBe(0);
    expect(dump('1000')).toBe(1000);
    expect(() => dump('1')).toThrow(
      "kvConfigDumpIntervalMillis: expected 0 (off) or an integer 1000..2147483647, got '1'",
    );
  });

  it('compatibilityLine: 5.x by default, 4.9 from any source', () => {
    expect(loadConfig(input()).config.compatibilityLine).toBe('5.x');
    expect(
      loadConfig(input({ env: { NAMESRV_COMPATIBILITY_LINE: '4.9' } })).config.compatibilityLine,
    ).toBe('4.9');
  });

  it('-p and -h', () => {
    expect(loadConfig(input({ argv: ['-p', '--listenPort', '1'] })).printOnly).toBe(true);
    const help = loadConfig(input({ argv: ['--bogus', '-h', '-c', '/missing'] }));
    expect(help.help).toBe(true);
    expect(help.config.listenPort).toBe(9876);
  });
});

describe('httpPort follows listenPort unless set', () => {
  it('is listenPort + 1 from whichever source set listenPort, and 0 for 0', () => {
    expect(loadConfig(input()).config.httpPort).toBe(9877);
    expect(loadConfig(input({ argv: ['--listenPort=9000'] })).config.httpPort).toBe(9001);
    expect(loadConfig(input({ env: { NAMESRV_LISTEN_PORT: '7000' } })).config.httpPort).toBe(7001);
    const files = { '/f': 'listenPort=8000\n' };
    expect(loadConfig(input({ argv: ['-c', '/f'], files })).config.httpPort).toBe(8001);
    expect(loadConfig(input({ argv: ['--listenPort=0'] })).config.httpPort).toBe(0);
  });

  it('an explicit httpPort from any source wins, -1 and 0 included', () => {
    const cases: [Partial<LoadConfigInput> & { files?: Record<string, string> }, number][] = [
      [{ argv: ['--listenPort=9000', '--httpPort=-1'] }, -1],
      [{ argv: ['--listenPort=9000', '--httpPort', '0'] }, 0],
      [{ argv: ['--listenPort=9000'], env: { NAMESRV_HTTP_PORT: '1234' } }, 1234],
      [{ argv: ['-c', '/f', '--listenPort=9000'], files: { '/f': 'httpPort=4321\n' } }, 4321],
      [{ argv: ['--listenPort=0', '--httpPort=9877'] }, 9877],
    ];
    for (const [over, expected] of cases) {
      expect(loadConfig(input(over)).config.httpPort, JSON.stringify(over)).toBe(expected);
    }
  });

  it('listenPort 65535 without an httpPort is refused, naming both keys and the source', () => {
    expect(issuesOf(() => loadConfig(input({ argv: ['--listenPort=65535'] })))).toEqual([
      'httpPort: expected an integer -1..65535, got 65536 from its default listenPort + 1 (listenPort=65535 from --listenPort); set httpPort explicitly (0 picks a free port, -1 disables the HTTP admin server)',
    ]);
    expect(
      loadConfig(input({ argv: ['--listenPort=65535'], env: { NAMESRV_HTTP_PORT: '-1' } })).config
        .httpPort,
    ).toBe(-1);
  });

  it('-p prints the derived value', () => {
    const { config, printOnly } = loadConfig(input({ argv: ['-p', '--listenPort=9100'] }));
    expect(printOnly).toBe(true);
    expect(config.httpPort).toBe(9101);
  });
});

describe('loadConfig errors name the key, the source and what was expected', () => {
  it('command line', () => {
    expect(issuesOf(() => loadConfig(input({ argv: ['--listenPort', 'abc'] })))).toEqual([
      "listenPort: expected an integer 0..65535, got 'abc' (from --listenPort)",
    ]);
    expect(issuesOf(() => loadConfig(input({ argv: ['--listenPort=70000'] })))).toEqual([
      "listenPort: expected an integer 0..65535, got '70000' (from --listenPort)",
    ]);
    expect(issuesOf(() => loadConfig(input({ argv: ['--listenport=1'] })))).toEqual([
      'listenport: unknown configuration key (from --listenport) (did you mean --listenPort?)',
    ]);
    expect(issuesOf(() => loadConfig(input({ argv: ['--logLevel=loud'] })))).toEqual([
      "logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got 'loud' (from --logLevel)",
    ]);
    expect(issuesOf(() => loadConfig(input({ argv: ['--compatibilityLine=4.8'] })))).toEqual([
      "compatibilityLine: expected one of 5.x, 4.9, got '4.8' (from --compatibilityLine)",
    ]);
    expect(issuesOf(() => loadConfig(input({ argv: ['--bindAddress'] })))).toEqual([
      '--bindAddress: missing value',
    ]);
    expect(issuesOf(() => loadConfig(input({ argv: ['9876'] })))[0]).toMatch(
      /unexpected argument "9876"/,
    );
  });

  it('file: path and line', () => {
    const files = {
      '/etc/ns.properties': '# comment\nlistenPort=abc\n\nnoSuchKey=1\norderMessageEnable=yes\n',
    };
    expect(
      issuesOf(() => loadConfig(input({ argv: ['-c', '/etc/ns.properties'], files }))),
    ).toEqual([
      "listenPort: expected an integer 0..65535, got 'abc' (from /etc/ns.properties line 2)",
      'noSuchKey: unknown configuration key (from /etc/ns.properties line 4)',
      "orderMessageEnable: expected true or false, got 'yes' (from /etc/ns.properties line 5)",
    ]);
  });

  it('file: Java 5.x NettyClientConfig keys (mqnamesrv reads them from the same file) are accepted and ignored', () => {
    const files = {
      '/etc/ns.properties':
        'listenPort=9878\nclientWorkerThreads=4\nuseTLS=false\nconnectTimeoutMillis=3000\n',
    };
    const config = loadConfig(input({ argv: ['-c', '/etc/ns.properties'], files }));
    expect(config.config.listenPort).toBe(9878);
    expect(Object.hasOwn(config.config, 'clientWorkerThreads')).toBe(false);
  });

  it('file: unreadable or malformed', () => {
    const [unreadable] = issuesOf(() => loadConfig(input({ argv: ['-c', '/missing'] })));
    expect(unreadable).toMatch(/^cannot read config file \/missing \(from -c\): ENOENT/);
    const [malformed] = issuesOf(() =>
      loadConfig(
        input({ argv: ['-c', '/bad'], files: { '/bad': 'a=1\nproductEnvName=\\uZZZZ\n' } }),
      ),
    );
    expect(malformed).toMatch(
      /^config file \/bad \(from -c\): properties line 2: malformed \\uxxxx/,
    );
  });

  it('environment', () => {
    expect(
      issuesOf(() =>
        loadConfig(input({ env: { NAMESRV_LISTEN_PORT: 'abc', NAMESRV_LISTEN_PRT: '1' } })),
      ),
    ).toEqual([
      "listenPort: expected an integer 0..65535, got 'abc' (from env NAMESRV_LISTEN_PORT)",
      expect.stringMatching(
        /^NAMESRV_LISTEN_PRT: unknown configuration variable \(from env NAMESRV_LISTEN_PRT\)/,
      ),
    ]);
  });

  it('consistencyNodes must be a node list', () => {
    expect(issuesOf(() => loadConfig(input({ argv: ['--consistencyNodes=a:1,b:1'] })))).toEqual([
      "consistencyNodes: expected 'host:port;host:port' (or http://host:port entries), 'a:1,b:1': separate nodes with ';', not ',' (from --consistencyNodes)",
    ]);
    const { config } = loadConfig(input({ env: { NAMESRV_CONSISTENCY_NODES: 'a:9876;b:9876' } }));
    expect(config.consistencyNodes).toBe('a:9876;b:9876');
  });

  it('collects every problem, and checks rules across keys', () => {
    const messages = issuesOf(() =>
      loadConfig(
        input({ argv: ['--listenPort=5000', '--httpPort=5000', '--heartbeatTimeoutMillis=5'] }),
      ),
    );
    expect(messages).toEqual([
      "heartbeatTimeoutMillis: expected an integer 1000..2147483647, got '5' (from --heartbeatTimeoutMillis)",
      'httpPort: expected a port different from listenPort, got 5000',
    ]);
  });

  it('the partial-frame budget must hold one whole frame', () => {
    expect(
      issuesOf(() =>
        loadConfig(
          input({
            argv: ['--maxPartialFrameBytes=1048576'],
            env: { NAMESRV_MAX_FRAME_LENGTH: '2097152' },
          }),
        ),
      ),
    ).toEqual([
      'maxPartialFrameBytes: expected at least maxFrameLength (2097152, from env NAMESRV_MAX_FRAME_LENGTH) so that one whole frame fits, got 1048576 (from --maxPartialFrameBytes)',
    ]);
    expect(
      loadConfig(input({ argv: ['--maxPartialFrameBytes=1048576', '--maxFrameLength=1048576'] }))
        .config.maxPartialFrameBytes,
    ).toBe(1048576);
  });

  it('an empty string is refused where a value is required, accepted for rocketmqHome', () => {
    expect(issuesOf(() => loadConfig(input({ argv: ['--kvConfigPath='] })))).toEqual([
      "kvConfigPath: expected a non-empty string, got '' (from --kvConfigPath)",
    ]);
    expect(
      loadConfig(input({ argv: ['--rocketmqHome='], env: { ROCKETMQ_HOME: '/x' } })).config
        .rocketmqHome,
    ).toBe('');
  });
});
