/** A fixed list (the `namesrvAddr` option or the `rocketmq.namesrv.addr` property). */
import type { Logger } from '../logger.js';
import { InvalidAddressListError } from '../errors.js';
import { parseNameServerAddressOption } from './address-list.js';
import type {
  AddressListListener,
  NameServerAddressProvider,
} from './name-server-address-provider.js';
import { AddressListHolder } from './name-server-address-provider.js';

export class StaticAddressProvider implements NameServerAddressProvider {
  readonly kind: 'static' | 'env' = 'static';
  readonly #holder: AddressListHolder;

  /** Validates at once: a bad list throws InvalidAddressListError from the constructor. */
  constructor(addresses: string | readonly string[], logger?: Logger) {
    this.#holder = new AddressListHolder(logger);
    this.#holder.set(parseNameServerAddressOption(addresses));
  }

  current(): readonly string[] {
    return this.#holder.current();
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  onChange(listener: AddressListListener): () => void {
    return this.#holder.onChange(listener);
  }
}

/** Name of the environment variable Java reads (MixAll.NAMESRV_ADDR_ENV). */
export const NAMESRV_ADDR_ENV = 'NAMESRV_ADDR';

/** The list from `NAMESRV_ADDR` (read once, like Java's field default). */
export class EnvAddressProvider extends StaticAddressProvider {
  override readonly kind = 'env';
  readonly variable: string;

  /**
   * Throws InvalidAddressListError when the variable is unset, blank or malformed; the message
   * names the variable.
   */
  constructor(
    env: Readonly<Record<string, string | undefined>> = process.env,
    variable: string = NAMESRV_ADDR_ENV,
    logger?: Logger,
  ) {
    super(readEnvList(env, variable), logger);
    this.variable = variable;
  }
}

function readEnvList(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
): string[] {
  const value = env[variable] ?? '';
  try {
    return parseNameServerAddressOption(value);
  } catch (err) {
    if (err instanceof InvalidAddressListError) {
      throw new InvalidAddressListError(
        value,
        `environment variable ${variable}: ${err.message}`,
        err.entry,
      );
    }
    throw err;
  }
}
