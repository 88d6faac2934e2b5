// System notices: who created the group, joined, left, renamed it... (docs/sync.md, "system").

import { h } from '../ui/dom.js';
import { registerKind } from './registry.js';
import { t } from '../i18n.js';

function list(names) {
  if (names.length <= 1) return names.join('');
  const first = names.slice(1, -1).reduce((all, name) => t('{names}, {name}', { names: all, name }), names[0]);
  return t('{names} and {last}', { names: first, last: names[names.length - 1] });
}

// names in a notice are drawn isolated (<bdi>), so a right-to-left one keeps its place in the sentence:
// describeSystem marks them with these two private-use characters, and the notice is split on them
const OPEN = '\uE000';
const CLOSE = '\uE001';

export function describeSystem(s, ctx, { marked = false } = {}) {
  const mark = (text) => (marked && text ? `${OPEN}${text}${CLOSE}` : text);
  // a person's name as a notice gives it (in Chinese, in quotation marks)
  const named = (text) => t('{name}', { name: mark(text) });
  // the notice names each person as they were then: shown so unless the reader knows them better
  const who = (user) => (user ? (ctx.isMe(user.id) ? t('You') : named(ctx.nameOf(user.id, { unknown: '' }) || user.display_name)) : t('Someone'));
  const whom = (user) => (user && ctx.isMe(user.id) ? t('you') : who(user));
  const actor = who(s.actor);
  const users = list((s.users || []).map(whom));
  const name = mark(s.name);
  switch (s.action) {
    case 'created':
      if (s.name && users) return t('{actor} created the group “{name}” with {users}', { actor, name, users });
      if (s.name) return t('{actor} created the group “{name}”', { actor, name });
      if (users) return t('{actor} created the group with {users}', { actor, users });
      return t('{actor} created the group', { actor });
    case 'members_added':
      return t('{actor} added {users}', { actor, users });
    case 'joined_by_link':
      if (s.inviter && ctx.isMe(s.inviter.id)) return t('{actor} joined by your invite link', { actor });
      return t('{actor} joined by {inviter}’s invite link', { actor, inviter: who(s.inviter) });
    case 'member_removed':
      return t('{actor} removed {users}', { actor, users });
    case 'member_left':
      if (!s.owner) return t('{actor} left the group', { actor });
      if (ctx.isMe(s.owner.id)) return t('{actor} left the group. You are now the owner', { actor });
      return t('{actor} left the group. {owner} is now the owner', { actor, owner: who(s.owner) });
    case 'renamed':
      return s.name ? t('{actor} renamed the group to “{name}”', { actor, name }) : t('{actor} removed the group name', { actor });
    case 'owner_changed':
      return t('{actor} made {owner} the group owner', { actor, owner: whom(s.owner) });
    case 'avatar_changed':
      return s.avatar === null ? t('{actor} removed the group photo', { actor }) : t('{actor} changed the group photo', { actor });
    case 'settings_changed':
      return s.owner_only_adds ? t('{actor} let only the owner add members', { actor }) : t('{actor} let everyone add members', { actor });
    default:
      return t('The group changed');
  }
}

registerKind('system', {
  notice: true,
  render: (message, ctx) =>
    h('span', null, describeSystem(message.system || {}, ctx, { marked: true }).split(/[\uE000\uE001]/).map((part, i) => (i % 2 ? h('bdi', null, part) : part))),
  preview: (message, ctx) => describeSystem(message.system || {}, ctx),
});
