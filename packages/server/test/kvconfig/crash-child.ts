/**
 * Child process of kv-config-store-crash.test.ts, run with `node --import tsx`: loads the KV file
 * through the real store (so a corrupt file makes it exit non-zero), then PUTs keys forever and
 * prints each key on stdout once `putKVConfig` (and so the durable write) has returned. The parent
 * SIGKILLs it at random moments.
 */
import { KVConfigManager } from '../../src/kvconfig/kv-config-manager.js';
import { KVConfigFileStore } from '../../src/kvconfig/kv-config-store.js';

const [path, startArg] = process.argv.slice(2);
if (path === undefined || startArg === undefined) {
  process.stderr.write('usage: crash-child <kv-file> <first-index>\n');
  process.exit(2);
}
const store = new KVConfigFileStore(path);
const manager = new KVConfigManager({ initial: store.load(), persist: (t) => store.persist(t) });
process.stdout.write('ready\n');
for (let i = Number(startArg); ; i++) {
  const key = `key-${i}`;
  manager.putKVConfig('crash', key, `value-${i}`);
  // Pipes are synchronous on Linux: once this returns the parent can read the ack.
  process.stdout.write(`${key}\n`);
}
