/**
 * Calling the API from outside the web app, fully typed: sign in with a password and read
 * auth.me. Run against a running API (`pnpm dev` or `pnpm start`):
 *
 *   node examples/node-client.ts [account] [password]
 *
 * API_URL (default http://127.0.0.1:3000) says where the API is. The account is created first
 * if it does not exist yet.
 */
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@weibo-login/api/router';

const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const [account = 'example_user', password = 'example-password-1'] = process.argv.slice(2);

let token: string | undefined;
const api = createTRPCClient<AppRouter>({
  links: [httpLink({ url: `${apiUrl}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
});

async function signIn() {
  try {
    return await api.auth.login.mutate({ account, password });
  } catch (error) {
    // error.data.reason is one of the stable reasons of CONTRACT §3.
    if (error instanceof TRPCClientError && error.data?.reason === 'BAD_CREDENTIALS') {
      return api.auth.register.mutate({ account, password });
    }
    throw error;
  }
}

const signedIn = await signIn();
token = signedIn.session.token;
const me = await api.auth.me.query();
console.log(
  `signed in as ${me.user.account} (id ${me.user.id}); Weibo bound: ${me.identities.length > 0 ? me.identities[0]!.screenName : 'no'}`,
);
await api.auth.logout.mutate();
