/**
 * Command-line tokenizer, compatible with `mqnamesrv` (`-c FILE`, `-p`, `-h`, `-n LIST`) plus one
 * long option per config key: `--<configKey>=<value>` or `--<configKey> <value>`.
 *
 * Hand-written rather than node:util parseArgs: ports such as `--httpPort -1` take values that
 * start with a dash, a bare boolean flag (`--orderMessageEnable`) means true, and every problem
 * must name the flag it came from.
 */
import type { ConfigIssue } from './config-error.js';
import { IGNORED_KEYS, isConfigKey, CONFIG_KEYS, specOf } from './schema.js';
import type { ConfigKey } from './schema.js';

export interface CliSetting {
  readonly key: ConfigKey;
  readonly value: string;
  /** How it was written, for messages: `--listenPort`. */
  readonly flag: string;
}

export interface ParsedArgs {
  readonly configFile: string | null;
  readonly printOnly: boolean;
  readonly help: boolean;
  readonly settings: readonly CliSetting[];
  readonly issues: readonly ConfigIssue[];
}

const BOOLEAN_TEXT = /^(true|false)$/i;
/** `--x`, `-c`: an option, not a value. `-1` is a value (httpPort -1). */
const OPTION_LIKE = /^-(-|[A-Za-z])/;

/** A key that differs only in case, to suggest in "unknown option" messages. */
function suggest(name: string): string {
  const lower = name.toLowerCase();
  const hit = CONFIG_KEYS.find((k) => k.toLowerCase() === lower);
  return hit === undefined ? '' : ` (did you mean --${hit}?)`;
}

/** Tokenizes `argv` (without the node and script paths). Never throws: problems become issues. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let configFile: string | null = null;
  let printOnly = false;
  let help = false;
  const settings: CliSetting[] = [];
  const issues: ConfigIssue[] = [];
  const bad = (message: string, key: string | null = null): void => {
    issues.push({ code: 'NS_CONFIG_BAD_ARGUMENT', key, message });
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // The value of an option: inline after '=', else the next token unless it is another option.
    const takeValue = (name: string, inline: string | null): string | null => {
      if (inline !== null) return inline;
      const next = argv[i + 1];
      if (next === undefined || OPTION_LIKE.test(next)) {
        bad(`${name}: missing value`);
        return null;
      }
      i++;
      return next;
    };

    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '-p' || arg === '--printConfigItem') {
      printOnly = true;
      continue;
    }
    if (arg === '-c' || arg === '--configFile' || arg.startsWith('--configFile=')) {
      const eq = arg.indexOf('=');
      const v = takeValue('-c', eq === -1 ? null : arg.slice(eq + 1));
      if (v !== null) {
        if (v === '') bad('-c: expected a file path, got an empty string');
        else configFile = v;
      }
      continue;
    }
    if (arg === '-n' || arg === '--namesrvAddr' || arg.startsWith('--namesrvAddr=')) {
      // Java: mqnamesrv accepts -n like every RocketMQ server and then ignores it.
      const eq = arg.indexOf('=');
      takeValue('-n', eq === -1 ? null : arg.slice(eq + 1));
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      bad(`unexpected argument ${JSON.stringify(arg)} (options are --<configKey>=<value>; see -h)`);
      continue;
    }

    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? null : arg.slice(eq + 1);
    const flag = `--${name}`;
    if (IGNORED_KEYS.has(name)) {
      takeValue(flag, inline);
      continue;
    }
    if (!isConfigKey(name)) {
      issues.push({
        code: 'NS_CONFIG_UNKNOWN_KEY',
        key: name,
        message: `${name}: unknown configuration key (from ${flag})${suggest(name)}`,
      });
      // Skip its value too, so one typo does not cascade into "unexpected argument".
      const next = argv[i + 1];
      if (inline === null && next !== undefined && !OPTION_LIKE.test(next)) i++;
      continue;
    }
    if (specOf(name).kind === 'boolean' && inline === null) {
      // A bare boolean flag means true; an explicit true/false may follow it.
      const next = argv[i + 1];
      if (next !== undefined && BOOLEAN_TEXT.test(next)) {
        i++;
        settings.push({ key: name, value: next, flag });
      } else {
        settings.push({ key: name, value: 'true', flag });
      }
      continue;
    }
    const value = takeValue(flag, inline);
    if (value !== null) settings.push({ key: name, value, flag });
  }
  return { configFile, printOnly, help, settings, issues };
}
