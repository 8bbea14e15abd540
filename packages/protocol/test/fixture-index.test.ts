import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFrameTable, readReadme, withFrameTable } from './fixture-index.js';
import { fixtureSetDir } from './fixtures.js';
import type { FixtureSet } from './fixtures.js';

const SETS: FixtureSet[] = ['rocketmq-4.9.7', 'rocketmq-5.3.3'];

/** Every file of a set, relative to its folder, with `/` separators. */
function filesOf(set: FixtureSet): string[] {
  const dir = fixtureSetDir(set);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe.each(SETS)('fixtures/%s', (set) => {
  it('has a README whose frame table matches the frames (node --import tsx scripts/fixture-index.ts)', () => {
    const readme = readReadme(set);
    expect(readme).toBe(withFrameTable(readme, formatFrameTable(set)));
  });

  it('holds only frames, recordings, tool logs and the README', () => {
    const files = filesOf(set);
    const strays = files.filter(
      (f) =>
        !/^[a-z0-9-]+\.(request|response)\.hex$/.test(f) &&
        !/^recordings\/[A-Za-z0-9-]+\.jsonl$/.test(f) &&
        !/^recordings\/logs\/[A-Za-z0-9-]+\.txt$/.test(f) &&
        f !== 'README.md',
    );
    expect(strays).toEqual([]);
    const orphans = files
      .filter((f) => f.endsWith('.response.hex'))
      .filter((f) => !files.includes(f.replace('.response.hex', '.request.hex')));
    expect(orphans).toEqual([]);
  });

  it('stores each frame as lowercase hex on one line ending in a newline', () => {
    const bad = filesOf(set)
      .filter((f) => f.endsWith('.hex'))
      .filter((f) => !/^(?:[0-9a-f]{2})+\n$/.test(readFileSync(fixtureSetDir(set) + f, 'utf8')));
    expect(bad).toEqual([]);
  });
});
