/** The Weibo-hosted pages of the authorize step on api.weibo.com: the consent page and the "访问出错了" error page. */
import { escapeHtml, pageShell } from './html.ts';
import type { SimApp, SimUser } from './types.ts';

/** The parameters the page carries through its form to /oauth2/authorize/decision. */
export type AuthorizeParams = {
  client_id: string;
  redirect_uri: string;
  state?: string;
  scope?: string;
  display?: string;
  forcelogin?: string;
};

export type ConsentPageInput = {
  app: SimApp;
  users: SimUser[];
  params: AuthorizeParams;
  /** The user to pre-select (remembered session), or undefined for none. */
  selectedUid: string | undefined;
  forceLogin: boolean;
  /** A problem with the previous submission, shown above the form. */
  notice?: string;
};

/** Human wording for the scopes listed in reference §1. Unknown scopes are shown raw. */
const SCOPE_LABELS: Record<string, string> = {
  all: '全部权限',
  email: '获得你的邮箱地址',
  direct_messages_write: '发送私信',
  direct_messages_read: '读取私信',
  invitation_write: '发送邀请',
  friendships_groups_read: '读取好友分组',
  friendships_groups_write: '管理好友分组',
  statuses_to_me_read: '读取定向微博',
  follow_app_official_microblog: '关注应用官方微博',
};

export function scopeItems(scope: string | undefined): string[] {
  const base = ['获得你的个人信息，好友关系'];
  const extra = (scope ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => `${SCOPE_LABELS[s] ?? s}（${s}）`);
  return [...base, ...extra];
}

/** A user's picture on either consent page (`px` wide and high), or a grey placeholder without one. */
export function avatarHtml(user: SimUser, px: number): string {
  if (user.avatarUrl === null) return '<span class="ph" aria-hidden="true"></span>';
  const src = user.avatarUrl ?? `/avatars/${encodeURIComponent(user.uid)}.svg`;
  return `<img src="${escapeHtml(src)}" alt="" width="${px}" height="${px}">`;
}

/** What both consent pages show above the accounts: the forcelogin note, a notice, and the permissions (`<li>`s). */
export function consentNotes(input: Pick<ConsentPageInput, 'forceLogin' | 'notice' | 'params'>): {
  loginNote: string;
  noticeHtml: string;
  perms: string;
} {
  return {
    loginNote: input.forceLogin ? '<p class="notice" role="status">该应用要求重新登录（forcelogin），请重新选择要登录的微博账号。</p>' : '',
    noticeHtml: input.notice ? `<p class="notice" role="alert">${escapeHtml(input.notice)}</p>` : '',
    perms: scopeItems(input.params.scope)
      .map((item) => `<li>${escapeHtml(item)}</li>`)
      .join(''),
  };
}

export function hiddenInputs(params: AuthorizeParams): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
}

export function renderConsentPage(input: ConsentPageInput): string {
  const { app, users, params, selectedUid } = input;
  const appName = escapeHtml(app.name);
  const userRows = users
    .map((user, i) => {
      const id = `user-${i}`;
      const checked = user.uid === selectedUid ? ' checked' : '';
      // `required` on the radio group makes the browser insist on a choice for "授权" only (取消 has formnovalidate).
      return `<label class="user" for="${id}"><input type="radio" id="${id}" name="uid" value="${escapeHtml(user.uid)}" required${checked}>
${avatarHtml(user, 40)}<span class="who">${escapeHtml(user.screenName)}<small>UID ${escapeHtml(user.uid)}</small></span></label>`;
    })
    .join('\n');
  const { loginNote, noticeHtml, perms } = consentNotes(input);

  const content = `<section class="card" aria-labelledby="title">
<h1 id="title"><span class="app">${appName}</span> 请求使用你的微博帐号登录</h1>
${loginNote}${noticeHtml}
<div class="perm"><strong>授权后该应用将可以：</strong><ul>${perms}</ul></div>
<form method="post" action="/oauth2/authorize/decision">
${hiddenInputs(params)}
<fieldset><legend>选择要登录的微博账号</legend>
${userRows}
</fieldset>
<div class="actions">
<button type="submit" class="primary" name="action" value="approve">授权</button>
<button type="submit" name="action" value="deny" formnovalidate>取消</button>
</div>
</form>
</section>`;
  return pageShell(`${app.name} - 微博授权`, content);
}

export type AuthorizeErrorCode = 21322 | 21323 | 21324 | 21329;

export const ERROR_TEXT: Record<AuthorizeErrorCode, { error: string; text: string }> = {
  21322: { error: 'redirect_uri_mismatch', text: '重定向地址不匹配' },
  21323: { error: 'invalid_request', text: '请求不合法' },
  21324: { error: 'invalid_client', text: 'client_id 或 client_secret 参数无效' },
  21329: { error: 'unsupported_response_type', text: '不支持的 response_type' },
};

/** Shown on Weibo's own host: an authorize-step problem with the app itself never redirects back (reference §1). */
export function renderErrorPage(code: AuthorizeErrorCode, detail?: string): string {
  const { error, text } = ERROR_TEXT[code];
  const content = `<section class="card err" aria-labelledby="title">
<h1 id="title">访问出错了！</h1>
<p>你所访问的站点在新浪微博的认证失败，请你联系该站点或者稍后再试。</p>
<p>错误码：${code} ${escapeHtml(text)}</p>
<p><span class="code">(error:${escapeHtml(error)})</span></p>
${detail ? `<p>${escapeHtml(detail)}</p>` : ''}
</section>`;
  return pageShell('访问出错了 - 微博', content);
}
