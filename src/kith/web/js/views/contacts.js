// The Contacts tab: friend requests, official accounts, groups, friends (with your remarks), blocked
// people.

import { h, arrowNavigation, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { listTime } from '../ui/format.js';
import { avatar, badge, busy, confirmDialog, emptyState, field, toast } from '../ui/widgets.js';
import { humanError } from '../api.js';
import {
  acceptRequest, block, cancelRequest, declineRequest, openDirect, removeFriend, setRemark, unblock,
} from '../actions.js';
import {
  conversationTitle, incomingRequests, nameOf, outgoingRequests, sortedConversations, sortedFriends, state, subscribe,
} from '../store.js';
import { go } from '../router.js';
import { openAddFriend, openNewGroup } from './dialogs.js';
import { mountAccountPage, mountAccountSearch, mountScan } from './official.js';
import { mountInviteCard } from './invites.js';
import { t, tn } from '../i18n.js';

export function mountList(el, route) {
  let selected = route.path.join('/');
  let filter = '';
  const search = h('input', {
    class: 'search-input',
    type: 'search',
    placeholder: t('Search contacts'),
    'aria-label': t('Search contacts'),
    autocomplete: 'off',
    oninput: () => {
      filter = search.value.trim().toLocaleLowerCase();
      render();
    },
  });
  const content = h('div', { class: 'contact-sections' });
  el.replaceChildren(
    h(
      'header',
      { class: 'pane-header' },
      h('h1', null, t('Contacts')),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('New group'), title: t('New group'), onclick: () => openNewGroup() }, icon('group')),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('Add friend'), title: t('Add friend'), onclick: () => openAddFriend() }, icon('userPlus')),
    ),
    h('div', { class: 'search' }, icon('search', { size: 16 }), search),
    h('div', { class: 'pane-scroll' }, content),
  );
  arrowNavigation(content, 'a.contact-item');

  const item = (href, key, avatarNode, name, sub, extra = null) =>
    h(
      'li',
      null,
      h(
        'a',
        { class: 'contact-item', href, 'aria-current': key === selected ? 'true' : null },
        avatarNode,
        h('span', { class: 'contact-main' }, h('span', { class: 'contact-name', dir: 'auto' }, name), sub ? h('span', { class: 'contact-sub', dir: 'auto' }, sub) : null),
        extra,
      ),
    );

  function render() {
    if (!state.ready) {
      replace(content, h('ul', null, Array.from({ length: 6 }, () => h('li', { class: 'skeleton-item', 'aria-hidden': 'true' }))));
      return;
    }
    const match = (...texts) => !filter || texts.join(' ').toLocaleLowerCase().includes(filter);
    const incoming = incomingRequests().length;
    const sections = [];
    if (!filter) {
      sections.push(
        h(
          'ul',
          { class: 'contact-list' },
          item('#/contacts/requests', 'requests', h('span', { class: 'avatar tile' }, icon('inbox', { size: 20 })), t('New friends'), incoming ? tn(incoming, '{n} waiting for you', '{n} waiting for you') : t('Friend requests'), badge(incoming, { label: tn(incoming, '{n} new', '{n} new') })),
          item('#/contacts/accounts', 'accounts', h('span', { class: 'avatar tile' }, icon('megaphone', { size: 20 })), t('Official accounts'), t('Find news and services to follow')),
        ),
      );
    }
    const groups = sortedConversations().filter((c) => c.kind === 'group' && match(conversationTitle(c)));
    if (groups.length) {
      sections.push(
        h('h2', { class: 'list-heading' }, t('Groups')),
        h('ul', { class: 'contact-list' }, groups.map((c) => item(`#/chats/${c.id}`, null, avatar(conversationTitle(c), c.id, { group: true, size: 40, picture: c.avatar }), conversationTitle(c), tn(c.member_count, '{n} member', '{n} members')))),
      );
    }
    const friends = sortedFriends().filter((f) => match(f.remark, f.user.display_name, f.user.handle));
    sections.push(h('h2', { class: 'list-heading' }, friends.length ? t('Friends · {n}', { n: friends.length }) : t('Friends')));
    if (friends.length) {
      const list = h(
        'ul',
        { class: 'contact-list', 'aria-label': t('Friends') },
        friends.map((f) =>
          item(
            `#/contacts/user/${f.user.id}`,
            `user/${f.user.id}`,
            avatar(nameOf(f.user.id), f.user.id, { size: 40, picture: f.user.avatar }),
            nameOf(f.user.id),
            f.remark ? `${f.user.display_name} · @${f.user.handle}` : f.user.status || `@${f.user.handle}`,
            f.blocked ? h('span', { class: 'tag' }, t('Blocked')) : null,
          ),
        ),
      );
      sections.push(list);
    } else if (filter) {
      sections.push(h('p', { class: 'muted pad' }, t('No contact matches “{query}”.', { query: search.value })));
    } else {
      sections.push(
        emptyState('contacts', t('No friends yet'), t('Ask the people you know for their handle and add them.'), h('button', { class: 'btn primary', type: 'button', onclick: () => openAddFriend() }, icon('userPlus', { size: 18 }), t('Add friend'))),
      );
    }
    const blockedOnly = [...state.blocked.values()].filter((u) => !state.friends.has(u.id) && match(u.display_name, u.handle));
    if (blockedOnly.length) {
      sections.push(
        h('h2', { class: 'list-heading' }, t('Blocked')),
        h('ul', { class: 'contact-list' }, blockedOnly.map((u) => item(`#/contacts/user/${u.id}`, `user/${u.id}`, avatar(u.display_name, u.id, { size: 40, picture: u.avatar }), u.display_name, `@${u.handle}`, h('span', { class: 'tag' }, t('Blocked'))))),
      );
    }
    const focused = document.activeElement?.closest?.('a.contact-item')?.getAttribute('href');
    replace(content, sections);
    if (focused && content.contains(document.activeElement) === false) {
      content.querySelector(`a.contact-item[href="${focused}"]`)?.focus({ preventScroll: true });
    }
  }

  const unsubscribe = subscribe(['friends', 'requests', 'blocked', 'conversations', 'users', 'ready'], render);
  render();
  return {
    update(next) {
      selected = next.path.join('/');
      render();
    },
    destroy: unsubscribe,
  };
}

export function mountMain(el, route) {
  const [section, id] = route.path;
  if (section === 'requests') return mountRequests(el);
  if (section === 'accounts') return mountAccountSearch(el);
  if (section === 'scan' && id) return mountScan(el, id);
  if (section === 'invite' && id) return mountInviteCard(el, id);
  if (section === 'account' && Number(id)) return mountAccountPage(el, Number(id));
  if (section === 'user' && Number(id)) return mountPerson(el, Number(id));
  el.replaceChildren(
    h(
      'div',
      { class: 'main-empty' },
      emptyState('contacts', t('Your people'), t('Pick a friend to see their profile, or add someone new by their handle.'), h('button', { class: 'btn primary', type: 'button', onclick: () => openAddFriend() }, icon('userPlus', { size: 18 }), t('Add friend'))),
    ),
  );
  return { destroy() {} };
}

function pageHeader(title) {
  return h('header', { class: 'pane-header' }, h('a', { class: 'icon-btn back', href: '#/contacts', 'aria-label': t('Back to contacts') }, icon('back')), h('h2', null, title));
}

function mountRequests(el) {
  const body = h('div', { class: 'page-body' });
  el.replaceChildren(h('section', { class: 'page', 'aria-label': t('Friend requests') }, pageHeader(t('New friends')), h('div', { class: 'page-scroll' }, body)));

  const act = async (button, label, fn) => {
    try {
      await busy(button, label, fn);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  };

  /** One friend request: the other person, the greeting, when (incoming only), and its buttons. */
  function requestRow(r, person, actions, when = null) {
    return h(
      'li',
      { class: 'request', 'data-request': r.id },
      avatar(person.display_name, person.id, { size: 44, picture: person.avatar }),
      h(
        'div',
        { class: 'request-main' },
        h('div', { class: 'person-name' }, person.display_name, h('span', { class: 'muted' }, ` @${person.handle}`)),
        r.greeting ? h('div', { class: 'greeting', dir: 'auto' }, `“${r.greeting}”`) : null,
        when ? h('div', { class: 'muted small' }, when) : null,
      ),
      h('div', { class: 'request-actions' }, ...actions),
    );
  }

  function render() {
    if (!state.ready) return;
    const incoming = incomingRequests();
    const outgoing = outgoingRequests();
    const rows = [];
    if (!incoming.length && !outgoing.length) {
      rows.push(emptyState('inbox', t('No friend requests'), t('When someone asks to be your friend, it shows up here.'), h('button', { class: 'btn', type: 'button', onclick: () => openAddFriend() }, icon('userPlus', { size: 18 }), t('Add friend'))));
    }
    if (incoming.length) {
      rows.push(
        h('h3', { class: 'list-heading' }, t('Asking to be your friend')),
        h(
          'ul',
          { class: 'request-list' },
          incoming.map((r) =>
            requestRow(r, r.from_user, [
              h('button', { class: 'btn', type: 'button', onclick: (e) => act(e.currentTarget, null, () => declineRequest(r.id)) }, t('Decline')),
              h('button', {
                class: 'btn primary',
                type: 'button',
                onclick: (e) =>
                  act(e.currentTarget, null, async () => {
                    await acceptRequest(r.id);
                    toast(t('You and {name} are now friends.', { name: r.from_user.display_name }));
                  }),
              }, t('Accept')),
            ], listTime(r.updated_at)),
          ),
        ),
      );
    }
    if (outgoing.length) {
      rows.push(
        h('h3', { class: 'list-heading' }, t('Waiting for an answer')),
        h(
          'ul',
          { class: 'request-list' },
          outgoing.map((r) =>
            requestRow(r, r.to_user, [
              h('button', { class: 'btn', type: 'button', onclick: (e) => act(e.currentTarget, null, () => cancelRequest(r.id)) }, t('Withdraw')),
            ]),
          ),
        ),
      );
    }
    replace(body, rows);
  }
  const unsubscribe = subscribe(['requests', 'ready'], render);
  render();
  return { destroy: unsubscribe };
}

function mountPerson(el, userId) {
  const body = h('div', { class: 'page-body' });
  el.replaceChildren(h('section', { class: 'page', 'aria-label': t('Profile') }, pageHeader(t('Profile')), h('div', { class: 'page-scroll' }, body)));

  const run = async (button, label, fn) => {
    try {
      await busy(button, label, fn);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  };

  let lastSig = null;
  function render() {
    if (!state.ready) return;
    const friend = state.friends.get(userId);
    const user = friend?.user || state.blocked.get(userId) || state.users.get(userId);
    const blocked = state.blocked.has(userId);
    const sig = JSON.stringify([friend, user, blocked]);
    if (sig === lastSig) return;
    lastSig = sig;
    if (!user) {
      replace(body, emptyState('contacts', t('Not in your contacts'), t('This person is not one of your friends.')));
      return;
    }
    const rows = [
      h(
        'div',
        { class: 'profile-hero' },
        avatar(user.display_name, user.id, { size: 72, picture: user.avatar }),
        h('div', null, h('h3', { class: 'profile-name' }, friend?.remark || user.display_name), friend?.remark ? h('div', { class: 'muted' }, user.display_name) : null, h('div', { class: 'muted' }, `@${user.handle}`), user.status ? h('p', { class: 'person-status' }, user.status) : null),
      ),
    ];
    if (friend) {
      const remark = field(t('Remark (only you see it)'), { value: friend.remark, maxlength: '64', autocomplete: 'off', placeholder: user.display_name });
      const save = h('button', { class: 'btn', type: 'submit' }, t('Save'));
      const form = h('form', { class: 'row' }, remark, save);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await busy(save, t('Saving…'), () => setRemark(userId, remark.input.value.trim()));
          toast(t('Remark saved.'));
        } catch (error) {
          remark.setError(humanError(error));
        }
      });
      rows.push(
        h(
          'div',
          { class: 'actions-row' },
          h('button', { class: 'btn primary', type: 'button', onclick: (e) => run(e.currentTarget, t('Opening…'), () => openDirect(userId)) }, icon('chat', { size: 18 }), t('Message')),
          blocked ? null : h('a', { class: 'btn', href: `#/moments/users/${userId}/posts` }, icon('moments', { size: 18 }), t('Moments')),
        ),
        form,
      );
    }
    const dangerous = [];
    if (blocked) {
      dangerous.push(h('button', { class: 'btn', type: 'button', onclick: (e) => run(e.currentTarget, null, () => unblock(userId)) }, icon('block', { size: 18 }), t('Unblock')));
    } else {
      dangerous.push(
        h('button', {
          class: 'btn danger',
          type: 'button',
          onclick: async (e) => {
            const button = e.currentTarget;
            if (!(await confirmDialog(t('Block {name}?', { name: user.display_name }), { detail: t('They will not be told. Their messages and requests will stop reaching you.'), confirm: t('Block'), danger: true }))) return;
            run(button, null, () => block(user));
          },
        }, icon('block', { size: 18 }), t('Block')),
      );
    }
    if (friend) {
      dangerous.push(
        h('button', {
          class: 'btn danger',
          type: 'button',
          onclick: async (e) => {
            const button = e.currentTarget;
            if (!(await confirmDialog(t('Remove {name} from your friends?', { name: user.display_name }), { detail: t('You will not be able to message each other until one of you adds the other again.'), confirm: t('Remove'), danger: true }))) return;
            await run(button, null, () => removeFriend(userId));
            go('contacts');
          },
        }, t('Remove friend')),
      );
    }
    rows.push(h('div', { class: 'actions-row subtle' }, dangerous));
    replace(body, rows);
  }
  const unsubscribe = subscribe(['friends', 'blocked', 'users', 'ready'], render);
  render();
  return { destroy: unsubscribe };
}
