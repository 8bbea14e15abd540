/**
 * The supported Node.js lines are stated in several places: every package.json "engines", the
 * README, the Node.js lines `.ci/run` tests on, and the Docker image. They must agree, and the
 * Node.js running this suite must be one of them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/paths.js';

const ENGINES = '^20.18.1 || ^22.2.0 || ^24.0.0';
const MAJORS = ['20', '22', '24'];

async function manifests(): Promise<string[]> {
  const packages = await readdir(join(REPO_ROOT, 'packages'));
  return [
    'package.json',
    'integration/package.json',
    ...packages.map((p) => `packages/${p}/package.json`),
  ];
}

describe('supported Node.js versions', () => {
  it('every package.json states the same engines', async () => {
    for (const file of await manifests()) {
      const manifest = JSON.parse(await readFile(join(REPO_ROOT, file), 'utf8')) as {
        engines?: { node?: string };
      };
      expect(manifest.engines?.node, file).toBe(ENGINES);
    }
  });

  it('.ci/run tests on exactly those lines, the oldest first; README and image agree', async () => {
    const ci = await readFile(join(REPO_ROOT, '.ci/run'), 'utf8');
    expect(/^NODE_MAJORS=\(([\d ]+)\)$/m.exec(ci)?.[1]?.split(' ')).toEqual(MAJORS);
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('You need Node.js 20 (≥ 20.18.1), 22 (≥ 22.2) or 24');
    const dockerfile = await readFile(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8');
    const image = /^ARG NODE_IMAGE=node:(\d+)/m.exec(dockerfile)?.[1];
    expect(MAJORS).toContain(image);
  });

  it('this suite runs on one of them', () => {
    const [major, minor, patch] = process.versions.node.split('.').map(Number);
    expect(MAJORS, `running on Node.js ${process.version}`).toContain(String(major));
    if (major === 20)
      expect(minor! * 1000 + patch!, process.version).toBeGreaterThanOrEqual(18_001);
    // zlib.crc32 (REGISTER_BROKER's bodyCrc32) exists from 22.2.
    if (major === 22) expect(minor!, process.version).toBeGreaterThanOrEqual(2);
  });
});
