/**
 * Rewrites the frame table of fixtures/<set>/README.md from the captured frames:
 *   node --import tsx scripts/fixture-index.ts
 * packages/protocol/test/fixture-index.test.ts fails when a table is stale.
 */
import { writeFileSync } from 'node:fs';
import {
  formatFrameTable,
  readmePath,
  readReadme,
  withFrameTable,
} from '../packages/protocol/test/fixture-index.js';
import type { FixtureSet } from '../packages/protocol/test/fixtures.js';

const SETS: FixtureSet[] = ['rocketmq-4.9.7', 'rocketmq-5.3.3'];

for (const set of SETS) {
  writeFileSync(readmePath(set), withFrameTable(readReadme(set), formatFrameTable(set)));
  console.log(`${readmePath(set)}: frame table updated`);
}
