import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { parseAddressServiceArgs } from '../../src/address-service/cli-options.js';

describe('parseAddressServiceArgs', () => {
  it('parses all flags with defaults', () => {
    expect(parseAddressServiceArgs(['--file', '/etc/ns.txt'])).toEqual({
      help: false,
      file: '/etc/ns.txt',
      host: '0.0.0.0',
      port: 8080,
      subgroup: 'nsaddr',
      logLevel: 'info',
    });
    expect(
      parseAddressServiceArgs([
        '--env=NAMESRV_ADDR',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--subgroup',
        'nsaddr-prod',
        '--log-level',
        'silent',
      ]),
    ).toEqual({
      help: false,
      env: 'NAMESRV_ADDR',
      host: '127.0.0.1',
      port: 0,
      subgroup: 'nsaddr-prod',
      logLevel: 'silent',
    });
    expect(parseAddressServiceArgs(['-h']).help).toBe(true);
  });

  it('rejects bad input with the flag named', () => {
    const cases: [string[], RegExp][] = [
      [[], /exactly one of --file <path> or --env <VAR>/],
      [['--file', 'f', '--env', 'E'], /exactly one of/],
      [['--file', 'f', '--port', '65536'], /--port must be an integer 0-65535/],
      [['--file', 'f', '--port', '-1'], /--port/],
      [['--file', 'f', '--subgroup', 'a/b'], /--subgroup/],
      [['--file', 'f', '--log-level', 'loud'], /--log-level must be one of .*, got 'loud'$/],
      [['--file', 'f', '--nope'], /nope/],
      [['--file', 'f', 'extra'], /extra/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseAddressServiceArgs(argv)).toThrow(InvalidOptionError);
      expect(() => parseAddressServiceArgs(argv)).toThrow(message);
    }
  });
});
