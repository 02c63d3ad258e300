import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { asksForHelp, intFlag, parseFlags } from './flags.js';

const table = {
  config: { type: 'string', multiple: true },
  format: { type: 'string' },
  force: { type: 'boolean', aliases: ['f'] },
  insecure: { type: 'boolean', aliases: ['k'] },
  'key-shares': { type: 'string', aliases: ['n', 'secret-shares'] },
} as const;

describe('parseFlags', () => {
  it.each([
    ['-format json', { format: 'json' }, []],
    ['-format=json', { format: 'json' }, []],
    ['--format json', { format: 'json' }, []],
    ['--format=json', { format: 'json' }, []],
    ['-format=', { format: '' }, []],
    ['-format=a=b', { format: 'a=b' }, []],
    ['-format -x', { format: '-x' }, []],
    ['-format json -format table', { format: 'table' }, []],
    ['-force', { force: true }, []],
    ['--force', { force: true }, []],
    ['-f', { force: true }, []],
    ['-force=false', { force: false }, []],
    ['-force=0', { force: false }, []],
    ['-force=F', { force: false }, []],
    ['-force=TRUE', { force: true }, []],
    ['-force=t', { force: true }, []],
    ['-force false', { force: true }, ['false']],
    ['-k -f', { insecure: true, force: true }, []],
    ['-n 3', { 'key-shares': '3' }, []],
    ['-secret-shares=4', { 'key-shares': '4' }, []],
    ['-config a -config=b --config c', { config: ['a', 'b', 'c'] }, []],
    ['path -format json k=v', { format: 'json' }, ['path', 'k=v']],
    ['a - b', {}, ['a', '-', 'b']],
    ['-force -- -format x', { force: true }, ['-format', 'x']],
    ['-- --', {}, ['--']],
    ['', {}, []],
  ])('%j', (line, values, positionals) => {
    const args = line === '' ? [] : line.split(' ');
    expect(parseFlags(args, table)).toEqual({ values, positionals });
  });

  it.each([
    ['-bogus', 'flag provided but not defined: -bogus'],
    ['--bogus=1', 'flag provided but not defined: -bogus'],
    ['x -h', 'flag provided but not defined: -h'],
    ['-format', 'flag needs an argument: -format'],
    ['--config', 'flag needs an argument: -config'],
    ['-force=yes', 'invalid boolean value "yes" for -force: parse error'],
    ['-f=2', 'invalid boolean value "2" for -f: parse error'],
    ['---force', 'bad flag syntax: ---force'],
    ['-=x', 'bad flag syntax: -=x'],
  ])('%j is a usage error', (line, message) => {
    const run = () => parseFlags(line.split(' '), table);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(new UsageError(message));
  });

  it('keeps the arguments it was given', () => {
    const args = ['-format', 'json', 'p'];
    parseFlags(args, table);
    expect(args).toEqual(['-format', 'json', 'p']);
  });
});

describe('asksForHelp', () => {
  it.each([
    [['-h'], true],
    [['-help'], true],
    [['--help'], true],
    [['a', '-format=x', '--help'], true],
    [['--', '-h'], false],
    [['help'], false],
    [['-hx'], false],
    [[], false],
  ])('%j → %s', (args, want) => {
    expect(asksForHelp(args)).toBe(want);
  });
});

describe('intFlag', () => {
  it.each([
    [undefined, 5],
    ['3', 3],
    ['-1', -1],
    ['+2', 2],
  ])('%j → %d', (value, want) => {
    expect(intFlag(value, 'key-shares', 5)).toBe(want);
  });

  it.each(['', 'x', '1.5', '3x'])('%j is a usage error', (value) => {
    expect(() => intFlag(value, 'key-shares', 5)).toThrow(
      new UsageError(`invalid value "${value}" for flag -key-shares: parse error`),
    );
  });
});
