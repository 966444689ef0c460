import { useEffect, useId, useState } from 'react';
import { Field } from '../components/field.tsx';
import { formatNumber } from '../components/format.ts';
import { conditionText, type FileSort, type Operator, operators, sortChoices } from './file-query.ts';

export interface FilterProps {
  pathGlob: string | undefined;
  where: string[];
  sort: FileSort;
  /** Metadata keys of the experiment with how many files carry each (GET .../files/keys). */
  keys: { key: string; count: number }[];
  /** What the API said about the glob and the conditions, shown next to them. */
  globError: string | undefined;
  whereError: string | undefined;
  onChange(change: { pathGlob?: string | undefined; where?: string[]; sort?: FileSort }): void;
}

/** The path glob, the metadata conditions (each removable) and the sort order of the file browser. */
export function FileFilters(props: FilterProps) {
  const { where, keys, onChange } = props;
  const [glob, setGlob] = useState(props.pathGlob ?? '');
  const [key, setKey] = useState('');
  const [operator, setOperator] = useState<Operator>('=');
  const [value, setValue] = useState('');
  const keyList = useId();
  useEffect(() => setGlob(props.pathGlob ?? ''), [props.pathGlob]);

  return (
    <search className="file-filters">
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          onChange({ pathGlob: glob.trim() || undefined });
        }}
      >
        <Field label="Path glob" error={props.globError} hint="e.g. scan_*/*.h5">
          {(control) => (
            <input {...control} type="search" value={glob} onChange={(e) => setGlob(e.target.value)} />
          )}
        </Field>
        <button type="submit">Apply</button>
        <Field label="Sort by">
          {(control) => (
            <select
              {...control}
              value={props.sort}
              onChange={(e) => onChange({ sort: e.target.value as FileSort })}
            >
              {sortChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <form
        className="filters"
        aria-label="Add a metadata filter"
        onSubmit={(event) => {
          event.preventDefault();
          if (!key.trim()) return;
          const condition = conditionText(key.trim(), operator, value.trim());
          if (!where.includes(condition)) onChange({ where: [...where, condition] });
          setValue('');
        }}
      >
        <Field label="Metadata key" error={props.whereError}>
          {(control) => (
            <input {...control} list={keyList} value={key} onChange={(e) => setKey(e.target.value)} />
          )}
        </Field>
        <datalist id={keyList}>
          {keys.map((k) => (
            <option key={k.key} value={k.key}>
              {`${formatNumber(k.count)} files`}
            </option>
          ))}
        </datalist>
        <Field label="Operator">
          {(control) => (
            <select {...control} value={operator} onChange={(e) => setOperator(e.target.value as Operator)}>
              {operators.map((op) => (
                <option key={op} value={op}>
                  {op}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Value">
          {(control) => (
            <input
              {...control}
              value={value}
              disabled={operator === 'exists'}
              onChange={(e) => setValue(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="secondary">
          Add filter
        </button>
      </form>
      {where.length > 0 && (
        <ul className="chips" aria-label="Metadata filters">
          {where.map((condition, index) => (
            <li key={condition}>
              <code>{condition}</code>
              <button
                type="button"
                className="link-button"
                aria-label={`Remove filter ${condition}`}
                onClick={() => onChange({ where: where.filter((_, i) => i !== index) })}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
    </search>
  );
}
