import { z } from 'zod';

/** The migration job's environment (migrate.ts). */
export const MigrateEnv = z.object({
  /** a superuser (or a role with CREATEROLE and CREATEDB) on any database of the cluster */
  PG_SUPERUSER_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  EVCS_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
    .default('evcs'),
  /** set the owner's and the application role's passwords (Postgres not on trust auth) */
  EVCS_OWNER_PASSWORD: z.string().min(16).optional(),
  EVCS_APP_PASSWORD: z.string().min(16).optional(),
});
