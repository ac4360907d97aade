/**
 * The phone pages of the authorize step, as open.weibo.cn serves them for `display=mobile` (reference §1): the same
 * parameters, choices and redirects as consent-page.ts, laid out for a narrow touch screen (one column, rows and
 * buttons at least 48 px tall, the buttons kept in reach at the bottom), and centred as a phone-wide column on a
 * desktop browser.
 */
import { avatarHtml, consentNotes, ERROR_TEXT, hiddenInputs, type AuthorizeErrorCode, type ConsentPageInput } from './consent-page.ts';
import { escapeHtml, ICON_LINK } from './html.ts';
import { MOBILE_STYLES } from './mobile-styles.ts';
import { MOBILE_DECISION_PATH } from './paths.ts';

function mobileShell(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="format-detection" content="telephone=no">
${ICON_LINK}
<title>${escapeHtml(title)}</title>
<style>${MOBILE_STYLES}</style>
</head>
<body>
<header class="bar"><div class="in"><span class="logo" aria-hidden="true">微</span><span class="title">微博登录</span><span class="sim">模拟器</span></div></header>
<main class="wrap">${content}</main>
</body>
</html>`;
}

/** The app's "icon": Weibo shows the uploaded one; the simulator has none, so the name's first character. */
function appIcon(name: string): string {
  const initial = Array.from(name.trim())[0] ?? '应';
  return `<span class="app-icon" aria-hidden="true">${escapeHtml(initial)}</span>`;
}

export function renderMobileConsentPage(input: ConsentPageInput): string {
  const { app, users, params, selectedUid } = input;
  const rows = users
    .map((user, i) => {
      const id = `m-user-${i}`;
      const checked = user.uid === selectedUid ? ' checked' : '';
      // The radio comes last so the whole row is one tap target, name first, like Weibo's account switcher.
      return `<label class="acct" for="${id}">${avatarHtml(user, 44)}<span class="who">${escapeHtml(user.screenName)}<small>UID ${escapeHtml(user.uid)}</small></span>
<input type="radio" id="${id}" name="uid" value="${escapeHtml(user.uid)}" required${checked}></label>`;
    })
    .join('\n');
  const { loginNote, noticeHtml, perms } = consentNotes(input);

  // Permissions before accounts: they are what is consented to, and a long account list would push them out of view.
  const content = `<section class="head" aria-labelledby="title">
<div class="pair">${appIcon(app.name)}<span class="dots" aria-hidden="true"></span><span class="wb-icon" aria-hidden="true">微</span></div>
<h1 id="title"><span class="app">${escapeHtml(app.name)}</span><span class="lead">申请使用你的微博账号登录</span></h1>
</section>
${loginNote}${noticeHtml}
<form method="post" action="${MOBILE_DECISION_PATH}">
${hiddenInputs(params)}
<section class="perm" aria-label="授权内容"><h2>授权后该应用将可以：</h2><ul>${perms}</ul></section>
<fieldset class="accts"><legend>选择要登录的微博账号</legend>
${rows}
</fieldset>
<div class="actions">
<button type="submit" class="primary" name="action" value="approve">授权</button>
<button type="submit" class="secondary" name="action" value="deny" formnovalidate>取消</button>
</div>
</form>
<p class="foot">weibo-sim · 离线模拟的 open.weibo.cn，仅供开发和测试使用</p>`;
  return mobileShell(`${app.name} - 微博授权`, content);
}

/** Weibo's "访问出错了" page on the phone host: as on the desktop, an app problem is never redirected. */
export function renderMobileErrorPage(code: AuthorizeErrorCode, detail?: string): string {
  const { error, text } = ERROR_TEXT[code];
  const content = `<section class="err" aria-labelledby="title">
<span class="err-icon" aria-hidden="true">!</span>
<h1 id="title">访问出错了！</h1>
<p>你所访问的站点在新浪微博的认证失败，请你联系该站点或者稍后再试。</p>
<p class="err-code">错误码：${code} ${escapeHtml(text)}</p>
<p><span class="code">(error:${escapeHtml(error)})</span></p>
${detail ? `<p>${escapeHtml(detail)}</p>` : ''}
</section>
<p class="foot">weibo-sim · 离线模拟的 open.weibo.cn，仅供开发和测试使用</p>`;
  return mobileShell('访问出错了 - 微博', content);
}
