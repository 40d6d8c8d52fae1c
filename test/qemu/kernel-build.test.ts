import test from 'ava';
import { childCpuSeconds } from '../../src/qemu/kernel-build.js';

test("a build's CPU time is read from bash's `times` (children's line)", (t) => {
  t.is(childCpuSeconds('0m0.010s 0m0.002s\n12m3.50s 1m0.25s\n'), 783.75);
  t.is(childCpuSeconds('garbage'), undefined);
});
