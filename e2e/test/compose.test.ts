// docker-compose.yml and the Dockerfile checked against the apps' real configuration without a
// Docker engine: every bin, flag, environment variable, port and path the compose file uses must be
// one our programs accept; then the compose chain itself runs as plain processes — the compose
// commands, environment and inline vault config with the container paths mapped to temp dirs and
// the service names to loopback — and serves an auto-encrypted S3 object.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  binDir,
  freePort,
  killAll,
  repoRoot,
  s3Client,
  sh,
  shOk,
  startProc,
  tempDir,
} from './chain-support.js';

interface Service {
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
    expect(Object.keys(compose.services).sort()).toEqual(['init-pki', 'init-vault', 'kes', 'minio', 'vault']);
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
    // The server certificate must name the hosts the services dial.
    expect(script).toContain("serverDns: ['localhost', 'vault', 'kes', 'minio']");
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
    // Vault's unseal shares stay out of every server's reach: only init-vault mounts the state volume.
    for (const [name, s] of Object.entries(compose.services))
      if (name !== 'init-vault') expect(mounts(s), name).not.toContain(initEnv['STATE_DIR']);
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
    for (const s of Object.values(compose.services))
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
