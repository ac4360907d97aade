/**
 * Inline styles of the phone pages (mobile-page.ts): nothing from the network, no script. Weibo's mobile palette:
 * orange #ff8200 for the main action, grey #f2f2f2 behind white full-bleed blocks, #333/#939393 text.
 * Tap targets are at least 48 px (WCAG 2.5.5's 44 plus margin); the column is capped at 480 px so a desktop
 * browser shows the page as a phone would.
 */
export const MOBILE_STYLES = `
*{box-sizing:border-box;-webkit-tap-highlight-color:transparent}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;font:16px/1.5 -apple-system,"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#333;background:#f2f2f2}
.bar{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #e6e6e6}
.bar .in{max-width:480px;margin:0 auto;height:48px;padding:0 12px;display:flex;align-items:center;justify-content:center;position:relative}
.bar .logo{position:absolute;left:12px;width:28px;height:28px;border-radius:50%;background:#e6162d;color:#fff;font-size:14px;font-weight:700;display:flex;align-items:center;justify-content:center}
.bar .title{font-size:17px;font-weight:600}
.bar .sim{position:absolute;right:12px;font-size:11px;color:#939393;border:1px solid #ddd;border-radius:9px;padding:0 7px;line-height:18px}
.wrap{max-width:480px;margin:0 auto;padding-bottom:env(safe-area-inset-bottom)}
.head{background:#fff;padding:24px 16px 20px;text-align:center}
.pair{display:flex;align-items:center;justify-content:center;gap:14px;margin-bottom:14px}
.app-icon,.wb-icon{width:56px;height:56px;border-radius:14px;display:flex;align-items:center;justify-content:center;font-size:24px;font-weight:700;color:#fff}
.app-icon{background:linear-gradient(135deg,#ffa133,#ff8200)}
.wb-icon{background:#e6162d;border-radius:50%}
.dots{width:36px;border-top:3px dotted #c8c8c8}
h1{margin:0;font-size:18px;font-weight:600;line-height:1.4}
h1 .app{display:block;color:#333;overflow-wrap:anywhere}
h1 .lead{display:block;margin-top:4px;font-size:15px;font-weight:400;color:#939393}
.notice{margin:10px 12px 0;padding:10px 12px;border-radius:6px;background:#fff3f3;border:1px solid #f5c2c2;color:#c0392b;font-size:15px}
form{margin:0}
fieldset{border:0;margin:10px 0 0;padding:0;min-width:0}
legend{display:block;width:100%;padding:12px 16px 6px;font-size:14px;color:#939393;float:left}
.accts{background:#fff}
.acct{display:flex;align-items:center;gap:12px;min-height:64px;padding:10px 16px;border-top:1px solid #f0f0f0;cursor:pointer;clear:both}
.acct:active{background:#f7f7f7}
.acct:has(input:checked){background:#fff8f0}
.acct img,.acct .ph{width:44px;height:44px;border-radius:50%;flex:none;background:#eee}
.who{flex:1;min-width:0;font-size:16px;overflow-wrap:anywhere}
.who small{display:block;font-size:13px;color:#939393}
.acct input{appearance:none;-webkit-appearance:none;flex:none;width:24px;height:24px;margin:0;border:2px solid #c8c8c8;border-radius:50%;background:#fff}
.acct input:checked{border-color:#ff8200;background:#ff8200;box-shadow:inset 0 0 0 4px #fff}
.acct:has(input:focus-visible){outline:3px solid #ffb066;outline-offset:-3px}
.perm{margin-top:10px;background:#fff;padding:12px 16px 14px}
.perm h2{margin:0 0 6px;font-size:14px;font-weight:400;color:#939393}
.perm ul{margin:0;padding:0;list-style:none}
.perm li{position:relative;padding:4px 0 4px 16px;font-size:15px}
.perm li::before{content:"";position:absolute;left:2px;top:13px;width:6px;height:6px;border-radius:50%;background:#ff8200}
.actions{position:sticky;bottom:0;z-index:1;margin-top:10px;padding:12px 16px calc(12px + env(safe-area-inset-bottom));background:#fff;box-shadow:0 -1px 0 #e6e6e6;display:flex;flex-direction:column;gap:10px}
button{display:block;width:100%;min-height:48px;margin:0;border-radius:6px;font:inherit;font-size:17px;cursor:pointer}
button.primary{border:0;background:#ff8200;color:#fff;font-weight:600}
button.primary:active{background:#e67500}
button.secondary{border:1px solid #d9d9d9;background:#fff;color:#333}
button.secondary:active{background:#f2f2f2}
button:focus-visible{outline:3px solid #ffb066;outline-offset:2px}
.foot{margin:16px 16px 24px;font-size:12px;color:#b2b2b2;text-align:center}
.err{background:#fff;margin-top:10px;padding:28px 20px 24px;text-align:center}
.err-icon{display:inline-flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:50%;background:#e6162d;color:#fff;font-size:32px;font-weight:700;margin-bottom:12px}
.err h1{color:#e6162d;margin-bottom:8px}
.err p{margin:8px 0;font-size:15px;color:#555;overflow-wrap:anywhere}
.err .err-code{color:#333;font-weight:600}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px;background:#f6f6f6;padding:2px 6px;border-radius:3px}
`;
