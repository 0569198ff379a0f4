/** zod → JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) for request and response schemas. */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of what a request may send (`io: 'input'`: before defaults and transforms) or of
 * what a response holds (`output`). Refinements and transforms have no JSON Schema form; they are left
 * out, so the document states the shape and the server still applies every check.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as JsonSchema;
  const { $schema: _dialect, ...rest } = converted;
  return rest;
}
