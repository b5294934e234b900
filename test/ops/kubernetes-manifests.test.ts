/**
 * deploy/kubernetes/ against CONTRACT.md "Operations" (kubeconform is not installable here): every
 * document parses, and the invariants operators rely on hold, checked against the service's own
 * env schema, Dockerfile and build output rather than against copies of them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { envSchema, parseEnv } from '../../src/env-schema';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'deploy', 'kubernetes');

/** Credentials (CONTRACT.md): only ever from a Secret. */
const CREDENTIALS = ['JWT_SECRET', 'DATABASE_URL', 'DATABASE_DIRECT_URL', 'REDIS_URL', 'FIREBASE_SERVICE_ACCOUNT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'SMTP_URL', 'METRICS_TOKEN', 'LOCAL_STORAGE_SECRET'];

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes documents are checked field by field */
type Doc = Record<string, any>;

interface Manifest {
  file: string;
  doc: Doc;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

const manifests: Manifest[] = yamlFiles(DIR).flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((parsed) => {
    if (parsed.errors.length > 0) throw new Error(`${path.relative(ROOT, file)}: ${parsed.errors.map((e) => e.message).join('; ')}`);
    return { file: path.relative(ROOT, file), doc: parsed.toJS() as Doc };
  }),
).filter(({ doc }) => doc !== null);

function one(kind: string, component?: string): Doc {
  const found = manifests.filter(({ doc }) => doc.kind === kind && (!component || doc.metadata?.labels?.['app.kubernetes.io/component'] === component));
  if (found.length !== 1) throw new Error(`expected one ${kind}${component ? ` (${component})` : ''}, found ${found.length}`);
  return found[0].doc;
}

const api = () => one('Deployment', 'api');
const worker = () => one('Deployment', 'worker');
const migrate = () => one('Job', 'migrate');
const configMap = () => one('ConfigMap');
const podSpecs = (): [string, Doc][] => [['api', api().spec.template.spec], ['worker', worker().spec.template.spec], ['migrate', migrate().spec.template.spec]];
const containers = (): [string, Doc][] => podSpecs().flatMap(([name, spec]) => (spec.containers as Doc[]).map((c): [string, Doc] => [`${name}/${c.name}`, c]));

/** The container's command line as it runs: its command/args, or else the image's CMD. */
function commandLine(container: Doc): string {
  if (container.command) throw new Error(`${container.name} overrides the entrypoint (tini must stay PID 1): use args`);
  return container.args ? (container.args as string[]).join(' ') : dockerCmd();
}

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
function dockerCmd(): string {
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  return (JSON.parse(cmd![1]) as string[]).join(' ');
}

/** The value of an env var in a container: literal, or where it comes from. */
function envSource(container: Doc, name: string): { value?: string; secretKeyRef?: Doc; configMapKeyRef?: Doc } | undefined {
  const entry = (container.env as Doc[] | undefined)?.find((e) => e.name === name);
  if (!entry) return undefined;
  return entry.valueFrom ? { secretKeyRef: entry.valueFrom.secretKeyRef, configMapKeyRef: entry.valueFrom.configMapKeyRef } : { value: entry.value };
}

function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

test('every file parses, every document has a kind, a name and a version, and each kind the contract lists is there', () => {
  expect(manifests.length).toBeGreaterThan(0);
  for (const { file, doc } of manifests) {
    expect({ file, apiVersion: typeof doc.apiVersion, kind: typeof doc.kind, named: Boolean(doc.metadata?.name ?? doc.metadata?.generateName) }).toEqual({
      file,
      apiVersion: 'string',
      kind: 'string',
      named: true,
    });
  }
  expect(manifests.map(({ doc }) => doc.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'PodDisruptionBudget', 'Secret', 'Service'].sort());
});

test('the API Deployment: readiness /readyz and liveness /healthz on the container port, resources', () => {
  const [container] = api().spec.template.spec.containers as Doc[];
  const portNames = new Map((container.ports as Doc[]).map((p) => [p.name, p.containerPort]));
  const portOf = (port: string | number) => (typeof port === 'number' ? port : portNames.get(port));
  const serverPort = Number(configMap().data.PORT ?? parseEnv({}).PORT);
  expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  expect(portOf(container.readinessProbe.httpGet.port)).toBe(serverPort);
  expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  expect(portOf(container.livenessProbe.httpGet.port)).toBe(serverPort);
  expect(commandLine(container)).toBe('node dist/src/main.js');
  for (const [name, c] of containers()) {
    expect({ name, cpu: Boolean(c.resources?.requests?.cpu), memory: Boolean(c.resources?.requests?.memory), memoryLimit: Boolean(c.resources?.limits?.memory) }).toEqual({
      name,
      cpu: true,
      memory: true,
      memoryLimit: true,
    });
  }
});

test("the API's grace period covers its preStop sleep plus the documented drain time (SHUTDOWN_DRAIN_MS)", () => {
  const spec = api().spec.template.spec;
  const preStop = spec.containers[0].lifecycle?.preStop;
  const sleepSeconds = preStop?.sleep?.seconds ?? (preStop?.exec?.command?.[0] === 'sleep' ? Number(preStop.exec.command[1]) : 0);
  expect(sleepSeconds).toBeGreaterThan(0);
  const drainMs = Number(configMap().data.SHUTDOWN_DRAIN_MS ?? parseEnv({}).SHUTDOWN_DRAIN_MS);
  expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(sleepSeconds + drainMs / 1000);
  // The worker drains running jobs for JOBS_DRAIN_TIMEOUT_MS before it exits.
  const jobsDrainMs = Number(configMap().data.JOBS_DRAIN_TIMEOUT_MS ?? parseEnv({}).JOBS_DRAIN_TIMEOUT_MS);
  expect(worker().spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(jobsDrainMs / 1000);
});

test('every pod runs as the numeric non-root user the Dockerfile sets', () => {
  const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  expect(users.length).toBeGreaterThan(0);
  const user = users[users.length - 1];
  expect(user).toMatch(/^\d+(:\d+)?$/);
  const uid = Number(user.split(':')[0]);
  expect(uid).toBeGreaterThan(0);
  for (const [name, spec] of podSpecs()) {
    for (const container of spec.containers as Doc[]) {
      const context = { ...spec.securityContext, ...container.securityContext };
      expect({ name, runAsNonRoot: context.runAsNonRoot, runAsUser: context.runAsUser }).toEqual({ name, runAsNonRoot: true, runAsUser: uid });
    }
  }
});

test('the worker runs dist/src/worker.js; the API has its in-process jobs off; the migration Job runs migrate up on DATABASE_DIRECT_URL', () => {
  const [workerContainer] = worker().spec.template.spec.containers as Doc[];
  expect(commandLine(workerContainer)).toBe('node dist/src/worker.js');
  const [apiContainer] = api().spec.template.spec.containers as Doc[];
  expect(envSource(apiContainer, 'JOBS_IN_PROCESS')).toEqual({ value: 'false' });
  expect(envSchema.shape).toHaveProperty('JOBS_IN_PROCESS');
  expect(configMap().data.JOBS_IN_PROCESS).toBeUndefined();

  const [migrateContainer] = migrate().spec.template.spec.containers as Doc[];
  expect(commandLine(migrateContainer)).toBe('node dist/scripts/migrate.js up');
  expect(envSource(migrateContainer, 'DATABASE_DIRECT_URL')?.secretKeyRef).toMatchObject({ key: 'DATABASE_DIRECT_URL' });
  expect(migrate().spec.template.spec.restartPolicy).toBe('Never');
});

test('the scripts the pods run are what tsconfig.build.json emits', () => {
  const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { extends: string; include: string[]; compilerOptions?: Doc };
  const base = JSON.parse(readFileSync(path.join(ROOT, build.extends), 'utf8')) as { compilerOptions: Doc };
  const { outDir, rootDir } = { ...base.compilerOptions, ...build.compilerOptions };
  expect({ outDir, rootDir }).toEqual({ outDir: 'dist', rootDir: '.' });
  for (const [name, container] of containers()) {
    const script = commandLine(container).split(' ')[1];
    // dist/<path>.js comes from <rootDir>/<path>.ts, inside the build's include.
    const source = path.relative(outDir, script).replace(/\.js$/, '.ts');
    expect({ name, source, exists: existsSync(path.join(ROOT, rootDir, source)), included: build.include.includes(source.split('/')[0]) }).toEqual({
      name,
      source,
      exists: true,
      included: true,
    });
  }
});

test('the Service selects the API pods only; the HPA scales the API on CPU; the PDB allows one eviction at the minimum', () => {
  const service = one('Service');
  const labelsOf = (doc: Doc) => doc.spec.template.metadata.labels as Record<string, string>;
  expect(matches(service.spec.selector, labelsOf(api()))).toBe(true);
  expect(matches(service.spec.selector, labelsOf(worker()))).toBe(false);
  expect(matches(service.spec.selector, labelsOf(migrate()))).toBe(false);
  const apiPorts = (api().spec.template.spec.containers[0].ports as Doc[]).map((p) => p.name);
  for (const port of service.spec.ports as Doc[]) expect(apiPorts).toContain(port.targetPort);

  const hpa = one('HorizontalPodAutoscaler');
  expect(hpa.apiVersion).toBe('autoscaling/v2');
  expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: api().metadata.name });
  expect(hpa.spec.metrics).toEqual([expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) })]);
  // The HPA owns the replica count.
  expect(api().spec.replicas).toBeUndefined();

  const pdb = one('PodDisruptionBudget');
  expect(matches(pdb.spec.selector.matchLabels, labelsOf(api()))).toBe(true);
  expect(matches(pdb.spec.selector.matchLabels, labelsOf(worker()))).toBe(false);
  const min: number = hpa.spec.minReplicas;
  const allowed = pdb.spec.minAvailable !== undefined ? min - Number(pdb.spec.minAvailable) : Number(pdb.spec.maxUnavailable);
  expect(Number.isInteger(allowed)).toBe(true);
  expect(allowed).toBeGreaterThanOrEqual(1);
  expect(allowed).toBeLessThan(min);
});

test('configuration comes from the ConfigMap, whose every name the env schema knows; credentials only from the Secret', () => {
  const known = new Set(Object.keys(envSchema.shape));
  const data = configMap().data as Record<string, string>;
  expect(Object.keys(data).filter((name) => !known.has(name))).toEqual([]);
  expect(Object.keys(data).filter((name) => CREDENTIALS.includes(name))).toEqual([]);
  // No password hides in a URL of the ConfigMap.
  expect(Object.entries(data).filter(([, value]) => /:\/\/[^/@\s]*:[^/@\s]*@/.test(value))).toEqual([]);
  // The configmap's values are valid settings for the service.
  expect(() => parseEnv({ ...data, JWT_SECRET: 'x'.repeat(48) })).not.toThrow();

  for (const [name, container] of containers()) {
    expect({ name, configMap: (container.envFrom as Doc[] | undefined)?.some((e) => e.configMapRef?.name === configMap().metadata.name) }).toEqual({ name, configMap: true });
    for (const credential of CREDENTIALS) {
      const source = envSource(container, credential);
      if (source) expect({ name, credential, literal: source.value, fromSecret: Boolean(source.secretKeyRef) }).toEqual({ name, credential, literal: undefined, fromSecret: true });
    }
    for (const entry of (container.env as Doc[] | undefined) ?? []) {
      if (entry.value !== undefined) expect({ name, variable: entry.name, credential: CREDENTIALS.includes(entry.name) }).toEqual({ name, variable: entry.name, credential: false });
    }
  }
});

test('the committed Secret holds placeholders only, and every key a pod reads from it', () => {
  const secret = one('Secret');
  const values = { ...(secret.stringData ?? {}), ...Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])) } as Record<string, string>;
  expect(Object.keys(values).length).toBeGreaterThan(0);
  expect(Object.entries(values).filter(([, value]) => !value.includes('REPLACE_ME'))).toEqual([]);
  for (const [name, container] of containers()) {
    for (const entry of (container.env as Doc[] | undefined) ?? []) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (!ref) continue;
      expect({ name, secret: ref.name, key: ref.key, present: ref.key in values }).toEqual({ name, secret: secret.metadata.name, key: ref.key, present: true });
    }
  }
  // Kept out of `kubectl apply -f deploy/kubernetes/`, which would overwrite the real Secret.
  const secretFile = manifests.find(({ doc }) => doc.kind === 'Secret')!.file;
  expect(path.dirname(secretFile)).not.toBe(path.relative(ROOT, DIR));
});
