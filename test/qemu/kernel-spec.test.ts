import test from 'ava';
import { KernelError } from '../../src/qemu/kernel-errors.js';
import {
  compareVersions,
  formatKernelSpec,
  parseKernelSpec,
  type KernelSpec,
} from '../../src/qemu/kernel-spec.js';

const at = { cwd: '/home/dev/proj', home: '/home/dev' };
const parse = (s: string): KernelSpec => parseKernelSpec(s, at);

test('a Debian version, with or without a name and a variant', (t) => {
  t.deepEqual(parse('6.1'), {
    name: '6.1',
    source: { kind: 'debian', version: '6.1' },
    variant: 'plain',
    patches: [],
    text: '6.1',
  });
  const k = parse('base=7.2+kasan');
  t.is(k.name, 'base');
  t.deepEqual(k.source, { kind: 'debian', version: '7.2' });
  t.is(k.variant, 'kasan');
  t.is(parse('6.12+lockdep').name, '6.12-lockdep');
  t.is(parse('newest+plain').variant, 'plain');
  t.deepEqual(parse('newest').source, { kind: 'debian', version: 'newest' });
});

test('patches keep their order and resolve against the working directory', (t) => {
  const k = parse('fixed=newest+patch:patches/a.patch+lockdep+patch:/abs/b.diff');
  t.deepEqual(k.patches, ['/home/dev/proj/patches/a.patch', '/abs/b.diff']);
  t.is(k.variant, 'lockdep');
  t.is(parse('7.2+patch:x.patch').name, '7.2-patched');
});

test('a source tree: ~ is the home directory, and + splits only in front of a modifier', (t) => {
  const k = parse('mine=src:~/linux+next+kasan+patch:fix+1.patch');
  t.deepEqual(k.source, { kind: 'tree', dir: '/home/dev/linux+next' });
  t.is(k.variant, 'kasan');
  t.deepEqual(k.patches, ['/home/dev/proj/fix+1.patch']);
  t.is(parse('src:../linux').name, 'src-linux');
  t.deepEqual(parse('src:../linux').source, { kind: 'tree', dir: '/home/dev/linux' });
});

test('a prebuilt image with its modules; a path with = is not taken for a name', (t) => {
  const k = parse('lab=image:/srv/Image,modules:/srv/mods');
  t.is(k.name, 'lab');
  t.deepEqual(k.source, { kind: 'prebuilt', image: '/srv/Image', modulesDir: '/srv/mods' });
  t.deepEqual(parse('src:/a=b').source, { kind: 'tree', dir: '/a=b' });
  t.is(parse('src:/a=b').name, 'src-a=b');
});

test('the formatted spec parses back to the same kernel', (t) => {
  for (const s of [
    '7.2',
    'x=6.12+kasan',
    'y=src:/l+lockdep+patch:/p/1.patch+patch:/p/2.patch',
    'z=image:/i/Image,modules:/i/m',
  ]) {
    const k = parse(s);
    const again = parse(formatKernelSpec(k));
    t.deepEqual({ ...again, text: '' }, { ...k, text: '' }, s);
  }
});

test('malformed specs are KRN001 errors naming what is wrong', (t) => {
  const cases: [string, RegExp][] = [
    ['', /no source/],
    ['name=', /no source/],
    ['5.15', /start at Linux 6\.1/],
    ['7.2+bogus', /unknown modifier "\+bogus"/],
    ['7.2+kasan+lockdep', /two variants/],
    ['debian:7.2', /unknown source/],
    ['image:/x/Image', /needs its modules/],
    ['image:/x/Image,modules:/m+kasan', /prebuilt image takes no variant/],
    ['src:', /source directory is empty/],
    ['7.2+patch:', /patch path is empty/],
  ];
  for (const [text, why] of cases) {
    const err = t.throws(() => parse(text), { instanceOf: KernelError }, text);
    t.is(err.code, 'KRN001', text);
    t.regex(err.message, why, text);
  }
});

test('versions order numerically', (t) => {
  t.true(compareVersions('6.12', '6.2') > 0);
  t.true(compareVersions('7.2', '6.12') > 0);
  t.is(compareVersions('6.1.192', '6.1'), 0);
});
