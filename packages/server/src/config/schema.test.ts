import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, defaultConfig, followingValue, isConfigKey, specOf } from './schema.js';
import type { IntSpec } from './schema.js';

describe('config schema', () => {
  it('a key whose default follows another names a real key, and its static default agrees', () => {
    const defaults = defaultConfig({ homeDir: '/h', env: {} });
    for (const key of CONFIG_KEYS) {
      const spec = specOf(key);
      if (spec.kind !== 'int' || spec.follows === null) continue;
      expect(isConfigKey(spec.follows.key), `${key} follows ${spec.follows.key}`).toBe(true);
      const base = defaults[spec.follows.key as keyof typeof defaults] as number;
      expect(followingValue(spec, spec.follows, base)).toBe(spec.default);
    }
  });

  it('httpPort follows listenPort: +1, 0 stays 0, nothing past 65535', () => {
    const spec = specOf('httpPort') as IntSpec;
    const rule = spec.follows;
    expect(rule).not.toBeNull();
    if (rule === null) return;
    expect(followingValue(spec, rule, 9876)).toBe(9877);
    expect(followingValue(spec, rule, 0)).toBe(0);
    expect(followingValue(spec, rule, 65_534)).toBe(65_535);
    expect(followingValue(spec, rule, 65_535)).toBeNull();
  });
});
