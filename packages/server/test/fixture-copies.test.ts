/** The fixtures copied into the repository are still byte for byte the shared originals. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const copies = fileURLToPath(new URL('./fixtures/aps-workflows/', import.meta.url));
const originals = fileURLToPath(new URL('../../../../shared/fixtures/aps-workflows/', import.meta.url));

it('keeps the APS workflow fixtures unchanged', {
  skip: existsSync(originals) ? false : 'no shared fixtures beside the repository',
}, () => {
  const names = readdirSync(originals).sort();
  assert.deepEqual(readdirSync(copies).sort(), names);
  for (const name of names)
    assert.ok(readFileSync(copies + name).equals(readFileSync(originals + name)), name);
});
