// `npm run bench -- --quick` with tiny sizes, as a smoke test that the whole run works: the chain
// starts from the built bins, every figure is measured or honestly marked unsupported, and the
// JSON and SVG are written. No timing is asserted — figures on a shared CI machine mean nothing.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateTargets, poolFigures, summarize, svgChart } from '../lib/report.mjs';

const run = promisify(execFile);
const runner = join(import.meta.dirname, '..', 'run.mjs');

interface Figure {
  id: string;
  status: string;
  unit: string;
  rounds: number[];
  summary?: { min: number; median: number; max: number; n: number };
}

describe('report helpers', () => {
  it.each([
    [[3], { min: 3, median: 3, max: 3, n: 1 }],
    [[5, 1, 3], { min: 1, median: 3, max: 5, n: 3 }],
    [[4, 1, 2, 3], { min: 1, median: 2.5, max: 4, n: 4 }],
  ])('summarize(%j)', (values, expected) => {
    expect(summarize(values)).toEqual(expected);
  });

  it('summarize of no rounds is undefined', () => {
    expect(summarize([])).toBeUndefined();
  });

  const fig = (median: number, status = 'ok') => ({
    status,
    label: 'x',
    rounds: [median],
    summary: { min: median, median, max: median, n: 1 },
  });
  const figOf = (rounds: number[]) => ({ status: 'ok', label: 'x', rounds, summary: summarize(rounds) });

  // The targets as plain records: the report module is untyped JavaScript.
  type Target = { num: string; met?: boolean; reason?: string };
  const target = (figures: Record<string, unknown>, num: string): Target => {
    const t = (evaluateTargets(figures, 64) as Target[]).find((x) => x.num === num);
    if (!t) throw new Error(`no target for ${num}`);
    return t;
  };

  it.each([
    [900, 1000, true],
    [899, 1000, false],
  ])('SSE-S3 PUT %d vs plaintext %d → met %s', (enc, plain, met) => {
    const t = target({ 'chain.sse-s3.put1': fig(enc), 'chain.plain.put1': fig(plain) }, 'chain.sse-s3.put1');
    expect(t.met).toBe(met);
  });

  it('a ratio is the median of per-round ratios: a round slow on both sides does not skew it', () => {
    const figures = {
      'chain.sse-s3.small-put': figOf([400, 650, 960]),
      'chain.plain.small-put': figOf([500, 1000, 1200]),
    };
    const t = target(figures, 'chain.sse-s3.small-put') as Target & { value: number };
    expect(t.value).toBeCloseTo(0.8);
    expect(t.met).toBe(true);
    // Rounds that do not pair up fall back to the ratio of the medians.
    figures['chain.plain.small-put'] = figOf([500, 1000]);
    expect((target(figures, 'chain.sse-s3.small-put') as Target & { value: number }).value).toBeCloseTo(
      0.867,
      2,
    );
  });

  it('an unsupported figure makes its target n/a with the reason, never met', () => {
    const t = target(
      { 'chain.sse-s3.put1': fig(0, 'unsupported'), 'chain.plain.put1': fig(1) },
      'chain.sse-s3.put1',
    );
    expect(t.met).toBeUndefined();
    expect(t.reason).toContain('unsupported');
  });

  it.each([
    [250, false],
    [150, true],
  ])('peak RSS %d MiB for 1 GiB → met %s (an upper bound)', (rss, met) => {
    expect(target({ 'rss.huge.plain.minio': fig(rss) }, 'rss.huge.plain.minio').met).toBe(met);
  });

  it('the 1 GiB RSS target is n/a when the single object was smaller', () => {
    const t = (evaluateTargets({ 'rss.huge.plain.minio': fig(10) }, 1, 3) as Target[]).find(
      (x) => x.num === 'rss.huge.plain.minio',
    );
    expect(t?.met).toBeUndefined();
    expect(t?.reason).toContain('3 MiB');
  });

  it('pooled runs keep their rounds in order and in pairs; a figure failed in one run is left out', () => {
    const runs = [
      { figures: { a: figOf([1, 2]), b: figOf([10, 20]), c: fig(1, 'error') } },
      { figures: { a: figOf([3]), b: figOf([30]), c: fig(2) } },
    ];
    const pooled = poolFigures(runs) as Record<string, Figure>;
    expect(Object.keys(pooled)).toEqual(['a', 'b']);
    expect(pooled.a?.rounds).toEqual([1, 2, 3]);
    expect(pooled.b?.summary).toEqual({ min: 10, median: 20, max: 30, n: 3 });
  });

  it('the chart escapes labels and marks figures that did not run', () => {
    const svg = svgChart({
      date: 'd',
      machine: { cpuModel: 'cpu <x>', cores: 2, node: 'v20', loadavgStart: [1, 1, 1] },
      figures: {
        a: { label: 'a & b', unit: 'MiB/s', group: 'references', status: 'ok', summary: fig(5).summary },
        b: { label: 'c', unit: 'MiB/s', group: 'object store', status: 'unsupported' },
      },
    });
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('cpu &lt;x&gt;');
    expect(svg).toContain('>unsupported<');
  });
});

describe('npm run bench -- --quick (tiny sizes)', () => {
  let out: string;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const args = ['--quick', '--rounds', '1', '--big-mib', '1', '--small-ops', '32', '--seconds', '0.2'];
    args.push('--cold-samples', '1', '--out-dir', out);
    ({ stdout, stderr } = await run(process.execPath, [runner, ...args], { timeout: 150_000 }));
  }, 160_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('prints the table with targets and a progress indicator', () => {
    expect(stdout).toContain('Targets (medians of this run; a ratio is the median of its per-round ratios):');
    expect(stdout).toMatch(/chain plaintext: PUT 1 MiB ×1/);
    expect(stderr).toMatch(/\] \d+\/\d+ .*done/);
  });

  it('writes the JSON with raw rounds and machine facts, and the SVG', async () => {
    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(2);
    const json = JSON.parse(await readFile(join(out, files.find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.machine.node).toBe(process.version);
    expect(json.machine.loadavgStart).toHaveLength(3);
    const figures = Object.values(json.figures) as Figure[];
    for (const f of figures) {
      expect(['ok', 'unsupported'], `${f.id}: ${JSON.stringify(f)}`).toContain(f.status);
      if (f.status === 'ok') {
        expect(f.rounds.length).toBeGreaterThan(0);
        for (const v of f.rounds) expect(v).toBeGreaterThan(0);
      }
    }
    expect(json.figures['chain.plain.put1'].status).toBe('ok');
    expect(json.figures['peer.s3rver.put1'].status).toBe('ok');
    expect(json.targets.length).toBeGreaterThan(10);
    const svg = await readFile(join(out, files.find((f) => f.endsWith('.svg'))!), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
  });

  it('--pool evaluates the targets over the saved runs with the same settings', async () => {
    const same = ['--quick', '--big-mib', '1', '--small-ops', '32', '--seconds', '0.2', '--out-dir', out];
    const { stdout: pooled } = await run(process.execPath, [runner, ...same, '--pool']);
    const [json] = (await readdir(out)).filter((f) => f.endsWith('.json'));
    const date = JSON.parse(await readFile(join(out, json!), 'utf8')).date;
    expect(pooled).toContain('Targets over 1 saved runs');
    expect(pooled).toContain(date);
    expect(pooled).toMatch(/SSE-S3 PUT 1 MiB ×1 ÷ plaintext .* \d+ of 1 rounds/);
    const other = await run(process.execPath, [runner, ...same, '--big-mib', '2', '--pool']).catch((e) => e);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('no saved run');
  });

  it.each([[['--rounds', '0']], [['--nope']]])('refuses %j with exit 2 and the usage', async (args) => {
    const err = await run(process.execPath, [runner, ...args]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('usage: npm run bench');
  });
});
