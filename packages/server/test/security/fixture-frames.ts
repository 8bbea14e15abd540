/** Reads captured frames from the repository's fixtures/ (copied from the shared captures). */
import { readFileSync } from 'node:fs';
import { decodeFrame } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';

export function readFixtureFrame(version: '4.9.7' | '5.3.3', name: string): Buffer {
  const url = new URL(`../../../../fixtures/rocketmq-${version}/${name}.hex`, import.meta.url);
  return Buffer.from(readFileSync(url, 'utf8').trim(), 'hex');
}

/** The decoded command (the frame without its 4-byte length prefix). */
export function readFixtureCommand(version: '4.9.7' | '5.3.3', name: string): RemotingCommand {
  return decodeFrame(readFixtureFrame(version, name).subarray(4));
}

/** Every signed mqadmin request frame captured (stock conf/tools.yml: rocketmq2 / 12345678). */
export const SIGNED_497 = [
  'add-write-perm',
  'delete-kv-config',
  'delete-topic-in-namesrv',
  'get-all-topic-list',
  'get-broker-cluster-info-rocketmq',
  'get-broker-cluster-info',
  'get-kv-config-missing',
  'get-kv-config',
  'get-namesrv-config',
  'get-route-after-wipe',
  'get-route-missing-rocketmq',
  'get-route-missing',
  'get-route-orderconf',
  'get-route-rocketmq',
  'get-route-tbw102-after-add',
  'get-route',
  'put-kv-config-rocketmq',
  'put-kv-config',
  'update-namesrv-config-forbidden',
  'update-namesrv-config',
  'wipe-write-perm-unknown-broker',
  'wipe-write-perm',
].map((n) => `${n}.request`);

export const STOCK_ACCESS_KEY = 'rocketmq2';
export const STOCK_SECRET_KEY = '12345678';
