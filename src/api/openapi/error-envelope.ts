/** The one error answer of the API (middleware/error-handler.ts), as a schema. */
import { z } from 'zod';

export const ERROR_ENVELOPE = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('A code of the error catalogue (README, "Error codes")'),
    message: z.string(),
    errors: z.array(z.strictObject({ code: z.string(), message: z.string(), path: z.array(z.union([z.string(), z.number()])) }))
      .optional().describe('One entry per problem of a request that failed its schema'),
    payload: z.record(z.string(), z.unknown()).optional().describe('Non-secret details (`error_id` of a server error, the connection of `invalid_credentials`, …)'),
  }),
});
