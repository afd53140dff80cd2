export * from './schema';
export * from './server';
export * from './auth/key-ring';
export { PasswordHasher } from './domain/password';
export { seedIdTags, seedTenantWithAdmin, type SeedTenant, type SeedUser } from './persistence/seed';
export { TenantsEnv } from './env';
