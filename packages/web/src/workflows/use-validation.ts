/**
 * Checks the editor's text through `POST /workflows/validate` a moment after the typing stops, and places
 * each problem in the text. Only the answer for the latest text counts: a slow answer for an older text
 * never replaces a newer one.
 */
import type { PhotonClient, WorkflowProblem } from '@photon-dm/client';
import { useEffect, useRef, useState } from 'react';
import type { EditorFormat, EditorProblem } from './code-editor.tsx';
import { offsetOfLine, parseEditorText } from './problem-positions.ts';

export interface PlacedProblem extends EditorProblem {
  path: string;
  line: number;
}

export interface Validation {
  /** The text these results are for. */
  text: string;
  checking: boolean;
  valid: boolean | undefined;
  problems: PlacedProblem[];
  /** The call itself failed (the server cannot be reached). */
  error: unknown;
}

const pauseMs = 400;

export function useValidation(client: PhotonClient, text: string, format: EditorFormat): Validation {
  const [result, setResult] = useState<Validation>({
    text: '',
    checking: false,
    valid: undefined,
    problems: [],
    error: undefined,
  });
  const latest = useRef(0);

  useEffect(() => {
    const call = ++latest.current;
    setResult((previous) => ({ ...previous, checking: true }));
    const timer = setTimeout(() => {
      client.workflows.validate({ format, text }).then(
        (answer) => {
          if (call !== latest.current) return;
          const problems = placeProblems(text, answer.problems);
          setResult({ text, checking: false, valid: answer.valid, problems, error: undefined });
        },
        (error: unknown) => {
          if (call !== latest.current) return;
          setResult({ text, checking: false, valid: undefined, problems: [], error });
        },
      );
    }, pauseMs);
    return () => clearTimeout(timer);
  }, [client, text, format]);

  return result;
}

/** Each problem at the key its path names, or, for a syntax error, at the line and column its message gives. */
export function placeProblems(text: string, problems: readonly WorkflowProblem[]): PlacedProblem[] {
  const parsed = parseEditorText(text);
  return problems.map((problem) => {
    const at = /line (\d+), column (\d+)/.exec(problem.message);
    const range =
      problem.path === '' && at
        ? pointAt(text, offsetOfLine(text, Number(at[1]), Number(at[2])))
        : parsed.locate(problem.path);
    const line = text.slice(0, range.from).split('\n').length;
    return { ...problem, ...range, line };
  });
}

function pointAt(text: string, offset: number): { from: number; to: number } {
  const end = text.indexOf('\n', offset);
  return { from: offset, to: end === -1 ? text.length : Math.max(end, offset + 1) };
}
