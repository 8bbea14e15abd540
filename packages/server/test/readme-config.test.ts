import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatConfigMarkdown } from '../src/config/index.js';

describe('README configuration table', () => {
  it('lists every key exactly as the schema defines it (run scripts/config-doc.mjs to update)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('<!-- config-table:start');
    const end = readme.indexOf('<!-- config-table:end -->');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(readme.indexOf('\n', start) + 1, end);
    expect(section).toBe(formatConfigMarkdown());
  });
});
