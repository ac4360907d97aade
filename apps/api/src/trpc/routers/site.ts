import { siteInfoOutput } from '@weibo-login/shared';
import { publicProcedure, router } from '../init.ts';

export const siteRouter = router({
  /** (2e) What the web app shows of the site: its name, ICP number, terms and privacy links, and WEIBO_SIGNUP. */
  info: publicProcedure.output(siteInfoOutput).query(({ ctx }) => ctx.deps.site),
});
