const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const durationPattern = '^[0-9]+(s|m|h|d|w)$';

/**
 * Parses durations the way operators write them: `45s`, `90m`, `12h`, `30d`, `2w`.
 *
 * @example
 * parseDuration('2d') // 172800000
 */
export function parseDuration(text: string): number | undefined {
  const match = /^([0-9]+)(s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}
