/**
 * `ns-broker-agent`'s usage errors as a child process (built with `tsc -b` first): one
 * `ns-broker-agent: <message>` line on stderr and exit 2, like nsadmin and ns-addr-service. A bad
 * flag gave the bare parser message and ~40 lines of usage; a --topics file that could not be read
 * or parsed gave an internal `{"msg":"fatal","err":"TopicsFileError…"}` line and exit 1, while an
 * unreadable --tls-ca was already a one-line usage error. No NameServer is needed: each fails
 * before the first connection.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/broker-agent/dist/cli.js');

let dir: string;

beforeAll(async () => {
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'packages/broker-agent'], {
    cwd: ROOT,
  });
  dir = mkdtempSync(join(tmpdir(), 'ns-agent-usage-'));
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // 'close', not 'exit': only then has every byte of stdout and stderr been read.
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

/** Everything but the file is valid; the NameServer would refuse the connection. */
const BASE = ['-n', '127.0.0.1:1', '-a', '127.0.0.1:41999'];

function topicsFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('ns-broker-agent usage errors', () => {
  it.each([
    [['-x'], "ns-broker-agent: Unknown option '-x' (run ns-broker-agent --help)\n"],
    [
      ['-n', '127.0.0.1:1'],
      'ns-broker-agent: --broker-addr <ip:port> is required (run ns-broker-agent --help)\n',
    ],
  ])('a bad command line %j: one prefixed line, no usage dump, exit 2', async (args, line) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(line);
  });

  it('an unreadable --topics file: one line naming the flag, exit 2 (like --tls-ca)', async () => {
    const missing = join(dir, 'missing.json');
    const r = await run([...BASE, '-t', missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `ns-broker-agent: --topics ${missing}: cannot read (ENOENT: no such file or directory, open '${missing}')\n`,
    );
  });

  it.each([
    [
      'bad.properties',
      'T1=abc\n',
      ': topic "T1": queues: expected a non-negative integer, got "abc"',
    ],
    ['bad.json', '{bad', ": Expected property name or '}' in JSON at position 1"],
  ])('an invalid --topics file (%s): one line naming the flag, exit 2', async (name, text, msg) => {
    const path = topicsFile(name, text);
    const r = await run([...BASE, '--topics', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ns-broker-agent: --topics [^\n]*\n$/);
    expect(r.stderr).toContain(`ns-broker-agent: --topics ${path}${msg}`);
  });

  it('a topics.txt in properties syntax: says it was read as JSON and which formats are accepted', async () => {
    const path = topicsFile('topics.txt', 'T1=4\n');
    const r = await run([...BASE, '--topics', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // One line: V8 quotes the short text whole, its line break included.
    expect(r.stderr).toMatch(/^ns-broker-agent: --topics [^\n]*\n$/);
    expect(r.stderr).toContain(
      `ns-broker-agent: --topics ${path}: read as JSON (only a name ending in .properties is read as properties lines): Unexpected token`,
    );
    expect(r.stderr).toContain(
      '; accepted: a broker topics.json, a JSON object {"<topic>":{…}} or array [{"topicName":…}], or a .properties file of <topic>=<queues> lines\n',
    );
  });
});
