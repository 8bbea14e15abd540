import { it } from 'vitest';
import { bodylessRegistration, ownerWithReplica, timeCalls } from './hostile-helpers.js';
it('measure', { timeout: 300_000 }, async () => {
  for (let rep = 0; rep < 3; rep++) {
    const { owner } = await ownerWithReplica();
    for (let i = 0; i < 40000; i++) owner.routes.registerBroker(bodylessRegistration('close', i, 1));
    await owner.idle();
    const slices = timeCalls(owner.routes, 'onConnectionClosed');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await owner.connectionClosed(1);
    const c1 = process.cpuUsage(c0);
    console.log('total', (performance.now() - t0).toFixed(0), 'cpu', ((c1.user + c1.system) / 1000).toFixed(0), 'slices', slices.ms.map((x) => x.toFixed(0)).join(' '));
  }
});
