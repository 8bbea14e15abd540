/**
 * Command-line security options shared by nsadmin and ns-broker-agent: ACL 1.0 credentials
 * (flags, environment, or mqadmin's conf/tools.yml) and TLS to the nodes.
 *
 * Credentials, first found wins: --accessKey/--secretKey (visible in `ps`: prefer the others),
 * then the NS_ACCESS_KEY/NS_SECRET_KEY/NS_SECURITY_TOKEN environment, then --toolsYml PATH (or
 * NS_TOOLS_YML), a file of mqadmin's conf/tools.yml shape (`accessKey: …`, `secretKey: …`).
 * The secret is never printed, not even in an error. Messages name each flag as the CLI at hand
 * spells it (`flags`: nsadmin's by default), as a flag the user cannot type helps nobody.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AclCredentials } from '../remoting/acl-signer.js';
import type { ClientTlsOptions } from '../remoting/tls-options.js';

export const SECURITY_CLI_OPTIONS = {
  accessKey: {
    type: 'string',
    description: 'ACL access key to sign requests with (or NS_ACCESS_KEY)',
  },
  secretKey: { type: 'string', description: 'ACL secret key (prefer NS_SECRET_KEY or --toolsYml)' },
  toolsYml: {
    type: 'string',
    description: "mqadmin's conf/tools.yml with accessKey/secretKey (or NS_TOOLS_YML)",
  },
  tls: {
    type: 'boolean',
    description: 'connect with TLS (server certificate not checked unless --tlsCa)',
  },
  tlsCa: {
    type: 'string',
    description: 'PEM CA file: verify the server against it (implies --tls)',
  },
  tlsCert: { type: 'string', description: 'PEM client certificate for mutual TLS (implies --tls)' },
  tlsKey: { type: 'string', description: 'PEM client key for mutual TLS' },
  tlsServerName: { type: 'string', description: 'name expected in the server certificate' },
} as const;

export class SecurityOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityOptionError';
  }
}

type Values = Readonly<Record<string, string | string[] | boolean | undefined>>;
type Env = Readonly<Record<string, string | undefined>>;
type ReadFile = (path: string) => string;

const defaultRead: ReadFile = (path) => readFileSync(path, 'utf8');

export type SecurityOptionName = keyof typeof SECURITY_CLI_OPTIONS;
/** How a command line spells each security flag, for its messages. */
export type SecurityFlagNames = Readonly<Record<SecurityOptionName, string>>;

/** nsadmin's spelling: the option names themselves. */
export const NSADMIN_SECURITY_FLAGS: SecurityFlagNames = {
  accessKey: '--accessKey',
  secretKey: '--secretKey',
  toolsYml: '--toolsYml',
  tls: '--tls',
  tlsCa: '--tlsCa',
  tlsCert: '--tlsCert',
  tlsKey: '--tlsKey',
  tlsServerName: '--tlsServerName',
};

export interface SecurityCliContext {
  /** Reads the files named by flags (default: the file system, UTF-8). */
  readonly readFile?: ReadFile;
  readonly flags?: SecurityFlagNames;
}

/**
 * A string flag's value, undefined when the flag is absent. An empty one is refused: it read as
 * absent, so `--tls-ca "$CA"` with CA unset turned TLS off (or signing, for a key) without a word.
 */
function str(
  values: Values,
  name: SecurityOptionName,
  flags: SecurityFlagNames,
): string | undefined {
  const v = values[name];
  if (typeof v !== 'string') return undefined;
  if (v.trim() === '') {
    throw new SecurityOptionError(`${flags[name]}: expected a value, got an empty one`);
  }
  return v;
}

/** The accessKey/secretKey of an mqadmin tools.yml (Java AclUtils.getAclRPCHook). */
export function readToolsYml(
  path: string,
  readFile: ReadFile = defaultRead,
  flag = NSADMIN_SECURITY_FLAGS.toolsYml,
): AclCredentials {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new SecurityOptionError(
      `${flag} ${path}: cannot read (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  let doc: unknown;
  try {
    // failsafe: `secretKey: 12345678` stays the string "12345678", as SnakeYAML reads it for Java.
    doc = parseYaml(text, { schema: 'failsafe' });
  } catch (err) {
    // Only where, never the parser's words: they can quote the text, secret included (a secret
    // starting with `*` reads as an alias, and the message named it).
    throw new SecurityOptionError(`${flag} ${path}: not valid YAML (${yamlErrorPlace(err)})`);
  }
  const map =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)
      : {};
  const accessKey = typeof map['accessKey'] === 'string' ? map['accessKey'].trim() : '';
  const secretKey = typeof map['secretKey'] === 'string' ? map['secretKey'].trim() : '';
  if (accessKey === '' || secretKey === '') {
    throw new SecurityOptionError(`${flag} ${path}: expected non-blank accessKey and secretKey`);
  }
  return { accessKey, secretKey };
}

/** Credentials from flags, environment or tools.yml; undefined when none is given. */
export function credentialsFromCli(
  values: Values,
  env: Env,
  { readFile = defaultRead, flags = NSADMIN_SECURITY_FLAGS }: SecurityCliContext = {},
): AclCredentials | undefined {
  const flagKey = str(values, 'accessKey', flags);
  const flagSecret = str(values, 'secretKey', flags);
  const flagYml = str(values, 'toolsYml', flags);
  if (flagKey !== undefined || flagSecret !== undefined) {
    const secretKey = flagSecret ?? env['NS_SECRET_KEY'];
    if (flagKey === undefined || secretKey === undefined || secretKey === '') {
      throw new SecurityOptionError(
        flagKey === undefined
          ? `${flags.secretKey} needs ${flags.accessKey}`
          : `${flags.accessKey} needs ${flags.secretKey} (or NS_SECRET_KEY)`,
      );
    }
    const token = env['NS_SECURITY_TOKEN'];
    return { accessKey: flagKey, secretKey, ...(token ? { securityToken: token } : {}) };
  }
  const envKey = env['NS_ACCESS_KEY'];
  const envSecret = env['NS_SECRET_KEY'];
  if (envKey || envSecret) {
    if (!envKey || !envSecret) {
      throw new SecurityOptionError('set both NS_ACCESS_KEY and NS_SECRET_KEY, or neither');
    }
    const token = env['NS_SECURITY_TOKEN'];
    return { accessKey: envKey, secretKey: envSecret, ...(token ? { securityToken: token } : {}) };
  }
  if (flagYml !== undefined) return readToolsYml(flagYml, readFile, flags.toolsYml);
  const envYml = env['NS_TOOLS_YML'];
  if (envYml) return readToolsYml(envYml, readFile, 'NS_TOOLS_YML');
  return undefined;
}

/** TLS options from --tls/--tlsCa/--tlsCert/--tlsKey/--tlsServerName; undefined for plain TCP. */
export function tlsFromCli(
  values: Values,
  { readFile = defaultRead, flags = NSADMIN_SECURITY_FLAGS }: SecurityCliContext = {},
): ClientTlsOptions | undefined {
  const ca = str(values, 'tlsCa', flags);
  const cert = str(values, 'tlsCert', flags);
  const key = str(values, 'tlsKey', flags);
  const servername = str(values, 'tlsServerName', flags);
  if (
    values['tls'] !== true &&
    ca === undefined &&
    cert === undefined &&
    key === undefined &&
    servername === undefined
  ) {
    return undefined;
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new SecurityOptionError(`${flags.tlsCert} and ${flags.tlsKey} go together`);
  }
  const read = (flag: string, path: string): string => {
    try {
      return readFile(path);
    } catch (err) {
      throw new SecurityOptionError(
        `${flag} ${path}: cannot read (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  };
  return {
    ...(ca === undefined ? {} : { ca: read(flags.tlsCa, ca) }),
    ...(cert === undefined ? {} : { cert: read(flags.tlsCert, cert) }),
    ...(key === undefined ? {} : { key: read(flags.tlsKey, key) }),
    ...(servername === undefined ? {} : { servername }),
  };
}

/** What kind of YAML error and where (line, column); nothing of the text itself. */
function yamlErrorPlace(err: unknown): string {
  const e = err as { code?: unknown; linePos?: { line: number; col: number }[] } | null;
  const pos = e?.linePos?.[0];
  if (pos !== undefined) {
    const code = typeof e?.code === 'string' ? `${e.code} ` : '';
    return `${code}at line ${pos.line}, column ${pos.col}`;
  }
  // The parser places no unresolved alias: the one way to get here with a key file.
  if (err instanceof ReferenceError) {
    return 'an unquoted value starting with * reads as an alias: quote it';
  }
  return err instanceof Error ? err.name : 'unknown error';
}
