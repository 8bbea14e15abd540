/**
 * Configuration problems. Loading collects every problem before failing, so one run of the
 * server reports all bad keys at once; each issue names the key, where the value came from and
 * what was expected.
 */
export type ConfigIssueCode =
  | 'NS_CONFIG_UNKNOWN_KEY'
  | 'NS_CONFIG_INVALID_VALUE'
  | 'NS_CONFIG_BAD_ARGUMENT'
  | 'NS_CONFIG_FILE_UNREADABLE'
  | 'NS_CONFIG_FILE_MALFORMED';

export interface ConfigIssue {
  readonly code: ConfigIssueCode;
  /** The offending key, or null when the problem is not about one key (e.g. a stray argument). */
  readonly key: string | null;
  /** Human-readable line, e.g. `listenPort: expected an integer 0..65535, got 'abc' (from --listenPort)`. */
  readonly message: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'NS_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(
      issues.length === 1
        ? issues[0]!.message
        : `invalid configuration:\n${issues.map((i) => `  ${i.message}`).join('\n')}`,
      options,
    );
    this.issues = Object.freeze([...issues]);
  }
}
