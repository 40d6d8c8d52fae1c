import test from 'ava';
test('ts runs', (t) => {
  const x: number[] = [1];
  t.is(x[0], 1);
});
