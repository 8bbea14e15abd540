#!/usr/bin/env node
/**
 * `ns-broker-agent`: runs one BrokerAgent until SIGTERM/SIGINT/SIGHUP. stdout carries machine-readable
 * JSON lines only: `registered` once at least one NameServer accepted the registration (after the
 * first round, or later if the first round failed everywhere), `registration_failed` when the
 * first round reached no NameServer (the agent keeps retrying), and `unregistered` at exit.
 * stderr carries the JSON log. Exit codes: 0 after a signal, 2 for a usage error (a flag, or a
 * value the agent refuses, named by its flag, including a --topics file that cannot be read or
 * parsed: one `ns-broker-agent: <message>` line on stderr), 1 for anything else, including no NameServer
 * address source at all. A dead or stuck stdout/stderr pipe never keeps it from exiting
 * (exitAfterDrain).
 */
import { BrokerAgent } from './broker-agent.js';
import { AgentStoppedError, TopicsFileError } from './errors.js';
import { ExpiryTooShortError } from './expiry-check.js';
import { missingAddressSource, parseCliArgs, SECURITY_FLAGS, USAGE } from './cli-args.js';
import {
  createJsonLineLogger,
  credentialsFromCli,
  exitAfterDrain,
  ignoreStdioErrors,
  InvalidAddressListError,
  InvalidOptionError,
  SecurityOptionError,
  tlsFromCli,
} from '@ns/client';
import type { DataVersion } from '@ns/protocol';
import type { NodeStatus } from './node-session.js';
import type { RegistrationRound } from './registration-result.js';
import { readTopicsFile } from './topics-file.js';

/** Each ends the agent the same way: unregister everywhere, print `unregistered`, exit 0. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

function printLine(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function summary(round: RegistrationRound) {
  return round.results.map((r) => ({
    addr: r.addr,
    ok: r.ok,
    skipped: r.skipped,
    latencyMs: Math.round(r.latencyMs * 10) / 10,
    ...(r.error === null ? {} : { error: r.error.message }),
  }));
}

async function main(): Promise<number> {
  ignoreStdioErrors();
  let args;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    // One line, like the other tools: ~40 lines of usage buried the message.
    process.stderr.write(
      `ns-broker-agent: ${(err as Error).message} (run ns-broker-agent --help)\n`,
    );
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let credentials;
  let tls;
  try {
    credentials = credentialsFromCli(args.security, process.env, { flags: SECURITY_FLAGS });
    tls = tlsFromCli(args.security, { flags: SECURITY_FLAGS });
  } catch (err) {
    if (!(err instanceof SecurityOptionError)) throw err;
    process.stderr.write(`ns-broker-agent: ${err.message}\n`);
    return 2;
  }
  const noAddress = missingAddressSource(args, process.env);
  if (noAddress !== undefined) {
    process.stderr.write(`ns-broker-agent: ${noAddress}\n`);
    return 1;
  }
  const log = createJsonLineLogger((line) => process.stderr.write(line), args.logLevel);
  // Taken before anything is logged: a signal that came before the handlers were installed ended
  // the process by its default action, with no line at all. One handler for both signals, once:
  // SIGTERM then SIGINT printed `unregistered` twice.
  let stopping: NodeJS.Signals | null = null;
  let stopNow: ((signal: NodeJS.Signals) => void) | null = null;
  let signalled!: () => void;
  const aSignal = new Promise<null>((resolve) => {
    signalled = () => resolve(null);
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== null) return;
    stopping = signal;
    signalled();
    stopNow?.(signal);
  };
  // SIGHUP too: its default action ended the process without unregistering (a closed terminal,
  // a supervisor that stops with it), and the NameServers kept routing to the broker for 2 min.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // The read raced against a signal: it can block for good (a FIFO, a hung network mount), and a
  // signal during it was only noted, then start() on the stopped agent failed (exit 1). Nothing
  // is registered yet, so stopping means saying so.
  let file;
  try {
    file =
      args.topicsFile === undefined
        ? undefined
        : await Promise.race([readTopicsFile(args.topicsFile), aSignal]);
  } catch (err) {
    // A file that cannot be read or parsed is a bad --topics value, like an unreadable --tls-ca:
    // a usage error naming the flag, not a "fatal" JSON line with exit 1.
    if (!(err instanceof TopicsFileError)) throw err;
    process.stderr.write(`ns-broker-agent: --topics ${err.message}\n`);
    return 2;
  }
  if (stopping !== null || file === null) {
    printLine({ event: 'unregistered', results: [] });
    return 0;
  }
  let agent: BrokerAgent;
  try {
    agent = new BrokerAgent({
      ...args.options,
      ...(file === undefined ? {} : { topics: file.topics }),
      ...(file?.dataVersion === undefined ? {} : { dataVersion: file.dataVersion }),
      ...(credentials === undefined ? {} : { credentials }),
      ...(tls === undefined ? {} : { tls }),
      logger: log,
    });
  } catch (err) {
    const usage = usageError(err, args.options.namesrvAddr !== undefined);
    if (usage === undefined) throw err;
    process.stderr.write(`ns-broker-agent: ${usage}\n`);
    return 2;
  }
  // The agent's own lines carry these (see BrokerAgent); so do the CLI's, so that a log pipeline
  // routing on `component` keeps the per-round line.
  const agentLog = log.child({
    component: 'broker-agent',
    brokerName: agent.options.brokerName,
    brokerId: agent.options.brokerId,
  });
  agent.on('round', (round) => {
    agentLog.info(
      {
        event: 'round',
        reason: round.reason,
        counter: round.dataVersion.counter,
        topics: round.topicCount,
        chunks: round.chunkCount,
        ms: Math.round(round.durationMs),
        results: summary(round),
      },
      'registration round',
    );
  });

  const stopped = new Promise<void>((resolve) => {
    stopNow = (signal: NodeJS.Signals): void => {
      agentLog.info({ signal }, 'stopping');
      void agent.stop().then((results) => {
        printLine({
          event: 'unregistered',
          results: results.map((r) => ({
            addr: r.addr,
            ok: r.ok,
            ...(r.error === null ? {} : { error: r.error.message }),
          })),
        });
        resolve();
      });
    };
    // A signal while the agent was being made: it has registered nothing, but stop() says so.
    if (stopping !== null) stopNow(stopping);
  });

  const identity = {
    clusterName: agent.options.clusterName,
    brokerName: agent.options.brokerName,
    brokerId: agent.options.brokerId,
    brokerAddr: agent.options.brokerAddr,
  };
  const registeredByNodes = (dataVersion: DataVersion): void => {
    const nodes = agent.nodes();
    printLine({
      event: 'registered',
      ...identity,
      dataVersion,
      topicCount: agent.topics.size,
      ok: nodes.filter((n) => n.healthy).length,
      failed: nodes.filter((n) => !n.healthy).length,
      results: nodes.map(nodeSummary),
    });
  };
  let first: RegistrationRound;
  try {
    first = await agent.start();
  } catch (err) {
    // A signal came while the address list was being resolved: stopping is the answer to it.
    if (!(err instanceof AgentStoppedError)) throw err;
    await stopped;
    return 0;
  }
  const ok = first.results.filter((r) => r.ok).length;
  if (stopping !== null) {
    // A signal came during the first round: `unregistered` is (or will be) the last word; a
    // `registered` after it told a supervisor the broker was registered.
  } else if (ok > 0) {
    printLine({
      event: 'registered',
      ...identity,
      dataVersion: first.dataVersion,
      topicCount: first.topicCount,
      ok,
      failed: first.results.length - ok,
      results: summary(first),
    });
  } else if (agent.nodes().some((n) => n.healthy)) {
    // A node failed in the round but its re-probe got through before the round ended.
    registeredByNodes(first.dataVersion);
  } else {
    // Nobody holds the registration: say so, and say `registered` when a node first accepts it.
    printLine({
      event: 'registration_failed',
      ...identity,
      dataVersion: first.dataVersion,
      topicCount: first.topicCount,
      ...(first.results.length === 0 ? { reason: 'the NameServer address list is empty' } : {}),
      results: summary(first),
    });
    agent.once('registered', (r) => {
      if (stopping === null) registeredByNodes(r.dataVersion);
    });
  }
  await stopped;
  return 0;
}

/** The flag that sets each BrokerAgent option the command line passes (see cli-args.ts). */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  clusterName: '--cluster',
  brokerName: '--broker-name',
  brokerId: '--broker-id',
  brokerAddr: '--broker-addr',
  haServerAddr: '--ha-addr',
  namesrvAddr: '--namesrv-addr',
  addressService: '--addr-service-url',
  url: '--addr-service-url',
  registerNameServerPeriodMs: '--period',
  unsafeRegisterPeriodMs: '--unsafe-period',
  requestTimeoutMs: '--timeout',
  heartbeat: '--heartbeat',
  heartbeatIntervalMs: '--heartbeat-interval',
  heartbeatTimeoutMillis: '--heartbeat-timeout',
  unregisterTimeoutMs: '--unregister-timeout',
  splitRegistrationSize: '--split-size',
  version: '--version',
  extFields: '--ext',
};

/**
 * A value the command line accepted but the agent refused, as a usage error naming the flag (the
 * library's message names its option), or undefined for any other error.
 */
function usageError(err: unknown, namesrvFromFlag: boolean): string | undefined {
  if (err instanceof ExpiryTooShortError) {
    // Both values by the flags that set them (or that their default would).
    return err.describe((option) => FLAG_OF_OPTION[option] ?? option);
  }
  if (err instanceof InvalidOptionError) {
    const flag = FLAG_OF_OPTION[err.option.split('.')[0]!];
    return flag === undefined ? err.message : `${flag}: ${err.message}`;
  }
  if (err instanceof InvalidAddressListError) {
    // From NAMESRV_ADDR the message names the variable already.
    return namesrvFromFlag ? `--namesrv-addr: ${err.message}` : err.message;
  }
  return undefined;
}

function nodeSummary(n: NodeStatus) {
  return {
    addr: n.addr,
    ok: n.healthy,
    ...(n.lastError === null ? {} : { error: n.lastError.message }),
  };
}

main().then(
  (code) => {
    exitAfterDrain(code);
  },
  (err: unknown) => {
    // The JSON-line logger's shape (level 50 = error, ISO time).
    process.stderr.write(
      JSON.stringify({
        level: 50,
        time: new Date().toISOString(),
        msg: 'fatal',
        err: String(err),
      }) + '\n',
    );
    exitAfterDrain(1);
  },
);
