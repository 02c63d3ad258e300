import { z } from 'zod';
import { parseGoDuration } from './duration.js';

/** A Go duration ("5m", "20s", "0") → milliseconds; negative values are rejected. */
export const duration = (def: string) =>
  z
    .union([z.string(), z.number()])
    .default(def)
    .transform((v, ctx) => {
      const ms = typeof v === 'number' ? v * 1000 : parseGoDuration(v);
      if (ms === undefined || ms < 0 || !Number.isFinite(ms)) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration like "5m"' });
        return z.NEVER;
      }
      return ms;
    });

/** A string that may be absent. */
export const optString = z.string({ error: 'expected a string' }).optional();

/** A list of strings; a single string is accepted as a one-element list. */
export const stringList = z
  .union([z.array(z.string({ error: 'expected a string' })), z.string()])
  .default([])
  .transform((v) => (typeof v === 'string' ? [v] : v));

/** A hex identity; KES compares identities as lowercase hex. */
export const identity = z
  .string({ error: 'expected an identity (hex SHA-256)' })
  .transform((s) => s.trim().toLowerCase());

export const errorSpelling = z.enum(['head', 'legacy'], { error: 'expected "head" or "legacy"' }).optional();
