/**
 * nsadmin's testable core: `main(argv, io)` parses arguments, runs one verb and returns the exit
 * code; it never touches process.* itself (the bin wrapper does), so tests run it in-process.
 *
 * Exit codes: 0 success, 1 the operation failed (unreachable node, error response, a failed
 * node in a fan-out), 2 bad usage, 130/143 interrupted by SIGINT/SIGTERM (io.signal aborted with
 * an Interrupted reason) before a verb that does not run until interrupted was done. Failures
 * print one line on stderr: `nsadmin: <verb>: <why>`.
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
import type { OptionSpec } from './verb.js';
import { interruption } from './verb.js';
import type { StandaloneVerb, Verb } from './verbs.js';
import { describeError, Interrupted, oneLine, printable, VerbFailure, VERBS } from './verbs.js';

export { Interrupted } from './verb.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Environment (NAMESRV_ADDR); default process.env in the bin. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted by the bin: with an Interrupted reason on SIGINT/SIGTERM (every verb ends: exit 0 for
   * those that run until interrupted, 128 + the signal number for the others), with another
   * reason when stdout is gone (only the verbs that run until interrupted stop).
   */
  readonly signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** watchTopicRoute's poll period where the node has no route watch (ms). */
const DEFAULT_WATCH_POLL_MS = 5_000;

const BASE_OPTIONS = {
  namesrvAddr: {
    type: 'string',
    short: 'n',
    description: "name server list 'host:port;host:port' (default: NAMESRV_ADDR)",
  },
  json: { type: 'boolean', description: 'machine-readable JSON output' },
  timeout: { type: 'string', description: 'per-request timeout in ms (default 5000)' },
} as const;
const HELP_OPTION = {
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const;
/** The options of every remoting verb (the security ones sign or encrypt the requests). */
const COMMON_OPTIONS = { ...BASE_OPTIONS, ...SECURITY_CLI_OPTIONS, ...HELP_OPTION } as const;

/**
 * A verb's options with the common ones. checkNodes reads the nodes' HTTP admin port, which has
 * neither TLS nor ACL: the security options would be accepted and ignored, so it has none.
 */
function optionsOf(verb: Verb | StandaloneVerb): Record<string, OptionSpec> {
  return 'standalone' in verb
    ? { ...verb.options, ...BASE_OPTIONS, ...HELP_OPTION }
    : { ...verb.options, ...COMMON_OPTIONS };
}

/**
 * `-n=host:port` as `--namesrvAddr=host:port`, for every option with a short name that takes a
 * value: commons-cli (mqadmin) reads it so, node's parseArgs would take `=host:port` as the value.
 * Values of options (the token after `-v`) are left alone.
 */
function shortEqualsAsLong(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): string[] {
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type === 'string' && spec.short !== undefined) byShort.set(spec.short, name);
  }
  const takesValue = (token: string): boolean =>
    Object.entries(options).some(
      ([name, spec]) =>
        spec.type === 'string' && (token === `--${name}` || token === `-${spec.short ?? ''}`),
    );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^-([^-])=([\s\S]*)$/.exec(token);
    const long = m === null ? undefined : byShort.get(m[1]!);
    if (m !== null && long !== undefined) {
      out.push(`--${long}=${m[2]!}`);
    } else {
      out.push(token);
      if (takesValue(token) && i + 1 < args.length) out.push(args[++i]!);
    }
  }
  return out;
}

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
  const all = optionsOf(verb);
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
):
  | { verbName: string | undefined; leading: string[]; after: string[]; tookVerb?: string[] }
  | { error: string } {
  const leading: string[] = [];
  /** `-n clusterList`: a leading option that took a command name as its value. */
  let tookVerb: string[] | undefined;
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const token = shortEqualsAsLong([argv[i]!], COMMON_OPTIONS)[0]!;
    const [flag = token] = token.split('=', 1);
    const spec = Object.entries(COMMON_OPTIONS).find(
      ([name, o]) => flag === `--${name}` || ('short' in o && token === `-${o.short}`),
    )?.[1];
    if (spec === undefined) {
      // `nsadmin -n topicRoute -t T`: the real mistake is the command taken as -n's value.
      if (tookVerb !== undefined) return { error: tookVerbMessage(tookVerb) };
      return {
        error: `'${token}' before the command: only -n, --json, --timeout and -h may come first (run nsadmin --help)`,
      };
    }
    const takesValue = spec.type === 'string' && !token.includes('=');
    if (takesValue && i + 1 >= argv.length) return { error: `option '${token}' needs a value` };
    if (takesValue && findVerb(argv[i + 1]) !== undefined) tookVerb = [token, argv[i + 1]!];
    leading.push(token, ...(takesValue ? [argv[i + 1]!] : []));
    i += takesValue ? 2 : 1;
  }
  return {
    verbName: argv[i],
    leading,
    after: argv.slice(i + 1),
    ...(tookVerb === undefined ? {} : { tookVerb }),
  };
}

/** `-n clusterList …`: the option swallowed the command. */
function tookVerbMessage([flag, value]: readonly string[]): string {
  return `option '${flag}' took '${value}' as its value, and no command is left: give ${flag} a value (nsadmin ${flag} host:9876 ${value})`;
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
  const { verbName, leading, after } = split;
  const rest = [...leading, ...after];
  const wantsHelp = rest.includes('-h') || rest.includes('--help');
  const unknownCommand = (name: string): number => {
    io.stderr.write(
      `nsadmin: unknown command '${printable(name)}' (run nsadmin --help for the list)\n`,
    );
    return EXIT_USAGE;
  };
  if (verbName === undefined || verbName === 'help') {
    // `help <verb>`, as mqadmin: that verb's options; an unknown one is an unknown command.
    const target = verbName === 'help' ? after[0] : undefined;
    if (target !== undefined && !target.startsWith('-')) {
      const about = findVerb(target);
      if (about === undefined) return unknownCommand(target);
      io.stdout.write(verbUsage(about));
      return EXIT_OK;
    }
    const asked = verbName === 'help' || wantsHelp;
    if (!asked && split.tookVerb !== undefined) {
      io.stderr.write(`nsadmin: ${tookVerbMessage(split.tookVerb)}\n`);
      return EXIT_USAGE;
    }
    if (!asked && leading.length > 0) io.stderr.write('nsadmin: no command given\n');
    (asked ? io.stdout : io.stderr).write(usage());
    return asked ? EXIT_OK : EXIT_USAGE;
  }
  const verb = findVerb(verbName);
  if (verb === undefined) return unknownCommand(verbName);
  const fail = (code: number, why: string): number => {
    io.stderr.write(`nsadmin: ${verb.name}: ${printable(oneLine(why))}\n`);
    return code;
  };

  const options = optionsOf(verb);
  const config: ParseArgsConfig = {
    args: shortEqualsAsLong(rest, options),
    options,
    strict: true,
    allowPositionals: false,
  };
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = trimmed(
      parseArgs(config).values as Record<string, string | string[] | boolean | undefined>,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const security = /^Unknown option '--([^'=]+)/.exec(message)?.[1];
    if (
      'standalone' in verb &&
      security !== undefined &&
      Object.hasOwn(SECURITY_CLI_OPTIONS, security)
    ) {
      return fail(
        EXIT_USAGE,
        `--${security}: ${verb.name} reads each node's HTTP admin port, which has no TLS and no ACL (the security options are for the remoting verbs)`,
      );
    }
    return fail(EXIT_USAGE, message);
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

  const validation = 'validate' in verb ? verb.validate?.(values) : undefined;
  if (validation !== undefined) return fail(EXIT_USAGE, validation);

  // SIGINT/SIGTERM end a verb where it is (exit 130/143), as they end the JVM's mqadmin: a node
  // that accepts and never answers held the tool for the whole --timeout.
  const interrupted = (by: Interrupted): number => {
    io.stderr.write(`nsadmin: ${verb.name}: ${by.message}\n`);
    return by.exitCode;
  };

  if ('standalone' in verb) {
    const fromFlag = typeof values.namesrvAddr === 'string';
    const namesrvAddr = fromFlag ? (values.namesrvAddr as string) : io.env.NAMESRV_ADDR;
    if (namesrvAddr === undefined || namesrvAddr.trim() === '') {
      return fail(
        EXIT_USAGE,
        'no name server address: give -n "host:port;host:port" or set NAMESRV_ADDR',
      );
    }
    const interrupt = interruption(io.signal);
    const running = verb.run({
      namesrvAddr,
      namesrvAddrSource: fromFlag ? '-n (--namesrvAddr)' : 'environment variable NAMESRV_ADDR',
      values,
      json: values.json === true,
      timeoutMs,
      out: (text) => io.stdout.write(text),
      fail: (why) => io.stderr.write(`nsadmin: ${verb.name}: ${printable(oneLine(why))}\n`),
    });
    try {
      const outcome = await Promise.race([running, interrupt.promise]);
      if (outcome instanceof Interrupted) {
        running.catch(() => undefined);
        return interrupted(outcome);
      }
      return outcome;
    } catch (err) {
      if (err instanceof CheckNodesUsageError) return fail(EXIT_USAGE, err.message);
      throw err;
    } finally {
      interrupt.dispose();
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
  if (verb.name === 'watchTopicRoute') {
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
  const interrupt = interruption(io.signal);
  const running = verb.run({
    admin,
    values,
    json: values.json === true,
    out: (text) => io.stdout.write(text),
    err: (text) => io.stderr.write(text),
    signal: io.signal ?? new AbortController().signal,
  });
  try {
    // A verb that runs until interrupted stops on the signal by itself, and succeeds.
    const outcome =
      verb.untilInterrupted?.(values) === true
        ? await running
        : await Promise.race([running, interrupt.promise]);
    if (outcome instanceof Interrupted) {
      running.catch(() => undefined);
      return interrupted(outcome);
    }
    return EXIT_OK;
  } catch (err) {
    if (err instanceof VerbFailure || err instanceof NsClientError) {
      return fail(EXIT_FAILED, describeError(err));
    }
    throw err;
  } finally {
    interrupt.dispose();
    // Closing the client also ends what an interrupted verb still had in flight.
    await admin.close();
  }
}
