import { router } from './init.ts';
import { authRouter } from './routers/auth.ts';
import { weiboRouter } from './routers/weibo.ts';

export const appRouter = router({ weibo: weiboRouter, auth: authRouter });

/** The only thing clients import from the API: the router's type. */
export type AppRouter = typeof appRouter;
