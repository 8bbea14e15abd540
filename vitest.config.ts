import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit projects import sibling packages from source, so `pnpm test` needs no build.
// The integration project runs the built `dist/` entry points as real processes.
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

export default defineConfig({
  test: {
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
