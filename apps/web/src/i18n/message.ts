/**
 * Messages with parameters are written as vue-i18n message functions, `p\`请在 ${'wait'}后再试\``,
 * instead of '请在 {wait}后再试' strings. The production bundle then needs no message compiler
 * (vite.config.ts sets __INTLIFY_DROP_MESSAGE_COMPILER__, about 6 KB gzip less on the sign-in
 * page): plain strings are shown as they are, and these functions fill in their parameters.
 * Plain strings must therefore hold no message syntax ({ } @ |); a test checks that.
 */
import type { MessageContext } from 'vue-i18n';

export type ParamMessage = (ctx: MessageContext) => string;

export function p(parts: TemplateStringsArray, ...names: string[]): ParamMessage {
  return (ctx) => parts.reduce((text, part, index) => text + String(ctx.named(names[index - 1]!) ?? '') + part);
}

/**
 * English singular and plural, picked by vue-i18n's own plural rule from the count given to
 * `t(key, count)` (which also passes the count as the parameter `n`): "1 minute", "2 minutes".
 * This is the runtime half of vue-i18n's plural support, so it needs no message compiler either.
 */
export function plural(one: ParamMessage, other: ParamMessage): ParamMessage {
  return (ctx) => ctx.plural([one(ctx), other(ctx)]);
}
