import test from 'ava';
import { kernelCacheKey, kernelDirName, type KernelKeyInputs } from '../../src/qemu/kernel-key.js';

const base: KernelKeyInputs = {
  source: 'debian:linux-source-7.2=7.2.13-1',
  fragments: ['CONFIG_A=y\n', 'CONFIG_B=m\n'],
  variant: 'plain',
  patches: ['--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n'],
  toolchain: 'aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0',
};

test('the same inputs give the same key, built from fresh objects', (t) => {
  const k = kernelCacheKey(base);
  t.regex(k, /^[0-9a-f]{16}$/);
  t.is(kernelCacheKey(structuredClone(base)), k);
});

test('every input changes the key', (t) => {
  const k = kernelCacheKey(base);
  const changed: [string, KernelKeyInputs][] = [
    ['patch text', { ...base, patches: ['--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+c\n'] }],
    ['no patch', { ...base, patches: [] }],
    ['a second patch', { ...base, patches: [...base.patches, 'more'] }],
    ['exact source version', { ...base, source: 'debian:linux-source-7.2=7.2.14-1' }],
    ['fragment text', { ...base, fragments: ['CONFIG_A=y\n', 'CONFIG_B=y\n'] }],
    ['fragment set', { ...base, fragments: ['CONFIG_A=y\n'] }],
    ['variant', { ...base, variant: 'kasan' }],
    ['toolchain', { ...base, toolchain: 'aarch64-linux-gnu-gcc (Debian 14.2.0-1) 14.2.0' }],
  ];
  const seen = new Set([k]);
  for (const [what, inputs] of changed) {
    const other = kernelCacheKey(inputs);
    t.not(other, k, what);
    seen.add(other);
  }
  t.is(seen.size, changed.length + 1, 'no two of the changed inputs collide');
});

test('order matters (patches and fragments apply in order); parts cannot run together', (t) => {
  const two = { ...base, patches: ['p1', 'p2'] };
  t.not(kernelCacheKey(two), kernelCacheKey({ ...base, patches: ['p2', 'p1'] }));
  t.not(
    kernelCacheKey({ ...base, fragments: ['CONFIG_A=y\nCONFIG_B=m\n'] }),
    kernelCacheKey({ ...base, fragments: ['CONFIG_A=y\n', 'CONFIG_B=m\n'] }),
  );
  // A patch's text moved into a fragment is not the same kernel.
  t.not(
    kernelCacheKey({ ...base, fragments: ['x'], patches: [] }),
    kernelCacheKey({ ...base, fragments: [], patches: ['x'] }),
  );
});

test('cache directory names say version, variant and whether patched', (t) => {
  t.is(kernelDirName({ label: '7.2', variant: 'plain', patched: false, key: 'k' }), 'kernel-7.2-k');
  t.is(
    kernelDirName({ label: '6.1', variant: 'kasan', patched: true, key: 'k' }),
    'kernel-6.1-kasan-patched-k',
  );
});
