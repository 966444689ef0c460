/** Fields the new and edit forms of an experiment share: its type (from the facility's list) and its dates. */
import { fieldError } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';

type Change = (e: { target: { value: string } }) => void;

export function ExperimentTypeField({
  value,
  types,
  error,
  onChange,
}: {
  value: string;
  types: readonly { id: number; name: string }[] | undefined;
  error: unknown;
  onChange: Change;
}) {
  return (
    <Field label="Type" error={fieldError(error, 'type')}>
      {(control) => (
        <select {...control} value={value} onChange={onChange}>
          <option value="">None</option>
          {types?.map((type) => (
            <option key={type.id} value={type.name}>
              {type.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function ExperimentDateFields({
  startDate,
  endDate,
  error,
  onStart,
  onEnd,
}: {
  startDate: string;
  endDate: string;
  error: unknown;
  onStart: Change;
  onEnd: Change;
}) {
  return (
    <div className="field-row">
      <Field label="Start date" error={fieldError(error, 'startDate')}>
        {(control) => <input {...control} type="date" value={startDate} onChange={onStart} />}
      </Field>
      <Field label="End date" error={fieldError(error, 'endDate')}>
        {(control) => <input {...control} type="date" value={endDate} onChange={onEnd} />}
      </Field>
    </div>
  );
}
