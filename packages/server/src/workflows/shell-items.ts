/** What shell-lexer.ts reads a command template as, shared with shell-heredoc.ts. */
import type { TemplatePart } from './variables.ts';

/** A `$name` of the template. */
export type Reference = Extract<TemplatePart, { variable: string }>;
/** One character of the template's text, or a reference. */
export type Item = string | Reference;
