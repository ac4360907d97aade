// The workspace's lint rules live in tooling/lint (the house rules of docs/architecture.md).
export { default } from '@weibo-login/lint-config/eslint';
