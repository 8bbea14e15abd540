import { afterEach, describe, expect, it } from 'vitest';
import { ResponseCode } from '@ns/protocol';
import { runCli } from './helpers/cli-io.js';
import type { ScriptedServer, ScriptHandler } from './helpers/scripted-server.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function node(handler: ScriptHandler): Promise<ScriptedServer> {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function oneLine(text: string): void {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd().split('\n')).toHaveLength(1);
}

describe('nsadmin usage and failures', () => {
  it('prints the command list for --help (exit 0) and without arguments (exit 2)', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const verb of [
      'clusterList',
      'topicList',
      'topicRoute',
      'topicClusterList',
      'updateKvConfig',
      'deleteKvConfig',
      'getKvConfig',
      'getKvList',
      'getNamesrvConfig',
      'updateNamesrvConfig',
      'wipeWritePerm',
      'addWritePerm',
      'deleteTopic',
    ]) {
      expect(help.stdout).toContain(verb);
    }
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: nsadmin');
  });

  it("help <command> prints that command's options, as mqadmin", async () => {
    const help = await runCli(['help', 'topicRoute']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('topicRoute');
    expect(help.stdout).toContain('-t');
    expect(help.stdout).not.toContain('wipeWritePerm');
  });

  it('takes -h before or after the command, and refuses other options before it', async () => {
    const before = await runCli(['-h', 'getKvConfig']);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('usage: nsadmin getKvConfig');
    expect(before.stdout).toContain('-s, --namespace');
    expect(before.stdout).toContain('-k, --key');
    const list = await runCli(['-n', '127.0.0.1:1', '--help']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('usage: nsadmin <command>');

    const verbOption = await runCli(['-t', 'T', 'topicRoute']);
    expect(verbOption.code).toBe(2);
    oneLine(verbOption.stderr);
    expect(verbOption.stderr).toContain(
      "'-t' before the command: only -n, --json, --timeout and -h",
    );
    const noValue = await runCli(['-n']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toBe("nsadmin: option '-n' needs a value\n");
    const noCommand = await runCli(['-n', '127.0.0.1:1']);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain('usage: nsadmin');
  });

  it('says deleteTopic is name server side only in its help', async () => {
    const r = await runCli(['deleteTopic', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name server side only');
    expect(r.stdout).toContain('-t, --topic');
    expect(r.stdout).toContain('-c, --clusterName');
  });

  it('rejects unknown commands, unknown options and missing required options with exit 2', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    oneLine(unknown.stderr);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");

    const badOption = await runCli(['clusterList', '-n', '127.0.0.1:1', '--bogus']);
    expect(badOption.code).toBe(2);
    oneLine(badOption.stderr);
    expect(badOption.stderr).toContain('nsadmin: clusterList:');

    const missing = await runCli(['updateKvConfig', '-n', '127.0.0.1:1', '-s', 'NS', '-k', 'k']);
    expect(missing.code).toBe(2);
    oneLine(missing.stderr);
    expect(missing.stderr).toContain('missing required option -v');
    expect(missing.stdout).toBe('');

    const emptyTopic = await runCli(['watchTopicRoute', '-n', '127.0.0.1:1', '-t', '']);
    expect(emptyTopic.code).toBe(2);
    oneLine(emptyTopic.stderr);
    expect(emptyTopic.stderr).toContain('-t: expected a non-empty value');
  });

  it('needs -n or NAMESRV_ADDR, and validates the list', async () => {
    const none = await runCli(['clusterList'], {});
    expect(none.code).toBe(2);
    oneLine(none.stderr);
    expect(none.stderr).toContain('NAMESRV_ADDR');

    const comma = await runCli(['clusterList', '-n', '127.0.0.1:1,127.0.0.1:2']);
    expect(comma.code).toBe(2);
    oneLine(comma.stderr);
    expect(comma.stderr).toContain("use ';'");
    // The message names where the bad list came from.
    expect(comma.stderr).toContain('-n (--namesrvAddr): ');

    const fromEnv = await runCli(['clusterList'], { NAMESRV_ADDR: 'a b:9876' });
    expect(fromEnv.code).toBe(2);
    oneLine(fromEnv.stderr);
    expect(fromEnv.stderr).toContain('environment variable NAMESRV_ADDR: ');
    // Named once.
    expect(fromEnv.stderr.split('NAMESRV_ADDR')).toHaveLength(2);
    expect(fromEnv.stderr).toContain('whitespace');
  });

  it('fails with exit 1 and one line when the node is unreachable', async () => {
    const s = await node(() => undefined);
    const addr = s.addr;
    await s.close();
    const r = await runCli(['clusterList'], { NAMESRV_ADDR: addr });
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    // Why, not only where: the socket error comes with the address.
    expect(r.stderr).toContain(`nsadmin: clusterList: cannot connect to ${addr}: `);
    expect(r.stderr).toContain('ECONNREFUSED');
  });

  it('fails with exit 1 and the remark on one line for an error response', async () => {
    const s = await node((req, ctx) => {
      ctx.reply(req, {
        code: ResponseCode.TOPIC_NOT_EXIST,
        remark:
          'No topic route info in name server for the topic: Nope\nSee http://x/ for details.',
      });
    });
    const r = await runCli(['topicRoute', '-n', s.addr, '-t', 'Nope']);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toContain('No topic route info in name server for the topic: Nope');
    expect(r.stdout).toBe('');
  });

  it('prints per-node results of a fan-out and exits 1 when one node failed', async () => {
    const ok = await node((req, ctx) => {
      ctx.reply(req);
    });
    const dead = await node(() => undefined);
    const deadAddr = dead.addr;
    await dead.close();
    const r = await runCli([
      'updateKvConfig',
      '-n',
      `${ok.addr};${deadAddr}`,
      '-s',
      'NS',
      '-k',
      'k',
      '-v',
      'v',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`create or update kv config to namespace success. [${ok.addr}]`);
    expect(r.stdout).toContain(`updateKvConfig FAILED on ${deadAddr}`);
    oneLine(r.stderr);
    expect(r.stderr).toContain('failed on 1 of 2');

    const json = await runCli([
      'updateKvConfig',
      '--json',
      '-n',
      `${ok.addr};${deadAddr}`,
      '-s',
      'NS',
      '-k',
      'k',
      '-v',
      'v',
    ]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { addr: string; ok: boolean; error?: string }[];
    expect(parsed.map((p) => [p.addr, p.ok])).toEqual([
      [ok.addr, true],
      [deadAddr, false],
    ]);
    expect(typeof parsed[1]!.error).toBe('string');
  });
});
