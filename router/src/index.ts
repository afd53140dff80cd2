export { createRouter, type Router, type RouterDeps } from './server';
export { loadEnv, RouterEnvSchema, type RouterEnv } from './env';
export { DEFAULT_RATE_LIMITS, migrations, RATE_LIMITED, RouterRateLimits, type RateLimitSettings } from './rate-limits';
export { PUBLIC_ROOT_FIELDS, IDENTITY_HEADERS, type RouterContext } from './auth';
export { selectionToGatewayQuery, type ForwardedFieldQuery, type GatewayRequest } from './subscriptions/gateway-query';
export { TenantEventHub } from './subscriptions/pubsub';
export { SUBSCRIPTIONS_SDL } from './subscriptions/subscriptions-sdl';
