/** The app and accounts every fresh simulator starts with, so dev setups work with zero config. */
import type { SimApp, SimUser } from './types.ts';

export const DEMO_APP: SimApp = {
  clientId: '3516473472',
  clientSecret: 'weibo-sim-demo-secret-0123456789abcdef',
  name: '微博登录演示',
  redirectUris: [
    'http://127.0.0.1:5173/weibo',
    'http://localhost:5173/weibo',
    'http://127.0.0.1:3000/weibo',
    'http://localhost:3000/weibo',
  ],
  audited: true,
  testUids: [],
  cancelCallbackUrl: null,
};

/** The screen name of the account that exists to catch missing HTML escaping. */
export const XSS_SCREEN_NAME = '<img src=x onerror=alert(1)>';

export const DEMO_USERS: SimUser[] = [
  {
    uid: '5285840175',
    screenName: '林小暖',
    gender: 'f',
    location: '北京 朝阳区',
    description: '喜欢拍照和旅行。',
    createdAt: 'Fri Aug 28 00:00:00 +0800 2009',
  },
  {
    uid: '6072841953',
    screenName: '陈大文',
    gender: 'm',
    location: '广东 深圳',
    description: '后端工程师，偶尔写诗。',
    createdAt: 'Tue Mar 15 09:30:00 +0800 2011',
  },
  {
    uid: '7310598246',
    screenName: '夏天的风_2024',
    gender: 'n',
    location: '上海 徐汇区',
    description: '',
    createdAt: 'Sun Jun 02 18:45:12 +0800 2019',
  },
  {
    uid: '3948672015',
    screenName: '测试账号周周',
    gender: 'm',
    location: '浙江 杭州',
    description: '这是一个用于测试的账号。',
    createdAt: 'Wed Nov 11 11:11:11 +0800 2015',
  },
  {
    uid: '6666012345',
    screenName: XSS_SCREEN_NAME,
    gender: 'n',
    location: '其他',
    description: '<script>alert("description")</script>',
    createdAt: 'Mon Jan 01 00:00:00 +0800 2018',
  },
];
