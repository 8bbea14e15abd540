import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProperties } from '@ns/protocol';
import { loadFixture } from '../../../protocol/test/fixtures.js';
import {
  formatConfigProperties,
  formatJavaConfigProperties,
  redactSecrets,
  renderConfigFile,
  SECRET_MARKER,
} from './format-config.js';
import { loadConfig } from './load-config.js';
import { CONFIG_KEYS, specOf } from './schema.js';

const load = (
  argv: string[],
  files: Record<string, string> = {},
  env: Record<string, string> = {},
) =>
  loadConfig({
    argv,
    env,
    homeDir: '/home/u',
    readFile: (p) => {
      const t = files[p];
      if (t === undefined) throw new Error('ENOENT');
      return t;
    },
  }).config;

describe('formatConfigProperties', () => {
  it('renders every key as key=value\\n, sorted, with Java-formatted values', () => {
    const config = load([]);
    const text = formatConfigProperties(config);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const keys = lines.map((l) => l.slice(0, l.indexOf('=')));
    expect(keys).toEqual([...keys].sort());
    expect(lines).toContain('listenPort=9876');
    expect(lines).toContain('serverPooledByteBufAllocatorEnable=true');
    expect(lines).toContain('kvConfigPath=/home/u/namesrv/kvConfig.json');
    expect(lines).toContain('configBlackList=configBlackList;configStorePath;kvConfigPath');
    // Java skips null values: an unset rocketmqHome is left out.
    expect(keys).not.toContain('rocketmqHome');
    const unset = CONFIG_KEYS.filter((k) => {
      const spec = specOf(k);
      return spec.kind === 'string' && spec.emptyIsUnset && config[k] === '';
    });
    expect(unset).toContain('rocketmqHome');
    expect(keys).not.toContain('consistencyNodes');
    expect(keys).toHaveLength(CONFIG_KEYS.length - unset.length);
  });

  it('never renders a secret (tlsServerKeyPassword) except into the rewritten config file', () => {
    const config = load(['--tlsServerKeyPassword=hunter2-secret', '--tlsServerKeyPath=/k.pem']);
    expect(formatConfigProperties(config)).not.toContain('hunter2-secret');
    expect(formatConfigProperties(config)).toContain('tlsServerKeyPath=/k.pem');
    expect(renderConfigFile(config)).toContain('tlsServerKeyPassword=hunter2-secret');
  });

  it('renders every line a real 4.9.7 namesrv reports, byte for byte, for the same settings', () => {
    const frame = loadFixture('get-namesrv-config').response!;
    const javaBody = frame.subarray(8 + (frame.readUInt32BE(4) & 0xffffff)).toString('latin1');
    const javaLines = javaBody.slice(0, -1).split('\n');
    expect(javaLines).toHaveLength(20);
    // Load the Java output as our -c file; -c rewrites configStorePath, so point it back.
    const config = load(['-c', '/opt/rocketmq/conf/namesrv.properties'], {
      '/opt/rocketmq/conf/namesrv.properties': javaBody,
    });
    const ours = new Set(formatConfigProperties(config).split('\n'));
    for (const line of javaLines) expect(ours.has(line), line).toBe(true);
  });

  it('includes rocketmqHome once set', () => {
    expect(formatConfigProperties(load(['--rocketmqHome=/opt/rmq']))).toMatch(
      /^rocketmqHome=\/opt\/rmq$/m,
    );
  });

  it('renders a file that loads back to the same configuration', () => {
    const original = load(
      [
        '--orderMessageEnable',
        '--listenPort=1234',
        '--productEnvName= odd\\value',
        '--logLevel=warn',
      ],
      {},
      {
        ROCKETMQ_HOME: '/opt/rmq',
      },
    );
    const file = renderConfigFile(original);
    expect(file.startsWith('#')).toBe(true);
    expect(parseProperties(file).get('productEnvName')).toBe('odd\\value');
    const reloaded = load(['-c', original.configStorePath], { [original.configStorePath]: file });
    expect(reloaded).toEqual(original);
  });
});

/** The GET_NAMESRV_CONFIG body of a captured Java frame. */
function javaConfigBody(url: URL): string {
  const frame = Buffer.from(readFileSync(url, 'utf8').trim(), 'hex');
  return frame.subarray(8 + (frame.readUInt32BE(4) & 0xffffff)).toString('latin1');
}

describe('formatJavaConfigProperties (the GET_NAMESRV_CONFIG body)', () => {
  it.each([
    [
      '4.9',
      '../../../../fixtures/rocketmq-4.9.7/get-namesrv-config.response.hex',
      '/opt/rocketmq/conf/namesrv.properties',
      20,
    ],
    [
      '5.x',
      '../../../../fixtures/rocketmq-5.3.3/get-namesrv-config.response.hex',
      '/opt/rocketmq/conf/namesrv.conf',
      40,
    ],
  ] as const)(
    'compatibilityLine=%s: byte-equal to Java for the same settings',
    (line, fixture, file, keys) => {
      const javaBody = javaConfigBody(new URL(fixture, import.meta.url));
      expect(javaBody.split('\n')).toHaveLength(keys + 1);
      // The Java output as our -c file (-c also sets configStorePath, to the path Java reported).
      const config = load(['-c', file, `--compatibilityLine=${line}`], { [file]: javaBody });
      expect(formatJavaConfigProperties(config)).toBe(javaBody);
    },
  );

  it('lists no key of ours (logLevel, httpPort, …)', () => {
    const text = formatJavaConfigProperties(load([]));
    expect(text).not.toMatch(/^(logLevel|httpPort|compatibilityLine)=/m);
    expect(text).toMatch(/^supportActingMaster=false$/m);
  });
});

describe('redactSecrets (views and logs)', () => {
  it('replaces a set secret by the marker, keeps an unset one unset and every other key as is', () => {
    const config = load(['--tlsServerKeyPassword=hunter2', '--tlsServerKeyPath=/k.pem']);
    const shown = redactSecrets(config);
    expect(shown.tlsServerKeyPassword).toBe(SECRET_MARKER);
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    for (const key of CONFIG_KEYS.filter((k) => !specOf(k).secret)) {
      expect(shown[key]).toEqual(config[key]);
    }
    expect(config.tlsServerKeyPassword).toBe('hunter2');
    expect(redactSecrets(load([])).tlsServerKeyPassword).toBe('');
  });
});
