/** Where bench/layers/server.ts (LAYERS=stock) mounts tRPC's own Fastify plugin beside the product's route. */
export const STOCK_TRPC_PREFIX = '/stock/trpc';
