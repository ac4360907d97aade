/** Builds the users/show JSON object with the field names and wire types of reference §4. */
import { hashOf } from './avatar-svg.ts';
import type { SimUser } from './types.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Weibo's `created_at` format in Beijing time: "Fri Aug 28 00:00:00 +0800 2009". */
export function weiboDate(date: Date): string {
  const d = new Date(date.getTime() + 8 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${time} +0800 ${d.getUTCFullYear()}`;
}

type Avatars = { profile_image_url: string; avatar_large: string; avatar_hd: string };

function avatarsOf(user: SimUser, baseUrl: string): Avatars {
  if (user.avatarUrl === null) return { profile_image_url: '', avatar_large: '', avatar_hd: '' };
  if (user.avatarUrl) return { profile_image_url: user.avatarUrl, avatar_large: user.avatarUrl, avatar_hd: user.avatarUrl };
  // Three sizes like tvax*.sinaimg.cn (50, 180, original); the SVG scales, the query only tells them apart.
  const url = `${baseUrl}/avatars/${user.uid}.svg`;
  return { profile_image_url: `${url}?size=50`, avatar_large: `${url}?size=180`, avatar_hd: url };
}

/**
 * `self` is true when the uid asked for is the token's own user. For anyone else the post-2014 server
 * leaves out description, counts and the latest status (reference §4, pitfall P11).
 */
export function userJson(user: SimUser, baseUrl: string, self: boolean): Record<string, unknown> {
  const h = hashOf(user.uid);
  const id = Number(user.uid);
  const createdAt = user.createdAt ?? 'Fri Aug 28 00:00:00 +0800 2009';
  const out: Record<string, unknown> = {
    id,
    idstr: user.uid,
    class: 1,
    screen_name: user.screenName,
    name: user.screenName,
    province: '11',
    city: '5',
    location: user.location ?? '北京 朝阳区',
  };
  if (self) out.description = user.description ?? '';
  Object.assign(out, {
    url: '',
    profile_image_url: avatarsOf(user, baseUrl).profile_image_url,
    profile_url: `u/${user.uid}`,
    domain: '',
    weihao: '',
    gender: user.gender ?? 'n',
  });
  if (self) {
    Object.assign(out, {
      followers_count: h % 5000,
      friends_count: (h >>> 8) % 800,
      pagefriends_count: 0,
      statuses_count: (h >>> 4) % 3000,
      favourites_count: (h >>> 12) % 200,
      bi_followers_count: (h >>> 16) % 100,
    });
  }
  Object.assign(out, {
    created_at: createdAt,
    following: false,
    allow_all_act_msg: false,
    geo_enabled: true,
    verified: false,
    verified_type: -1,
    remark: '',
  });
  if (self) {
    out.status = {
      created_at: weiboDate(new Date(Date.UTC(2024, 4, 1, 4, 0, 0))),
      id: 4900000000000000 + (h % 1000000),
      idstr: String(4900000000000000 + (h % 1000000)),
      text: '今天天气不错。',
      source: '<a href="https://weibo.com/" rel="nofollow">微博 weibo.com</a>',
      favorited: false,
      truncated: false,
      reposts_count: 0,
      comments_count: 0,
      attitudes_count: 0,
    };
  }
  const avatars = avatarsOf(user, baseUrl);
  Object.assign(out, {
    // Fields real responses carry that login clients do not need: present so clients learn to ignore unknown keys.
    ptype: 0,
    allow_all_comment: true,
    avatar_large: avatars.avatar_large,
    avatar_hd: avatars.avatar_hd,
    verified_reason: '',
    verified_trade: '',
    verified_reason_url: '',
    verified_source: '',
    verified_source_url: '',
    follow_me: false,
    like: false,
    like_me: false,
    online_status: 0,
    lang: 'zh-cn',
    star: 0,
    mbtype: 0,
    mbrank: 0,
    block_word: 0,
    block_app: 0,
    credit_score: 80,
    user_ability: 0,
    urank: 4,
    story_read_state: -1,
    vclub_member: 0,
  });
  return out;
}
