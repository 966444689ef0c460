/**
 * The CodeMirror 6 editor for a workflow's text (JSON or YAML), with the problems the API found shown at
 * their place (underlined, with a marker in the gutter and the message on hover). It loads with the editor
 * route only, so the first page of the portal stays small.
 */
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef } from 'react';

export type EditorFormat = 'json' | 'yaml';

export interface EditorProblem {
  from: number;
  to: number;
  message: string;
}

export interface CodeEditorHandle {
  /** Puts the cursor at `offset` and focuses the editor (from the list of problems). */
  focusAt(offset: number): void;
}

const languageOf = (format: EditorFormat) => (format === 'json' ? json() : yaml());

export function CodeEditor({
  value,
  format,
  problems,
  label,
  describedBy,
  onChange,
  handle,
}: {
  value: string;
  format: EditorFormat;
  problems: readonly EditorProblem[];
  label: string;
  describedBy?: string;
  onChange(text: string): void;
  handle?: (handle: CodeEditorHandle) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const latest = useRef({ value, problems });
  latest.current = { value, problems };

  // A view per format (the language is part of its setup); the text and problems carry over.
  // biome-ignore lint/correctness/useExhaustiveDependencies: made again only when the format changes
  useEffect(() => {
    const parent = host.current;
    if (parent === null) return; // not mounted: nothing to attach the editor to
    const editor = new EditorView({
      parent,
      doc: latest.current.value,
      extensions: [
        basicSetup,
        languageOf(format),
        lintGutter(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({
          'aria-label': label,
          ...(describedBy && { 'aria-describedby': describedBy }),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) changed.current(update.state.doc.toString());
        }),
      ],
    });
    view.current = editor;
    handle?.({
      focusAt(offset) {
        editor.dispatch({
          selection: { anchor: Math.min(offset, editor.state.doc.length) },
          scrollIntoView: true,
        });
        editor.focus();
      },
    });
    showProblems(editor, latest.current.problems);
    return () => {
      view.current = null;
      editor.destroy();
    };
  }, [format]);

  // A new text from outside (a file uploaded, a format converted) replaces the document.
  useEffect(() => {
    const editor = view.current;
    if (editor === null || editor.state.doc.toString() === value) return;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    if (view.current !== null) showProblems(view.current, problems);
  }, [problems]);

  return <div className="code-editor" ref={host} />;
}

function showProblems(editor: EditorView, problems: readonly EditorProblem[]): void {
  const length = editor.state.doc.length;
  const diagnostics: Diagnostic[] = problems.map((problem) => ({
    from: Math.min(problem.from, length),
    to: Math.min(Math.max(problem.to, problem.from), length),
    severity: 'error',
    message: problem.message,
  }));
  editor.dispatch(setDiagnostics(editor.state, diagnostics));
}
