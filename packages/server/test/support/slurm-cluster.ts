/**
 * A throwaway one-node Slurm cluster for the compute-site tests: munged, slurmctld and slurmd started as root
 * on free ports, every file under one temp directory, each daemon stopped by the PID started here (the recipe
 * is ../shared/recipes/slurm-one-node.md). About two seconds to start.
 *
 * Where Slurm is not installed, or the process is not root, the suites declared with `describeSlurm` hold one
 * skipped test carrying the reason; with CI=true that throws instead, since a silently skipped cluster would
 * hide a missing package in `.ci/run`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type TempDir, tempDir } from './temp-dir.ts';
import { until } from './wait.ts';

const run = promisify(execFile);
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Daemons (in /usr/sbin) and the client commands the adapter runs. */
const programs = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol'];

export interface SlurmCluster {
  /** The environment Slurm's commands need to reach this cluster (`SLURM_CONF`). */
  readonly environment: Record<string, string>;
  /** A directory for the jobs' working directories, removed with the cluster. */
  readonly workDirectory: string;
  /** Stops slurmctld alone (the site is then unreachable); jobs and slurmd keep running. */
  stopController(): Promise<void>;
  /** Starts slurmctld again on its saved state. */
  startController(): Promise<void>;
  /** Cancels every job, then stops slurmd, slurmctld and munged, and removes the directory. */
  stop(): Promise<void>;
}

/** Why the Slurm tests cannot run here, or undefined; throws instead when CI=true. */
export function slurmSkipReason(): string | undefined {
  const missing = programs.filter((program) => findProgram(program) === undefined);
  let reason: string | undefined;
  if (missing.length > 0)
    reason = `Slurm is not installed (no ${missing.join(', ')}; apt-get install slurmctld slurmd slurm-client munge)`;
  else if (process.getuid?.() !== 0) reason = 'the one-node Slurm cluster runs its daemons as root';
  if (reason !== undefined && inCi) throw new Error(`${reason}, and CI=true requires the Slurm tests`);
  return reason;
}

/**
 * Declares a suite that needs a Slurm cluster, or one skipped test with the reason it cannot run (counted by
 * the runner, like describeBackends does for PostgreSQL).
 */
export function describeSlurm(title: string, fn: () => void): void {
  const reason = slurmSkipReason();
  if (reason === undefined) void describe(title, fn);
  else
    void describe(title, () => void it('runs against a one-node Slurm cluster', { skip: reason }, () => {}));
}

/**
 * @example
 * let cluster: SlurmCluster;
 * before(async () => { cluster = await startSlurmCluster(); });
 * after(() => cluster.stop());
 */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const scratch = await tempDir('photon-dm-slurm-');
  // munged wants every user to be able to reach its socket's directory.
  await chmod(scratch.path, 0o755);
  const paths: ClusterPaths = {
    key: join(scratch.path, 'munge-key', 'munge.key'),
    socket: join(scratch.path, 'munge-run', 'munge.socket'),
    state: join(scratch.path, 'state'),
    spool: join(scratch.path, 'spool'),
    log: join(scratch.path, 'log'),
    conf: join(scratch.path, 'slurm.conf'),
    work: join(scratch.path, 'work'),
  };
  await mkdir(join(scratch.path, 'munge-key'), { mode: 0o700 });
  await mkdir(join(scratch.path, 'munge-run'), { mode: 0o755 });
  for (const directory of [paths.state, paths.spool, paths.log, paths.work]) await mkdir(directory);
  const [controllerPort, nodePort] = await twoFreePorts();
  await writeFile(paths.conf, slurmConf(paths, controllerPort, nodePort));
  const environment = { SLURM_CONF: paths.conf };
  const daemonEnvironment = { ...process.env, ...environment };
  const daemons: ChildProcess[] = [];
  const start = (name: string, args: string[]) => {
    const logFd = openSync(join(paths.log, `${name}.out`), 'a');
    const child = spawn(program(name), args, { env: daemonEnvironment, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    daemons.push(child);
    return child;
  };
  let controller: ChildProcess | undefined;
  const startController = async () => {
    controller = start('slurmctld', ['-D', '-f', paths.conf]);
    await untilAlive(controller, scratch, 'slurmctld answers', async () =>
      (await command(['scontrol', 'ping'], environment)).includes('UP'),
    );
  };
  try {
    await run(program('mungekey'), ['--create', `--keyfile=${paths.key}`]);
    const munged = start('munged', [
      '-F',
      `--socket=${paths.socket}`,
      `--key-file=${paths.key}`,
      `--pid-file=${join(paths.log, 'munged.pid')}`,
      `--seed-file=${join(paths.log, 'munged.seed')}`,
      `--log-file=${join(paths.log, 'munged.log')}`,
    ]);
    await untilAlive(munged, scratch, 'munged listens', async () => exists(paths.socket));
    await startController();
    const node = start('slurmd', ['-D', '-N', 'localhost', '-f', paths.conf]);
    await untilAlive(node, scratch, 'the node is idle', async () =>
      (await command(['sinfo', '-h', '-o', '%t'], environment)).trim().startsWith('idle'),
    );
  } catch (error) {
    await stopAll(daemons, environment);
    await scratch.remove();
    throw error;
  }
  return {
    environment,
    workDirectory: paths.work,
    async stopController() {
      if (controller) await stopProcess(controller);
    },
    startController,
    async stop() {
      // A test that failed during an outage leaves slurmctld down, and only slurmctld can cancel the jobs.
      if (controller && !running(controller)) await startController();
      await stopAll(daemons, environment);
      await scratch.remove();
    },
  };
}

interface ClusterPaths {
  key: string;
  socket: string;
  state: string;
  spool: string;
  log: string;
  conf: string;
  work: string;
}

function slurmConf(paths: ClusterPaths, controllerPort: number, nodePort: number): string {
  return `${[
    'ClusterName=photon-test',
    'SlurmctldHost=localhost',
    `SlurmctldPort=${controllerPort}`,
    `SlurmdPort=${nodePort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `AuthInfo=socket=${paths.socket}`,
    `StateSaveLocation=${paths.state}`,
    `SlurmdSpoolDir=${paths.spool}`,
    `SlurmctldPidFile=${join(paths.log, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(paths.log, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(paths.log, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(paths.log, 'slurmd.log')}`,
    // No systemd and no cgroups in these machines: track processes by their parent, bind nothing.
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SchedulerType=sched/backfill',
    'SchedulerParameters=bf_interval=2',
    'ReturnToService=2',
    `JobCompType=jobcomp/filetxt`,
    `JobCompLoc=${join(paths.log, 'jobcomp.txt')}`,
    'AccountingStorageType=accounting_storage/none',
    'MpiDefault=none',
    // Ended jobs leave squeue after 10 s (300 by default), so that a test sees a job squeue has forgotten.
    'MinJobAge=10',
    // A job over its walltime is killed at the controller's next check (every 30 s), with no grace
    // (OverTimeLimit) and two seconds between SIGTERM and SIGKILL: a walltime test then takes about a minute.
    'OverTimeLimit=0',
    'KillWait=2',
    // Commands give up on an unreachable controller after a few seconds instead of ten.
    'MessageTimeout=5',
    // More CPUs than the machine has, so that the tests' jobs run side by side.
    'SlurmdParameters=config_overrides',
    'NodeName=localhost CPUs=32 RealMemory=2000 State=UNKNOWN',
    'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
  ].join('\n')}\n`;
}

/** Waits for `ready`, failing at once with the daemon's log when it exits first. */
async function untilAlive(
  child: ChildProcess,
  scratch: TempDir,
  message: string,
  ready: () => Promise<boolean>,
) {
  await until(
    async () => {
      if (!running(child)) {
        const log = await readFile(
          join(scratch.path, 'log', `${child.spawnfile.split('/').pop()}.out`),
          'utf8',
        );
        throw new Error(`${child.spawnfile} exited (${child.exitCode ?? child.signalCode}):\n${log}`);
      }
      return ready();
    },
    { timeout: 30_000, interval: 100, message },
  );
}

/**
 * Jobs first: each runs under a slurmstepd that is no child of slurmd and outlives it, so every job is
 * cancelled, and every slurmstepd of this cluster awaited, before the daemons stop.
 */
async function stopAll(daemons: ChildProcess[], environment: Record<string, string>) {
  try {
    if (daemons.some((child) => child.spawnfile.endsWith('slurmctld') && running(child))) {
      await command(['scancel', '--user=root'], environment);
      await until(async () => (await command(['squeue', '-h', '-o', '%i'], environment)).trim() === '', {
        timeout: 30_000,
        interval: 200,
        message: 'every job of the test cluster ended',
      });
    }
    const conf = environment.SLURM_CONF ?? '';
    await until(async () => (await stepDaemons(conf)).length === 0, {
      timeout: 30_000,
      interval: 200,
      message: 'every slurmstepd of the test cluster exited',
    });
  } finally {
    // Stopped whatever happened above: a daemon left running would hold the test file open.
    for (const child of [...daemons].reverse()) await stopProcess(child);
  }
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The slurmstepd processes of the cluster whose slurm.conf is `conf` (they inherit slurmd's environment). */
async function stepDaemons(conf: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== 'slurmstepd') continue;
    // An exiting process has no environment left to read: counted, as it may be ours.
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ === '' || environ.split('\0').includes(`SLURM_CONF=${conf}`)) found.push(pid);
  }
  return found;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (!running(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A client command's stdout, or '' when it failed (the daemons may still be starting). */
async function command(argv: string[], environment: Record<string, string>): Promise<string> {
  const [name = '', ...args] = argv;
  try {
    return (await run(program(name), args, { env: { ...process.env, ...environment }, timeout: 20_000 }))
      .stdout;
  } catch {
    return '';
  }
}

/** Two ports free at this moment (both held open together, so they differ). */
async function twoFreePorts(): Promise<[number, number]> {
  const open = async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server;
  };
  const servers = [await open(), await open()];
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return [ports[0] ?? 0, ports[1] ?? 0];
}

function program(name: string): string {
  return findProgram(name) ?? name;
}

function findProgram(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin'];
  for (const directory of directories) {
    const path = join(directory, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

function exists(path: string): boolean {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}
