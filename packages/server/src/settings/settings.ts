/**
 * One typed settings object, parsed once at start from flags, `DM_*` variables and an optional JSON config
 * file (in that order of precedence). Every problem is reported at once, so an operator fixes a bad
 * deployment in one round instead of one error per restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defined } from '../errors/defined.ts';
import { durationPattern, parseDuration } from './duration.ts';

export interface Settings {
  /** What this process does (`--roles`); every role by default, the embedded single-process server. */
  roles: ReadonlySet<Role>;
  host: string;
  port: number;
  dataDir: string;
  storageRoot: string;
  databaseUrl: string;
  databasePoolSize: number;
  logLevel: LogLevel;
  /** Lifetime of `dm login` tokens, in milliseconds. */
  sessionTtl: number;
  adminPassword: string | undefined;
  /** Default settle time of DAQs: a file is complete once unchanged for this long. */
  daqSettleSeconds: number;
  /**
   * Seconds between full rescans of a DAQ's directory: the safety net for watch hints that were lost (or
   * never sent, on network file systems); with watching off, the only way files are found.
   */
  daqRescanSeconds: number;
  /** Whether DAQs watch their directories (inotify) to look at new files within a tenth of a second. */
  daqWatch: boolean;
  /** Jobs this process runs at once on the local site (default: one per core). */
  jobConcurrency: number;
  /** Ended jobs (and logs of jobs without an experiment) are deleted after this many days; 0 keeps them. */
  jobRetentionDays: number;
  /** Live events older than this many days are deleted. */
  eventRetentionDays: number;
  /**
   * Age (by mtime) after which a `.dm-partial-*` temp file is taken for a crash's leftover and swept away;
   * longer than any copy can go without writing to it (see retention/partial-sweep.ts).
   */
  partialFileMaxAgeMinutes: number;
  /** Minutes between two sweeps of those temp files (each walks every ready experiment's tree). */
  partialSweepMinutes: number;
  /**
   * The most processes one parallel stage runs at once, whatever its `parallel.maxConcurrent` says: a
   * workflow asking for more is refused at upsert, and one stored before is held to it (workflows/limits.ts).
   */
  stageMaxParallel: number;
  /** The shortest `repeatPeriod` (seconds) a repeated stage may have; shorter ones are refused or raised. */
  minRepeatPeriod: number;
  /**
   * How a stage gets the unix account it must run as: `direct` (the server runs as root and switches to the
   * account itself), `sudo` (the server runs as an unprivileged service account and switches through the
   * narrow sudo rule of docs/operations.md), `none` (every stage runs as the server's own account: a
   * personal installation only, never a facility's).
   */
  stageSwitch: StageSwitch;
  /** The unprivileged account a stage runs as when its workflow names no unix account. */
  stageAccount: string;
  /** Whether an admin may allow a workflow to run as root at all (each workflow still needs its own leave). */
  allowRootStages: boolean;
  /** Accounts below this uid are system accounts: no workflow runs as one, no station lists one. */
  minStageUid: number;
  /** Accounts no workflow may run as, whatever their uid (e.g. a shared service account above 1000). */
  forbiddenAccounts: string[];
  /** The built portal (`vite build` of packages/web), served at `/`; absent means the API alone is served. */
  webDir: string;
  configFile: string | undefined;
}

/**
 * The roles a `dm serve` process can run. `api`: the HTTP API and the portal. `jobs`: the job engine (claims
 * pending jobs and runs their stages on this host; with remote sites it becomes the scheduler and the
 * worker of docs/ARCHITECTURE.md). `transfers`: the server's DAQ monitors and uploads. `retention`: deletes
 * what has expired (live events, temp files of interrupted copies) and retries interrupted storage work.
 */
export const roles = ['api', 'jobs', 'transfers', 'retention'] as const;
export type Role = (typeof roles)[number];

export const stageSwitches = ['direct', 'sudo', 'none'] as const;
export type StageSwitch = (typeof stageSwitches)[number];

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

type SettingKey = Exclude<keyof Settings, 'configFile'>;

export interface SettingDefinition {
  key: SettingKey;
  env: string;
  /** Commander flag; secrets have none, so they never appear in `ps` output. */
  flag?: string;
  description: string;
  defaultText: string;
}

/** The table `dm serve --help` and docs/operations.md are written from. */
export const settingDefinitions: readonly SettingDefinition[] = [
  {
    key: 'roles',
    env: 'DM_ROLES',
    flag: '--roles <list>',
    description: `comma-separated roles of this process: ${roles.join(', ')} (split them only on PostgreSQL)`,
    defaultText: 'all',
  },
  {
    key: 'host',
    env: 'DM_HOST',
    flag: '--host <address>',
    description: 'address the API listens on',
    defaultText: '127.0.0.1',
  },
  {
    key: 'port',
    env: 'DM_PORT',
    flag: '--port <number>',
    description: 'TCP port of the API (0 picks a free one)',
    defaultText: '8080',
  },
  {
    key: 'dataDir',
    env: 'DM_DATA_DIR',
    flag: '--data-dir <path>',
    description: 'directory for the embedded database, secrets and default storage',
    defaultText: './dm-data',
  },
  {
    key: 'storageRoot',
    env: 'DM_STORAGE_ROOT',
    flag: '--storage-root <path>',
    description: 'root of experiment storage trees',
    defaultText: '<data-dir>/storage',
  },
  {
    key: 'databaseUrl',
    env: 'DM_DATABASE_URL',
    flag: '--database-url <url>',
    description: 'sqlite:PATH or postgres://user:password@host:port/database',
    defaultText: 'sqlite:<data-dir>/photon-dm.sqlite',
  },
  {
    key: 'databasePoolSize',
    env: 'DM_DATABASE_POOL_SIZE',
    flag: '--database-pool-size <number>',
    description: 'PostgreSQL connections per process',
    defaultText: '10',
  },
  {
    key: 'logLevel',
    env: 'DM_LOG_LEVEL',
    flag: '--log-level <level>',
    description: `log level: ${logLevels.join(', ')}`,
    defaultText: 'info',
  },
  {
    key: 'sessionTtl',
    env: 'DM_SESSION_TTL',
    flag: '--session-ttl <duration>',
    description: 'lifetime of tokens made by `dm login` (e.g. 12h, 30d)',
    defaultText: '30d',
  },
  {
    key: 'daqSettleSeconds',
    env: 'DM_DAQ_SETTLE_SECONDS',
    flag: '--daq-settle-seconds <number>',
    description:
      'default settle time of DAQs in seconds (0.5 allowed): a file is taken once unchanged this long',
    defaultText: '5',
  },
  {
    key: 'daqRescanSeconds',
    env: 'DM_DAQ_RESCAN_SECONDS',
    flag: '--daq-rescan-seconds <number>',
    description:
      'seconds between full rescans of a DAQ directory (the safety net for lost watch events; 0.1 allowed)',
    defaultText: '15',
  },
  {
    key: 'daqWatch',
    env: 'DM_DAQ_WATCH',
    flag: '--daq-watch <yes|no>',
    description: 'watch DAQ directories (inotify) so new files are seen at once; no: rescans only',
    defaultText: 'yes',
  },
  {
    key: 'jobConcurrency',
    env: 'DM_JOB_CONCURRENCY',
    flag: '--job-concurrency <number>',
    description: 'processing jobs this process runs at once on the local site',
    defaultText: 'number of cores',
  },
  {
    key: 'jobRetentionDays',
    env: 'DM_JOB_RETENTION_DAYS',
    flag: '--job-retention-days <days>',
    description: 'days ended jobs are kept in `dm job history` (0: forever)',
    defaultText: '90',
  },
  {
    key: 'eventRetentionDays',
    env: 'DM_EVENT_RETENTION_DAYS',
    flag: '--event-retention-days <number>',
    description: 'live events (GET /api/v1/events) older than this many days are deleted',
    defaultText: '7',
  },
  {
    key: 'partialFileMaxAgeMinutes',
    env: 'DM_PARTIAL_FILE_MAX_AGE_MINUTES',
    flag: '--partial-file-max-age-minutes <number>',
    description: 'temp files of interrupted copies untouched for this long are removed from storage',
    defaultText: '60',
  },
  {
    key: 'partialSweepMinutes',
    env: 'DM_PARTIAL_SWEEP_MINUTES',
    flag: '--partial-sweep-minutes <number>',
    description: 'minutes between two sweeps of temp files left by interrupted copies',
    defaultText: '60',
  },
  {
    key: 'stageMaxParallel',
    env: 'DM_STAGE_MAX_PARALLEL',
    flag: '--stage-max-parallel <number>',
    description: 'most processes one parallel stage runs at once (caps parallel.maxConcurrent)',
    defaultText: '32',
  },
  {
    key: 'minRepeatPeriod',
    env: 'DM_MIN_REPEAT_PERIOD',
    flag: '--min-repeat-period <seconds>',
    description: 'shortest repeatPeriod a repeated stage may have, in seconds',
    defaultText: '1',
  },
  {
    key: 'stageSwitch',
    env: 'DM_STAGE_SWITCH',
    flag: '--stage-switch <mode>',
    description:
      'how stages run as their unix account: direct (server is root), sudo (through the sudo rule), none (as the server)',
    defaultText: 'direct as root, none otherwise',
  },
  {
    key: 'stageAccount',
    env: 'DM_STAGE_ACCOUNT',
    flag: '--stage-account <name>',
    description: 'unprivileged unix account of stages whose workflow names none',
    defaultText: 'nobody',
  },
  {
    key: 'allowRootStages',
    env: 'DM_ALLOW_ROOT_STAGES',
    flag: '--allow-root-stages <yes|no>',
    description: 'whether admins may let single workflows run as root at all',
    defaultText: 'no',
  },
  {
    key: 'minStageUid',
    env: 'DM_MIN_STAGE_UID',
    flag: '--min-stage-uid <number>',
    description: 'accounts below this uid are system accounts, which no stage runs as',
    defaultText: '1000',
  },
  {
    key: 'forbiddenAccounts',
    env: 'DM_FORBIDDEN_ACCOUNTS',
    flag: '--forbidden-accounts <names>',
    description: 'comma-separated unix accounts no stage runs as, whatever their uid',
    defaultText: 'none',
  },
  {
    key: 'webDir',
    env: 'DM_WEB_DIR',
    flag: '--web-dir <path>',
    description: 'the built portal served at / (npm run build:web makes it)',
    defaultText: 'packages/web/dist',
  },
  {
    key: 'adminPassword',
    env: 'DM_ADMIN_PASSWORD',
    description: 'password of the `admin` account created at first start',
    defaultText: 'generated',
  },
];

const maxSessionTtl = parseDuration('3650d') ?? 0;

export const configFileEnv = 'DM_CONFIG';

/** Where `npm run build:web` puts the portal, found from this file so any working directory works. */
const builtPortal = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

export interface SettingsSources {
  /** Values from command-line flags, keyed by setting key; undefined means "not given". */
  flags?: Partial<Record<SettingKey | 'configFile', string | undefined>>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * @example
 * const settings = loadSettings({ flags: { port: '9000' }, env: process.env });
 */
export function loadSettings(sources: SettingsSources = {}): Settings {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const cwd = sources.cwd ?? process.cwd();
  const problems: string[] = [];

  const configFile = flags.configFile ?? env[configFileEnv];
  const fileValues = configFile ? readConfigFile(resolve(cwd, configFile), problems) : {};

  const raw = (key: SettingKey): { value: string; origin: string } | undefined => {
    const definition = defined(
      settingDefinitions.find((d) => d.key === key),
      `the setting ${key}`,
    );
    const fromFlag = flags[key];
    if (fromFlag !== undefined) return { value: fromFlag, origin: definition.flag?.split(' ')[0] ?? key };
    const fromEnv = env[definition.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, origin: definition.env };
    const fromFile = fileValues[key];
    if (fromFile !== undefined) return { value: String(fromFile), origin: `${configFile}: ${key}` };
    return undefined;
  };

  const integer = (key: SettingKey, fallback: number, min: number, max: number): number => {
    const given = raw(key);
    if (!given) return fallback;
    const value = Number(given.value);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${given.origin}: "${given.value}" is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };

  // Fractions allowed (a settle time of 0.5 s for a fast detector); `Number` alone would take '', 'Infinity'
  // and '0x10', so the text must look like a plain decimal.
  const decimal = (key: SettingKey, fallback: number, min: number, max: number): number => {
    const given = raw(key);
    if (!given) return fallback;
    const value = Number(given.value);
    if (
      !/^\s*[0-9]*\.?[0-9]+\s*$/.test(given.value) ||
      !Number.isFinite(value) ||
      value < min ||
      value > max
    ) {
      problems.push(`${given.origin}: "${given.value}" is not a number from ${min} to ${max} (e.g. 0.5)`);
      return fallback;
    }
    return value;
  };

  const yesNo = (key: SettingKey, fallback: boolean): boolean => {
    const given = raw(key);
    if (!given) return fallback;
    const value = given.value.trim().toLowerCase();
    if (['yes', 'true', 'on', '1'].includes(value)) return true;
    if (['no', 'false', 'off', '0'].includes(value)) return false;
    problems.push(`${given.origin}: "${given.value}" is not yes or no`);
    return fallback;
  };

  const dataDir = resolve(cwd, raw('dataDir')?.value ?? './dm-data');
  const storageRoot = resolve(cwd, raw('storageRoot')?.value ?? `${dataDir}/storage`);
  const databaseUrl = raw('databaseUrl')?.value ?? `sqlite:${dataDir}/photon-dm.sqlite`;
  const databaseGiven = raw('databaseUrl');
  if (databaseGiven && !/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    problems.push(`${databaseGiven.origin}: expected sqlite:PATH or postgres://..., got "${databaseUrl}"`);
  }

  const logGiven = raw('logLevel');
  const logLevel = (logGiven?.value ?? 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) {
    problems.push(`${logGiven?.origin}: "${logGiven?.value}" is not one of ${logLevels.join(', ')}`);
  }

  const ttlGiven = raw('sessionTtl');
  const sessionTtl = ttlGiven ? parseDuration(ttlGiven.value) : parseDuration('30d');
  if (sessionTtl === undefined || sessionTtl <= 0) {
    problems.push(
      `${ttlGiven?.origin}: "${ttlGiven?.value}" is not a duration like 12h or 30d (${durationPattern})`,
    );
  } else if (sessionTtl > maxSessionTtl) {
    // Beyond this a session's expiry is past the dates the databases store: every login would fail.
    problems.push(`${ttlGiven?.origin}: "${ttlGiven?.value}" is longer than 3650d`);
  }

  const adminPassword = raw('adminPassword')?.value;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    problems.push('DM_ADMIN_PASSWORD: must have at least 8 characters');
  }

  const switchGiven = raw('stageSwitch');
  const stageSwitch = (switchGiven?.value.trim() ??
    (process.getuid?.() === 0 ? 'direct' : 'none')) as StageSwitch;
  if (!stageSwitches.includes(stageSwitch)) {
    problems.push(
      `${switchGiven?.origin}: "${switchGiven?.value}" is not one of ${stageSwitches.join(', ')}`,
    );
  }
  const accountName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;
  const stageAccount = raw('stageAccount')?.value.trim() ?? 'nobody';
  if (!accountName.test(stageAccount)) {
    problems.push(`${raw('stageAccount')?.origin}: "${stageAccount}" is not a unix account name`);
  }
  const forbiddenGiven = raw('forbiddenAccounts');
  const forbiddenAccounts = (forbiddenGiven?.value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of forbiddenAccounts.filter((name) => !accountName.test(name))) {
    problems.push(`${forbiddenGiven?.origin}: "${name}" is not a unix account name`);
  }

  const rolesGiven = raw('roles');
  const chosenRoles = parseRoles(rolesGiven?.value ?? 'all');
  if (typeof chosenRoles === 'string') problems.push(`${rolesGiven?.origin}: ${chosenRoles}`);
  else if (chosenRoles.size < roles.length && databaseUrl.startsWith('sqlite:')) {
    // The embedded SQLite database has one process by design: a role left out here would never run.
    problems.push(
      `${rolesGiven?.origin}: running only some roles (${[...chosenRoles].join(', ')}) needs PostgreSQL, where other processes run the rest; SQLite runs every role in one process`,
    );
  }

  const settings: Settings = {
    roles: typeof chosenRoles === 'string' ? new Set(roles) : chosenRoles,
    host: raw('host')?.value ?? '127.0.0.1',
    port: integer('port', 8080, 0, 65_535),
    dataDir,
    storageRoot,
    databaseUrl: databaseUrl.startsWith('sqlite:')
      ? `sqlite:${resolve(cwd, databaseUrl.slice('sqlite:'.length))}`
      : databaseUrl,
    databasePoolSize: integer('databasePoolSize', 10, 1, 1_000),
    jobConcurrency: integer('jobConcurrency', availableParallelism(), 1, 10_000),
    jobRetentionDays: integer('jobRetentionDays', 90, 0, 36_500),
    eventRetentionDays: integer('eventRetentionDays', 7, 1, 3_650),
    daqSettleSeconds: decimal('daqSettleSeconds', 5, 0, 3_600),
    daqRescanSeconds: decimal('daqRescanSeconds', 15, 0.1, 86_400),
    daqWatch: yesNo('daqWatch', true),
    partialFileMaxAgeMinutes: integer('partialFileMaxAgeMinutes', 60, 1, 10_080),
    partialSweepMinutes: integer('partialSweepMinutes', 60, 1, 10_080),
    stageMaxParallel: integer('stageMaxParallel', 32, 1, 10_000),
    minRepeatPeriod: decimal('minRepeatPeriod', 1, 0, 86_400),
    stageSwitch,
    stageAccount,
    allowRootStages: yesNo('allowRootStages', false),
    minStageUid: integer('minStageUid', 1000, 1, 4_294_967_294),
    forbiddenAccounts,
    webDir: resolve(cwd, raw('webDir')?.value ?? builtPortal),
    logLevel,
    sessionTtl: sessionTtl ?? 0,
    adminPassword,
    configFile,
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/** `api,jobs` → the set, or what is wrong with the text. */
function parseRoles(text: string): ReadonlySet<Role> | string {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 1 && names[0] === 'all') return new Set(roles);
  const unknown = names.filter((name) => !(roles as readonly string[]).includes(name));
  if (unknown.length > 0)
    return `unknown role ${unknown.map((n) => `"${n}"`).join(', ')} (roles: ${roles.join(', ')}, or all)`;
  if (names.length === 0) return `no role given (roles: ${roles.join(', ')}, or all)`;
  return new Set(names as Role[]);
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  if (!existsSync(path)) {
    problems.push(`config file ${path} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`config file ${path}: not valid JSON (${error instanceof Error ? error.message : error})`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`config file ${path}: expected a JSON object`);
    return {};
  }
  const known = new Set<string>(settingDefinitions.map((d) => d.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key))
      problems.push(`config file ${path}: unknown setting "${key}" (known: ${[...known].join(', ')})`);
  }
  return parsed as Record<string, unknown>;
}
