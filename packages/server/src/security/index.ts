// Security building blocks (issue 12): request classes, ACL 1.0 signatures and credentials,
// address patterns, access policy and audit, TLS on the remoting port.
export {
  REQUEST_CLASSES,
  REQUEST_CLASS_OF_CODE,
  isRequestClass,
  requestClassOf,
} from './request-classes.js';
export type { RequestClass } from './request-classes.js';
export {
  constantTimeEqual,
  expectedSignature,
  readAclFields,
  verifySignature,
} from './acl-signature.js';
export type { AclRequestFields } from './acl-signature.js';
export {
  AddressList,
  AddressPatternError,
  hostOfRemoteAddress,
  parseAddressPattern,
  parseIp,
} from './address-match.js';
export type { AddressMatcher, IpAddress } from './address-match.js';
export {
  AclConfigError,
  AclConfigFile,
  MIN_KEY_LENGTH,
  loadAclConfig,
  parseAclConfig,
} from './acl-config.js';
export type { AclAccount, AclConfig, AclConfigFileOptions } from './acl-config.js';
export {
  PROOFS,
  POLICY_SPEC_EXPECTED,
  formatClassPolicy,
  parseClassPolicy,
} from './policy-spec.js';
export type { ClassPolicy, Proof } from './policy-spec.js';
export {
  OPEN_POLICY,
  SECURE_PROFILE,
  SECURE_PROFILE_TEXT,
  describeIdentity,
  describeRequirement,
  evaluateAccess,
} from './access-policy.js';
export type {
  AccessControlState,
  AccessDecision,
  AccessPolicy,
  AccessRequest,
  DenyReason,
  Identity,
  VerifiedClientCert,
} from './access-policy.js';
export { AUDIT_LOGGER_NAME, auditRecord, shouldAudit, writeAudit } from './audit-record.js';
export type { AuditInput, AuditRecord } from './audit-record.js';
export {
  AccessControl,
  POLICY_KEYS,
  SecurityConfigError,
  accessControlSettings,
} from './access-control.js';
export type {
  AccessControlOptions,
  AccessControlSettings,
  AclConfigKeys,
} from './access-control.js';
export { createSecurityMetrics } from './security-metrics.js';
export type { SecurityMetrics } from './security-metrics.js';
export type { SecurityLogger } from './security-logger.js';
export { FileWatch, fingerprint } from './file-watch.js';
export type { FileWatchOptions } from './file-watch.js';
export {
  CLIENT_AUTH_MODES,
  JAVA_TLS_FILE_KEYS,
  TLS_SERVER_MODES,
  TlsConfigError,
  resolveServerTlsSettings,
} from './tls/tls-settings.js';
export type {
  ClientAuthMode,
  ServerTlsSettings,
  TlsConfigKeys,
  TlsServerMode,
} from './tls/tls-settings.js';
export { ServerTlsContext } from './tls/server-tls-context.js';
export type { HandshakeResult, ServerTlsContextOptions } from './tls/server-tls-context.js';
export { TLS_HANDSHAKE_RECORD, sniffConnection } from './tls/first-byte-sniffer.js';
export type { SniffOptions, SniffOutcome, SniffResult } from './tls/first-byte-sniffer.js';
export { createCertificate, createSelfSignedServerCertificate } from './tls/certificate-factory.js';
export type { CertificateRequest, IssuedCertificate } from './tls/certificate-factory.js';
