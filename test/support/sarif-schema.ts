/**
 * The published SARIF 2.1.0 JSON schema (draft-04), as @microsoft/jest-sarif ships it
 * (SchemaStore's sarif-2.1.0-rtm.5.json), checked with ajv: the same check code-scanning
 * services make on upload.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

let validate: Validate | undefined;

export function sarifErrors(log: unknown): unknown[] {
  if (!validate) {
    const Ajv = require('ajv');
    const ajv = new Ajv({ schemaId: 'id', allErrors: true, meta: false });
    ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
    validate = ajv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));
  }
  return validate!(log) ? [] : (validate!.errors ?? ['invalid']);
}
