/**
 * The repository's byte-for-byte copies of ../shared/fixtures (fixture-copies.test.ts checks them), so a
 * clone anywhere has them.
 */
import { fileURLToPath } from 'node:url';

export const apsWorkflowsDirectory = fileURLToPath(new URL('../fixtures/aps-workflows/', import.meta.url));
export const apsExamplePath = `${apsWorkflowsDirectory}example-01.json`;
