/**
 * nsadmin's testable core: `main(argv, io)` parses arguments, runs one verb and returns the exit
 * code; it never touches process.* itself (the bin wrapper does), so tests run it in-process.
 *
 * Exit codes: 0 success, 1 the operation failed (unreachable node, error response, a failed
 * node in a fan-out), 2 bad usage. Failures print one line on stderr: `nsadmin: <verb>: <why>`.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { NameServerAdmin } from '../admin/name-server-admin.js';
import { InvalidAddressListError, InvalidOptionError, NsClientError } from '../errors.js';
import { MAX_TIMER_MS, overTimerLimit } from '../timer-limit.js';
import {
  credentialsFromCli,
  SECURITY_CLI_OPTIONS,
  SecurityOptionError,
  tlsFromCli,
} from './security-options.js';
import { CheckNodesUsageError } from './check-nodes.js';
import type { StandaloneVerb, Verb } from './verbs.js';
import { describeError, oneLine, VerbFailure, VERBS } from './verbs.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Environment (NAMESRV_ADDR); default process.env in the bin. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM by the bin; ends long-running verbs (watchTopicRoute). */
  readonly signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** watchTopicRoute's poll period where the node has no route watch (ms). */
const DEFAULT_WATCH_POLL_MS = 5_000;

const COMMON_OPTIONS = {
  namesrvAddr: {
    type: 'string',
    short: 'n',
    description: "name server list 'host:port;host:port' (default: NAMESRV_ADDR)",
  },
  json: { type: 'boolean', description: 'machine-readable JSON output' },
  timeout: { type: 'string', description: 'per-request timeout in ms (default 5000)' },
  ...SECURITY_CLI_OPTIONS,
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const;

function usage(): string {
  const width = Math.max(...VERBS.map((v) => v.name.length));
  return (
    'usage: nsadmin <command> [options]\n\n' +
    'Name server administration, compatible with the name server side of mqadmin.\n\ncommands:\n' +
    VERBS.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`).join('\n') +
    '\n\nRun `nsadmin <command> -h` for the options of a command.\n'
  );
}

function verbUsage(verb: Verb | StandaloneVerb): string {
  const all = { ...verb.options, ...COMMON_OPTIONS };
  const lines = Object.entries(all).map(([name, spec]) => {
    const flag = `${'short' in spec && spec.short !== undefined ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ' <value>' : ''}`;
    const req = verb.required.includes(name) ? ' (required)' : '';
    return `  ${flag.padEnd(30)} ${spec.description}${req}`;
  });
  return `usage: nsadmin ${verb.name} [options]\n\n${verb.summary}\n\noptions:\n${lines.join('\n')}\n`;
}

/**
 * Splits `[global options] <command> [options]`: the common options (-n, --json, --timeout, -h)
 * may also come before the command, as in `nsadmin -n host:9876 clusterList`; they are handed to
 * the command's parser with the rest. Returns an error message for anything else in front.
 */
function splitCommand(
  argv: readonly string[],
): { verbName: string | undefined; rest: string[] } | { error: string } {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const token = argv[i]!;
    const [flag = token] = token.split('=', 1);
    const spec = Object.entries(COMMON_OPTIONS).find(
      ([name, o]) => flag === `--${name}` || ('short' in o && token === `-${o.short}`),
    )?.[1];
    if (spec === undefined) {
      return {
        error: `'${token}' before the command: only -n, --json, --timeout and -h may come first (run nsadmin --help)`,
      };
    }
    const takesValue = spec.type === 'string' && !token.includes('=');
    if (takesValue && i + 1 >= argv.length) return { error: `option '${token}' needs a value` };
    leading.push(...argv.slice(i, takesValue ? i + 2 : i + 1));
    i += takesValue ? 2 : 1;
  }
  return { verbName: argv[i], rest: [...leading, ...argv.slice(i + 1)] };
}

/** mqadmin finds a command ignoring case (`clusterlist` is clusterList). */
function findVerb(name: string | undefined): Verb | StandaloneVerb | undefined {
  if (name === undefined) return undefined;
  const lower = name.toLowerCase();
  return VERBS.find((v) => v.name.toLowerCase() === lower);
}

/**
 * Option values without surrounding blanks, as mqadmin trims each one: `-b "broker-a "` from a
 * script wiped nothing and still reported success.
 */
function trimmed(
  values: Record<string, string | string[] | boolean | undefined>,
): Record<string, string | string[] | boolean | undefined> {
  const out: Record<string, string | string[] | boolean | undefined> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = typeof v === 'string' ? v.trim() : Array.isArray(v) ? v.map((x) => x.trim()) : v;
  }
  return out;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const split = splitCommand(argv);
  if ('error' in split) {
    io.stderr.write(`nsadmin: ${split.error}\n`);
    return EXIT_USAGE;
  }
  const { verbName, rest } = split;
  const wantsHelp = rest.includes('-h') || rest.includes('--help');
  if (verbName === undefined || verbName === 'help') {
    // `help <verb>`, as mqadmin: that verb's options.
    const about = verbName === 'help' ? findVerb(rest[0]) : undefined;
    if (about !== undefined) {
      io.stdout.write(verbUsage(about));
      return EXIT_OK;
    }
    const asked = verbName === 'help' || wantsHelp;
    (asked ? io.stdout : io.stderr).write(usage());
    return asked ? EXIT_OK : EXIT_USAGE;
  }
  const verb = findVerb(verbName);
  if (verb === undefined) {
    io.stderr.write(`nsadmin: unknown command '${verbName}' (run nsadmin --help for the list)\n`);
    return EXIT_USAGE;
  }
  const fail = (code: number, why: string): number => {
    io.stderr.write(`nsadmin: ${verb.name}: ${oneLine(why)}\n`);
    return code;
  };

  const config: ParseArgsConfig = {
    args: [...rest],
    options: { ...verb.options, ...COMMON_OPTIONS },
    strict: true,
    allowPositionals: false,
  };
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = trimmed(
      parseArgs(config).values as Record<string, string | string[] | boolean | undefined>,
    );
  } catch (err) {
    return fail(EXIT_USAGE, err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) {
    io.stdout.write(verbUsage(verb));
    return EXIT_OK;
  }
  const missing = verb.required.filter((name) => {
    const v = values[name];
    return typeof v !== 'string' && !(Array.isArray(v) && v.length > 0);
  });
  if (missing.length > 0) {
    const names = missing.map((name) => {
      const short = verb.options[name]?.short;
      return short === undefined ? `--${name}` : `-${short}`;
    });
    return fail(EXIT_USAGE, `missing required option ${names.join(', ')}`);
  }
  // A topic given empty (`-t ''`) is a usage error too, not a failure of the verb. (Not every
  // option: an empty KV value is one a node stores.)
  const empty = verb.required.find((name) => {
    if (name !== 'topic') return false;
    const v = values[name];
    return v === '' || (Array.isArray(v) && v.includes(''));
  });
  if (empty !== undefined) {
    const short = verb.options[empty]?.short;
    return fail(
      EXIT_USAGE,
      `${short === undefined ? `--${empty}` : `-${short}`}: expected a non-empty value`,
    );
  }
  let timeoutMs: number | undefined;
  if (typeof values.timeout === 'string') {
    timeoutMs = Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      return fail(
        EXIT_USAGE,
        `--timeout: expected a positive integer (ms), got '${values.timeout}'`,
      );
    }
    if (timeoutMs > MAX_TIMER_MS) {
      return fail(EXIT_USAGE, overTimerLimit('--timeout', `'${values.timeout}'`));
    }
  }

  if ('standalone' in verb) {
    const namesrvAddr =
      typeof values.namesrvAddr === 'string' ? values.namesrvAddr : io.env.NAMESRV_ADDR;
    if (namesrvAddr === undefined || namesrvAddr.trim() === '') {
      return fail(
        EXIT_USAGE,
        'no name server address: give -n "host:port;host:port" or set NAMESRV_ADDR',
      );
    }
    try {
      return await verb.run({
        namesrvAddr,
        values,
        json: values.json === true,
        timeoutMs,
        out: (text) => io.stdout.write(text),
        fail: (why) => io.stderr.write(`nsadmin: ${verb.name}: ${oneLine(why)}\n`),
      });
    } catch (err) {
      if (err instanceof CheckNodesUsageError) return fail(EXIT_USAGE, err.message);
      throw err;
    }
  }

  let credentials: ReturnType<typeof credentialsFromCli>;
  let tls: ReturnType<typeof tlsFromCli>;
  try {
    credentials = credentialsFromCli(values, io.env);
    tls = tlsFromCli(values);
  } catch (err) {
    if (err instanceof SecurityOptionError) return fail(EXIT_USAGE, err.message);
    throw err;
  }

  // Route polling period of verbs that follow routes (watchTopicRoute --interval).
  let pollMs: number | undefined;
  if ('interval' in verb.options) {
    pollMs = typeof values.interval === 'string' ? Number(values.interval) : DEFAULT_WATCH_POLL_MS;
    if (!Number.isInteger(pollMs) || pollMs < 1) {
      return fail(
        EXIT_USAGE,
        `--interval: expected a positive integer (ms), got '${String(values.interval)}'`,
      );
    }
    if (pollMs > MAX_TIMER_MS) {
      return fail(EXIT_USAGE, overTimerLimit('--interval', `'${String(values.interval)}'`));
    }
  }

  let admin: NameServerAdmin;
  try {
    const namesrvAddr = typeof values.namesrvAddr === 'string' ? values.namesrvAddr : undefined;
    admin = new NameServerAdmin({
      ...(namesrvAddr === undefined ? {} : { namesrvAddr }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(credentials === undefined ? {} : { credentials }),
      ...(tls === undefined ? {} : { tls }),
      ...(pollMs === undefined ? {} : { pollNameServerInterval: pollMs }),
      // A tool must not silently go looking for an HTTP address service.
      addressService: false,
      env: io.env,
    });
  } catch (err) {
    if (err instanceof InvalidAddressListError || err instanceof InvalidOptionError) {
      return fail(
        EXIT_USAGE,
        err instanceof InvalidOptionError && err.option === 'namesrvAddr'
          ? 'no name server address: give -n "host:port;host:port" or set NAMESRV_ADDR'
          : err instanceof InvalidAddressListError && typeof values.namesrvAddr === 'string'
            ? // The message quotes the bad list, not where it came from (NAMESRV_ADDR's names it).
              `-n (--namesrvAddr): ${err.message}`
            : err.message,
      );
    }
    throw err;
  }
  try {
    await verb.run({
      admin,
      values,
      json: values.json === true,
      out: (text) => io.stdout.write(text),
      err: (text) => io.stderr.write(text),
      signal: io.signal ?? new AbortController().signal,
    });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof VerbFailure || err instanceof NsClientError) {
      return fail(EXIT_FAILED, describeError(err));
    }
    throw err;
  } finally {
    await admin.close();
  }
}
