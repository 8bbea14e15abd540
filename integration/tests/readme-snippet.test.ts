/**
 * The README's @ns/client snippet, taken from README.md as it stands and run the way the README
 * says (saved as a .mjs file in the repository root, `node <file>`), against a real node that
 * knows a broker serving TopicTest. A README edit that breaks the snippet fails here.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToCompletion } from '../harness/managed-process.js';
import { startNameServer } from '../harness/name-server.js';
import { REPO_ROOT } from '../harness/paths.js';
import { RawBroker } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';

/** The fenced code block of the "The client SDK" section that imports '@ns/client'. */
async function clientSnippet(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## The client SDK');
  if (start < 0) throw new Error('README.md: no "## The client SDK" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const snippet = blocks.find((b) => b[2]!.includes("from '@ns/client'"));
  if (snippet === undefined) throw new Error("README.md: no code block importing '@ns/client'");
  return snippet[2]!;
}

describe('README client snippet', () => {
  it('runs as written from the repository root and prints the broker of TopicTest', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: 'ns-readme' });
    const broker = new RawBroker(scope, {
      clusterName: 'DefaultCluster',
      brokerName: uniqueName('broker'),
      brokerId: 0,
      brokerAddr: '127.0.0.1:30911',
      haServerAddr: '127.0.0.1:30912',
      topics: ['TopicTest'],
    });
    await broker.registerTo(node.addr);

    // Where the README says to save it: the repository root (removed at cleanup).
    const file = join(REPO_ROOT, `${uniqueName('readme-snippet')}.mjs`);
    await writeFile(file, await clientSnippet(), 'utf8');
    scope.defer(`remove ${file}`, () => rm(file, { force: true }));

    const r = await runToCompletion(
      {
        name: 'readme snippet',
        entry: file,
        args: [],
        env: { NAMESRV_ADDR: node.addr },
        timeoutMs: 30_000,
      },
      (p) => {
        scope.adopt(p);
      },
    );
    expect(r, r.stderr).toMatchObject({ code: 0, signal: null });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toContain(`${broker.spec.brokerName} 127.0.0.1:30911`);
  });
});
