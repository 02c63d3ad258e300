// The one router every backend declares its paths to: matching, the order of its checks, and
// the errors it answers for an unknown path or an unserved operation.
import { describe, expect, it } from 'vitest';
import { VaultError } from '../src/errors.js';
import { anyOperation, type PathSpec, Router, write } from '../src/framework/router.js';
import type { BackendRequest, Operation } from '../src/types.js';

const req = (operation: Operation, path: string): BackendRequest => ({
  operation,
  path,
  data: {},
  mountPath: 'm/',
  clientAddr: '127.0.0.1',
});

async function errorOf(p: Promise<unknown>): Promise<{ status: number; errors: string[] }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VaultError);
  return { status: (err as VaultError).status, errors: (err as VaultError).errors };
}

describe('Router', () => {
  const seen: string[] = [];
  const paths: PathSpec[] = [
    { pattern: 'login', operations: write(() => ({ data: { at: 'login' } })), unauthenticated: true },
    {
      pattern: 'role/:name/secret-id',
      operations: { list: (_r, p) => ({ data: { role: p['name'] } }) },
    },
    {
      pattern: 'role/:name',
      resolve: (p) => {
        if (p['name'] === 'bad!') throw new VaultError(400, ['invalid name']);
        return { name: p['name']!.toLowerCase() };
      },
      operations: { read: (_r, p) => ({ data: { role: p['name'] } }) },
      existence: async (_r, p) => {
        seen.push(p['name']!);
        return p['name'] === 'Known';
      },
    },
    { pattern: 'files/*rest', operations: anyOperation((_r, p) => ({ data: { rest: p['rest'] } })) },
    { pattern: /^(?<kind>a|b)\.x$/, operations: { read: (_r, p) => ({ data: { kind: p['kind'] } }) } },
  ];
  const router = new Router(paths);

  it('matches Vault-style segments, rest captures and named groups; the first match wins', async () => {
    expect((await router.handle(req('read', 'role/Web')))?.data).toEqual({ role: 'web' });
    expect((await router.handle(req('list', 'role/web/secret-id')))?.data).toEqual({ role: 'web' });
    expect((await router.handle(req('delete', 'files/a/b/')))?.data).toEqual({ rest: 'a/b/' });
    expect((await router.handle(req('patch', 'files/')))?.data).toEqual({ rest: '' });
    expect((await router.handle(req('read', 'b.x')))?.data).toEqual({ kind: 'b' });
    // Literal segments are literal: '.' in a string pattern is not a wildcard, a segment is not a prefix.
    expect((await errorOf(router.handle(req('read', 'axx')))).status).toBe(404);
    expect((await errorOf(router.handle(req('update', 'login/')))).status).toBe(404);
  });

  it('answers an unknown path with no handler for the full path, and an unserved operation with 405', async () => {
    expect(await errorOf(router.handle(req('read', 'nope/x')))).toEqual({
      status: 404,
      errors: ['no handler for route "m/nope/x". route entry not found.'],
    });
    expect(await errorOf(router.handle(req('read', 'login')))).toEqual({
      status: 405,
      errors: ['unsupported operation'],
    });
  });

  it('checks params before the operation, so a bad name is 400 whatever the verb', async () => {
    expect(await errorOf(router.handle(req('delete', 'role/bad!')))).toEqual({
      status: 400,
      errors: ['invalid name'],
    });
    expect((await errorOf(router.handle(req('delete', 'role/ok')))).status).toBe(405);
  });

  it('asks the matched path for existence with the raw params; other paths answer undefined', async () => {
    expect(await router.existence(req('update', 'role/Known'))).toBe(true);
    expect(await router.existence(req('update', 'role/other'))).toBe(false);
    expect(seen).toEqual(['Known', 'other']);
    expect(await router.existence(req('update', 'login'))).toBeUndefined();
    expect(await router.existence(req('update', 'nope'))).toBeUndefined();
  });

  it('reports unauthenticated paths exactly', () => {
    expect(router.isUnauthenticated('login')).toBe(true);
    expect(router.isUnauthenticated('login/')).toBe(false);
    expect(router.isUnauthenticated('role/x')).toBe(false);
  });

  it("takes a backend's own errors for unknown paths and unserved operations", async () => {
    const sys = new Router([{ pattern: 'seal', operations: write(() => null) }], {
      unsupportedPath: () => new VaultError(404, ['unsupported path']),
      unsupportedOperation: async (_r, p) => {
        expect(p).toEqual({});
        return new VaultError(405, []);
      },
    });
    expect(await errorOf(sys.handle(req('read', 'x')))).toEqual({
      status: 404,
      errors: ['unsupported path'],
    });
    expect(await errorOf(sys.handle(req('read', 'seal')))).toEqual({ status: 405, errors: [] });
    expect(await sys.handle(req('create', 'seal'))).toBeNull();
  });
});
