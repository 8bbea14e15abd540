/**
 * The runtime face of access control for the request path: built once from the node
 * configuration, holds the reloading credentials file, and answers per request. Everything it
 * decides comes from the pure evaluateAccess (access-policy.ts).
 *
 * How the transport/dispatch wiring uses it (per decoded request, before the handler runs):
 *
 *   const decision = access.check({ code, extFields, body, remoteAddress, clientCert });
 *   if (!decision.allowed) { send(access.refusal(request, decision)); }   // NO_PERMISSION
 *   else { response = dispatcher.dispatch(request, ctx); }
 *   access.audit(request, decision, response?.code ?? null);             // logs when it should
 */
import { createResponse, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { AclConfigFile } from './acl-config.js';
import { OPEN_POLICY, evaluateAccess } from './access-policy.js';
import type { AccessDecision, AccessPolicy, AccessRequest } from './access-policy.js';
import { AddressList } from './address-match.js';
import { auditRecord, shouldAudit, writeAudit } from './audit-record.js';
import type { AuditInput } from './audit-record.js';
import { formatClassPolicy, parseClassPolicy } from './policy-spec.js';
import type { RequestClass } from './request-classes.js';
import type { SecurityLogger } from './security-logger.js';
import type { SecurityMetrics } from './security-metrics.js';
import { addressGroupOf } from '../transport/address-group.js';
import { LimitLog } from '../transport/limit-log.js';

/** Refusal audit records written per second at most (see AccessControl.audit). */
export const REFUSALS_PER_SECOND = 20;
/**
 * Peers (address groups) whose anonymous writes get a bound of their own at once; beyond them,
 * new peers share one. Caps what many addresses can write (17 bounds × 2 kinds × 20 a second)
 * while one flooding peer cannot hide another's write.
 */
export const AUDITED_PEER_GROUPS = 16;

type AnonymousKind = 'anonymous' | 'anonymous-unsuccessful';

/** The access-control part of the node configuration (NamesrvConfig has these keys). */
export interface AclConfigKeys {
  readonly aclEnable: boolean;
  readonly aclFile: string;
  readonly aclRouteRead: string;
  readonly aclBrokerControl: string;
  readonly aclAdminRead: string;
  readonly aclAdminWrite: string;
  readonly aclAllowedAddresses: string;
}

export class SecurityConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecurityConfigError';
  }
}

export interface AccessControlSettings {
  readonly enabled: boolean;
  readonly aclFile: string | null;
  readonly policy: AccessPolicy;
  readonly allowedAddresses: AddressList;
}

/** The config key that sets each class's policy. */
export const POLICY_KEYS: Readonly<Record<RequestClass, keyof AclConfigKeys>> = {
  'route-read': 'aclRouteRead',
  'broker-control': 'aclBrokerControl',
  'admin-read': 'aclAdminRead',
  'admin-write': 'aclAdminWrite',
};

/** Validates and interprets the acl* keys; throws SecurityConfigError naming the key. */
export function accessControlSettings(keys: AclConfigKeys): AccessControlSettings {
  const allowedAddresses = new AddressList(
    keys.aclAllowedAddresses
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
  if (!keys.aclEnable) {
    return { enabled: false, aclFile: null, policy: OPEN_POLICY, allowedAddresses };
  }
  if (keys.aclFile.trim() === '') {
    throw new SecurityConfigError(
      'aclFile',
      'aclFile: required when aclEnable=true (a RocketMQ plain_acl.yml with the accounts)',
    );
  }
  const policy = {} as Record<RequestClass, ReturnType<typeof parseClassPolicy> & object>;
  for (const [cls, key] of Object.entries(POLICY_KEYS) as [RequestClass, keyof AclConfigKeys][]) {
    const parsed = parseClassPolicy(String(keys[key]));
    if (parsed === null) {
      throw new SecurityConfigError(key, `${key}: not a policy: '${String(keys[key])}'`);
    }
    policy[cls] = parsed;
  }
  return { enabled: true, aclFile: keys.aclFile.trim(), policy, allowedAddresses };
}

export interface AccessControlOptions {
  readonly keys: AclConfigKeys;
  readonly logger: SecurityLogger;
  /** The dedicated audit logger (e.g. `logger.child({ name: AUDIT_LOGGER_NAME })`). */
  readonly auditLogger: SecurityLogger;
  readonly metrics?: SecurityMetrics;
  /** Whether the TLS setup can ever verify a client certificate (for a startup warning). */
  readonly tlsVerifiesClients?: boolean;
  /** Poll period of the credentials file check (ms). */
  readonly pollIntervalMs?: number;
  /**
   * How many processes serve the node's connections (servingWorkers); each writes its share of
   * the audit bounds (at least 1 a second), so the node writes about the bound in all.
   */
  readonly servingProcesses?: number;
  /**
   * Whether the startup lines (what is in force, and warnings about it) are logged; default
   * true. A node with several serving processes has one of them say it, once per node.
   */
  readonly announce?: boolean;
}

/** One serving process's share of REFUSALS_PER_SECOND (the bound is the node's). */
export function auditRecordsPerSecond(servingProcesses: number): number {
  return Math.max(1, Math.floor(REFUSALS_PER_SECOND / Math.max(1, servingProcesses)));
}

export class AccessControl {
  readonly settings: AccessControlSettings;
  readonly #file: AclConfigFile | null;
  readonly #audit: SecurityLogger;
  /** This process's share of the node's audit bounds, records a second. */
  readonly #perSecond: number;
  readonly #refusalLog: LimitLog<'refused'>;
  /** Anonymous writes' bounds by peer address group (see AUDITED_PEER_GROUPS). */
  readonly #anonymousLogs = new Map<string, LimitLog<AnonymousKind>>();
  readonly #anonymousOverflow: LimitLog<AnonymousKind>;
  readonly #metrics: SecurityMetrics | undefined;

  /** Throws SecurityConfigError or AclConfigError (startup must stop). */
  constructor(options: AccessControlOptions) {
    this.settings = accessControlSettings(options.keys);
    this.#audit = options.auditLogger;
    this.#metrics = options.metrics;
    this.#perSecond = auditRecordsPerSecond(options.servingProcesses ?? 1);
    this.#refusalLog = new LimitLog(this.#perSecond);
    this.#anonymousOverflow = new LimitLog(this.#perSecond);
    const s = this.settings;
    this.#file =
      s.aclFile === null
        ? null
        : new AclConfigFile({
            file: s.aclFile,
            logger: options.logger,
            ...(options.pollIntervalMs === undefined
              ? {}
              : { pollIntervalMs: options.pollIntervalMs }),
            ...(options.announce === undefined ? {} : { announce: options.announce }),
            onReload: () => this.#metrics?.reload('acl', 'ok'),
            onReloadFailed: () => this.#metrics?.reload('acl', 'failed'),
          });
    if (options.announce ?? true) this.#announce(options);
  }

  /** The startup lines: the policy in force, and a warning when 'cert' can never be proved. */
  #announce(options: AccessControlOptions): void {
    const s = this.settings;
    const policies = Object.fromEntries(
      Object.entries(s.policy).map(([c, p]) => [c, formatClassPolicy(p)]),
    );
    options.logger.info({ aclEnable: s.enabled, policies }, 'access policy');
    const usesCert = Object.values(s.policy).some(
      (p) => p.kind === 'restricted' && p.accepts.has('cert'),
    );
    if (s.enabled && usesCert && options.tlsVerifiesClients === false) {
      options.logger.warn(
        {},
        "a policy accepts 'cert' but no client certificate can prove it: 'cert' needs a certificate verified against tlsServerTrustCertPath (set tlsServerNeedClientAuth and tlsServerTrustCertPath)",
      );
    }
  }

  /** The decision for one request. */
  check(request: AccessRequest): AccessDecision {
    const decision = evaluateAccess(request, {
      policy: this.settings.policy,
      acl: this.#file?.current ?? null,
      allowedAddresses: this.settings.allowedAddresses,
    });
    if (!decision.allowed) this.#metrics?.accessDenied(decision.requestClass, decision.reason);
    return decision;
  }

  /** The NO_PERMISSION (16) answer to a refused request, with the decision's remark. */
  refusal(
    request: RemotingCommand,
    decision: AccessDecision & { allowed: false },
  ): RemotingCommand {
    return createResponse(request, {
      code: ResponseCode.NO_PERMISSION,
      remark: decision.peerRemark ?? decision.remark,
    });
  }

  /**
   * Logs the audit record when the request is audited: every admin-write, and refusals up to
   * REFUSALS_PER_SECOND (an unauthenticated peer can send refusals as fast as it likes; the next
   * record written says how many were left out, and the metric counts them all); anonymous admin
   * writes up to REFUSALS_PER_SECOND per peer and kind. With servingWorkers = W each process
   * writes 1/W of those bounds.
   */
  audit(request: AuditInput, decision: AccessDecision, responseCode: number | null): void {
    if (!shouldAudit(decision)) return;
    const record = auditRecord(request, decision, responseCode);
    // An identified admin's writes are all written. An anonymous one (aclEnable=false, or an
    // open admin-write policy) is anyone who reaches the port: one connection sending unknown
    // request codes wrote 20,000 records (7 MB) in 0.6 s. Those are bounded as refusals are.
    if (decision.allowed && decision.identity.kind !== 'anonymous') {
      writeAudit(this.#audit, record);
      return;
    }
    // Bounded per peer, and writes answered SUCCESS apart from the others (unknown codes,
    // errors): a flood of either kind from one peer must not hide another peer's write (SUCCESS
    // does not mean it did something: DELETE_TOPIC_IN_NAMESRV of a topic nobody has).
    const left = decision.allowed
      ? this.#anonymousLog(addressGroupOf(decision.address)).admit(
          responseCode === ResponseCode.SUCCESS ? 'anonymous' : 'anonymous-unsuccessful',
        )
      : this.#refusalLog.admit('refused');
    if (left === null) return;
    const leftOut = decision.allowed ? 'recordsLeftOut' : 'refusalsLeftOut';
    writeAudit(this.#audit, left === 0 ? record : { ...record, [leftOut]: left });
  }

  close(): void {
    this.#file?.close();
  }

  /** The bound of a peer's anonymous writes; peers past AUDITED_PEER_GROUPS share one. */
  #anonymousLog(group: string): LimitLog<AnonymousKind> {
    let log = this.#anonymousLogs.get(group);
    if (log !== undefined) return log;
    if (this.#anonymousLogs.size >= AUDITED_PEER_GROUPS) {
      for (const [g, l] of this.#anonymousLogs) {
        if (!l.idle()) continue;
        this.#anonymousOverflow.absorb(l);
        this.#anonymousLogs.delete(g);
        break;
      }
      if (this.#anonymousLogs.size >= AUDITED_PEER_GROUPS) return this.#anonymousOverflow;
    }
    log = new LimitLog<AnonymousKind>(this.#perSecond);
    this.#anonymousLogs.set(group, log);
    return log;
  }
}
