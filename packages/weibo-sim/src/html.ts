/** HTML escaping and the page shell shared by the consent and error pages. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values; every dynamic value goes through it. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** Inline styles only, so the pages need nothing from the network. Weibo orange #ff8200, red #e6162d. */
const STYLES = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,"PingFang SC","Microsoft YaHei","Helvetica Neue",Arial,sans-serif;color:#333;background:#f2f2f5}
.top{background:#fff;border-top:3px solid #ff8200;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.top .in{max-width:600px;margin:0 auto;padding:10px 16px;display:flex;align-items:center;gap:10px}
.logo{display:inline-flex;align-items:center;justify-content:center;width:34px;height:34px;border-radius:50%;background:#e6162d;color:#fff;font-weight:700}
.brand{font-size:18px;font-weight:600}
.sim{margin-left:auto;font-size:12px;color:#999;border:1px solid #ddd;border-radius:10px;padding:0 8px}
main{max-width:600px;margin:16px auto;padding:0 12px}
.card{background:#fff;border-radius:6px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:18px;margin:0 0 12px}
.app{color:#eb7350}
.perm{background:#fff8f0;border:1px solid #ffe2c2;border-radius:4px;padding:10px 14px;margin:12px 0}
.perm ul{margin:6px 0 0;padding-left:20px}
fieldset{border:0;margin:16px 0;padding:0}
legend{font-weight:600;margin-bottom:8px;padding:0}
.user{display:flex;align-items:center;gap:12px;padding:10px 12px;border:1px solid #e6e6e6;border-radius:4px;margin-bottom:8px;cursor:pointer}
.user:hover{border-color:#ffb066}
.user:has(input:checked){border-color:#ff8200;background:#fff8f0}
.user input{width:18px;height:18px;accent-color:#ff8200;flex:none}
.user img,.user .ph{width:40px;height:40px;border-radius:50%;flex:none;background:#eee}
.who{min-width:0;overflow-wrap:anywhere}
.who small{display:block;color:#999}
.notice{background:#fff3f3;border:1px solid #f5c2c2;color:#c0392b;border-radius:4px;padding:8px 12px;margin:12px 0}
.actions{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}
button{font:inherit;min-width:120px;padding:9px 24px;border-radius:4px;border:1px solid #ccc;background:#fff;color:#333;cursor:pointer}
button.primary{background:#ff8200;border-color:#ff8200;color:#fff;font-weight:600}
button.primary:hover{background:#f07800}
button:focus-visible,.user:focus-within{outline:3px solid #ffb066;outline-offset:2px}
.foot{color:#999;font-size:12px;text-align:center;margin:16px 0}
.err h1{color:#e6162d}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f6f6f6;padding:2px 6px;border-radius:3px}
@media (max-width:480px){.card{padding:14px}.actions button{flex:1 1 0;min-width:0}}
`;

/** Weibo's orange mark as the pages' icon, inline: without one a browser asks the simulator for
 * /favicon.ico, which it does not serve, and logs a 404 on every consent page. */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#ff8200"/>' +
  '<text x="16" y="16" dy=".35em" text-anchor="middle" font-size="19" fill="#fff" font-family="PingFang SC,Microsoft YaHei,sans-serif">微</text></svg>';
export const ICON_LINK = `<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(ICON_SVG)}">`;

export function pageShell(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
${ICON_LINK}
<title>${escapeHtml(title)}</title>
<style>${STYLES}</style>
</head>
<body>
<header class="top"><div class="in"><span class="logo" aria-hidden="true">微</span><span class="brand">微博</span><span class="sim">模拟器</span></div></header>
<main>${content}</main>
<p class="foot">weibo-sim · 离线模拟的 api.weibo.com，仅供开发和测试使用</p>
</body>
</html>`;
}

/**
 * A restrictive CSP as defence in depth for the escaping. form-action is left out on purpose:
 * browsers apply it to the redirect that follows the form post, which must reach the app.
 */
export const PAGE_CSP = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
