// The CLI's output primitives against Vault's shapes.
import { describe, expect, it } from 'vitest';
import { columns, goQuoteList, goValue, secretTable, wrap } from '../src/cli/format.js';
import { humanDuration, parseDurationSeconds } from '../src/duration.js';

describe('durations', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [90, '1m30s'],
    [300, '5m'],
    [3600, '1h'],
    [5400, '1h30m'],
    [3601, '1h1s'],
    [604800, '168h'],
    [2764800, '768h'],
  ])('humanDuration(%i) = %s', (s, text) => {
    expect(humanDuration(s)).toBe(text);
  });

  it.each([
    ['5m', 300],
    ['168h', 604800],
    ['1h30m', 5400],
    ['7d', 604800],
    ['90', 90],
    [120, 120],
    ['1.5h', 5400],
    ['', 0],
    ['soon', undefined],
    ['5m garbage', undefined],
    // Vault's days are a whole-number suffix alone, as parseutil reads them
    ['1d12h', undefined],
    ['1.5d', undefined],
    ['-5m', undefined],
    ['.5s', 0],
    [-1, undefined],
  ])('parseDurationSeconds(%j) = %j', (text, s) => {
    expect(parseDurationSeconds(text)).toBe(s);
  });
});

describe('Go %v and tables', () => {
  it.each([
    [null, '<nil>'],
    [['a', 'b'], '[a b]'],
    [[], '[]'],
    [{ b: 1, a: 'x' }, 'map[a:x b:1]'],
    [true, 'true'],
    [5432, '5432'],
  ])('goValue(%j) = %s', (v, text) => {
    expect(goValue(v)).toBe(text);
  });

  it('quotes policy lists as %q', () => {
    expect(goQuoteList(['default', 'kes-policy'])).toBe('["default" "kes-policy"]');
    expect(goQuoteList(undefined)).toBe('[]');
  });

  it('pads the first column, joins with four spaces, prints n/a for empty cells', () => {
    expect(
      columns([
        ['Key', 'Value'],
        ['---', '-----'],
        ['entity_id', ''],
        ['a', 'b'],
      ]),
    ).toBe('Key          Value\n---          -----\nentity_id    n/a\na            b');
  });

  it('renders a KV v1 read and an AppRole login like Vault', () => {
    expect(secretTable({ lease_duration: 604800, lease_id: '', data: { key: 'v', ttl: 60 } })).toBe(
      'Key                 Value\n---                 -----\nrefresh_interval    168h\nkey                 v\nttl                 1m',
    );
    const login = secretTable({
      lease_duration: 0,
      data: null,
      auth: {
        client_token: 'hvs.X',
        accessor: 'acc',
        lease_duration: 300,
        renewable: true,
        token_policies: ['default', 'p'],
        policies: ['default', 'p'],
        metadata: { role_name: 'kes' },
      },
    });
    expect(login.split('\n')).toEqual([
      'Key                     Value',
      '---                     -----',
      'token                   hvs.X',
      'token_accessor          acc',
      'token_duration          5m',
      'token_renewable         true',
      'token_policies          ["default" "p"]',
      'identity_policies       []',
      'policies                ["default" "p"]',
      'token_meta_role_name    kes',
    ]);
  });

  it('wraps at 78 columns', () => {
    const text = wrap(
      'Vault initialized with 5 key shares and a key threshold of 3. Please securely distribute the key shares printed above.',
    );
    expect(text).toBe(
      'Vault initialized with 5 key shares and a key threshold of 3. Please securely\ndistribute the key shares printed above.',
    );
  });
});
