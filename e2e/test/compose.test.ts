// docker-compose.yml and the Dockerfile checked against the apps' real configuration without a
// Docker engine: every bin, flag, environment variable, port and path the compose file uses must be
// one our programs accept; then the compose chain itself runs as plain processes — the compose
// commands, environment and inline vault config with the container paths mapped to temp dirs and
// the service names to loopback — and serves an auto-encrypted S3 object. The `ha` profile (three
// etcd members, three Vault nodes on them, their init, kes-ha and minio-ha) is checked the same way
// and run the same way: the etcd commands on our etcd, the inline Vault configs on our vault.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { etcdBinary, httpsJson } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  binDir,
  freePort,
  killAll,
  type Proc,
  repoRoot,
  s3Client,
  sh,
  shOk,
  startProc,
  tempDir,
} from './chain-support.js';

interface Service {
  profiles?: string[];
  build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml: no service ${name}`);
  return s;
};
const apps = ['vault', 'kes', 'minio'] as const;
/** The services `docker compose up` starts: those without a profile. */
const defaultServices = Object.entries(compose.services).filter(([, s]) => !s.profiles);
const haNames = [
  'etcd-1',
  'etcd-2',
  'etcd-3',
  'vault-1',
  'vault-2',
  'vault-3',
  'init-vault-ha',
  'kes-ha',
  'minio-ha',
];
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's build argument as written there
const appArg = '${APP}';
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
/** The lines of the Dockerfile stage named `name`, from its FROM to the next FROM. */
const dockerStage = (name: string): string => {
  const stage = dockerfile.split(/^(?=FROM )/m).find((s) => s.split('\n')[0]!.endsWith(` AS ${name}`));
  if (!stage) throw new Error(`Dockerfile: no stage ${name}`);
  return stage;
};
const help = (bin: string, ...args: string[]): string => {
  const r = sh(repoRoot, `${join(binDir, bin)} ${args.join(' ')} 2>&1`);
  return r.stdout;
};
/** Resolves `${VAR:-default}` as compose does when VAR is unset. */
const interpolate = (v: string): string => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
/** Container mount points of a service's volumes (`name:/path[:ro]`). */
const mounts = (s: Service): string[] => (s.volumes ?? []).map((v) => v.split(':')[1]!);
const isUnderMount = (s: Service, path: string): boolean =>
  mounts(s).some((m) => path === m || path.startsWith(`${m}/`)) ||
  (s.configs ?? []).some((c) => c.target === path);

describe('docker-compose.yml against the apps', () => {
  it('has one service per app, an init service for the PKI and one for the guide set-up', () => {
    expect(defaultServices.map(([name]) => name).sort()).toEqual([
      'init-pki',
      'init-vault',
      'kes',
      'minio',
      'vault',
    ]);
    expect(svc('vault').depends_on).toEqual({ 'init-pki': { condition: 'service_completed_successfully' } });
    expect(svc('init-vault').depends_on).toEqual({ vault: { condition: 'service_healthy' } });
    expect(svc('kes').depends_on).toEqual({ 'init-vault': { condition: 'service_completed_successfully' } });
    expect(svc('minio').depends_on).toEqual({ kes: { condition: 'service_healthy' } });
    for (const name of apps) expect(svc(name).healthcheck?.test[0], name).toBe('CMD');
  });

  it.each(apps)(
    '%s: its stage of the multi-stage Dockerfile on node:24-bookworm-slim, non-root, running the app bin',
    (app) => {
      const s = svc(app);
      expect(s.build).toEqual({ context: '.', dockerfile: 'Dockerfile', target: app, args: { APP: app } });
      const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)];
      const stages = froms.map((m) => m[2]);
      for (const m of froms) expect(['node:24-bookworm-slim', ...stages]).toContain(m[1]);
      expect(dockerfile).toContain(`npx turbo run build --filter=@kms-chain/${appArg}...`);
      expect(dockerfile).toContain(`COPY --from=build /src/apps/${appArg}/dist/ /app/apps/${appArg}/dist/`);
      const stage = dockerStage(app);
      expect(stage).toMatch(/^FROM runtime AS /);
      expect(stage).toMatch(/^USER node$/m);
      expect(stage.indexOf('USER node')).toBeLessThan(stage.indexOf('ENTRYPOINT'));
      const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(stage)![1]!) as string[];
      expect(entry).toEqual(['node', `/app/apps/${app}/bin/${app}.js`]);
      const pkg = JSON.parse(readFileSync(join(repoRoot, 'apps', app, 'package.json'), 'utf8'));
      expect(pkg.bin[app]).toBe(`./bin/${app}.js`);
      expect(existsSync(join(repoRoot, 'apps', app, 'bin', `${app}.js`))).toBe(true);
      // A target built with another app's APP argument fails instead of running a missing bin.
      expect(stage).toContain(`RUN test -d /app/apps/${app}/dist && `);
      // The compose command is the image's default command, so `docker run` behaves the same.
      const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(stage)![1]!);
      expect(s.command).toEqual(cmd);
      // Every mount point exists in the image, owned by the runtime user.
      const mk = / mkdir -p (.*) && chown node:node/m.exec(stage)![1]!.split(' ');
      for (const m of mounts(s)) expect(mk, `${app} ${m}`).toContain(m);
    },
  );

  it('the init image runs scripts/compose-init.mjs with the steps the services name', () => {
    expect(svc('init-pki').build).toEqual({
      context: '.',
      dockerfile: 'Dockerfile',
      target: 'init',
      args: { APP: 'kes' },
    });
    const stage = dockerStage('init');
    expect(stage).toMatch(/^FROM kes AS init$/m);
    expect(stage).toContain('ENTRYPOINT ["node", "/app/scripts/compose-init.mjs"]');
    const script = readFileSync(join(repoRoot, 'scripts/compose-init.mjs'), 'utf8');
    expect(svc('init-pki').command).toEqual(['pki']);
    expect(svc('init-vault').command).toEqual(['setup']);
    for (const name of ['init-pki', 'init-vault'])
      for (const key of Object.keys(svc(name).environment ?? {}))
        expect(script, key).toContain(`env['${key}']`);
    // The server certificate must name the hosts the services dial (the ha profile's too).
    const serverDns = /serverDns: \[([^\]]*)\]/.exec(script)![1]!;
    for (const host of [
      'localhost',
      'vault',
      'kes',
      'minio',
      ...haNames.filter((n) => !n.startsWith('init')),
    ])
      expect(serverDns, host).toContain(`'${host}'`);
  });

  it('kes and minio use flags and environment variables their bins document', () => {
    const kesHelp = help('kes', 'server', '--help');
    for (const arg of svc('kes').command!.slice(1)) expect(kesHelp, arg).toContain(arg.split('=')[0]!);
    const minioHelp = help('minio', 'server', '--help');
    for (const arg of svc('minio').command!.filter((a) => a.startsWith('--')))
      expect(minioHelp).toContain(arg);
    for (const key of Object.keys(svc('minio').environment!)) expect(minioHelp, key).toContain(key);
  });

  it('ports, hosts and paths agree across services, configs and volumes', () => {
    const vaultConfig = JSON.parse(compose.configs['vault-config']!.content);
    const vaultPort = vaultConfig.listener.tcp.address.split(':')[1];
    expect(svc('init-vault').environment!['VAULT_ADDR']).toBe(`https://vault:${vaultPort}`);
    expect(svc('vault').healthcheck!.test.join(' ')).toContain(`port:${vaultPort}`);
    const kesPort = svc('init-vault').environment!['KES_ADDRESS']!.split(':')[1];
    expect(svc('minio').environment!['MINIO_KMS_KES_ENDPOINT']).toBe(`https://kes:${kesPort}`);
    expect(svc('kes').healthcheck!.test.join(' ')).toContain(`port:${kesPort},`);
    const minioCmd = svc('minio').command!;
    const minioPort = minioCmd[minioCmd.indexOf('--address') + 1]!.split(':')[1];
    expect(svc('minio').ports).toEqual([`127.0.0.1:${minioPort}:${minioPort}`]);
    expect(svc('init-vault').environment!['PUBLIC_S3_ENDPOINT']).toBe(`https://127.0.0.1:${minioPort}`);
    const paths: [string, string][] = [
      ['vault', vaultConfig.backend.file.path],
      ['vault', vaultConfig.listener.tcp.tls_cert_file],
      ['vault', vaultConfig.listener.tcp.tls_key_file],
      ['vault', svc('vault').command![2]!],
      ['kes', svc('kes').command![1]!.split('=')[1]!],
      ['minio', minioCmd[1]!],
      ['minio', minioCmd[minioCmd.indexOf('--certs-dir') + 1]!],
      ...['MINIO_KMS_KES_KEY_FILE', 'MINIO_KMS_KES_CERT_FILE', 'MINIO_KMS_KES_CAPATH'].map(
        (k) => ['minio', svc('minio').environment![k]!] as [string, string],
      ),
    ];
    for (const [name, path] of paths) expect(isUnderMount(svc(name), path), `${name}: ${path}`).toBe(true);
    const initEnv = svc('init-vault').environment!;
    expect(isUnderMount(svc('kes'), initEnv['KES_CONFIG_DIR']!)).toBe(true);
    const declared = Object.keys(compose.volumes);
    for (const s of Object.values(compose.services))
      for (const v of s.volumes ?? []) expect(declared).toContain(v.split(':')[0]);
    // Vault's unseal shares stay out of every server's reach: only the init services mount a state volume.
    for (const [name, s] of Object.entries(compose.services))
      for (const v of s.volumes ?? [])
        if (['state', 'state-ha'].includes(v.split(':')[0]!))
          expect(['init-vault', 'init-vault-ha'], name).toContain(name);
  });
});

describe('the compose chain as processes (no engine needed)', () => {
  let root: string;
  const local: Record<string, string> = {};
  const port: Record<string, number> = {};

  beforeAll(async () => {
    root = await tempDir('kms-compose-');
    port['vault'] = await freePort();
    port['kes'] = await freePort();
    port['minio'] = await freePort();
  });
  afterAll(async () => {
    await killAll();
    await rm(root, { recursive: true, force: true });
  });

  /** Maps container paths to temp dirs, compose service hosts and ports to loopback ones. */
  const mapValue = (v: string): string => {
    let out = interpolate(v);
    // Longest mount first; a mount path counts only as a whole path prefix (`/data`, not `/database`).
    for (const [from, to] of Object.entries(local).sort((a, b) => b[0].length - a[0].length))
      out = out.replace(
        new RegExp(`(^|[\\s"'=])${from}(?=/|["']|$|\\s)`, 'g'),
        (_m, pre: string) => `${pre}${to}`,
      );
    return out
      .replace('https://vault:8200', `https://localhost:${port['vault']}`)
      .replace('https://kes:7373', `https://localhost:${port['kes']}`)
      .replace('0.0.0.0:8200', `127.0.0.1:${port['vault']}`)
      .replace('0.0.0.0:7373', `127.0.0.1:${port['kes']}`)
      .replace(/^:9000$/, `127.0.0.1:${port['minio']}`)
      .replace('port:8200', `port:${port['vault']}`)
      .replace('port:7373', `port:${port['kes']}`)
      .replace('port:9000', `port:${port['minio']}`);
  };
  /** Runs a service's healthcheck (`CMD` form) on the host with the same mapping; true when it passes. */
  const healthy = (name: string): boolean => {
    const [kind, cmd, ...args] = svc(name).healthcheck!.test;
    expect(kind).toBe('CMD');
    const bin = cmd === 'node' ? process.execPath : cmd!;
    return spawnSync(bin, args.map(mapValue), { timeout: 10_000 }).status === 0;
  };
  const envOf = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(svc(name).environment ?? {}).map(([k, v]) => [k, mapValue(String(v))]));

  it('init-pki, vault with the inline config, init-vault, kes and minio come up and encrypt a PUT', async () => {
    for (const vol of Object.keys(compose.volumes)) await mkdir(join(root, vol), { mode: 0o700 });
    for (const [, s] of defaultServices)
      for (const v of s.volumes ?? []) {
        const [vol, path] = v.split(':') as [string, string];
        local[path] = join(root, vol);
      }
    local['/config/vault-config.json'] = join(root, 'vault-config.json');
    const node = process.execPath;
    const init = (name: string) =>
      shOk(repoRoot, `${node} scripts/compose-init.mjs ${svc(name).command![0]}`, envOf(name));
    expect(init('init-pki')).toContain('pki: ready');
    await writeFile(local['/config/vault-config.json']!, mapValue(compose.configs['vault-config']!.content));
    const run = (name: string, bin: string) =>
      startProc(join(binDir, bin), svc(name).command!.map(mapValue), { cwd: root, env: envOf(name) });
    expect(healthy('vault')).toBe(false);
    const vault = run('vault', 'vault');
    await vault.waitFor(/==> Vault server started!/);
    expect(healthy('vault')).toBe(true);
    expect(init('init-vault')).toContain('vault: initialised (5 shares, threshold 3)');
    expect(await readFile(join(local['/kes-config']!, 'kes-config.toml'), 'utf8')).toContain(
      `address = "127.0.0.1:${port['kes']}"`,
    );
    expect(healthy('kes')).toBe(false);
    const kes = run('kes', 'kes');
    await kes.waitFor(/Endpoint/);
    expect(healthy('kes')).toBe(true);
    expect(healthy('minio')).toBe(false);
    const minio = run('minio', 'minio');
    await minio.waitFor(/API: https:\/\/127\.0\.0\.1:\d+/);
    expect(healthy('minio')).toBe(true);
    const ca = await readFile(join(local['/pki']!, 'ca.crt'), 'utf8');
    const env = envOf('minio');
    const s3 = s3Client(
      `https://127.0.0.1:${port['minio']}`,
      env['MINIO_ROOT_USER']!,
      env['MINIO_ROOT_PASSWORD']!,
      ca,
    );
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'compose' }));
      await s3.send(new PutObjectCommand({ Bucket: 'compose', Key: 'a', Body: 'via the compose wiring' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'compose', Key: 'a' }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
    } finally {
      s3.destroy();
    }
    // A second `docker compose up`: init-vault only unseals a restarted (sealed) Vault.
    await minio.stop();
    await kes.stop();
    await vault.stop();
    const again = run('vault', 'vault');
    await again.waitFor(/==> Vault server started!/);
    expect(init('init-vault')).toContain('vault: unsealed with the DEV-ONLY shares');
  }, 120_000);
});

describe('the ha profile against the apps and our etcd', () => {
  const members = ['etcd-1', 'etcd-2', 'etcd-3'];
  const nodes = ['vault-1', 'vault-2', 'vault-3'];
  /** `--flag=value` arguments of a command as a map. */
  const flags = (cmd: string[]): Record<string, string> =>
    Object.fromEntries(cmd.map((a) => /^--([^=]+)=(.*)$/.exec(a)!.slice(1, 3) as [string, string]));
  const vaultConfigOf = (name: string) => {
    const source = svc(name).configs!.find((c) => c.target === '/config/vault-config.json')!.source;
    return JSON.parse(compose.configs[source]!.content);
  };

  it('adds etcd-1..3, vault-1..3, init-vault-ha, kes-ha and minio-ha under `ha`, leaning on nothing else but init-pki', () => {
    const ha = Object.entries(compose.services).filter(([, s]) => s.profiles);
    expect(ha.map(([name]) => name).sort()).toEqual([...haNames].sort());
    for (const [name, s] of ha) {
      expect(s.profiles, name).toEqual(['ha']);
      for (const dep of Object.keys(s.depends_on ?? {}))
        expect([...haNames, 'init-pki'], `${name} → ${dep}`).toContain(dep);
    }
    for (const m of members)
      expect(svc(m).depends_on).toEqual({ 'init-pki': { condition: 'service_completed_successfully' } });
    for (const n of nodes)
      expect(svc(n).depends_on).toEqual(
        Object.fromEntries(members.map((m) => [m, { condition: 'service_healthy' }])),
      );
    expect(svc('init-vault-ha').depends_on).toEqual(
      Object.fromEntries(nodes.map((n) => [n, { condition: 'service_healthy' }])),
    );
    expect(svc('kes-ha').depends_on).toEqual({
      'init-vault-ha': { condition: 'service_completed_successfully' },
    });
    expect(svc('minio-ha').depends_on).toEqual({ 'kes-ha': { condition: 'service_healthy' } });
    // Beside the default chain: its own volumes (the PKI apart) and its own S3 port.
    const volumesOf = (names: string[]) =>
      new Set(names.flatMap((n) => (svc(n).volumes ?? []).map((v) => v.split(':')[0]!)));
    const shared = [...volumesOf(haNames)].filter((v) => volumesOf(defaultServices.map(([n]) => n)).has(v));
    expect(shared).toEqual(['pki']);
    expect(svc('minio-ha').ports).toEqual(['127.0.0.1:9100:9000']);
    expect(svc('minio').ports).not.toEqual(svc('minio-ha').ports);
    // The same images as the default chain, so one build serves both.
    for (const [ha, base] of [
      ['kes-ha', 'kes'],
      ['minio-ha', 'minio'],
      ...nodes.map((n) => [n, 'vault']),
    ] as const) {
      expect(svc(ha).build, ha).toEqual(svc(base).build);
      expect(svc(ha).command, ha).toEqual(svc(base).command);
    }
    expect(svc('minio-ha').environment).toEqual({
      ...svc('minio').environment,
      MINIO_KMS_KES_ENDPOINT: 'https://kes-ha:7373',
    });
  });

  it('the etcd stage: Debian etcd-server on node:24-bookworm-slim, non-root, etcd as entrypoint', () => {
    const stage = dockerStage('etcd');
    expect(stage).toMatch(/^FROM node:24-bookworm-slim AS etcd$/m);
    expect(stage).toContain('apt-get install -y --no-install-recommends etcd-server');
    expect(stage.indexOf('USER node')).toBeGreaterThan(0);
    expect(stage.indexOf('USER node')).toBeLessThan(stage.indexOf('ENTRYPOINT'));
    expect(JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(stage)![1]!)).toEqual(['etcd']);
    const mk = / mkdir -p (.*) && chown node:node/m.exec(stage)![1]!.split(' ');
    for (const m of members) {
      expect(svc(m).build).toEqual({ context: '.', dockerfile: 'Dockerfile', target: 'etcd' });
      for (const path of mounts(svc(m)).filter((p) => p !== '/pki'))
        expect(mk, `${m} ${path}`).toContain(path);
    }
    // .ci/run installs the same package for the tests that run etcd on the host.
    expect(readFileSync(join(repoRoot, '.ci/run'), 'utf8')).toContain('etcd-server');
  });

  it.skipIf(!etcdBinary())(
    'etcd members: flags our etcd knows, one cluster, client URLs the Vault nodes list',
    () => {
      const etcdHelp = spawnSync('etcd', ['--help'], { encoding: 'utf8' });
      const helpText = `${etcdHelp.stdout}${etcdHelp.stderr}`;
      const cluster = members.map((m) => `${m}=http://${m}:2380`).join(',');
      for (const m of members) {
        const f = flags(svc(m).command!);
        for (const name of Object.keys(f)) expect(helpText, `${m} --${name}`).toContain(`--${name} `);
        expect(f['name']).toBe(m);
        expect(f['initial-cluster']).toBe(cluster);
        expect(f['initial-advertise-peer-urls']).toBe(`http://${m}:2380`);
        expect(f['advertise-client-urls']).toBe(`https://${m}:2379`);
        expect(f['initial-cluster-token']).toBe('kms-chain-ha');
        for (const k of ['cert-file', 'key-file', 'data-dir'])
          expect(isUnderMount(svc(m), f[k]!), `${m} ${k}`).toBe(true);
        expect(svc(m).healthcheck!.test.join(' ')).toContain("port:2379,path:'/health'");
      }
      for (const n of nodes) {
        const c = vaultConfigOf(n);
        expect(c.storage.etcd).toEqual({
          address: members.map((m) => `https://${m}:2379`).join(','),
          etcd_api: 'v3',
          path: '/vault/',
          ha_enabled: 'true',
          lock_timeout: '15s',
          tls_ca_file: '/pki/ca.crt',
        });
        expect(c.api_addr).toBe(`https://${n}:8200`);
        expect(c.cluster_addr).toBe(`https://${n}:8201`);
        expect(c.listener.tcp.address).toBe('0.0.0.0:8200');
        for (const path of [
          c.storage.etcd.tls_ca_file,
          c.listener.tcp.tls_cert_file,
          c.listener.tcp.tls_key_file,
        ])
          expect(isUnderMount(svc(n), path), `${n} ${path}`).toBe(true);
        // A standby answers 429 unless asked otherwise: the health check must ask.
        expect(svc(n).healthcheck!.test.join(' ')).toContain('standbyok=true');
      }
      expect(svc('init-vault-ha').environment!['VAULT_ADDR']).toBe(
        nodes.map((n) => vaultConfigOf(n).api_addr).join(','),
      );
    },
  );
});

describe.skipIf(!etcdBinary())('the ha profile as processes (no engine needed)', () => {
  let root: string;
  const port: Record<string, number> = {};
  const procs: Proc[] = [];

  beforeAll(async () => {
    root = await tempDir('kms-compose-ha-');
    for (const name of ['etcd-1', 'etcd-2', 'etcd-3'])
      for (const kind of ['client', 'peer']) port[`${name}-${kind}`] = await freePort();
    for (const name of ['vault-1', 'vault-2', 'vault-3', 'kes-ha', 'minio-ha']) port[name] = await freePort();
  });
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop('SIGTERM', 10_000);
    await rm(root, { recursive: true, force: true });
  });

  /** Container paths of `name` → its volumes' temp dirs; service hosts and ports → loopback ones. */
  const mapFor = (name: string) => {
    const local: Record<string, string> = {};
    for (const v of svc(name).volumes ?? []) {
      const [vol, path] = v.split(':') as [string, string];
      local[path] = join(root, vol);
    }
    local['/config/vault-config.json'] = join(root, `${name}.json`);
    const own = (p: string) => port[`${name}-${p}`] ?? port[name]!;
    return (v: string): string => {
      let out = interpolate(v);
      for (const [from, to] of Object.entries(local).sort((a, b) => b[0].length - a[0].length))
        out = out.replace(
          new RegExp(`(^|[\\s"'=])${from}(?=/|["']|$|\\s)`, 'g'),
          (_m, pre: string) => `${pre}${to}`,
        );
      out = out.replace(
        /https:\/\/(etcd-\d):2379/g,
        (_m, m: string) => `https://127.0.0.1:${port[`${m}-client`]}`,
      );
      out = out.replace(
        /http:\/\/(etcd-\d):2380/g,
        (_m, m: string) => `http://127.0.0.1:${port[`${m}-peer`]}`,
      );
      out = out.replace(/https:\/\/(vault-\d):8200/g, (_m, n: string) => `https://localhost:${port[n]}`);
      out = out.replace(/https:\/\/(vault-\d):8201/g, (_m, n: string) => `https://localhost:${port[n]! + 1}`);
      out = out.replace('https://kes-ha:7373', `https://localhost:${port['kes-ha']}`);
      if (name.startsWith('etcd-'))
        out = out
          .replace('https://0.0.0.0:2379', `https://127.0.0.1:${own('client')}`)
          .replace('http://0.0.0.0:2380', `http://127.0.0.1:${own('peer')}`)
          .replace('port:2379', `port:${own('client')}`);
      out = out
        .replace('0.0.0.0:8200', `127.0.0.1:${own('')}`)
        .replace('0.0.0.0:7373', `127.0.0.1:${port['kes-ha']}`)
        .replace(/^:9000$/, `127.0.0.1:${port['minio-ha']}`)
        .replace('port:8200', `port:${own('')}`)
        .replace('port:7373', `port:${port['kes-ha']}`)
        .replace('port:9000', `port:${port['minio-ha']}`);
      return out;
    };
  };
  const envOf = (name: string): Record<string, string> => {
    const map = mapFor(name);
    return Object.fromEntries(
      Object.entries(svc(name).environment ?? {}).map(([k, v]) => [k, map(String(v))]),
    );
  };
  const healthy = (name: string): boolean => {
    const [kind, cmd, ...args] = svc(name).healthcheck!.test;
    expect(kind).toBe('CMD');
    const map = mapFor(name);
    return (
      spawnSync(cmd === 'node' ? process.execPath : cmd!, args.map(map), { timeout: 10_000 }).status === 0
    );
  };
  const run = (name: string, bin: string): Proc => {
    const map = mapFor(name);
    const p = startProc(bin, svc(name).command!.map(map), { cwd: root, env: envOf(name) });
    procs.push(p);
    return p;
  };
  const waitHealthy = async (name: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!healthy(name)) {
      if (Date.now() > deadline) throw new Error(`${name}: health check still failing after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it('init-pki, 3 etcd, 3 vault nodes, init-vault-ha, kes-ha and minio-ha come up; an SSE-S3 PUT; each node knows the leader', async () => {
    for (const vol of Object.keys(compose.volumes)) await mkdir(join(root, vol), { mode: 0o700 });
    const node = process.execPath;
    expect(shOk(repoRoot, `${node} scripts/compose-init.mjs pki`, { PKI_DIR: join(root, 'pki') })).toContain(
      'pki: ready',
    );
    for (const m of ['etcd-1', 'etcd-2', 'etcd-3']) run(m, 'etcd');
    for (const m of ['etcd-1', 'etcd-2', 'etcd-3']) await waitHealthy(m);
    for (const n of ['vault-1', 'vault-2', 'vault-3']) {
      const source = svc(n).configs![0]!.source;
      await writeFile(join(root, `${n}.json`), mapFor(n)(compose.configs[source]!.content));
      expect(healthy(n)).toBe(false);
      await run(n, join(binDir, 'vault')).waitFor(/==> Vault server started!/);
      expect(healthy(n)).toBe(true);
    }
    const setup = shOk(repoRoot, `${node} scripts/compose-init.mjs setup`, envOf('init-vault-ha'));
    expect(setup).toContain('vault: initialised (5 shares, threshold 3)');
    // Standbys pass their health check too (standbyok): compose would wait on them otherwise.
    for (const n of ['vault-1', 'vault-2', 'vault-3']) expect(healthy(n), n).toBe(true);
    const kesConfig = await readFile(join(root, 'kes-ha-config', 'kes-config.toml'), 'utf8');
    expect(kesConfig).toContain(
      `address = "${['vault-1', 'vault-2', 'vault-3'].map((n) => `https://localhost:${port[n]}`).join(',')}"`,
    );
    const ca = await readFile(join(root, 'pki', 'ca.crt'), 'utf8');
    for (const [i, n] of ['vault-1', 'vault-2', 'vault-3'].entries()) {
      const leader = await httpsJson(`https://localhost:${port[n]}/v1/sys/leader`, { ca });
      expect(leader.body, n).toMatchObject({
        ha_enabled: true,
        is_self: i === 0,
        leader_address: `https://localhost:${port['vault-1']}`,
      });
    }
    run('kes-ha', join(binDir, 'kes'));
    await waitHealthy('kes-ha');
    run('minio-ha', join(binDir, 'minio'));
    await waitHealthy('minio-ha');
    const env = envOf('minio-ha');
    const s3 = s3Client(
      `https://127.0.0.1:${port['minio-ha']}`,
      env['MINIO_ROOT_USER']!,
      env['MINIO_ROOT_PASSWORD']!,
      ca,
    );
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'compose-ha' }));
      await s3.send(new PutObjectCommand({ Bucket: 'compose-ha', Key: 'a', Body: 'via the ha profile' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'compose-ha', Key: 'a' }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
    } finally {
      s3.destroy();
    }
  }, 150_000);
});
