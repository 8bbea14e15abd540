import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';

describe('parseCliArgs', () => {
  it('reads mqnamesrv options and --key forms', () => {
    const a = parseCliArgs([
      '-c',
      'ns.properties',
      '-p',
      '--listenPort=0',
      '--bindAddress',
      '127.0.0.1',
      '--httpPort',
      '-1',
      '--orderMessageEnable',
      '--clusterTest',
      'false',
      '-n',
      '127.0.0.1:9876',
    ]);
    expect(a.issues).toEqual([]);
    expect(a.configFile).toBe('ns.properties');
    expect(a.printOnly).toBe(true);
    expect(a.help).toBe(false);
    expect(a.settings.map((s) => [s.key, s.value, s.flag])).toEqual([
      ['listenPort', '0', '--listenPort'],
      ['bindAddress', '127.0.0.1', '--bindAddress'],
      ['httpPort', '-1', '--httpPort'],
      ['orderMessageEnable', 'true', '--orderMessageEnable'],
      ['clusterTest', 'false', '--clusterTest'],
    ]);
  });

  it('keeps = inside values and accepts --configFile=', () => {
    const a = parseCliArgs(['--configFile=/a=b.properties', '--productEnvName=x=y']);
    expect(a.configFile).toBe('/a=b.properties');
    expect(a.settings).toEqual([{ key: 'productEnvName', value: 'x=y', flag: '--productEnvName' }]);
  });

  it('does not take an option as the value of another', () => {
    const a = parseCliArgs(['--bindAddress', '-p']);
    expect(a.issues.map((i) => i.message)).toEqual(['--bindAddress: missing value']);
    expect(a.printOnly).toBe(true);
    expect(parseCliArgs(['-c']).issues.map((i) => i.message)).toEqual(['-c: missing value']);
  });

  it('an unknown key swallows its value but not the next option', () => {
    const a = parseCliArgs(['--nope', '1', '--listenPort', '2', '--also-nope', '-h']);
    expect(a.issues.map((i) => i.code)).toEqual(['NS_CONFIG_UNKNOWN_KEY', 'NS_CONFIG_UNKNOWN_KEY']);
    expect(a.settings).toEqual([{ key: 'listenPort', value: '2', flag: '--listenPort' }]);
    expect(a.help).toBe(true);
  });

  it('rejects stray positional arguments and a bare --', () => {
    expect(parseCliArgs(['start']).issues[0]!.code).toBe('NS_CONFIG_BAD_ARGUMENT');
    expect(parseCliArgs(['--']).issues[0]!.code).toBe('NS_CONFIG_BAD_ARGUMENT');
    expect(parseCliArgs(['-x']).issues[0]!.message).toMatch(/unexpected argument "-x"/);
  });
});
