/**
 * The address service ("TopAddressing") URL, built the way Java's MixAll#getWSAddr and
 * TopAddressing#fetchNSAddr do (reference §7.2).
 */
import { InvalidOptionError } from '../errors.js';

/** Java: MixAll.WS_DOMAIN_NAME default. */
export const DEFAULT_ADDRESS_SERVICE_DOMAIN = 'jmenv.tbsite.net';
/** Java: MixAll.WS_DOMAIN_SUBGROUP default. */
export const DEFAULT_ADDRESS_SERVICE_SUBGROUP = 'nsaddr';
/** Property names Java reads from system properties. */
export const NAMESRV_DOMAIN_PROPERTY = 'rocketmq.namesrv.domain';
export const NAMESRV_DOMAIN_SUBGROUP_PROPERTY = 'rocketmq.namesrv.domain.subgroup';

export interface AddressServiceUrlOptions {
  /**
   * Host, or host:port. Default `jmenv.tbsite.net`. `:8080` is added unless the domain has a `:`
   * after its first character (Java's rule), so a bracketed IPv6 host needs its port:
   * `[fd00::5]:8080` (`[fd00::5]` alone means port 80).
   */
  readonly domain?: string;
  /** Default `nsaddr`. */
  readonly subgroup?: string;
  /** Client unit name: appends `-<unitName>?nofix=1`. */
  readonly unitName?: string;
  /** [5.x] extra query parameters, appended as `?k=v&k=v` (or `&k=v` after `nofix=1`). */
  readonly params?: Readonly<Record<string, string>>;
}

/** Builds `http://<domain>[:8080]/rocketmq/<subgroup>[-<unit>?nofix=1][&k=v…]`. */
export function buildAddressServiceUrl(options: AddressServiceUrlOptions = {}): string {
  const domain = options.domain ?? DEFAULT_ADDRESS_SERVICE_DOMAIN;
  const subgroup = options.subgroup ?? DEFAULT_ADDRESS_SERVICE_SUBGROUP;
  if (domain.length === 0 || /[\s/?#]/.test(domain)) {
    throw new InvalidOptionError(
      'domain',
      `invalid address service domain '${domain}': expected 'host' or 'host:port'`,
    );
  }
  if (subgroup.length === 0 || /[\s/?#]/.test(subgroup)) {
    throw new InvalidOptionError(
      'subgroup',
      `invalid address service subgroup '${subgroup}': expected a path segment such as 'nsaddr'`,
    );
  }
  // Java: `wsDomainName.indexOf(":") > 0` means the domain carries its own port.
  let url =
    domain.indexOf(':') > 0
      ? `http://${domain}/rocketmq/${subgroup}`
      : `http://${domain}:8080/rocketmq/${subgroup}`;
  let hasQuery = false;
  // Java: UtilAll.isBlank(unitName) means "no unit".
  if (options.unitName !== undefined && options.unitName.trim().length > 0) {
    url += `-${options.unitName}?nofix=1`;
    hasQuery = true;
  }
  for (const [key, value] of Object.entries(options.params ?? {})) {
    url += `${hasQuery ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
    hasQuery = true;
  }
  return url;
}
