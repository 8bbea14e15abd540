/**
 * The client side of the failover test, in its own process: an @ns/client NameServerClient
 * looks up one route back-to-back (queryTopicRouteData, no cache) (bounded in count and time) and records, per call, when it
 * ended and which node answered (each node hosts a different marker broker in that route) or
 * that it failed.
 *
 * argv[2] = JSON { addrs: string[], topic: string, maxMs: number }.
 * Sends {type:'steady', node} once 20 calls in a row succeeded on one node, then
 * {type:'timeline', calls} when told {type:'stop'} or when maxMs elapsed.
 */
import { NameServerClient } from '../../packages/client/dist/index.js';

export interface FailoverCall {
  /** Wall-clock ms (performance.timeOrigin + now), comparable across processes. */
  endAt: number;
  /** Index of the node that answered, -1 for a failed call. */
  node: number;
  error?: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  addrs: string[];
  topic: string;
  maxMs: number;
};
const now = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  // Defaults otherwise (3 s call timeout, Java's): the figure is what an application would see.
  const client = new NameServerClient({ namesrvAddr: cfg.addrs, env: {} });
  const calls: FailoverCall[] = [];
  let stop = false;
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') stop = true;
  });
  const deadline = performance.now() + cfg.maxMs;
  let streakNode = -2;
  let streak = 0;
  let steadySent = false;
  for (let i = 0; !stop && i < 1_000_000 && performance.now() < deadline; i++) {
    let node = -1;
    let error: string | undefined;
    try {
      // Bypasses the client's route cache: every call goes to a node.
      // Bounded here too: a call that never settles is a failure to report, not a hang.
      let timer: NodeJS.Timeout | undefined;
      const route = await Promise.race([
        client.queryTopicRouteData(cfg.topic),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('call did not settle within 5000 ms')), 5000);
        }),
      ]).finally(() => clearTimeout(timer));
      const marker = route.brokerDatas.find((b) => b.brokerName.startsWith('fo-marker-'));
      node = marker === undefined ? -1 : Number(marker.brokerName.slice('fo-marker-'.length));
      if (marker === undefined) error = 'route without a marker broker';
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    calls.push(error === undefined ? { endAt: now(), node } : { endAt: now(), node, error });
    if (node >= 0 && node === streakNode) streak++;
    else {
      streakNode = node;
      streak = 1;
    }
    if (!steadySent && streak >= 20) {
      steadySent = true;
      process.send?.({ type: 'steady', node });
    }
    // Yield to the event loop between calls so 'stop' and socket events are seen promptly.
    await new Promise((r) => setImmediate(r));
  }
  // Report first: closing may wait on connections to the killed node, and the timeline is
  // what matters. The close is bounded so the process ends whatever happens.
  await new Promise<void>((resolve) =>
    process.send?.({ type: 'timeline', calls }, undefined, {}, () => resolve()),
  );
  await Promise.race([client.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.send?.({
    type: 'fatal',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  process.disconnect?.();
});
