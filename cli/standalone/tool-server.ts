// Entry of the warm compile server the native mdio-emu-dtc client starts: `tool-server.cjs SOCKET [IDLE_SECONDS]`.
// Bundled as CommonJS (dist/tools/), so it has no top-level await.
import { serveTools } from '../tool-server.js';

const [socket, idle = '30'] = process.argv.slice(2);
if (socket === undefined) {
  process.stderr.write('usage: tool-server SOCKET [IDLE_SECONDS]\n');
  process.exitCode = 2;
} else {
  // Not in the first client's folder, which a build may delete while the server lives on.
  process.chdir('/');
  serveTools({ socket, idleMs: Number(idle) * 1000 }).catch((err: unknown) => {
    process.stderr.write(`mdio-emu tool server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
