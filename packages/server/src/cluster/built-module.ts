/**
 * The URL of a compiled module next to the caller. Processes and threads are started from the
 * built JavaScript (dist/); when the caller itself runs from TypeScript sources (tests under
 * vitest), the same relative module is taken from dist/, so `tsc -b` must have run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function builtModuleUrl(relativeJs: string, callerUrl: string): URL {
  const url = new URL(relativeJs, callerUrl);
  if (!callerUrl.endsWith('.ts')) return url;
  const built = new URL(url.href.replace('/src/', '/dist/'));
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `${fileURLToPath(built)} is missing: build first (npx -y pnpm@10.34.8 build); ` +
        'serving workers and helper threads always run the compiled code',
    );
  }
  return built;
}
