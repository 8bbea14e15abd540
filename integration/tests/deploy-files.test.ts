/**
 * deploy/, checked offline (no cluster): every Kubernetes manifest validates against the
 * Kubernetes API schemas (kubernetes-models: the OpenAPI schemas compiled to validators, plus its
 * TypeScript types for unknown-field checking, which the schemas alone allow), the objects fit
 * together (selectors, service names, probes, node lists), the real ns-server accepts the
 * configuration the StatefulSet gives it, and every metric the Grafana dashboard and the alert
 * rules query exists, with the labels they group by, in a real node's /metrics.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { runToCompletion } from '../harness/managed-process.js';
import { startNameServer } from '../harness/name-server.js';
import { runNsadmin } from '../harness/nsadmin.js';
import { REPO_ROOT, requireBuilt } from '../harness/paths.js';
import { createProbe, getRoute } from '../harness/probe.js';
import { metricCatalog, promqlUse } from '../harness/promql.js';
import { RawBroker } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';

const K8S_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');
const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'nameserver-dashboard.json');
const ALERTS = join(REPO_ROOT, 'deploy', 'prometheus', 'nameserver-alerts.yaml');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

interface Manifest {
  readonly file: string;
  readonly object: K8sObject;
}

async function loadManifests(): Promise<Manifest[]> {
  const files = (await readdir(K8S_DIR)).filter(
    (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
  );
  const out: Manifest[] = [];
  for (const file of files.sort()) {
    for (const doc of parseAllDocuments(await readFile(join(K8S_DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const object = doc.toJS() as K8sObject | null;
      if (object !== null) out.push({ file, object });
    }
  }
  return out;
}

/** kubernetes-models module of an apiVersion/kind: v1 → v1/Kind, apps/v1 → apps/v1/Kind. */
function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function find(manifests: readonly Manifest[], kind: string, name: string): K8sObject {
  const m = manifests.find((x) => x.object.kind === kind && x.object.metadata.name === name);
  if (m === undefined) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return m.object;
}

function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * Type-checks the manifests as object literals of kubernetes-models' interfaces: excess-property
 * checking rejects a field the API does not have (a misspelt `readinesProbe` is accepted by the
 * schemas, which allow unknown fields, and silently ignored by a cluster). Returns one message
 * per error, naming the file and the object.
 */
async function unknownFieldErrors(manifests: readonly Manifest[]): Promise<string[]> {
  const dir = join(REPO_ROOT, 'integration', '.tmp');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `manifests-${process.pid}-${Date.now()}.ts`);
  const lines: string[] = [];
  manifests.forEach(({ object }, i) => {
    const iface = `I${object.kind}`;
    lines.push(
      `import type { ${iface} as T${i} } from '${modelPath(object.apiVersion, object.kind)}';`,
    );
  });
  manifests.forEach(({ object }, i) => {
    lines.push(`export const m${i}: T${i} = ${JSON.stringify(object, null, 2)};`);
  });
  await writeFile(file, lines.join('\n') + '\n');
  try {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    const source = program.getSourceFile(file)!;
    return ts.getPreEmitDiagnostics(program, source).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const pos = d.start === undefined ? 0 : d.start;
      // Which manifest: the last `export const mN` before the error.
      const before = source.text.slice(0, pos);
      const n = Number(/export const m(\d+):[^]*$/.exec(before)?.[1] ?? -1);
      const m = manifests[n];
      const where =
        m === undefined ? 'imports' : `${m.file} ${m.object.kind}/${m.object.metadata.name}`;
      return `${where}: ${text.replace(/\n\s*/g, ' ')}`;
    });
  } finally {
    await rm(file, { force: true });
  }
}

describe('deploy/kubernetes', () => {
  it('every object validates against the Kubernetes API schemas, with no unknown field', async () => {
    const manifests = await loadManifests();
    expect(manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort()).toEqual([
      'ConfigMap/broker-demo-topics',
      'ConfigMap/nameserver-config',
      'ConfigMap/ns-addr-list',
      'Deployment/broker-agent-demo',
      'Deployment/ns-addr-service',
      'PodDisruptionBudget/nameserver',
      'Service/nameserver',
      'Service/nameserver-headless',
      'Service/ns-addr-service',
      'StatefulSet/nameserver',
    ]);
    for (const { file, object } of manifests) {
      const mod = (await import(modelPath(object.apiVersion, object.kind))) as Record<
        string,
        new (data: unknown) => { validate(): void }
      >;
      const Model = mod[object.kind]!;
      expect(() => new Model(object).validate(), `${file} ${object.kind}`).not.toThrow();
    }
    expect(await unknownFieldErrors(manifests)).toEqual([]);
  }, 120_000);

  it('the checks can fail: a wrong type and a misspelt field are both caught', async () => {
    const manifests = await loadManifests();
    const sts = structuredClone(find(manifests, 'StatefulSet', 'nameserver'));
    sts.spec.replicas = 'three';
    const { StatefulSet } = await import('kubernetes-models/apps/v1/StatefulSet');
    expect(() => new StatefulSet(sts as never).validate()).toThrow(/replicas must be integer/);
    const typo = structuredClone(find(manifests, 'StatefulSet', 'nameserver'));
    const c = typo.spec.template.spec.containers[0];
    c.readinesProbe = c.readinessProbe;
    delete c.readinessProbe;
    const errors = await unknownFieldErrors([{ file: 'typo.yaml', object: typo }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('typo.yaml StatefulSet/nameserver');
    expect(errors[0], errors[0]).toContain('readinesProbe"\' does not exist');
  }, 120_000);

  it('kustomization.yaml lists exactly the manifest files', async () => {
    const k = parseYaml(await readFile(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as {
      kind: string;
      resources: string[];
      images: { name: string }[];
    };
    expect(k.kind).toBe('Kustomization');
    const files = (await readdir(K8S_DIR)).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...k.resources].sort()).toEqual(files.sort());
    expect(k.images.map((i) => i.name)).toEqual(['nameserver-ts']);
  });

  it('the objects fit together: services, selectors, probes, PDB, scrape annotations, node lists', async () => {
    const manifests = await loadManifests();
    const sts = find(manifests, 'StatefulSet', 'nameserver');
    const podLabels = sts.spec.template.metadata.labels as Record<string, string>;
    const headless = find(manifests, 'Service', 'nameserver-headless');
    expect(sts.spec.serviceName).toBe('nameserver-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    for (const name of ['nameserver-headless', 'nameserver']) {
      expect(matches(find(manifests, 'Service', name).spec.selector, podLabels)).toBe(true);
    }
    expect(matches(sts.spec.selector.matchLabels, podLabels)).toBe(true);
    const pdb = find(manifests, 'PodDisruptionBudget', 'nameserver');
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);

    const container = sts.spec.template.spec.containers[0];
    const ports = Object.fromEntries(
      container.ports.map((p: { name: string; containerPort: number }) => [
        p.name,
        p.containerPort,
      ]),
    );
    const props = find(manifests, 'ConfigMap', 'nameserver-config').data!['namesrv.properties']!;
    expect(ports.remoting).toBe(Number(/^listenPort=(\d+)$/m.exec(props)?.[1]));
    expect(ports.http).toBe(Number(/^httpPort=(\d+)$/m.exec(props)?.[1]));
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // A restarted node is empty until its brokers re-register (every 30 s). The disruption
    // budget counts a pod healthy once it is Ready (minReadySeconds aside): only a later first
    // Ready keeps a drain from evicting the next node while this one is still empty.
    expect(container.readinessProbe.initialDelaySeconds).toBeGreaterThan(30);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.resources.requests.memory).toBe('384Mi');
    expect(container.resources.limits.memory).toBe('1Gi');
    expect(sts.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(ports.http),
      'prometheus.io/path': '/metrics',
    });

    // One stable DNS name per replica, the same list everywhere it is written down.
    const expected = Array.from(
      { length: sts.spec.replicas as number },
      (_, i) => `nameserver-${i}.nameserver-headless:${ports.remoting}`,
    ).join(';');
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env.NAMESRV_CONSISTENCY_NODES).toBe(expected);
    expect(find(manifests, 'ConfigMap', 'ns-addr-list').data!['nsaddr.txt']!.trim()).toBe(expected);

    const addr = find(manifests, 'Deployment', 'ns-addr-service');
    const addrSvc = find(manifests, 'Service', 'ns-addr-service');
    expect(matches(addrSvc.spec.selector, addr.spec.template.metadata.labels)).toBe(true);
    const agent = find(manifests, 'Deployment', 'broker-agent-demo').spec.template.spec
      .containers[0];
    expect(agent.args).toContain(
      `http://ns-addr-service:${addrSvc.spec.ports[0].port}/rocketmq/nsaddr`,
    );
  });

  it('ns-server accepts the configuration the StatefulSet gives it', async () => {
    const scope = useScope();
    const manifests = await loadManifests();
    const sts = find(manifests, 'StatefulSet', 'nameserver');
    const container = sts.spec.template.spec.containers[0];
    const dir = await scope.tempDir('k8s-config');
    const file = join(dir, 'namesrv.properties');
    await writeFile(
      file,
      find(manifests, 'ConfigMap', 'nameserver-config').data!['namesrv.properties']!,
    );
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const printed = await runToCompletion(
      {
        name: 'ns-server -p',
        entry: requireBuilt('server'),
        args: ['-c', file, ...container.args, '-p'],
        env,
        timeoutMs: 20_000,
      },
      (p) => {
        scope.adopt(p);
      },
    );
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('configStorePath=/var/lib/nameserver/namesrv.properties');
    expect(printed.stdout).toContain('kvConfigPath=/var/lib/nameserver/kvConfig.json');
    expect(printed.stdout).toContain(`consistencyNodes=${env.NAMESRV_CONSISTENCY_NODES}`);
  });
});

describe('deploy/grafana and deploy/prometheus', () => {
  it('every metric and grouping label they query exists in a real node /metrics', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    // Make every labelled series appear: a registration, lookups, a KV write, an expiry by
    // connection close, and a frame error.
    const broker = new RawBroker(scope, {
      clusterName: 'C',
      brokerName: 'b',
      brokerId: 0,
      brokerAddr: '127.0.0.1:47011',
      haServerAddr: '127.0.0.1:47012',
      topics: ['T'],
    });
    await broker.registerTo(node.addr);
    const probe = createProbe(scope);
    await getRoute(probe, node.addr, 'T');
    await getRoute(probe, node.addr, 'NoSuchTopic');
    expect(
      (
        await runNsadmin(scope, [
          'updateKvConfig',
          '-n',
          node.addr,
          '-s',
          'NS',
          '-k',
          'k',
          '-v',
          'v',
        ])
      ).code,
    ).toBe(0);
    await broker.client.close();
    await new Promise<void>((resolve, reject) => {
      const s = connect(node.port, '127.0.0.1', () => {
        // A frame length far beyond maxFrameLength: the node closes with a frame error.
        s.end(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const url = `http://127.0.0.1:${node.httpPort}/metrics`;
    let catalog = metricCatalog(await (await fetch(url)).text());
    for (
      let i = 0;
      i < 50 && !(catalog.get('namesrv_frame_errors_total')?.has('code') ?? false);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      catalog = metricCatalog(await (await fetch(url)).text());
    }

    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
      uid: string;
      title: string;
      schemaVersion: number;
      templating: { list: { name: string }[] };
      panels: {
        id: number;
        type: string;
        title: string;
        gridPos: { x: number; y: number; w: number; h: number };
        datasource?: { uid: string };
        targets?: { refId: string; expr: string }[];
      }[];
    };
    expect(dashboard.uid).toBe('nameserver-ts');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs: { where: string; expr: string }[] = [];
    for (const p of dashboard.panels) {
      expect(
        p.gridPos.x + p.gridPos.w,
        `panel ${p.title} is wider than the grid`,
      ).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      for (const t of p.targets!)
        exprs.push({ where: `dashboard panel "${p.title}" ${t.refId}`, expr: t.expr });
    }
    const rules = parseYaml(await readFile(ALERTS, 'utf8')) as {
      groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[];
    };
    for (const g of rules.groups) {
      for (const r of g.rules) exprs.push({ where: `alert ${r.alert}`, expr: r.expr });
    }

    // Labels Prometheus adds at scrape time (namespace: the kubernetes-pods job's relabelling),
    // metrics it makes itself.
    const scrapeLabels = new Set(['instance', 'job', 'le', 'namespace']);
    const prometheusMetrics = new Set(['up']);
    const used = new Set<string>();
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      const use = promqlUse(expr);
      if (use.metrics.length === 0) problems.push(`${where}: selects no metric: ${expr}`);
      for (const metric of use.metrics) {
        used.add(metric);
        if (prometheusMetrics.has(metric)) continue;
        const labels = catalog.get(metric);
        if (labels === undefined) {
          problems.push(`${where}: ${metric} is not in the node's /metrics`);
          continue;
        }
        for (const l of use.groupingLabels) {
          if (!scrapeLabels.has(l) && !labels.has(l)) {
            problems.push(`${where}: ${metric} has no label ${l}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // Not vacuous: the dashboard covers the node's own metrics.
    for (const m of [
      'namesrv_route_digest',
      'namesrv_requests_total',
      'namesrv_request_duration_seconds_bucket',
      'namesrv_brokers',
      'namesrv_topics',
      'namesrv_broker_expiries_total',
      'process_resident_memory_bytes',
    ]) {
      expect(used, m).toContain(m);
    }
  });
});
