// @ns/client public API: every export is listed by name.

// Errors
export {
  AddressServiceError,
  InvalidAddressListError,
  InvalidOptionError,
  isRetriable,
  NoNameServerError,
  NsClientError,
  ProtocolViolationError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
  ResponseError,
} from './errors.js';
export type {
  AddressServiceFailure,
  NsClientErrorCode,
  NsClientErrorOptions,
  ResponseErrorDetails,
} from './errors.js';
export { isTopicNotExist, TopicNotExistError } from './topic-not-exist-error.js';
export { MAX_TIMER_MS } from './timer-limit.js';

// Logging
export { createMemoryLogger, NOOP_LOGGER } from './logger.js';
export type { LogFn, Logger, LogLevel, LogRecord } from './logger.js';
export { createJsonLineLogger } from './json-line-logger.js';
export type { LogLevelOrSilent } from './json-line-logger.js';
export { exitAfterDrain, ignoreStdioErrors, STDIO_DRAIN_TIMEOUT_MS } from './stdio-exit.js';

// Address lists and providers
export {
  formatAddressList,
  formatHostPort,
  parseAddressList,
  parseHostPort,
  parseNameServerAddressOption,
  sameMembers,
} from './address/address-list.js';
export type { HostPort } from './address/address-list.js';
export {
  buildAddressServiceUrl,
  DEFAULT_ADDRESS_SERVICE_DOMAIN,
  DEFAULT_ADDRESS_SERVICE_SUBGROUP,
  NAMESRV_DOMAIN_PROPERTY,
  NAMESRV_DOMAIN_SUBGROUP_PROPERTY,
} from './address/address-service-url.js';
export type { AddressServiceUrlOptions } from './address/address-service-url.js';
export { FunctionAddressProvider } from './address/function-address-provider.js';
export type {
  AddressListFunction,
  FunctionAddressProviderOptions,
} from './address/function-address-provider.js';
export {
  clearNewLine,
  DEFAULT_ADDRESS_INITIAL_DELAY_MS,
  DEFAULT_ADDRESS_POLL_INTERVAL_MS,
  DEFAULT_ADDRESS_REQUEST_TIMEOUT_MS,
  HttpAddressProvider,
} from './address/http-address-provider.js';
export type {
  HttpAddressProviderOptions,
  HttpsTlsOptions,
} from './address/http-address-provider.js';
export { AddressListHolder } from './address/name-server-address-provider.js';
export type {
  AddressListListener,
  AddressProviderKind,
  NameServerAddressProvider,
} from './address/name-server-address-provider.js';
export {
  NAMESRV_ADDR_PROPERTY,
  resolveNameServerAddressProvider,
} from './address/resolve-address-provider.js';
export type { ResolveNameServerAddressOptions } from './address/resolve-address-provider.js';
export {
  EnvAddressProvider,
  NAMESRV_ADDR_ENV,
  StaticAddressProvider,
} from './address/static-address-provider.js';

// Node selection
export { INITIAL_INDEX_BOUND, NameServerSelector } from './selector/name-server-selector.js';
export type {
  HealthPredicate,
  NameServerSelectorOptions,
} from './selector/name-server-selector.js';
export { seededRandom } from './selector/random.js';
export type { RandomSource } from './selector/random.js';

// Address service (TopAddressing server)
export { AddressService } from './address-service/address-service.js';
export type { AddressServiceOptions, ListeningAddress } from './address-service/address-service.js';
export {
  addressSourceFromEnv,
  FileAddressSource,
  FixedAddressSource,
} from './address-service/address-source.js';
export type { AddressSource, FileAddressSourceOptions } from './address-service/address-source.js';

// Remoting
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONSECUTIVE_TIMEOUTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  RemotingClient,
} from './remoting/remoting-client.js';
export type {
  ExtFieldsInit,
  InvokeOptions,
  RemotingClientEvents,
  RemotingClientOptions,
  RemotingRequest,
  ReplyFn,
} from './remoting/remoting-client.js';
export { defaultSocketFactory } from './remoting/socket-factory.js';
export { checkCredentials, signExtFields } from './remoting/acl-signer.js';
export type { AclCredentials } from './remoting/acl-signer.js';
export {
  checkTlsOptions,
  tlsConnectionOptions,
  tlsSocketFactory,
  verifiesServer,
} from './remoting/tls-options.js';
export type { ClientTlsOptions } from './remoting/tls-options.js';
export type { SocketFactory, SocketTarget } from './remoting/socket-factory.js';
export { expectSuccess } from './remoting/expect-success.js';

// Name server client and route cache
export { DEFAULT_POLL_NAME_SERVER_INTERVAL_MS, NameServerClient } from './name-server-client.js';
export type {
  AddressedResponse,
  NameServerCallOptions,
  NameServerClientEvents,
  NameServerClientOptions,
} from './name-server-client.js';
export { canonicalTopicRoute, topicRouteChanged } from './route-compare.js';
export {
  DEFAULT_ROUTE_WATCH_HOLD_MS,
  DEFAULT_ROUTE_WATCH_REFUSED_RETRY_MS,
  ROUTE_WATCH_BUSY_RETRY_MS,
} from './watch/route-watcher.js';
export type { RouteWatchMode, RouteWatchOptions, RouteWatchState } from './watch/route-watcher.js';

// Admin
export { DEFAULT_ADMIN_TIMEOUT_MS, NameServerAdmin } from './admin/name-server-admin.js';
export type {
  BrokerIdentity,
  FanOutOptions,
  NameServerAdminOptions,
  QueryDataVersionResult,
} from './admin/name-server-admin.js';
export { allOk, fanOut } from './admin/node-result.js';
export type { NodeResult } from './admin/node-result.js';

// Command-line security options (nsadmin, ns-broker-agent)
export {
  SECURITY_CLI_OPTIONS,
  SecurityOptionError,
  credentialsFromCli,
  readToolsYml,
  tlsFromCli,
} from './cli/security-options.js';

// Cross-node consistency (route digests on the nodes' HTTP admin ports)
export {
  checkNodes,
  DEFAULT_DIGEST_TIMEOUT_MS,
  fetchDigestTopics,
  fetchRouteDigest,
} from './admin/route-digest-client.js';
export type {
  CheckNodesOptions,
  CheckNodesResult,
  RouteDigestClientOptions,
} from './admin/route-digest-client.js';
