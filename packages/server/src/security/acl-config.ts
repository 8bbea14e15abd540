/**
 * The credentials file: RocketMQ's `plain_acl.yml` shape (ACL 1.0), so an existing file works:
 *
 * ```yaml
 * globalWhiteRemoteAddresses:      # addresses trusted without a signature (see access-policy.ts)
 *   - 10.10.103.*
 * accounts:
 *   - accessKey: rocketmq2         # at least 7 characters (Java: "longer than 6")
 *     secretKey: 12345678          # at least 7 characters
 *     whiteRemoteAddress: 192.168.1.*   # optional: this account is trusted from there unsigned
 *     admin: true                  # may change things (admin-write)
 *     defaultTopicPerm: DENY       # broker-side topic/group permissions: accepted, unused here
 *     defaultGroupPerm: SUB
 *     topicPerms: [topicA=DENY]
 *     groupPerms: [groupA=DENY]
 * dataVersion: [{timestamp: 0, counter: 0}]   # written by Java's admin tools: accepted, unused
 * ```
 *
 * Scalars are read as the text written (YAML failsafe schema), as Java's SnakeYAML does for its
 * String bean properties: `secretKey: 12345678` is the string "12345678", `0123` stays "0123".
 * Unknown keys are errors (SnakeYAML refuses them too). Stricter than Java: a duplicated
 * accessKey is an error (Java keeps the last one silently).
 *
 * Errors name the file, the account index and the field, and never echo a secret.
 *
 * `AclConfigFile` keeps the last good configuration and reloads it when the file changes; a bad
 * new file is logged and ignored until it is fixed.
 */
import { readFileSync } from 'node:fs';
import { readSecurityFile } from './file-stand-ins.js';
import { parseDocument } from 'yaml';
import { AddressList, AddressPatternError } from './address-match.js';
import { FileWatch } from './file-watch.js';
import type { SecurityLogger } from './security-logger.js';

export interface AclAccount {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly admin: boolean;
  /** The pattern as written ('' when absent); matches nothing when blank. */
  readonly whiteRemoteAddress: string;
  readonly whiteRemoteAddresses: AddressList;
}

export interface AclConfig {
  /** The file it was read from. */
  readonly file: string;
  readonly globalWhiteRemoteAddresses: AddressList;
  readonly accounts: ReadonlyMap<string, AclAccount>;
}

export class AclConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(`${file}: ${issues.join('; ')}`);
    this.name = 'AclConfigError';
  }
}

/** Java `AclConstants.ACCESS_KEY_MIN_LENGTH` / `SECRET_KEY_MIN_LENGTH` = 6, checked as `length <= 6` → error. */
export const MIN_KEY_LENGTH = 7;

const TOP_LEVEL_KEYS = new Set(['globalWhiteRemoteAddresses', 'accounts', 'dataVersion']);
const ACCOUNT_KEYS = new Set([
  'accessKey',
  'secretKey',
  'whiteRemoteAddress',
  'admin',
  'defaultTopicPerm',
  'defaultGroupPerm',
  'topicPerms',
  'groupPerms',
]);
const PERMS = new Set(['DENY', 'PUB', 'SUB', 'PUB|SUB', 'SUB|PUB']);
const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'off']);

type Plain = string | Plain[] | { [key: string]: Plain } | null;

function describe(value: Plain): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/** Parses and validates the text of a plain_acl.yml; throws AclConfigError listing every issue. */
export function parseAclConfig(text: string, file: string): AclConfig {
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new AclConfigError(
      file,
      doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  const root = doc.toJS() as Plain | undefined;
  const issues: string[] = [];
  const accounts = new Map<string, AclAccount>();
  let global = new AddressList([]);
  if (root === null || root === undefined) {
    // Java refuses a file with no data too. Here it matters most on reload: a file rewritten in
    // place (cat >, cp) is empty for a moment, and taking that for "no accounts" would refuse
    // every signed request until the next change is noticed.
    throw new AclConfigError(file, ['the file is empty (no YAML document)']);
  }
  if (typeof root !== 'object' || Array.isArray(root)) {
    throw new AclConfigError(file, [`expected a mapping at the top, got ${describe(root)}`]);
  }
  if (Object.keys(root).length === 0) {
    throw new AclConfigError(file, ['the file holds an empty mapping (no data)']);
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      issues.push(
        `unknown key "${key}" (expected globalWhiteRemoteAddresses, accounts, dataVersion)`,
      );
    }
  }

  const globalRaw = root['globalWhiteRemoteAddresses'] ?? null;
  if (globalRaw !== null) {
    if (!Array.isArray(globalRaw) || !globalRaw.every((v) => typeof v === 'string' || v === null)) {
      issues.push(
        `globalWhiteRemoteAddresses: expected a list of address patterns, got ${describe(globalRaw)}`,
      );
    } else {
      const patterns = globalRaw.filter((v): v is string => v !== null);
      const ok: string[] = [];
      patterns.forEach((p, i) => {
        try {
          new AddressList([p]);
          ok.push(p);
        } catch (err) {
          issues.push(`globalWhiteRemoteAddresses[${i}]: ${patternReason(err)}`);
        }
      });
      global = new AddressList(ok);
    }
  }

  const accountsRaw = root['accounts'] ?? null;
  if (accountsRaw !== null && !Array.isArray(accountsRaw)) {
    issues.push(`accounts: expected a list of accounts, got ${describe(accountsRaw)}`);
  } else if (accountsRaw !== null) {
    accountsRaw.forEach((raw, index) => {
      const account = parseAccount(raw, `accounts[${index}]`, issues);
      if (account === null) return;
      if (accounts.has(account.accessKey)) {
        issues.push(
          `accounts[${index}].accessKey: "${account.accessKey}" is already defined by an earlier account`,
        );
        return;
      }
      accounts.set(account.accessKey, account);
    });
  }
  if (issues.length > 0) throw new AclConfigError(file, issues);
  return { file, globalWhiteRemoteAddresses: global, accounts };
}

function patternReason(err: unknown): string {
  if (err instanceof AddressPatternError) return `"${err.pattern}": ${err.reason}`;
  return err instanceof Error ? err.message : String(err);
}

function parseAccount(raw: Plain, at: string, issues: string[]): AclAccount | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push(`${at}: expected a mapping with accessKey and secretKey, got ${describe(raw)}`);
    return null;
  }
  const before = issues.length;
  for (const key of Object.keys(raw)) {
    if (!ACCOUNT_KEYS.has(key)) {
      issues.push(`${at}: unknown key "${key}" (expected one of ${[...ACCOUNT_KEYS].join(', ')})`);
    }
  }
  const accessKey = raw['accessKey'] ?? null;
  if (typeof accessKey !== 'string' || accessKey.length < MIN_KEY_LENGTH) {
    issues.push(
      `${at}.accessKey: expected a string of at least ${MIN_KEY_LENGTH} characters, got ${describe(accessKey)}`,
    );
  }
  const secretKey = raw['secretKey'] ?? null;
  if (typeof secretKey !== 'string' || secretKey.length < MIN_KEY_LENGTH) {
    // Never echo a secret, not even a wrong one.
    const got =
      typeof secretKey === 'string' ? `${secretKey.length} characters` : describe(secretKey);
    issues.push(
      `${at}.secretKey: expected a string of at least ${MIN_KEY_LENGTH} characters, got ${got}`,
    );
  }
  let admin = false;
  const adminRaw = raw['admin'] ?? null;
  if (adminRaw !== null) {
    const word = typeof adminRaw === 'string' ? adminRaw.toLowerCase() : '';
    if (TRUE_WORDS.has(word)) admin = true;
    else if (!FALSE_WORDS.has(word)) {
      issues.push(`${at}.admin: expected true or false, got ${describe(adminRaw)}`);
    }
  }
  const whiteRaw = raw['whiteRemoteAddress'] ?? null;
  let whiteRemoteAddress = '';
  let whiteRemoteAddresses = new AddressList([]);
  if (whiteRaw !== null) {
    if (typeof whiteRaw !== 'string') {
      issues.push(
        `${at}.whiteRemoteAddress: expected one address pattern, got ${describe(whiteRaw)}`,
      );
    } else {
      try {
        whiteRemoteAddresses = new AddressList([whiteRaw]);
        whiteRemoteAddress = whiteRaw;
      } catch (err) {
        issues.push(`${at}.whiteRemoteAddress: ${patternReason(err)}`);
      }
    }
  }
  for (const key of ['defaultTopicPerm', 'defaultGroupPerm'] as const) {
    const v = raw[key] ?? null;
    if (v !== null && (typeof v !== 'string' || !PERMS.has(v))) {
      issues.push(`${at}.${key}: expected DENY, PUB, SUB or PUB|SUB, got ${describe(v)}`);
    }
  }
  for (const key of ['topicPerms', 'groupPerms'] as const) {
    const v = raw[key] ?? null;
    if (v === null) continue;
    const ok =
      Array.isArray(v) &&
      v.every((e) => {
        if (typeof e !== 'string') return false;
        const eq = e.lastIndexOf('=');
        return eq > 0 && PERMS.has(e.slice(eq + 1));
      });
    if (!ok)
      issues.push(
        `${at}.${key}: expected a list of name=PERM entries (PERM: DENY, PUB, SUB, PUB|SUB)`,
      );
  }
  if (issues.length > before) return null;
  return {
    accessKey: accessKey as string,
    secretKey: secretKey as string,
    admin,
    whiteRemoteAddress,
    whiteRemoteAddresses,
  };
}

/** Reads and parses the file; throws AclConfigError (also for an unreadable file). */
export function loadAclConfig(file: string): AclConfig {
  let text: string;
  try {
    text = readSecurityFile(file).toString('utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new AclConfigError(file, [`cannot read the file (${reason})`]);
  }
  return parseAclConfig(text, file);
}

export interface AclConfigFileOptions {
  readonly file: string;
  readonly logger: SecurityLogger;
  /** Poll period of the change check (ms); default 2000. fs.watch reacts sooner where it works. */
  readonly pollIntervalMs?: number;
  /** Told after each successful reload (not the initial load). */
  readonly onReload?: (config: AclConfig) => void;
  /** Told when a changed file was refused; the previous configuration stays in force. */
  readonly onReloadFailed?: (error: AclConfigError) => void;
  /** Time between the two reads that must agree before a change is applied; RELOAD_SETTLE_MS. */
  readonly reloadSettleMs?: number;
  /**
   * Whether the startup lines (what is in force, and warnings about it) are logged; default
   * true. A node with several serving processes has one of them say it, once per node.
   */
  readonly announce?: boolean;
}

/**
 * The credentials file, loaded once (a bad file stops startup: the constructor throws) and then
 * reloaded whenever its content changes. `current` is always a complete, valid configuration.
 */
export class AclConfigFile {
  #current: AclConfig;
  readonly #options: AclConfigFileOptions;
  readonly #watch: FileWatch;
  #closed = false;

  constructor(options: AclConfigFileOptions) {
    this.#options = options;
    this.#current = loadAclConfig(options.file);
    if (options.announce ?? true) this.#logLoaded('credentials file loaded');
    this.#watch = new FileWatch({
      files: [options.file],
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      onChange: () => {
        void this.#reloadWhenSettled();
      },
    });
  }

  /**
   * A change seen: reload once the file reads the same twice, RELOAD_SETTLE_MS apart. A file
   * rewritten in place can be read half-written, and a prefix of a valid file can be valid itself
   * (`10.0.0.0/16` cut to `10.0.0.0/1` widens an allow list). After RELOAD_SETTLE_TRIES unequal
   * reads it reloads anyway: what does not parse is refused as before.
   */
  async #reloadWhenSettled(): Promise<void> {
    const file = this.#options.file;
    let before = readOrNull(file);
    for (let i = 0; i < RELOAD_SETTLE_TRIES && !this.#closed; i++) {
      await new Promise((resolve) =>
        setTimeout(resolve, this.#options.reloadSettleMs ?? RELOAD_SETTLE_MS),
      );
      if (this.#closed) return;
      const now = readOrNull(file);
      if (now !== null && before !== null && now.equals(before)) {
        this.reload(now.toString('utf8'));
        return;
      }
      before = now;
    }
    if (!this.#closed) this.reload();
  }

  get current(): AclConfig {
    return this.#current;
  }

  /**
   * Re-reads the file now (or takes `text`, its content as just read); keeps the previous
   * configuration when the new one is bad.
   */
  reload(text?: string): boolean {
    let next: AclConfig;
    try {
      next =
        text === undefined
          ? loadAclConfig(this.#options.file)
          : parseAclConfig(text, this.#options.file);
    } catch (err) {
      const error =
        err instanceof AclConfigError ? err : new AclConfigError(this.#options.file, [String(err)]);
      this.#options.logger.error(
        { file: error.file, issues: error.issues },
        'credentials file refused; the previous credentials stay in force',
      );
      this.#options.onReloadFailed?.(error);
      return false;
    }
    this.#current = next;
    this.#logLoaded('credentials file reloaded');
    this.#options.onReload?.(next);
    return true;
  }

  #logLoaded(msg: string): void {
    const c = this.#current;
    // Access keys are identities, not secrets; secret keys are never logged.
    this.#options.logger.info(
      {
        file: c.file,
        accounts: c.accounts.size,
        admins: [...c.accounts.values()].filter((a) => a.admin).map((a) => a.accessKey),
        globalWhiteRemoteAddresses: c.globalWhiteRemoteAddresses.matchers.map((m) => m.source),
      },
      msg,
    );
  }

  close(): void {
    this.#closed = true;
    this.#watch.close();
  }
}

/** Time between the two reads that must agree before a changed file is applied. */
export const RELOAD_SETTLE_MS = 100;
const RELOAD_SETTLE_TRIES = 20;

function readOrNull(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}
