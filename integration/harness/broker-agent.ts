/**
 * Broker agents for the scenarios: the `ns-broker-agent` CLI as a real child process (so it can
 * be SIGKILLed like a crashed broker), or a BrokerAgent in this process where a scenario needs
 * options the CLI does not expose (e.g. the address service poll interval).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokerAgent } from '@ns/broker-agent';
import type { BrokerAgentOptions } from '@ns/broker-agent';
import { createMemoryLogger } from '@ns/client';
import type { ManagedProcess, ProcessEvent } from './managed-process.js';
import { requireBuilt } from './paths.js';
import type { TestScope } from './scope.js';

/** A hang guard: several agents start beside whole clusters on 2 shared cores. */
export const AGENT_START_TIMEOUT_MS = 30_000;

export interface AgentSpec {
  readonly name: string;
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId?: number;
  readonly brokerAddr: string;
  readonly haAddr?: string;
  readonly topics: readonly string[];
  /** Name server list (`a;b`) or an address service URL. */
  readonly nameServers: { readonly list: string } | { readonly addressServiceUrl: string };
  /** Registration period used as is (`--unsafe-period`); the CLI default is Java's 30 s. */
  readonly unsafePeriodMs?: number;
  readonly extraArgs?: readonly string[];
}

export interface AgentProcess {
  readonly spec: AgentSpec;
  readonly process: ManagedProcess;
  /** The `registered` line printed after the first round. */
  readonly registered: ProcessEvent;
}

/** Spawns `ns-broker-agent` and waits for its first-round `registered` line. */
export async function startAgentProcess(scope: TestScope, spec: AgentSpec): Promise<AgentProcess> {
  const entry = requireBuilt('brokerAgent');
  const dir = await scope.tempDir(spec.name);
  const topicsFile = join(dir, 'topics.properties');
  await writeFile(topicsFile, spec.topics.map((t) => `${t}=4`).join('\n') + '\n', 'utf8');
  const proc = scope.spawn({
    name: spec.name,
    entry,
    args: [
      ...('list' in spec.nameServers
        ? ['--namesrv-addr', spec.nameServers.list]
        : ['--addr-service-url', spec.nameServers.addressServiceUrl]),
      '--cluster',
      spec.clusterName,
      '--broker-name',
      spec.brokerName,
      '--broker-id',
      String(spec.brokerId ?? 0),
      '--broker-addr',
      spec.brokerAddr,
      ...(spec.haAddr !== undefined ? ['--ha-addr', spec.haAddr] : []),
      '--topics',
      topicsFile,
      ...(spec.unsafePeriodMs !== undefined
        ? ['--unsafe-period', String(spec.unsafePeriodMs)]
        : []),
      '--log-level',
      'debug',
      ...(spec.extraArgs ?? []),
    ],
  });
  const registered = await proc.waitForEvent('registered', AGENT_START_TIMEOUT_MS);
  return { spec, process: proc, registered };
}

/**
 * A BrokerAgent in this process; stopped (UNREGISTER on every node) at cleanup. Its log lines
 * are kept and printed with the process logs when the test fails.
 */
export async function startInProcessAgent(
  scope: TestScope,
  label: string,
  options: Omit<BrokerAgentOptions, 'logger'>,
): Promise<BrokerAgent> {
  const logger = createMemoryLogger();
  const agent = new BrokerAgent({ ...options, logger });
  // Cleanups run newest first: stop the agent, then copy its log (stop included) to the notes,
  // which are printed after cleanup when the test failed.
  scope.defer(`collect agent ${label} log`, () => {
    for (const r of logger.records)
      scope.note(`[${label}] ${r.level} ${r.msg ?? ''} ${JSON.stringify(r.fields)}`);
  });
  scope.defer(`stop agent ${label}`, async () => {
    if (agent.state === 'running' || agent.state === 'starting') await agent.stop();
  });
  await agent.start();
  return agent;
}
