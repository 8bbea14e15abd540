/**
 * Where the built entry points live. Integration tests run the compiled `dist/` files as real
 * processes (after `tsc -b`), never the TypeScript sources, so they test what ships.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root (this file is integration/harness/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Entry points of the four commands, relative to the repository root (package.json `bin`). */
export const ENTRY = {
  server: 'packages/server/dist/main.js',
  addressService: 'packages/client/dist/address-service/main.js',
  nsadmin: 'packages/client/dist/cli/nsadmin.js',
  brokerAgent: 'packages/broker-agent/dist/cli.js',
} as const;

export type EntryName = keyof typeof ENTRY;

export function entryPath(name: EntryName): string {
  return join(REPO_ROOT, ENTRY[name]);
}

/** Throws a message that says what to run, instead of a bare ENOENT from the child. */
export function requireBuilt(name: EntryName): string {
  const path = entryPath(name);
  if (!existsSync(path)) {
    throw new Error(`${ENTRY[name]} is missing: run \`tsc -b\` before the integration suite`);
  }
  return path;
}
