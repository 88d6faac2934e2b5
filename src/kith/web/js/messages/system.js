// System notices: who created the group, joined, left, renamed it... (docs/sync.md, "system").

import { h } from '../ui/dom.js';
import { registerKind } from './registry.js';

function list(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

// names in a notice are drawn isolated (<bdi>), so a right-to-left one keeps its place in the sentence:
// describeSystem marks them with these two private-use characters, and the notice is split on them
const OPEN = '\uE000';
const CLOSE = '\uE001';

export function describeSystem(s, ctx, { marked = false } = {}) {
  const mark = (text) => (marked && text ? `${OPEN}${text}${CLOSE}` : text);
  // the notice names each person as they were then: shown so unless the reader knows them better
  const who = (user) => (user ? (ctx.isMe(user.id) ? 'You' : mark(ctx.nameOf(user.id, { unknown: '' }) || user.display_name)) : 'Someone');
  const whom = (user) => (user && ctx.isMe(user.id) ? 'you' : who(user));
  const actor = who(s.actor);
  const users = list((s.users || []).map(whom));
  switch (s.action) {
    case 'created':
      return `${actor} created the group${s.name ? ` “${mark(s.name)}”` : ''}${users ? ` with ${users}` : ''}`;
    case 'members_added':
      return `${actor} added ${users}`;
    case 'joined_by_link':
      return `${actor} joined by ${s.inviter && ctx.isMe(s.inviter.id) ? 'your' : `${who(s.inviter)}’s`} invite link`;
    case 'member_removed':
      return `${actor} removed ${users}`;
    case 'member_left':
      return `${actor} left the group${s.owner ? `. ${who(s.owner)} ${ctx.isMe(s.owner.id) ? 'are' : 'is'} now the owner` : ''}`;
    case 'renamed':
      return s.name ? `${actor} renamed the group to “${mark(s.name)}”` : `${actor} removed the group name`;
    case 'owner_changed':
      return `${actor} made ${whom(s.owner)} the group owner`;
    case 'avatar_changed':
      return s.avatar === null ? `${actor} removed the group photo` : `${actor} changed the group photo`;
    case 'settings_changed':
      return s.owner_only_adds ? `${actor} let only the owner add members` : `${actor} let everyone add members`;
    default:
      return 'The group changed';
  }
}

registerKind('system', {
  notice: true,
  render: (message, ctx) =>
    h('span', null, describeSystem(message.system || {}, ctx, { marked: true }).split(/[\uE000\uE001]/).map((part, i) => (i % 2 ? h('bdi', null, part) : part))),
  preview: (message, ctx) => describeSystem(message.system || {}, ctx),
});
