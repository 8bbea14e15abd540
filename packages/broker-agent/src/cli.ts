#!/usr/bin/env node
/**
 * `ns-broker-agent`: runs one BrokerAgent until SIGTERM/SIGINT. stdout carries machine-readable
 * JSON lines only (`registered` after the first round, `unregistered` at exit); stderr carries
 * the JSON log (one line per node result and round). Exit codes: 0 after a signal, 2 for a usage
 * error, 1 for anything else. A dead or stuck stdout/stderr pipe never keeps it from exiting
 * (exitAfterDrain).
 */
import { BrokerAgent } from './broker-agent.js';
import { parseCliArgs, USAGE } from './cli-args.js';
import {
  createJsonLineLogger,
  credentialsFromCli,
  exitAfterDrain,
  ignoreStdioErrors,
  SecurityOptionError,
  tlsFromCli,
} from '@ns/client';
import type { RegistrationRound } from './registration-result.js';
import { readTopicsFile } from './topics-file.js';

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
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let credentials;
  let tls;
  try {
    credentials = credentialsFromCli(args.security, process.env);
    tls = tlsFromCli(args.security);
  } catch (err) {
    if (!(err instanceof SecurityOptionError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const log = createJsonLineLogger((line) => process.stderr.write(line), args.logLevel);
  const file = args.topicsFile === undefined ? undefined : await readTopicsFile(args.topicsFile);
  const agent = new BrokerAgent({
    ...args.options,
    ...(file === undefined ? {} : { topics: file.topics }),
    ...(file?.dataVersion === undefined ? {} : { dataVersion: file.dataVersion }),
    ...(credentials === undefined ? {} : { credentials }),
    ...(tls === undefined ? {} : { tls }),
    logger: log,
  });
  agent.on('round', (round) => {
    log.info(
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
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'stopping');
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
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });

  const first = await agent.start();
  printLine({
    event: 'registered',
    clusterName: agent.options.clusterName,
    brokerName: agent.options.brokerName,
    brokerId: agent.options.brokerId,
    brokerAddr: agent.options.brokerAddr,
    dataVersion: first.dataVersion,
    topicCount: first.topicCount,
    ok: first.results.filter((r) => r.ok).length,
    failed: first.results.filter((r) => !r.ok).length,
    results: summary(first),
  });
  await stopped;
  return 0;
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
