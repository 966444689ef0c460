/**
 * Secret `env` values: a workflow's top-level `secretEnv` names stage `env` variables (an API key, a
 * database password) whose values only admins and the owner may see. Everyone else who may read the
 * workflow sees `hiddenValue` in their place; the stage still gets the real value in its environment.
 * APS files have no `secretEnv`, so nothing of theirs is hidden.
 */
import type { WorkflowDefinition } from './definition.ts';

/** What readers who may not see a secret value get instead. */
export const hiddenValue = '********';

/**
 * A copy with every secret env value replaced by `hiddenValue`; the definition itself is not changed.
 *
 * @example
 * hideSecretEnv({ ...workflow, secretEnv: ['TOKEN'] }).stages['01'].env // { TOKEN: '********', MODE: 'fast' }
 */
export function hideSecretEnv<T extends Pick<WorkflowDefinition, 'secretEnv' | 'stages'>>(definition: T): T {
  const secret = definition.secretEnv ?? [];
  if (secret.length === 0) return definition;
  const stages: WorkflowDefinition['stages'] = {};
  for (const [key, stage] of Object.entries(definition.stages)) {
    const env = stage.env;
    const hidden =
      env === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(env).map(([name, value]) => [name, secret.includes(name) ? hiddenValue : value]),
          );
    Object.defineProperty(stages, key, {
      value: hidden === undefined ? stage : { ...stage, env: hidden },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ...definition, stages };
}

/**
 * An editor shows `hiddenValue` to a station manager who may write but not see a secret: when they send
 * it back unchanged, the previous revision's value is kept instead of the placeholder.
 */
export function keepHiddenSecrets(
  definition: WorkflowDefinition,
  previous: WorkflowDefinition | undefined,
): void {
  if (previous === undefined) return;
  for (const name of definition.secretEnv ?? []) {
    for (const [key, stage] of Object.entries(definition.stages)) {
      const before = Object.hasOwn(previous.stages, key) ? previous.stages[key]?.env : undefined;
      if (stage.env?.[name] === hiddenValue && before !== undefined && Object.hasOwn(before, name)) {
        stage.env[name] = before[name] as string;
      }
    }
  }
}

/** The raw definition an editor sent (validate's echo), hidden the same way when it has the expected shape. */
export function hideSecretEnvIn(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const candidate = raw as Partial<WorkflowDefinition>;
  if (
    !Array.isArray(candidate.secretEnv) ||
    typeof candidate.stages !== 'object' ||
    candidate.stages === null
  )
    return raw;
  try {
    return hideSecretEnv(candidate as WorkflowDefinition);
  } catch {
    return raw;
  }
}
