import test from 'ava';
import { guestToolsFor } from '../../src/qemu/guest-tools.js';

test('each kernel gets the ethtool of its Debian era; pse-tool only where ethtool lacks the PSE commands', (t) => {
  t.deepEqual(guestToolsFor('6.1'), { suite: 'bookworm', pseTool: true });
  t.deepEqual(guestToolsFor('6.11'), { suite: 'bookworm', pseTool: true });
  t.deepEqual(guestToolsFor('6.12'), { suite: 'trixie', pseTool: false });
  t.deepEqual(guestToolsFor('7.2'), { suite: 'sid', pseTool: false });
  t.deepEqual(guestToolsFor('7.10'), { suite: 'sid', pseTool: false });
});
