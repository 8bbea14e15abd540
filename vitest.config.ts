import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit projects import sibling packages from source; what they start in another process or
// thread (serving workers, the decode and KV persistence threads) loads the built `dist/`: build
// before `pnpm test` (`pnpm test:all` does). The integration project runs the built entry points.
const src = (pkg: string): string =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const alias = {
  '@ns/protocol': src('protocol'),
  '@ns/client': src('client'),
  '@ns/server': src('server'),
  '@ns/broker-agent': src('broker-agent'),
};

const unit = (name: string) => ({
  resolve: { alias },
  test: {
    name,
    root: `./packages/${name}`,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});

// Vitest's default is one worker fewer than the cores, which on the 2-core CI machine runs the
// unit files one at a time, each in a fresh process: most of that machine's test time was one
// idle core. Two workers there; the integration project still runs alone afterwards (vitest runs
// its single-fork files once the others are done).
const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    maxWorkers: workers,
    minWorkers: 1,
    projects: [
      unit('protocol'),
      unit('server'),
      unit('client'),
      unit('broker-agent'),
      {
        test: {
          name: 'integration',
          root: './integration',
          include: ['tests/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // One process at a time: each file starts whole clusters, and 2 cores are shared.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
