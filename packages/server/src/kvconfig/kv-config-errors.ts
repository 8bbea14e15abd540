/** Typed errors of the KV config store, each with a stable `code`. */
export type KVConfigErrorCode =
  /** The KV file exists but is not a valid `{"configTable":{…}}` document. */
  | 'NS_KV_CONFIG_CORRUPT'
  /** Writing the KV file failed; the in-memory change was rolled back. */
  | 'NS_KV_CONFIG_PERSIST_FAILED'
  /** A null/absent namespace or key (Java answers SYSTEM_ERROR `namespace or key is null`). */
  | 'NS_KV_CONFIG_BAD_ARGUMENT';

export class KVConfigError extends Error {
  override name = 'KVConfigError';
  readonly code: KVConfigErrorCode;
  /** A write that failed after its rename: the new file may be in place (writeFileAtomicSync). */
  afterRename = false;
  /**
   * writeFileAtomicOrRestoreSync: what went wrong putting the previous file back, as a sentence
   * for the message (null: nothing did).
   */
  restoreFailure: string | null = null;
  constructor(code: KVConfigErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The KV file at `path` cannot be loaded; the server must refuse to start (and keep the file). */
export class KVConfigCorruptError extends KVConfigError {
  override name = 'KVConfigCorruptError';
  readonly path: string | null;
  constructor(path: string | null, problem: string, options?: ErrorOptions) {
    super(
      'NS_KV_CONFIG_CORRUPT',
      `${path === null ? 'KV config' : `KV config file ${path}`} is corrupt: ${problem}`,
      options,
    );
    this.path = path;
  }
}
