/**
 * The web console's files, served under /console/ by the admin port. They are built with the
 * rest of the workspace (`tsc -b` compiles packages/console/src to browser ES modules in its
 * dist/; its static/ holds the HTML and CSS) and loaded into memory once, with a gzip copy and an
 * ETag each: the whole console is a few tens of kilobytes, so nothing is read from disk per
 * request and nothing comes from a CDN.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

export interface ConsoleAssets {
  /** Asset by path below /console/ (`index.html`, `main.js`, `views/topics.js`). */
  get(path: string): ConsoleAsset | undefined;
  /** Why the console cannot be served (assets not built), or null. */
  readonly problem: string | null;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function asset(path: string): ConsoleAsset {
  const body = readFileSync(path);
  return {
    contentType: TYPES[extname(path)] ?? 'application/octet-stream',
    body,
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** Files of `dir` (recursively) whose extension is served; declarations and maps are not. */
function collect(dir: string, into: Map<string, ConsoleAsset>, base: string = dir): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      collect(path, into, base);
      continue;
    }
    if (name.endsWith('.d.ts') || !(extname(name) in TYPES)) continue;
    into.set(relative(base, path).split(sep).join('/'), asset(path));
  }
}

/** Reads the console from a package directory (holding static/ and dist/). */
export function loadConsoleAssetsFrom(packageDir: string): ConsoleAssets {
  const staticDir = join(packageDir, 'static');
  const distDir = join(packageDir, 'dist');
  const missing = [staticDir, join(distDir, 'main.js')].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    return {
      get: () => undefined,
      problem: `console assets not built (missing ${missing.join(', ')}): run \`pnpm build\` (tsc -b)`,
    };
  }
  const files = new Map<string, ConsoleAsset>();
  collect(staticDir, files);
  collect(distDir, files);
  return { get: (path) => files.get(path), problem: null };
}

/** The console of the installed @ns/console package. */
export function loadConsoleAssets(): ConsoleAssets {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('@ns/console/package.json'));
  } catch (err) {
    return {
      get: () => undefined,
      problem: `@ns/console is not installed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  return loadConsoleAssetsFrom(packageDir);
}
