#!/usr/bin/env node
// Demo client for the multi-node setup: asks the cluster for one topic's route in a loop and
// prints, as one JSON line per attempt, which name server answered and what route it gave.
// Stop a name server container while it runs to watch the client move to another node.
//
// Plain JavaScript on purpose: it runs as is inside the image (node docker/demo/demo-client.mjs)
// and against a local build, with nothing but the built @ns/client.
//
// Environment:
//   NAMESRV_ADDR               'host:port;host:port' list (takes precedence), or
//   NS_ADDRESS_SERVICE_URL     address service URL (http://host:port/rocketmq/nsaddr)
//   DEMO_TOPIC                 topic to look up (default DemoTopic)
//   DEMO_INTERVAL_MS           pause between lookups (default 1000)
//   DEMO_ITERATIONS            stop after this many lookups; 0 = run until SIGTERM (default 0)
//   DEMO_ADDRESS_POLL_MS       how often the address service is re-read (default 10000)
//   NS_CLIENT_MODULE           where @ns/client's entry is (default: the built package next to
//                              this script: ../../packages/client/dist/index.js)

const clientModule =
  process.env.NS_CLIENT_MODULE ??
  new URL('../../packages/client/dist/index.js', import.meta.url).href;
const { NameServerClient, isTopicNotExist } = await import(clientModule);

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`demo-client: ${name} must be a non-negative integer, got '${raw}'\n`);
    process.exit(2);
  }
  return value;
}

const topic = process.env.DEMO_TOPIC || 'DemoTopic';
const intervalMs = positiveInt('DEMO_INTERVAL_MS', 1000);
const iterations = positiveInt('DEMO_ITERATIONS', 0);
const addressServiceUrl = process.env.NS_ADDRESS_SERVICE_URL;
const namesrvAddr = process.env.NAMESRV_ADDR;

if (!namesrvAddr && !addressServiceUrl) {
  process.stderr.write('demo-client: set NAMESRV_ADDR or NS_ADDRESS_SERVICE_URL\n');
  process.exit(2);
}

const client = new NameServerClient(
  namesrvAddr
    ? { namesrvAddr }
    : {
        addressService: {
          url: addressServiceUrl,
          pollIntervalMs: positiveInt('DEMO_ADDRESS_POLL_MS', 10_000) || 10_000,
        },
      },
);

function print(line) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
}

// A compact view of the route: who is master and slave of each broker group, and queue counts.
function summarize(route) {
  return {
    brokers: route.brokerDatas.map((b) => ({
      cluster: b.cluster,
      brokerName: b.brokerName,
      addrs: Object.fromEntries(b.brokerAddrs),
    })),
    queues: route.queueDatas.map((q) => ({
      brokerName: q.brokerName,
      read: q.readQueueNums,
      write: q.writeQueueNums,
      perm: q.perm,
    })),
  };
}

let stopping = false;
const stop = () => {
  stopping = true;
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

await client.start();
print({ event: 'started', topic, addresses: client.addresses });

for (let i = 1; !stopping && (iterations === 0 || i <= iterations); i += 1) {
  const startedAt = Date.now();
  try {
    const route = await client.queryTopicRouteData(topic);
    print({
      event: 'route',
      node: client.chosenAddress ?? null,
      topic,
      ms: Date.now() - startedAt,
      ...summarize(route),
    });
  } catch (err) {
    print({
      event: isTopicNotExist(err) ? 'no-route' : 'error',
      node: client.chosenAddress ?? null,
      topic,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
  }
  if (!stopping && (iterations === 0 || i < iterations)) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

await client.close();
print({ event: 'stopped' });
