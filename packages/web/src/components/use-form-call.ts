import { useCallback, useState } from 'react';

/**
 * A form's call to the API: `busy` while it runs, `error` as the API answered (for `fieldError`), cleared
 * on success. `run` resolves to the call's value, or undefined when it failed.
 */
export function useFormCall() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    try {
      const value = await call();
      setError(undefined);
      return value;
    } catch (failure) {
      setError(failure);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
