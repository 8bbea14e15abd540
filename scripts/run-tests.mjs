#!/usr/bin/env node
// Runs every vitest project (unit and integration) and ends with one plain summary line,
// "tests: N passed, N failed, N skipped", so CI logs state at a glance what ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ns-tests-'));
const report = join(dir, 'report.json');
const result = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
let summary = null;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  // vitest died before writing its report; its exit code says what happened.
}
rmSync(dir, { recursive: true, force: true });
if (summary !== null) {
  const skipped = summary.numPendingTests + summary.numTodoTests;
  console.log(
    `tests: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped (Node.js ${process.version})`,
  );
  if (summary.numTotalTests === 0) {
    console.error('tests: no test ran');
    process.exit(1);
  }
}
process.exit(result.status ?? 1);
