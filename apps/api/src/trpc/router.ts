import { router } from './init.ts';
import { authRouter } from './routers/auth.ts';
import { accountRouter } from './routers/account.ts';
import { siteRouter } from './routers/site.ts';
import { weiboRouter } from './routers/weibo.ts';

export const appRouter = router({ weibo: weiboRouter, auth: authRouter, account: accountRouter, site: siteRouter });

/** The only thing clients import from the API: the router's type. */
export type AppRouter = typeof appRouter;
