import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import TOML from '@iarna/toml';
import { validateKesPattern } from '@kms-chain/policy';
import YAML from 'yaml';
import type { z } from 'zod';
import { parseGoDuration } from './duration.js';
import { fromToml, tomlSchema } from './toml.js';
import type { ServerConfig } from './types.js';
import { fromYaml, yamlSchema } from './yaml.js';

/** A config file error; the message names the file and the field (`kes-config.toml: cache.expiry.all: …`). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function issueText(file: string, err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return `${file}: invalid configuration`;
  const field = issue.path.map(String).join('.');
  return `${file}: ${field === '' ? '' : `${field}: `}${issue.message}`;
}

/**
 * Replaces every scalar that is exactly `${NAME}` with the environment variable NAME (KES v0.13+,
 * HEAD). Policy patterns are left alone. An unset variable is an error naming the field.
 */
export function substituteEnv(
  doc: unknown,
  env: NodeJS.ProcessEnv,
  file: string,
  path: string[] = [],
): unknown {
  if (typeof doc === 'string') {
    const m = /^\s*\$\{([A-Za-z_][A-Za-z0-9_]*)\}\s*$/.exec(doc);
    if (!m) return doc;
    const value = env[m[1]!];
    if (value === undefined) {
      throw new ConfigError(`${file}: ${path.join('.')}: environment variable '${m[1]}' is not set`);
    }
    return value;
  }
  if (Array.isArray(doc)) return doc.map((v, i) => substituteEnv(v, env, file, [...path, String(i)]));
  if (doc && typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) {
      const isPattern =
        path.length === 2 && path[0] === 'policy' && (k === 'allow' || k === 'deny' || k === 'paths');
      out[k] = isPattern ? v : substituteEnv(v, env, file, [...path, k]);
    }
    return out;
  }
  return doc;
}

/** Parses config text; `name` picks the format by extension (.toml, else YAML then TOML). */
export function parseConfig(name: string, text: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const file = basename(name);
  const ext = extname(name).toLowerCase();
  let cfg: ServerConfig;
  if (ext === '.toml') cfg = parseTomlText(file, text);
  else if (ext === '.yaml' || ext === '.yml') cfg = parseYamlText(file, text, env);
  else {
    try {
      cfg = parseYamlText(file, text, env);
    } catch (yamlErr) {
      try {
        cfg = parseTomlText(file, text);
      } catch {
        throw yamlErr;
      }
    }
  }
  validate(cfg);
  return cfg;
}

function parseTomlText(file: string, text: string): ServerConfig {
  let doc: unknown;
  try {
    doc = TOML.parse(text);
  } catch (err) {
    const e = err as { line?: number; col?: number; message: string };
    const where = e.line !== undefined ? `line ${e.line + 1}: ` : '';
    throw new ConfigError(`${file}: ${where}${e.message.split('\n')[0]}`);
  }
  const r = tomlSchema.safeParse(doc);
  if (!r.success) throw new ConfigError(issueText(file, r.error));
  return fromToml(file, r.data);
}

function parseYamlText(file: string, text: string, env: NodeJS.ProcessEnv): ServerConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`${file}: expected a YAML mapping`);
  }
  doc = substituteEnv(doc, env, file);
  const r = yamlSchema.safeParse(doc);
  if (!r.success) throw new ConfigError(issueText(file, r.error));
  const durationOf = (field: string, v: string): number => {
    const ms = parseGoDuration(v);
    if (ms === undefined || ms < 0) throw new ConfigError(`${file}: ${field}: expected a duration like "5m"`);
    return ms;
  };
  try {
    return fromYaml(file, r.data, durationOf);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError((err as Error).message);
  }
}

function validate(cfg: ServerConfig): void {
  const owner = new Map<string, string>();
  for (const p of cfg.policies) {
    const field = cfg.era === 'toml' ? 'paths' : 'allow';
    for (const [list, patterns] of [
      [field, p.allow],
      ['deny', p.deny],
    ] as const) {
      for (const pattern of patterns) {
        try {
          validateKesPattern(pattern, cfg.policyMatch);
        } catch (err) {
          throw new ConfigError(`${cfg.file}: policy.${p.name}.${list}: ${(err as Error).message}`);
        }
      }
    }
    for (const id of p.identities) {
      if (id === '' || id === '_') continue;
      const prev = owner.get(id);
      if (prev !== undefined && prev !== p.name) {
        throw new ConfigError(
          `${cfg.file}: policy.${p.name}.identities: identity '${id}' is already assigned to policy '${prev}'`,
        );
      }
      if (cfg.admin !== undefined && id === cfg.admin) {
        throw new ConfigError(
          `${cfg.file}: policy.${p.name}.identities: identity '${id}' is the admin identity`,
        );
      }
      owner.set(id, p.name);
    }
  }
}

/** Reads and parses a config file. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${basename(path)}: cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseConfig(path, text, env);
}
