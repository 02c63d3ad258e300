// The run's figures turned into what a person reads: min/median/max per figure, the issue's target
// ratios (medians of the same run) marked met or not, a text table, a Markdown table for bench/README.md,
// and an SVG chart of throughput per configuration.

/** min, median and max of a list of numbers; undefined for an empty list. */
export function summarize(values) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

/** A number with about three significant digits, as the tables print it. */
export function fmt(x) {
  if (x === undefined || Number.isNaN(x)) return '—';
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toString();
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * The issue's targets over the figures (by id → { status, summary }). Each is a ratio of medians
 * (`num` ÷ `den`) that must reach `need`, or an absolute median with `max`/`min`.
 */
export function targetList(bigMiB) {
  const list = [];
  const big = `${bigMiB} MiB`;
  for (const [f, label, need] of [
    ['put1', `PUT ${big} ×1`, 0.9],
    ['put4', `PUT ${big} ×4`, 0.9],
    ['get1', `GET ${big} ×1`, 0.8],
    ['get4', `GET ${big} ×4`, 0.8],
  ])
    list.push({
      name: `SSE-S3 ${label} ÷ plaintext`,
      num: `chain.sse-s3.${f}`,
      den: `chain.plain.${f}`,
      need,
    });
  list.push({
    name: 'SSE-S3 PUT 4 KiB ÷ plaintext',
    num: 'chain.sse-s3.small-put',
    den: 'chain.plain.small-put',
    need: 0.7,
  });
  for (const f of ['put1', 'put4'])
    list.push({
      name: `plaintext PUT ${big} ×${f.at(-1)} ÷ MD5-to-file reference`,
      num: `chain.plain.${f}`,
      den: `ref.floor.${f}`,
      need: 0.8,
    });
  for (const [f, label] of [
    ['put1', `PUT ${big} ×1`],
    ['put4', `PUT ${big} ×4`],
    ['get1', `GET ${big} ×1`],
    ['get4', `GET ${big} ×4`],
    ['small-put', 'PUT 4 KiB ×32'],
    ['small-get', 'GET 4 KiB ×32'],
  ])
    list.push({
      name: `plaintext ${label} ÷ s3rver`,
      num: `chain.plain.${f}`,
      den: `peer.s3rver.${f}`,
      need: 3,
    });
  list.push(
    { name: 'KES generate ÷ bare mTLS fastify', num: 'kes.generate', den: 'ref.mtls', need: 0.8 },
    { name: 'KES decrypt ÷ bare mTLS fastify', num: 'kes.decrypt', den: 'ref.mtls', need: 0.8 },
    { name: 'Vault KV read ÷ bare TLS fastify', num: 'vault.read', den: 'ref.tls-read', need: 0.5 },
    { name: 'Vault durable write ÷ fsync loop', num: 'vault.write', den: 'ref.fsync', need: 0.9 },
    { name: 'Vault AppRole logins/s', num: 'vault.login', min: 2000 },
    // A standby forwards to the active node (one extra loopback round trip): target half its rate.
    {
      name: 'Vault HA KV read via standby ÷ via active',
      num: 'ha.read.standby',
      den: 'ha.read.active',
      need: 0.5,
    },
    // The floor for one relaying hop in Node: a bare node:https proxy in front of the active node.
    {
      name: 'Vault HA KV read via a bare node:https proxy ÷ via active (reference)',
      num: 'ha.read.proxy',
      den: 'ha.read.active',
      reference: true,
    },
    {
      name: 'Vault HA KV read via standby ÷ via a bare node:https proxy',
      num: 'ha.read.standby',
      den: 'ha.read.proxy',
      reference: true,
    },
    // Forwarding costs at most one extra loopback round trip: no more than one bare proxy hop.
    {
      name: 'Vault HA forwarding, added latency ÷ a bare node:https proxy hop',
      num: 'ha.hop.standby',
      den: 'ha.hop.proxy',
      max: 1,
    },
    { name: 'minio peak RSS, 1 GiB PUT+GET plaintext (MiB)', num: 'rss.huge.plain.minio', max: 200 },
    { name: 'minio peak RSS, 1 GiB PUT+GET SSE-S3 (MiB)', num: 'rss.huge.sse-s3.minio', max: 200 },
  );
  return list;
}

function why(fig, id) {
  if (!fig) return `${id} not measured`;
  if (fig.status !== 'ok') return `${fig.label}: ${fig.status}${fig.note ? `: ${fig.note}` : ''}`;
  return undefined;
}

/**
 * Evaluates the targets against `figures` (id → figure): value, met (true/false/undefined) and why
 * not. `bigMiB` names the large-object size; `hugeObjectMiB` is the size of the single-object round.
 */
export function evaluateTargets(figures, bigMiB, hugeObjectMiB = 1024) {
  return targetList(bigMiB).map((t) => {
    const num = figures[t.num];
    const den = t.den ? figures[t.den] : undefined;
    let missing = why(num, t.num) ?? (t.den ? why(den, t.den) : undefined);
    // The RSS target is for a 1 GiB object; a smaller one (a smoke run) proves nothing about it.
    if (!missing && t.num.startsWith('rss.huge.') && hugeObjectMiB < 1024)
      missing = `the single object was ${hugeObjectMiB} MiB, not 1 GiB`;
    if (missing) return { ...t, value: undefined, met: undefined, reason: missing };
    const value = t.den ? pairedRatio(num.rounds, den.rounds) : num.summary.median;
    // A reference row has no threshold: it shows where a target's floor lies.
    if (t.reference) return { ...t, value, met: undefined, reason: 'reference' };
    let met;
    if (t.need !== undefined) met = value >= t.need;
    else if (t.min !== undefined) met = value >= t.min;
    else met = value <= t.max;
    const shortfall = met ? undefined : t.need !== undefined ? value / t.need : undefined;
    return { ...t, value, met, shortfall };
  });
}

/**
 * A ratio of two figures measured round by round: the median of the per-round ratios when both have
 * the same rounds (each round ran both sides back to back, so drift between rounds cancels), else the
 * ratio of the medians.
 */
function pairedRatio(a, b) {
  if (a.length === b.length) return summarize(a.map((x, i) => x / b[i])).median;
  return summarize(a).median / summarize(b).median;
}

/**
 * The figures of several saved runs pooled round by round: a figure's rounds are the runs' rounds one
 * after another, so each round's ratio still compares two sides measured back to back. A figure that
 * is missing or failed in any of the runs is left out.
 */
export function poolFigures(runs) {
  const pooled = {};
  for (const [id, fig] of Object.entries(runs[0]?.figures ?? {})) {
    const all = runs.map((r) => r.figures[id]);
    if (all.some((f) => f?.status !== 'ok')) continue;
    const rounds = all.flatMap((f) => f.rounds);
    pooled[id] = { ...fig, rounds, summary: summarize(rounds) };
  }
  return pooled;
}

/** The text table of targets evaluated over pooled runs, with how many rounds met each ratio. */
export function pooledTargetTable(runs, figures, targets) {
  const rounds = (t) => {
    const a = figures[t.num]?.rounds;
    const b = t.den ? figures[t.den]?.rounds : undefined;
    if (!a || !b || a.length !== b.length || t.need === undefined) return '';
    return `${a.filter((x, i) => x / b[i] >= t.need).length} of ${a.length} rounds`;
  };
  const out = [
    `Targets over ${runs.length} saved runs with these settings (a ratio is the median of all their per-round ratios):`,
  ];
  for (const r of runs) out.push(`  ${r.date}${r.commit ? ` at ${r.commit}` : ''}`);
  for (const t of targets) out.push(targetLine(t, rounds(t)));
  return out.join('\n');
}

/** One target as a line of the text tables: name, value, need, verdict, and `extra` after it. */
function targetLine(t, extra = '') {
  const mark = t.met === undefined ? `n/a — ${t.reason}` : t.met ? 'met' : 'NOT MET';
  const verdict = extra ? `${pad(mark, 8)}  ${extra}` : mark;
  return `  ${pad(t.name, 52)}${pad(fmt(t.value), 8, true)}  ${pad(need(t), 8)}  ${verdict}`;
}

function need(t) {
  if (t.reference) return '—';
  if (t.need !== undefined) return `≥ ${t.need}×`;
  if (t.min !== undefined) return `≥ ${t.min}`;
  return `≤ ${t.max}`;
}

function pad(s, n, right = false) {
  const str = String(s);
  return right ? str.padStart(n) : str.padEnd(n);
}

/** The text table for stdout. */
export function textTable(result) {
  const out = [];
  const { machine } = result;
  out.push(
    `kms-chain benchmark ${result.date} — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ` +
      `load average ${machine.loadavgStart.map(fmt).join(' ')} at start, ${machine.loadavgEnd.map(fmt).join(' ')} at end` +
      `${result.options.quick ? ' (--quick)' : ''}`,
  );
  out.push('');
  out.push(
    `${pad('figure', 50)}${pad('unit', 8)}${pad('min', 9, true)}${pad('median', 9, true)}${pad('max', 9, true)}  n`,
  );
  let group;
  for (const fig of Object.values(result.figures)) {
    if (fig.group !== group) {
      group = fig.group;
      out.push(`— ${group}`);
    }
    if (fig.status !== 'ok') {
      out.push(`${pad(fig.label, 50)}${pad(fig.unit, 8)}  ${fig.status}${fig.note ? ` (${fig.note})` : ''}`);
      continue;
    }
    const s = fig.summary;
    out.push(
      `${pad(fig.label, 50)}${pad(fig.unit, 8)}${pad(fmt(s.min), 9, true)}${pad(fmt(s.median), 9, true)}${pad(fmt(s.max), 9, true)}  ${s.n}`,
    );
  }
  out.push('');
  out.push('Targets (medians of this run; a ratio is the median of its per-round ratios):');
  for (const t of result.targets) out.push(targetLine(t));
  return out.join('\n');
}

/**
 * A Markdown table with padded cells, the layout the repo's formatter keeps. `align` per column:
 * 'l' or 'r'.
 */
function mdTable(header, align, rows) {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (v, i) => (align[i] === 'r' ? String(v).padStart(widths[i]) : String(v).padEnd(widths[i]));
  const line = (cells) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The same figures and targets as Markdown, for bench/README.md's latest run. */
export function markdownTables(result) {
  const figureRows = Object.values(result.figures).map((fig) => {
    if (fig.status !== 'ok') return [fig.label, fig.unit, fig.status, '', '', ''];
    const s = fig.summary;
    return [fig.label, fig.unit, fmt(s.min), fmt(s.median), fmt(s.max), s.n];
  });
  const targetRows = result.targets.map((t) => [
    t.name,
    fmt(t.value),
    need(t),
    t.met === undefined ? `n/a (${t.reason})` : t.met ? 'met' : '**not met**',
  ]);
  return [
    mdTable(['figure', 'unit', 'min', 'median', 'max', 'n'], ['l', 'l', 'r', 'r', 'r', 'r'], figureRows),
    '',
    mdTable(['target (medians of the run)', 'value', 'needs', 'result'], ['l', 'r', 'l', 'l'], targetRows),
  ].join('\n');
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A hand-written SVG: one horizontal bar per figure (median), a whisker from min to max, one panel
 * per unit (MiB/s, ops/s). Figures that did not run are listed with their status instead of a bar.
 */
export function svgChart(result) {
  const panels = [
    ['MiB/s', 'Throughput (MiB/s, median; whisker min–max)'],
    ['ops/s', 'Operations per second (median; whisker min–max)'],
  ];
  const W = 980;
  const labelW = 330;
  const barW = W - labelW - 90;
  const rowH = 17;
  const parts = [];
  let y = 30;
  parts.push(
    `<text x="10" y="18" font-size="13" font-weight="bold">kms-chain benchmark ${esc(result.date)} — ${esc(result.machine.cpuModel)}, ${result.machine.cores} cores, Node ${esc(result.machine.node)}, load ${result.machine.loadavgStart.map(fmt).join(' ')}</text>`,
  );
  for (const [unit, title] of panels) {
    const figs = Object.values(result.figures).filter((f) => f.unit === unit);
    if (figs.length === 0) continue;
    y += 16;
    parts.push(`<text x="10" y="${y}" font-size="12" font-weight="bold">${esc(title)}</text>`);
    y += 8;
    const top = Math.max(1, ...figs.filter((f) => f.status === 'ok').map((f) => f.summary.max));
    const scale = (v) => (v / top) * barW;
    for (const f of figs) {
      const cy = y + rowH / 2;
      parts.push(
        `<text x="${labelW - 6}" y="${cy + 4}" font-size="11" text-anchor="end">${esc(f.label)}</text>`,
      );
      if (f.status !== 'ok') {
        parts.push(
          `<text x="${labelW + 4}" y="${cy + 4}" font-size="11" fill="#a33">${esc(f.status)}</text>`,
        );
      } else {
        const s = f.summary;
        const fill = f.group.startsWith('object store')
          ? '#3a6ea5'
          : f.group.startsWith('peer')
            ? '#c98a2b'
            : '#6a8f5a';
        parts.push(
          `<rect x="${labelW}" y="${y + 2}" width="${scale(s.median).toFixed(1)}" height="${rowH - 4}" fill="${fill}"/>`,
          `<line x1="${(labelW + scale(s.min)).toFixed(1)}" x2="${(labelW + scale(s.max)).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#222"/>`,
          `<text x="${(labelW + scale(s.max) + 4).toFixed(1)}" y="${cy + 4}" font-size="10">${fmt(s.median)}</text>`,
        );
      }
      y += rowH;
    }
  }
  y += 12;
  const title = `kms-chain benchmark ${esc(result.date)}: throughput per configuration`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="sans-serif" role="img" aria-label="${title}">\n<title>${title}</title>\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}
