/**
 * Security counters, registered on the node's own prom-client Registry (metrics.ts keeps one per
 * server). Labels are bounded sets, so no peer can create series at will.
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { DenyReason } from './access-policy.js';
import type { RequestClass } from './request-classes.js';
import type { SniffOutcome } from './tls/first-byte-sniffer.js';

export interface SecurityMetrics {
  /** A request refused with NO_PERMISSION by the access policy. */
  accessDenied(requestClass: RequestClass, reason: DenyReason): void;
  /** How a new connection was classified (plain, tls, or why it was closed). */
  connectionSniffed(outcome: SniffOutcome): void;
  /** A credentials or certificate file change was applied or refused. */
  reload(what: 'acl' | 'tls', result: 'ok' | 'failed'): void;
}

export function createSecurityMetrics(registry: Registry): SecurityMetrics {
  const denied = new Counter({
    name: 'namesrv_access_denied_total',
    help: 'Requests refused with NO_PERMISSION by the access policy',
    labelNames: ['class', 'reason'] as const,
    registers: [registry],
  });
  const sniffed = new Counter({
    name: 'namesrv_connections_sniffed_total',
    help: 'New connections by what their first byte said (plain, tls) or why they were closed',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'namesrv_security_reloads_total',
    help: 'Reloads of the credentials file (acl) and TLS certificate files (tls)',
    labelNames: ['what', 'result'] as const,
    registers: [registry],
    // Every serving process reloads the same files: one reload, not one per process.
    aggregator: 'max',
  });
  return {
    accessDenied: (requestClass, reason) => {
      denied.inc({ class: requestClass, reason });
    },
    connectionSniffed: (outcome) => {
      sniffed.inc({ outcome });
    },
    reload: (what, result) => {
      reloads.inc({ what, result });
    },
  };
}
