#!/usr/bin/env node
/**
 * ns-addr-service: serves the name server list over HTTP (see address-service.ts). Logs JSON lines
 * to stderr; prints exactly one `{"event":"listening","host":…,"port":…}` line on stdout once
 * listening, so scripts and test harnesses can read the real port when started with --port 0.
 * Exit codes: 0 after SIGTERM/SIGINT, 1 when startup fails, 2 on bad arguments. A dead or stuck
 * stdout/stderr pipe never keeps it from exiting (stdio-exit.ts).
 */
import { AddressService } from './address-service.js';
import type { AddressSource } from './address-source.js';
import { FileAddressSource, addressSourceFromEnv } from './address-source.js';
import { USAGE, parseAddressServiceArgs } from './cli-options.js';
import type { AddressServiceCliOptions } from './cli-options.js';
import { createJsonLineLogger } from '../json-line-logger.js';
import { exitAfterDrain, ignoreStdioErrors } from '../stdio-exit.js';

async function main(): Promise<number> {
  ignoreStdioErrors();
  let options: AddressServiceCliOptions;
  try {
    options = parseAddressServiceArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `ns-addr-service: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`,
    );
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createJsonLineLogger((line) => process.stderr.write(line), options.logLevel).child({
    name: 'ns-addr-service',
  });

  let service: AddressService;
  try {
    const source: AddressSource =
      options.file !== undefined
        ? new FileAddressSource(options.file, { logger: log })
        : addressSourceFromEnv(options.env ?? '');
    service = new AddressService({
      source,
      host: options.host,
      port: options.port,
      subgroup: options.subgroup,
      logger: log,
    });
    const { host, port } = await service.start();
    process.stdout.write(`${JSON.stringify({ event: 'listening', host, port })}\n`);
  } catch (err) {
    log.error({ err }, 'address service failed to start');
    return 1;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info({ signal }, 'shutting down');
  await service.close();
  log.info('stopped');
  return 0;
}

main().then(
  (code) => {
    exitAfterDrain(code);
  },
  (err: unknown) => {
    process.stderr.write(`ns-addr-service: unexpected error: ${String(err)}\n`);
    exitAfterDrain(1);
  },
);
