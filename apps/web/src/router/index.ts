/**
 * Named routes, each view loaded lazily (the sign-in page must stay light), and the one guard:
 * pages with meta.requiresAuth send unsigned visitors to /login?redirect=<where they wanted>,
 * and the sign-in pages send a signed-in visitor on.
 */
import { createRouter, type RouteRecordRaw, type Router, type RouterHistory } from 'vue-router';
import { currentToken } from '../lib/stored-session.ts';
import { onUnauthenticated } from '../lib/trpc-events.ts';
import { setFlash } from '../lib/flash.ts';
import { safeRedirect } from '../lib/redirect.ts';
import { withMessages } from '../i18n/index.ts';

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean;
    /** /login and /register: nothing to do there once signed in. */
    guestOnly?: boolean;
    /** i18n key of the document title. */
    titleKey?: string;
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'home',
    component: withMessages('account', () => import('../views/HomeView.vue')),
    meta: { requiresAuth: true, titleKey: 'titles.home' },
  },
  {
    path: '/account/delete',
    name: 'delete-account',
    component: withMessages('account', () => import('../views/DeleteAccountView.vue')),
    meta: { requiresAuth: true, titleKey: 'titles.deleteAccount' },
  },
  {
    path: '/login',
    name: 'login',
    component: () => import('../views/LoginView.vue'),
    meta: { guestOnly: true, titleKey: 'titles.login' },
  },
  {
    path: '/register',
    name: 'register',
    component: () => import('../views/RegisterView.vue'),
    meta: { guestOnly: true, titleKey: 'titles.register' },
  },
  {
    // Weibo's redirect_uri: it must take its code whether or not someone is signed in.
    path: '/weibo',
    name: 'weibo-callback',
    component: withMessages('weibo', () => import('../views/WeiboCallbackView.vue')),
    meta: { titleKey: 'titles.weibo' },
  },
  {
    path: '/terms',
    name: 'terms',
    component: () => import('../views/LegalView.vue'),
    props: { doc: 'terms' },
    meta: { titleKey: 'titles.terms' },
  },
  {
    path: '/privacy',
    name: 'privacy',
    component: () => import('../views/LegalView.vue'),
    props: { doc: 'privacy' },
    meta: { titleKey: 'titles.privacy' },
  },
  {
    path: '/:unknown(.*)*',
    name: 'not-found',
    component: () => import('../views/NotFoundView.vue'),
    meta: { titleKey: 'titles.notFound' },
  },
];

export function createAppRouter(history: RouterHistory): Router {
  const router = createRouter({ history, routes });

  router.beforeEach((to) => {
    const signedIn = currentToken() !== null;
    if (to.meta.requiresAuth && !signedIn) return { name: 'login', query: { redirect: to.fullPath } };
    if (to.meta.guestOnly && signedIn) return safeRedirect(to.query.redirect) ?? '/';
    return true;
  });

  // A session that dies while a protected page is open (revoked elsewhere, expired) leads back
  // to the sign-in page, which brings the user back here afterwards.
  onUnauthenticated(() => {
    const current = router.currentRoute.value;
    if (!current.meta.requiresAuth) return;
    setFlash({ tone: 'info', key: 'login.sessionEnded' });
    void router.replace({ name: 'login', query: { redirect: current.fullPath } });
  });

  return router;
}
