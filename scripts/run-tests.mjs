#!/usr/bin/env node
// Runs every vitest project (unit and integration) and ends with one plain summary line,
// "tests: N passed, N failed, N skipped", so CI logs state at a glance what ran. Each failed
// test follows it on a line of its own (file, name, first line of the error), and when
// NS_TEST_FAILURES is set those lines are appended to that file too: .ci/run repeats them at
// its very end, where a log cut to its tail still shows which test failed on which Node.js line.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

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
  const failures = failedTests(summary);
  for (const line of failures) console.log(line);
  if (failures.length > 0 && process.env.NS_TEST_FAILURES) {
    appendFileSync(process.env.NS_TEST_FAILURES, failures.map((l) => `${l}\n`).join(''));
  }
  if (summary.numTotalTests === 0) {
    console.error('tests: no test ran');
    process.exit(1);
  }
}
process.exit(result.status ?? 1);

/** One line per failed test, and one per file that failed outside any test (an import, a hook). */
function failedTests(report) {
  const lines = [];
  const firstLine = (text) =>
    String(text ?? '')
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  for (const file of report.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const test of failed) {
      lines.push(
        `  FAILED ${name} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`.slice(
          0,
          400,
        ),
      );
    }
    if (failed.length === 0 && file.status === 'failed') {
      lines.push(`  FAILED ${name}: ${firstLine(file.message)}`.slice(0, 400));
    }
  }
  return lines;
}
