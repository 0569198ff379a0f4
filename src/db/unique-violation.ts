/** Recognises PostgreSQL's unique_violation (SQLSTATE 23505), raw from `pg` or wrapped by TypeORM. */
const UNIQUE_VIOLATION = '23505';

/** Whether the error is a unique constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return candidate?.driverError?.code === UNIQUE_VIOLATION || candidate?.code === UNIQUE_VIOLATION;
}
