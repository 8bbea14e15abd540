/**
 * Command-line options of ns-addr-service, parsed and validated without side effects so they can
 * be unit-tested.
 */
import { parseArgs } from 'node:util';
import { InvalidOptionError } from '../errors.js';
import type { LogLevelOrSilent } from '../json-line-logger.js';

export const USAGE = `Usage: ns-addr-service (--file <path> | --env <VAR>) [options]

Serves a RocketMQ name server list over HTTP for clients using an address service
(TopAddressing): GET /rocketmq/<subgroup> answers 'host:port;host:port'.

  --file <path>       list file: one 'a:9876;b:9876' line or one address per line
                      (reloaded when it changes; '#' comments allowed)
  --env <VAR>         take the list from environment variable VAR (e.g. NAMESRV_ADDR)
  --host <host>       bind address (default 0.0.0.0)
  --port <port>       port, 0 for any free port (default 8080)
  --subgroup <name>   path segment after /rocketmq/ (default nsaddr)
  --log-level <lvl>   trace|debug|info|warn|error|silent (default info)
  -h, --help          show this help
`;

export interface AddressServiceCliOptions {
  readonly help: boolean;
  readonly file?: string;
  readonly env?: string;
  readonly host: string;
  readonly port: number;
  readonly subgroup: string;
  readonly logLevel: LogLevelOrSilent;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

function isLogLevel(value: string): value is LogLevelOrSilent {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Throws InvalidOptionError (naming the flag) on bad input. */
export function parseAddressServiceArgs(argv: readonly string[]): AddressServiceCliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: 'string' },
        env: { type: 'string' },
        host: { type: 'string', default: '0.0.0.0' },
        port: { type: 'string', default: '8080' },
        subgroup: { type: 'string', default: 'nsaddr' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new InvalidOptionError('argv', err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    return { help: true, host: values.host, port: 0, subgroup: values.subgroup, logLevel: 'info' };
  }
  if ((values.file === undefined) === (values.env === undefined)) {
    throw new InvalidOptionError('file', 'give exactly one of --file <path> or --env <VAR>');
  }
  if (!/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65535) {
    throw new InvalidOptionError('port', `--port must be an integer 0-65535, got '${values.port}'`);
  }
  if (!/^[A-Za-z0-9._~-]+$/.test(values.subgroup)) {
    throw new InvalidOptionError(
      'subgroup',
      `--subgroup must be a plain path segment such as 'nsaddr', got '${values.subgroup}'`,
    );
  }
  const logLevel = values['log-level'];
  if (!isLogLevel(logLevel)) {
    throw new InvalidOptionError(
      'log-level',
      `--log-level must be one of ${LOG_LEVELS.join('|')}, got '${logLevel}'`,
    );
  }
  return {
    help: false,
    ...(values.file === undefined ? {} : { file: values.file }),
    ...(values.env === undefined ? {} : { env: values.env }),
    host: values.host,
    port: Number(values.port),
    subgroup: values.subgroup,
    logLevel,
  };
}
