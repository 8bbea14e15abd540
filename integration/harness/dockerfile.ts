/**
 * Just enough of Dockerfile and .dockerignore syntax to check our own files without a Docker
 * engine: instructions with `\` continuations joined, JSON (exec) forms decoded, and
 * .dockerignore patterns matched the way the builder does for plain paths.
 */

export interface Instruction {
  /** Upper-cased keyword: FROM, COPY, HEALTHCHECK, ENTRYPOINT… */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string;
  readonly line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  let pending: { text: string; line: number } | null = null;
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (pending === null && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    // Comment lines inside a continued instruction are dropped, as the builder does.
    if (pending !== null && line.trimStart().startsWith('#')) return;
    const continued = /\\\s*$/.test(line);
    const body = continued ? line.replace(/\\\s*$/, '') : line;
    pending =
      pending === null
        ? { text: body, line: index + 1 }
        : { ...pending, text: `${pending.text} ${body.trim()}` };
    if (!continued) {
      const match = /^\s*(\S+)\s*(.*)$/.exec(pending.text);
      if (match !== null) {
        out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
      }
      pending = null;
    }
  });
  return out;
}

/** `["a","b"]` exec form, or null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new Error(`not a JSON string array: ${args}`);
  }
  return parsed;
}

export interface CopySpec {
  readonly from: string | null;
  readonly sources: string[];
  readonly dest: string;
  readonly line: number;
}

export function copyInstructions(instructions: readonly Instruction[]): CopySpec[] {
  return instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      const words = execForm(i.args) ?? i.args.split(/\s+/);
      let from: string | null = null;
      const rest: string[] = [];
      for (const word of words) {
        if (word.startsWith('--from=')) from = word.slice('--from='.length);
        else if (!word.startsWith('--')) rest.push(word);
      }
      const dest = rest.pop();
      if (dest === undefined || rest.length === 0)
        throw new Error(`line ${i.line}: COPY without source`);
      return { from, sources: rest, dest, line: i.line };
    });
}

/** HEALTHCHECK [options] CMD …: the options and the command (exec form). */
export function healthcheck(
  instructions: readonly Instruction[],
): { options: Record<string, string>; command: string[] } | null {
  const hc = instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (hc === undefined) return null;
  const cmdAt = hc.args.indexOf('CMD');
  if (cmdAt < 0) return null;
  const options: Record<string, string> = {};
  for (const m of hc.args.slice(0, cmdAt).matchAll(/--([a-z-]+)=(\S+)/g)) options[m[1]!] = m[2]!;
  const command = execForm(hc.args.slice(cmdAt + 3).trim());
  if (command === null) throw new Error('HEALTHCHECK CMD is not in exec form');
  return { options, command };
}

/** .dockerignore patterns (comments and blanks dropped). */
export function parseDockerignore(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  const p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  for (let i = 0; i < p.length; i += 1) {
    const ch = p[i]!;
    if (ch === '*' && p[i + 1] === '*') {
      // `**/` matches any number of directories, including none.
      re += p[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += p[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern naming a directory excludes everything below it too.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** Whether `path` (relative to the context) is excluded from the build context. */
export function isDockerIgnored(patterns: readonly string[], path: string): boolean {
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (patternRegex(negated ? pattern.slice(1) : pattern).test(path)) ignored = !negated;
  }
  return ignored;
}
