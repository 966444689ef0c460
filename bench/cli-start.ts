/**
 * How long a `dm` command takes to start, from the bundle (packages/cli/dist/dm.mjs, run while current) and
 * from the TypeScript sources through tsx, against the yardstick of a bare `node -e 0` spawned the same way,
 * interleaved in one run so a busy machine slows all three alike. The command is `dm --version`-like work:
 * `dm --help` (parses, prints, exits; no server). Prints the median and p90 of each and the ratios.
 *
 * The sources run is a shim doing what bin/dm.js does when the bundle is stale (and what it did for every
 * command before the bundle): register tsx, import packages/cli/src/main.ts.
 *
 * Then a command that asks a server (`dm experiment list` against a `dm serve` started here), with V8's
 * WebAssembly tiering as bin/dm.js sets it (Liftoff only) and as Node's default (DM_WASM_TIER_UP=1): fetch
 * parses HTTP with llhttp in WebAssembly, and the default optimises it on a thread the exit waits for.
 *
 * Usage: node --import tsx bench/cli-start.ts [--runs 30]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCli } from '../scripts/build-cli.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
const cli = resolve(import.meta.dirname, '../packages/cli');

await buildCli();
const shim = join(mkdtempSync(join(tmpdir(), 'dm-cli-start-')), 'dm-sources.mjs');
writeFileSync(
  shim,
  `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
register();
const { main } = await import(${JSON.stringify(pathToFileURL(join(cli, 'src/main.ts')).href)});
process.exitCode = await main(process.argv);
`,
);
const dmBin = join(cli, 'bin/dm.js');
const server = await startServer();
const asking = { XDG_CONFIG_HOME: server.home };
const variants: Record<string, string[]> = {
  'node -e 0 (yardstick)': ['-e', '0'],
  'dm --help, bundle': [join(cli, 'bin/dm.js'), '--help'],
  // What bin/dm.js does when the bundle is stale (or was, for every command, before the bundle).
  'dm --help, sources through tsx': [shim, '--help'],
  'dm experiment list (Liftoff only)': [dmBin, 'experiment', 'list'],
  'dm experiment list (tier-up)': [dmBin, 'experiment', 'list'],
};
const environments: Record<string, NodeJS.ProcessEnv> = {
  'dm experiment list (Liftoff only)': { ...process.env, ...asking },
  'dm experiment list (tier-up)': { ...process.env, ...asking, DM_WASM_TIER_UP: '1' },
};
const times = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, args] of Object.entries(variants)) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: environments[name] ?? process.env,
    });
    if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
    times.get(name)?.push(performance.now() - started);
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
console.log(`# ${runs} runs each, interleaved; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);
const medians = new Map<string, number>();
for (const [name, list] of times) {
  const sorted = [...list].sort((a, b) => a - b);
  medians.set(name, quantile(sorted, 0.5));
  console.log(
    `${name.padEnd(32)} median ${quantile(sorted, 0.5).toFixed(0)} ms  p90 ${quantile(sorted, 0.9).toFixed(0)} ms`,
  );
}
server.child.kill('SIGTERM');
const [yardstick = 1, bundle = 1, sources = 1, liftoff = 1, tierUp = 1] = [...medians.values()];
console.log(
  `bundle / yardstick ${(bundle / yardstick).toFixed(2)}; sources / yardstick ${(sources / yardstick).toFixed(2)}; sources / bundle ${(sources / bundle).toFixed(2)}`,
);
console.log(
  `asking a server: Liftoff only / yardstick ${(liftoff / yardstick).toFixed(2)}; tier-up / Liftoff only ${(tierUp / liftoff).toFixed(2)}`,
);

/** `dm serve` on a free port with a logged-in admin session in its own config home. */
async function startServer() {
  const home = mkdtempSync(join(tmpdir(), 'dm-cli-start-server-'));
  const password = 'bench-admin-password';
  const child = spawn(process.execPath, [dmBin, 'serve', '--port', '0', '--data-dir', join(home, 'data')], {
    env: { ...process.env, DM_ADMIN_PASSWORD: password, DM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const found = /Photon DM listening on (\S+)/.exec(output)?.[1];
      if (found) resolveUrl(found);
    });
    child.once('exit', (code) => reject(new Error(`dm serve exited with ${code}`)));
  });
  const login = spawnSync(
    process.execPath,
    [dmBin, 'login', '--server', url, '--username', 'admin', '--password-stdin'],
    { input: password, encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: home } },
  );
  if (login.status !== 0) throw new Error(`dm login failed: ${login.stderr}`);
  return { child, home };
}
