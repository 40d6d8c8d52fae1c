import test from 'ava';
import { MAX_VIRTUAL_NS, VirtualClock } from '../../src/clock.js';

test('timers fire in deadline then insertion order, with now() at each deadline', (t) => {
  const clock = new VirtualClock();
  const seen: string[] = [];
  clock.schedule(20, () => seen.push(`b@${clock.now()}`));
  clock.schedule(10, () => {
    seen.push(`a@${clock.now()}`);
    clock.schedule(15, () => seen.push(`c@${clock.now()}`)); // scheduled from a callback, still due
  });
  clock.schedule(20, () => seen.push(`d@${clock.now()}`));
  const cancelled = clock.schedule(5, () => seen.push('never'));
  cancelled.cancel();
  clock.advance(25);
  t.deepEqual(seen, ['a@10', 'c@15', 'b@20', 'd@20']);
  t.is(clock.now(), 25);
  t.is(clock.pendingTimers, 0);
  t.throws(
    () => {
      clock.advance(-1);
    },
    { instanceOf: RangeError },
  );
});

test('issue 12 #8: a clock refuses to pass the last exact nanosecond instead of silently stopping', (t) => {
  const clock = new VirtualClock(MAX_VIRTUAL_NS - 1);
  clock.advance(1);
  t.is(clock.now(), MAX_VIRTUAL_NS);
  t.throws(
    () => {
      clock.advance(1);
    },
    { instanceOf: RangeError },
  );
  t.throws(
    () => {
      clock.advanceTo(Number.NaN);
    },
    { instanceOf: RangeError },
  );
  t.is(clock.now(), MAX_VIRTUAL_NS);
});
