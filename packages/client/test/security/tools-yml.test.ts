import { describe, expect, it } from 'vitest';
import { readToolsYml } from '../../src/cli/security-options.js';

describe('readToolsYml', () => {
  it('reads the stock tools.yml keys', () => {
    const creds = readToolsYml('tools.yml', () => 'accessKey: rocketmq2\nsecretKey: 12345678\n');
    expect(creds).toMatchObject({ accessKey: 'rocketmq2', secretKey: '12345678' });
  });

  it('never shows the secret when the file is not valid YAML, only where it is wrong', () => {
    // A generated secret starting with `*` reads as a YAML alias; the parser's message quotes it.
    const read = () =>
      readToolsYml('tools.yml', () => 'accessKey: ak\nsecretKey: *Kq9xTOPSECRET\n');
    expect(read).toThrow('not valid YAML (an unquoted value starting with * reads as an alias');
    expect(read).not.toThrow(/TOPSECRET/);
    const broken = () => readToolsYml('tools.yml', () => 'accessKey: ak\nsecretKey: "TOPSECRET\n');
    expect(broken).toThrow(/not valid YAML \(\w+ at line \d+, column \d+\)/);
    expect(broken).not.toThrow(/TOPSECRET/);
  });
});
