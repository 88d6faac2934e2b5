// Dialogs started from several places: add a friend, new group, chat info, add members.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { avatar, avatarPicker, busy, confirmDialog, field, openDialog, toast } from '../ui/widgets.js';
import { humanError } from '../api.js';
import {
  addMembers, acceptRequest, createGroup, leaveGroup, lookup, openDirect, removeGroupAvatar, removeMember, renameGroup,
  requestFriend, setGroupAvatar, setPrefs,
} from '../actions.js';
import { chatOf, conversationTitle, ensureMembers, isMe, nameOf, sortedFriends, state, subscribe } from '../store.js';
import { go } from '../router.js';
import { openGroupInvites } from './invites.js';
import { t, tn } from '../i18n.js';

// ---- add a friend -----------------------------------------------------------------------------

export function openAddFriend(prefill = '') {
  const handle = field(t('Their handle'), { name: 'handle', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: t('e.g. alice'), value: prefill });
  const find = h('button', { class: 'btn primary', type: 'submit' }, t('Find'));
  const result = h('div', { class: 'lookup-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'lookup-form' }, h('div', { class: 'row' }, handle, find), result);
  const dialog = openDialog({ title: t('Add a friend'), content: form, className: 'narrow' });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = handle.input.value.trim().replace(/^@/, '');
    if (!value) {
      handle.setError(t('Type the handle of the person you want to add.'));
      return;
    }
    replace(result);
    try {
      const found = await busy(find, t('Finding…'), () => lookup(value));
      showResult(found);
    } catch (error) {
      handle.setError(humanError(error));
      handle.input.focus();
    }
  });

  function showResult(found) {
    const user = found.user;
    const card = h(
      'div',
      { class: 'person-card' },
      avatar(user.display_name, user.id, { size: 48, picture: user.avatar }),
      h('div', null, h('div', { class: 'person-name' }, user.display_name), h('div', { class: 'muted' }, `@${user.handle}`), user.status ? h('div', { class: 'person-status' }, user.status) : null),
    );
    const done = (text) => h('p', { class: 'muted center' }, text);
    let action;
    if (found.is_self) action = done(t("That's you!"));
    else if (found.is_friend) {
      action = h('button', { class: 'btn primary wide', type: 'button', onclick: () => { dialog.close(); openDirect(user.id).catch((e) => toast(humanError(e), { kind: 'error' })); } }, icon('chat', { size: 18 }), t('Message'));
    } else if (found.incoming_request_id) {
      action = h('div', null, done(t('{name} already asked to be your friend.', { name: user.display_name })), h('button', {
        class: 'btn primary wide',
        type: 'button',
        onclick: async (event) => {
          try {
            await busy(event.currentTarget, t('Accepting…'), () => acceptRequest(found.incoming_request_id));
            dialog.close();
            toast(t('You and {name} are now friends.', { name: user.display_name }));
          } catch (error) {
            toast(humanError(error), { kind: 'error' });
          }
        },
      }, t('Accept')));
    } else if (found.blocked) action = done(t('You blocked this person. Unblock them in Contacts first.'));
    else {
      const greeting = field(t('Greeting'), { name: 'greeting', maxlength: '200', value: t("Hi, it's {name}", { name: state.me.display_name }) });
      const send = h('button', { class: 'btn primary wide', type: 'button' }, icon('userPlus', { size: 18 }), found.outgoing_request_id ? t('Send again') : t('Send friend request'));
      send.addEventListener('click', async () => {
        try {
          await busy(send, t('Sending…'), () => requestFriend(user.handle, greeting.input.value.trim()));
          replace(action, done(t('Request sent. You can chat once {name} accepts.', { name: user.display_name })));
        } catch (error) {
          greeting.setError(humanError(error));
        }
      });
      action = h('div', null, found.outgoing_request_id ? done(t('You already asked; waiting for an answer.')) : null, greeting, send);
    }
    replace(result, card, action);
    result.querySelector('input, button')?.focus();
  }
}

// ---- pick friends -----------------------------------------------------------------------------

/** Friends to tick, with a search box. `initial`: the ids ticked at first. Returns {el, chosen}. */
export function friendPicker({ exclude = new Set(), onChange, initial = [] }) {
  const chosen = new Set(initial);
  const filter = h('input', { class: 'input', type: 'search', placeholder: t('Search friends'), 'aria-label': t('Search friends') });
  const list = h('ul', { class: 'pick-list', 'aria-label': t('Friends') });
  const friends = sortedFriends().filter((f) => !exclude.has(f.user.id));
  function render() {
    const q = filter.value.trim().toLocaleLowerCase();
    replace(
      list,
      friends
        .filter((f) => !q || `${f.remark} ${f.user.display_name} ${f.user.handle}`.toLocaleLowerCase().includes(q))
        .map((f) => {
          const box = h('input', {
            type: 'checkbox',
            checked: chosen.has(f.user.id),
            onchange: () => {
              if (box.checked) chosen.add(f.user.id);
              else chosen.delete(f.user.id);
              onChange(chosen);
            },
          });
          return h('li', null, h('label', { class: 'pick-item' }, box, avatar(nameOf(f.user.id), f.user.id, { size: 32, picture: f.user.avatar }), h('span', null, nameOf(f.user.id)), h('span', { class: 'muted' }, `@${f.user.handle}`)));
        }),
    );
    if (!list.children.length) list.append(h('li', { class: 'muted pad' }, friends.length ? t('No friend matches.') : t('No friends to add yet.')));
  }
  filter.addEventListener('input', render);
  render();
  return { el: h('div', { class: 'picker' }, filter, list), chosen };
}

export function openNewGroup() {
  const name = field(t('Group name (optional)'), { name: 'name', maxlength: '64', autocomplete: 'off' });
  const create = h('button', { class: 'btn primary', type: 'submit', disabled: true }, t('Create group'));
  const error = h('div', { class: 'form-error', role: 'alert' });
  const picker = friendPicker({ onChange: (chosen) => { create.disabled = chosen.size === 0; } });
  const form = h('form', null, name, h('div', { class: 'field-label' }, t('Members')), picker.el, error, h('div', { class: 'dialog-actions' }, create));
  const dialog = openDialog({ title: t('New group'), content: form });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await busy(create, t('Creating…'), () => createGroup(name.input.value.trim(), [...picker.chosen]));
      dialog.close();
    } catch (e) {
      error.textContent = humanError(e);
    }
  });
}

export function openAddMembers(conv) {
  const members = chatOf(conv.id).members || [];
  const add = h('button', { class: 'btn primary', type: 'submit', disabled: true }, t('Add'));
  const error = h('div', { class: 'form-error', role: 'alert' });
  const picker = friendPicker({ exclude: new Set(members.map((m) => m.user.id)), onChange: (chosen) => { add.disabled = chosen.size === 0; } });
  const form = h('form', null, picker.el, error, h('div', { class: 'dialog-actions' }, add));
  const dialog = openDialog({ title: t('Add members'), content: form });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await busy(add, t('Adding…'), () => addMembers(conv.id, [...picker.chosen]));
      dialog.close();
    } catch (e) {
      error.textContent = humanError(e);
    }
  });
}

// ---- chat info --------------------------------------------------------------------------------

function toggleRow(label, iconName, checked, onToggle) {
  const box = h('input', { type: 'checkbox', role: 'switch', checked, class: 'switch', 'data-focus': iconName, onchange: () => onToggle(box) });
  return h('label', { class: 'toggle-row' }, icon(iconName, { size: 20 }), h('span', null, label), box);
}

export function openChatInfo(initial) {
  const id = initial.id;
  const body = h('div', { class: 'chat-info' });
  let unsubscribe = () => {};
  const dialog = openDialog({ title: initial.kind === 'group' ? t('Group info') : t('Chat info'), content: body, onClose: () => unsubscribe() });
  if (initial.kind === 'group') ensureMembers(id, { force: true });

  const prefs = async (box, change) => {
    box.disabled = true;
    try {
      await setPrefs(id, change);
    } catch (error) {
      box.checked = !box.checked;
      toast(humanError(error), { kind: 'error' });
    } finally {
      box.disabled = false;
    }
  };

  let lastSig = null;
  function render() {
    const conv = state.conversations.get(id);
    if (!conv) {
      dialog.close();
      return;
    }
    const members = chatOf(id).members;
    const sig = JSON.stringify([
      conv.name, conv.member_count, conv.owner_id, conv.owner_only_adds, conv.muted, conv.pinned, conv.peer, conv.avatar,
      conversationTitle(conv), members?.map((m) => [m.user.id, m.role, nameOf(m.user.id), state.users.get(m.user.id)?.avatar]),
    ]);
    if (sig === lastSig) return;
    lastSig = sig;
    const focusedName = document.activeElement?.dataset?.focus;
    const rows = [];
    if (conv.kind === 'group') {
      const nameField = field(t('Group name'), { value: conv.name, maxlength: '64', autocomplete: 'off', placeholder: conversationTitle(conv), 'data-focus': 'name' });
      const save = h('button', { class: 'btn', type: 'submit' }, t('Rename'));
      const renameForm = h('form', { class: 'row' }, nameField, save);
      renameForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await busy(save, t('Saving…'), () => renameGroup(id, nameField.input.value.trim()));
          toast(t('Group renamed.'));
        } catch (error) {
          nameField.setError(humanError(error));
        }
      });
      rows.push(
        avatarPicker({
          current: () => state.conversations.get(id)?.avatar,
          draw: (size) => avatar(conversationTitle(conv), conv.id, { group: true, size, picture: conv.avatar }),
          setLabel: t('Set group photo'),
          removeLabel: t('Remove group photo'),
          set: (file) => setGroupAvatar(id, file),
          remove: () => removeGroupAvatar(id),
          setDone: t('Group photo set.'),
          removeDone: t('Group photo removed.'),
        }).el,
        renameForm,
      );
      const amOwner = isMe(conv.owner_id);
      const canAdd = !conv.owner_only_adds || amOwner;
      rows.push(
        h(
          'div',
          { class: 'section-title' },
          tn(conv.member_count, '{n} member', '{n} members'),
          canAdd ? h('span', { class: 'row' }, h('button', { class: 'btn small', type: 'button', 'data-focus': 'invite', onclick: () => openGroupInvites(conv) }, icon('link', { size: 16 }), t('Invite link')), h('button', { class: 'btn small', type: 'button', 'data-focus': 'add', onclick: () => openAddMembers(conv) }, icon('plus', { size: 16 }), t('Add'))) : null,
        ),
        h(
          'ul',
          { class: 'member-list', 'aria-label': t('Members') },
          members
            ? members.map((m) =>
                h(
                  'li',
                  { class: 'member' },
                  avatar(m.user.display_name, m.user.id, { size: 32, picture: state.users.get(m.user.id)?.avatar ?? m.user.avatar }),
                  h('span', { class: 'member-name' }, isMe(m.user.id) ? t('{name} (you)', { name: state.me.display_name }) : nameOf(m.user.id)),
                  m.role === 'owner' ? h('span', { class: 'tag' }, t('Owner')) : null,
                  amOwner && !isMe(m.user.id)
                    ? h('button', {
                        class: 'link-btn danger',
                        type: 'button',
                        'data-focus': `remove-${m.user.id}`,
                        'aria-label': t('Remove {name}', { name: nameOf(m.user.id) }),
                        onclick: async () => {
                          if (!(await confirmDialog(t('Remove {name} from the group?', { name: nameOf(m.user.id) }), { confirm: t('Remove'), danger: true }))) return;
                          try {
                            await removeMember(id, m.user.id);
                          } catch (error) {
                            toast(humanError(error), { kind: 'error' });
                          }
                        },
                      }, t('Remove'))
                    : null,
                ),
              )
            : h('li', { class: 'muted pad' }, t('Loading members…')),
        ),
      );
    } else if (conv.peer) {
      rows.push(
        h(
          'a',
          { class: 'person-card link', href: `#/contacts/user/${conv.peer.id}`, onclick: () => dialog.close() },
          avatar(conversationTitle(conv), conv.peer.id, { size: 48, picture: conv.peer.avatar }),
          h('div', null, h('div', { class: 'person-name' }, conversationTitle(conv)), h('div', { class: 'muted' }, `@${conv.peer.handle}`), conv.peer.status ? h('div', { class: 'person-status' }, conv.peer.status) : null),
          icon('right', { size: 18 }),
        ),
      );
    }
    rows.push(
      h(
        'div',
        { class: 'toggles' },
        toggleRow(t('Mute notifications'), 'mute', conv.muted, (box) => prefs(box, { muted: box.checked })),
        toggleRow(t('Pin to top'), 'pin', conv.pinned, (box) => prefs(box, { pinned: box.checked })),
      ),
    );
    if (conv.kind === 'group') {
      rows.push(
        h('button', {
          class: 'btn danger wide',
          type: 'button',
          'data-focus': 'leave',
          onclick: async () => {
            if (!(await confirmDialog(t('Leave this group?'), { detail: t('You will stop getting its messages.'), confirm: t('Leave'), danger: true }))) return;
            try {
              await leaveGroup(id);
              dialog.close();
              go('chats');
              toast(t('You left {name}.', { name: conversationTitle(conv) }));
            } catch (error) {
              toast(humanError(error), { kind: 'error' });
            }
          },
        }, icon('logout', { size: 18 }), t('Leave group')),
      );
    }
    replace(body, rows);
    if (focusedName) body.querySelector(`[data-focus="${focusedName}"]`)?.focus();
  }

  unsubscribe = subscribe(['conversations', `members:${id}`, 'users', 'friends'], (topics) => {
    // a rename typed but not saved yet must not be wiped by an unrelated update
    if (document.activeElement?.dataset?.focus === 'name' && !topics.includes(`members:${id}`)) return;
    render();
  });
  render();
}
