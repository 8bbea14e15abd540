/**
 * Picks the name server list source with Java's precedence (reference §7.1):
 *
 *   1. the explicit `namesrvAddr` option (or an explicit provider / function),
 *   2. the property `rocketmq.namesrv.addr` (Java: a system property; here `options.properties`),
 *   3. the environment variable `NAMESRV_ADDR`,
 *   4. the HTTP address service — only when none of the above gives a list.
 *
 * A source that is present but malformed is an error, not a reason to fall through: silently
 * using another list than the one the user wrote is how clusters get crossed.
 */
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AddressServiceUrlOptions } from './address-service-url.js';
import {
  NAMESRV_DOMAIN_PROPERTY,
  NAMESRV_DOMAIN_SUBGROUP_PROPERTY,
} from './address-service-url.js';
import type { AddressListFunction } from './function-address-provider.js';
import { FunctionAddressProvider } from './function-address-provider.js';
import type { HttpAddressProviderOptions } from './http-address-provider.js';
import { HttpAddressProvider } from './http-address-provider.js';
import type { NameServerAddressProvider } from './name-server-address-provider.js';
import {
  EnvAddressProvider,
  NAMESRV_ADDR_ENV,
  StaticAddressProvider,
} from './static-address-provider.js';

/** Java: MixAll.NAMESRV_ADDR_PROPERTY. */
export const NAMESRV_ADDR_PROPERTY = 'rocketmq.namesrv.addr';

export interface ResolveNameServerAddressOptions {
  /** `host:port;host:port`, the `http://…/a:1;b:2` endpoint form, or an array of `host:port`. */
  readonly namesrvAddr?: string | readonly string[];
  /**
   * A ready provider, or a function returning the list (refreshed periodically). A provider given
   * here stays the caller's: whoever uses it (a client, a broker agent) never closes it, so it
   * can be shared; the caller closes it when every user is done.
   */
  readonly addressProvider?: NameServerAddressProvider | AddressListFunction;
  /**
   * Java system properties: `rocketmq.namesrv.addr`, `rocketmq.namesrv.domain`,
   * `rocketmq.namesrv.domain.subgroup`.
   */
  readonly properties?: Readonly<Record<string, string | undefined>>;
  /** Client unit name, used for the address service URL (`-<unit>?nofix=1`). */
  readonly unitName?: string;
  /**
   * Address service settings (poll interval, timeout, snapshot dir, explicit url…), or `false` to
   * never fall back to it (then a missing list is an InvalidOptionError).
   */
  readonly addressService?: false | Omit<HttpAddressProviderOptions, 'logger'>;
  readonly logger?: Logger;
}

function nonBlank(value: string | undefined): value is string {
  return value !== undefined && value.trim().length > 0;
}

function isProvider(
  value: NameServerAddressProvider | AddressListFunction,
): value is NameServerAddressProvider {
  return typeof value === 'object';
}

export function resolveNameServerAddressProvider(
  options: ResolveNameServerAddressOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): NameServerAddressProvider {
  const { logger } = options;
  if (options.namesrvAddr !== undefined && options.addressProvider !== undefined) {
    throw new InvalidOptionError(
      'addressProvider',
      'give either namesrvAddr or addressProvider, not both',
    );
  }
  if (options.namesrvAddr !== undefined) {
    return new StaticAddressProvider(options.namesrvAddr, logger);
  }
  if (options.addressProvider !== undefined) {
    const source = options.addressProvider;
    if (isProvider(source)) return source;
    return new FunctionAddressProvider(source, logger === undefined ? {} : { logger });
  }
  const properties = options.properties ?? {};
  const property = properties[NAMESRV_ADDR_PROPERTY];
  // Java's precedence: a list set anywhere beats the address service. An address service given
  // explicitly then goes unused, which its user should hear about (an inherited NAMESRV_ADDR).
  const unusedService = (winner: string): void => {
    const url = typeof options.addressService === 'object' ? options.addressService.url : undefined;
    if (url !== undefined) {
      logger?.warn({ url, winner }, `${winner} is set: the address service ${url} is not used`);
    }
  };
  if (nonBlank(property)) {
    unusedService(`the ${NAMESRV_ADDR_PROPERTY} property`);
    return new StaticAddressProvider(property, logger);
  }
  if (nonBlank(env[NAMESRV_ADDR_ENV])) {
    unusedService(`the ${NAMESRV_ADDR_ENV} environment variable`);
    return new EnvAddressProvider(env, NAMESRV_ADDR_ENV, logger);
  }

  if (options.addressService === false) {
    throw new InvalidOptionError(
      'namesrvAddr',
      `no name server list: set namesrvAddr, the ${NAMESRV_ADDR_PROPERTY} property or the ${NAMESRV_ADDR_ENV} environment variable`,
    );
  }
  const service = options.addressService ?? {};
  const url: AddressServiceUrlOptions = {
    ...pick('domain', service.domain ?? properties[NAMESRV_DOMAIN_PROPERTY]),
    ...pick('subgroup', service.subgroup ?? properties[NAMESRV_DOMAIN_SUBGROUP_PROPERTY]),
    ...pick('unitName', service.unitName ?? options.unitName),
  };
  return new HttpAddressProvider({
    ...service,
    ...url,
    ...(logger === undefined ? {} : { logger }),
  });
}

// exactOptionalPropertyTypes: leave a key out rather than set it to undefined.
function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
