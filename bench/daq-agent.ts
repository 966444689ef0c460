/**
 * The DAQ agent (`dm daq-agent`) end to end, against the server's own (in-process) DAQ on the same kind of
 * files in the same run: a real `dm serve` and two real `dm daq-agent` processes on loopback, one sending
 * over HTTP, one copying directly into the storage (`--storage-root`, the server's storage directory seen
 * from the same machine), on SQLite (and with `--only postgres|both` a throwaway PostgreSQL cluster). Every
 * DAQ is started through the API with `settleSeconds` 0.2, the default discovery (watch hints, 15 s
 * rescans). A writer in this process plays the detector, on the same disk as the storage.
 *
 * - small: N files of 64 KB written as fast as the writer can; from the first write until the DAQ's
 *   nProcessedFiles (the catalog's count, polled every 100 ms) reaches N, in files/s and MB/s.
 * - large: M files of S MB, the same way.
 *
 * Each line gives the CPU (user + system, all threads, from /proc) the server and the agent used per file
 * during the case: on 2 shared cores the cost per file is the figure a busy machine changes least. The
 * modes run one after the other with fresh files of the same sizes. MB = 2^20 bytes.
 *
 * Usage: node --import tsx bench/daq-agent.ts [--small-count 5000 --small-kb 64 --large-count 10
 *        --large-mb 200 --cases small,large --modes in-process,http,direct
 *        --only sqlite|postgres|both (sqlite) --max-wait 600 --old-agent DIR]
 *
 * --old-agent DIR: a checkout of an older commit (with node_modules) whose `dm daq-agent` runs as modes
 * `http-old` and `direct-old` (add them to --modes): the agent before a change, against this server, in
 * the same run.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { type AgentProcess, startAgentProcess } from '../packages/server/test/support/agent-process.ts';
import { api, startServerProcess } from '../packages/server/test/support/server-process.ts';
import {
  ascending,
  cpuSeconds,
  DaqApi,
  describeMachine,
  eachDatabase,
  fmt,
  percentile,
  writeLargeFiles,
  writeSmallFiles,
} from './daq-support.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    'small-count': { type: 'string', default: '5000' },
    'small-kb': { type: 'string', default: '64' },
    'large-count': { type: 'string', default: '10' },
    'large-mb': { type: 'string', default: '200' },
    cases: { type: 'string', default: 'small,large' },
    modes: { type: 'string', default: 'in-process,http,direct' },
    only: { type: 'string', default: 'sqlite' },
    'max-wait': { type: 'string', default: '600' },
    'old-agent': { type: 'string' },
  },
});
const sizes = {
  small: { count: Number(values['small-count']), mb: Number(values['small-kb']) / 1024 },
  large: { count: Number(values['large-count']), mb: Number(values['large-mb']) },
};
type Case = keyof typeof sizes;
const cases = values.cases.split(',') as Case[];
const modes = values.modes.split(',') as Mode[];
const maxWaitMs = Number(values['max-wait']) * 1000;
const settleSeconds = 0.2;
const password = 'bench-admin-password';
const station = '8-ID-I';

/**
 * Who takes the files: the server's own DAQ, or an agent over HTTP or copying into mounted storage, or
 * (`http-old`, `direct-old`, with --old-agent) an older checkout's agent the same ways against this server.
 */
type Mode = 'in-process' | 'http' | 'direct' | 'http-old' | 'direct-old';
type AgentKind = Exclude<Mode, 'in-process'>;

interface Setup {
  client: DaqApi;
  serverPid: number | undefined;
  agents: Partial<Record<AgentKind, AgentProcess>>;
  work: string;
  label: string;
}

/** The agent that runs a mode's DAQs (by name), or none: the server runs it. */
function agentOf(mode: Mode): AgentKind | undefined {
  switch (mode) {
    case 'in-process':
      return undefined;
    case 'http':
    case 'direct':
    case 'http-old':
    case 'direct-old':
      return mode;
    default: {
      const never: never = mode;
      throw new Error(`unknown mode ${never}`);
    }
  }
}

/** Requests the server answered per agent route (`/files/...`) and their summed seconds, from /metrics. */
async function agentRequests(url: string): Promise<Map<string, { count: number; seconds: number }>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const routes = new Map<string, { count: number; seconds: number }>();
  const line = /^dm_http_request_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm;
  for (const [, kind, labels, value] of text.matchAll(line)) {
    const route = /route="[^"]*\/files\/([^"]+)"/.exec(labels ?? '')?.[1];
    if (route === undefined) continue;
    const entry = routes.get(route) ?? { count: 0, seconds: 0 };
    if (kind === 'sum') entry.seconds += Number(value);
    else entry.count += Number(value);
    routes.set(route, entry);
  }
  return routes;
}

/** What each agent route cost during a case: requests per file and mean milliseconds a request. */
function requestsLine(
  before: Map<string, { count: number; seconds: number }>,
  after: Map<string, { count: number; seconds: number }>,
  files: number,
): string {
  const parts = [...after].map(([route, { count, seconds }]) => {
    const n = count - (before.get(route)?.count ?? 0);
    const s = seconds - (before.get(route)?.seconds ?? 0);
    return n === 0 ? '' : `${route} ${fmt(n / files, 2)}/file ${fmt((1000 * s) / n, 1)} ms`;
  });
  return parts.filter((part) => part !== '').join(', ');
}

/** One case in one mode: fresh files written while the DAQ takes them; the line it prints. */
async function measureCase(setup: Setup, which: Case, mode: Mode): Promise<void> {
  const { client, work, label } = setup;
  const { count, mb } = sizes[which];
  const detector = join(work, 'detectors', `${which}-${mode}-detector`);
  await mkdir(detector);
  const experiment = `agent-${which}-${mode}`;
  const agent = agentOf(mode);
  const daq = await client.startDaq(experiment, detector, agent && `bench-${agent}`);
  const agentPid = agent === undefined ? undefined : setup.agents[agent]?.child.pid;
  await run('sync');
  const before = { server: await cpuSeconds(setup.serverPid), agent: await cpuSeconds(agentPid) };
  const requestsBefore = await agentRequests(client.url);
  const started = performance.now();
  const writing =
    which === 'small' ? writeSmallFiles(detector, count, mb * 1024) : writeLargeFiles(detector, count, mb);
  const done = await client.waitForTaken(daq.id, count);
  const server = (await cpuSeconds(setup.serverPid)) - before.server;
  const agentCpu = (await cpuSeconds(agentPid)) - before.agent;
  const requests = requestsLine(requestsBefore, await agentRequests(client.url), done.taken);
  const writerSeconds = await writing;
  await client.call('POST', `/api/v1/daqs/${daq.id}/stop`);
  const seconds = (done.at - started) / 1000;
  const files = await client.files(experiment);
  const takeMs = ascending(files.map((file) => file.transferMs ?? 0));
  const perFile = (cpu: number) => `${fmt((1000 * cpu) / Math.max(1, done.taken), 2)} ms a file`;
  const size = which === 'small' ? `${fmt(mb * 1024)} KB` : `${fmt(mb)} MB`;
  console.log(
    `daq-agent ${label} ${which} ${mode}: ${fmt(done.taken)}${done.complete ? '' : ` of ${fmt(count)} (gave up)`} ` +
      `files of ${size} in ${fmt(seconds, 1)} s = ${fmt(done.taken / seconds, which === 'large' ? 2 : 0)} files/s, ` +
      `${fmt((done.taken * mb) / seconds)} MB/s end to end; writer ${fmt(count / writerSeconds)} files/s; ` +
      `server CPU ${perFile(server)} (${fmt(server, 1)} s)` +
      (agent === undefined ? '' : `, agent CPU ${perFile(agentCpu)} (${fmt(agentCpu, 1)} s)`) +
      (mode.startsWith('direct') ? '' : `; take p50 ${fmt(percentile(takeMs, 50), 1)} ms`) +
      (requests === '' ? '' : `; requests: ${requests}`),
  );
  await rm(detector, { recursive: true });
}

async function measure(label: string, databaseUrl: string | undefined, root: string): Promise<void> {
  const work = await mkdtemp(join(root, `${label}-`));
  const data = join(work, 'data');
  const server = await startServerProcess(
    ['--data-dir', data, ...(databaseUrl ? ['--database-url', databaseUrl] : [])],
    { DM_ADMIN_PASSWORD: password },
  );
  const agents: Setup['agents'] = {};
  try {
    const login = await api(server.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password });
    const token = login.body.token as string;
    const client = new DaqApi(server.url, token, { station, settleSeconds, maxWaitMs });
    await client.call('POST', '/api/v1/stations', { name: station });
    // Agents read only the detectors' directory (not `work`, which holds the storage they may copy into);
    // an older agent ignores the variable.
    const allowed = { DM_AGENT_ALLOWED_DIRECTORIES: join(work, 'detectors') };
    await mkdir(allowed.DM_AGENT_ALLOWED_DIRECTORIES);
    agents.http = await startAgentProcess(server.url, token, ['--name', 'bench-http'], allowed);
    agents.direct = await startAgentProcess(
      server.url,
      token,
      ['--name', 'bench-direct', '--storage-root', join(data, 'storage')],
      allowed,
    );
    for (const mode of ['http-old', 'direct-old'] as const) {
      if (!modes.includes(mode)) continue;
      if (values['old-agent'] === undefined) throw new Error(`mode ${mode} needs --old-agent DIR`);
      const bin = join(values['old-agent'], 'packages', 'cli', 'bin', 'dm.js');
      const args = ['--name', `bench-${mode}`];
      if (mode === 'direct-old') args.push('--storage-root', join(data, 'storage'));
      agents[mode] = await startAgentProcess(server.url, token, args, allowed, bin);
    }
    const setup: Setup = { client, serverPid: server.child.pid, agents, work, label };
    for (const which of cases) for (const mode of modes) await measureCase(setup, which, mode);
  } finally {
    for (const agent of Object.values(agents)) {
      const code = await agent.stop();
      if (code !== 0) console.log(`agent exited with ${code}:\n${agent.output()}`);
    }
    const code = await server.stop();
    if (code !== 0) console.log(`server exited with ${code}:\n${server.output()}`);
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------

const root = await mkdtemp(join(tmpdir(), 'dm-bench-daq-agent-'));
try {
  const machine = await describeMachine(root);
  console.log(
    `${machine.text}; DAQs with settleSeconds ${settleSeconds}, default discovery (watch hints, 15 s ` +
      `rescans); modes ${modes.join(', ')}`,
  );

  await eachDatabase('daq-agent', values.only, (label, url) => measure(label, url, root));
} finally {
  await rm(root, { recursive: true, force: true });
}
