/** Client failover (placeholder until @ns/client's NameServerClient lands). */
export interface FailoverResults {
  nodes: number;
  killedNode: string;
  /** SIGKILL → first successful call answered by another node. */
  recoveryMs: number;
  failedCalls: number;
  callsBefore: number;
  callsAfter: number;
}

import type { Profile } from '../lib/profile.js';
import type { Log } from '../lib/log.js';

export function runFailover(profile: Profile, log: Log): Promise<FailoverResults> {
  log(`failover (${profile.failover.nodes} nodes): skipped`);
  return Promise.reject(new Error('not implemented yet: waiting for @ns/client NameServerClient'));
}
