// Invite links (docs/contacts.md): yours in Me, a group's in its info, and where a link leads:
// #/invite/<token> (a card of the person, Add friend) and #/join/<token> (a card of the group, Join).
// QR codes are drawn by the server (SVG) and fetched with the token, shown from blob: URLs.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { dateTime } from '../ui/format.js';
import { avatar, busy, confirmDialog, copyText, emptyState, field, openDialog, toast } from '../ui/widgets.js';
import { ApiError, del, get, humanError, imageUrl, post } from '../api.js';
import { openDirect } from '../actions.js';
import { changed, state, upsertConversation } from '../store.js';
import { go } from '../router.js';
import { t, tn } from '../i18n.js';

/** The QR code of `path` (an API route that answers with an SVG), as an <img> that frees its URL when replaced. */
function qrImage(path, label) {
  const img = h('img', { class: 'qr-code', alt: label, width: '196', height: '196' });
  imageUrl(path).then(
    (url) => {
      img.src = url;
      img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
    },
    () => img.replaceWith(h('p', { class: 'muted' }, t('The QR code could not be loaded.'))),
  );
  return img;
}

function linkBox(url, copyLabel) {
  return h(
    'div',
    { class: 'invite-link' },
    h('code', { class: 'invite-url' }, url),
    h('button', { class: 'btn small', type: 'button', onclick: () => copyText(url, t('Link copied.')) }, icon('copy', { size: 16 }), copyLabel),
  );
}

// ---- Me → My invite link ------------------------------------------------------------------------

export function mountMyInvite(body) {
  let gone = false;
  async function show(link) {
    if (gone) return;
    const rotate = h('button', { class: 'btn', type: 'button' }, icon('undo', { size: 16 }), t('New link'));
    rotate.addEventListener('click', async () => {
      const sure = await confirmDialog(t('Make a new invite link?'), { detail: t('Your current link and QR code stop working at once. Anyone who has them will need the new one.'), confirm: t('New link'), danger: true });
      if (!sure) return;
      try {
        await busy(rotate, t('Making…'), async () => show(await post('/me/invite-link')));
        toast(t('You have a new invite link. The old one no longer works.'));
      } catch (error) {
        toast(humanError(error), { kind: 'error' });
      }
    });
    replace(
      body,
      h('p', { class: 'muted' }, t('Whoever opens this link or scans the code sees your name and picture (not your handle) and can ask you to be friends. You still choose whether to accept.')),
      h('div', { class: 'qr-frame' }, qrImage('/me/invite-link/qr', t('QR code of your invite link'))),
      linkBox(link.url, t('Copy link')),
      h('div', { class: 'actions-row' }, rotate),
    );
  }
  replace(body, h('div', { class: 'skeleton-item', 'aria-hidden': 'true' }));
  get('/me/invite-link').then(show, (error) => {
    if (!gone) replace(body, h('p', { class: 'muted' }, humanError(error)));
  });
  return { destroy: () => { gone = true; } };
}

// ---- a group's links, from its info -----------------------------------------------------------------

const EXPIRIES = [
  [3600, t('1 hour')],
  [86400, t('1 day')],
  [7 * 86400, t('7 days')],
];
const USES = [[null, t('No limit')], ...[1, 5, 10, 25, 100].map((n) => [n, tn(n, '{n} person', '{n} people')])];

function select(label, options, chosen) {
  const input = h('select', { class: 'input' }, options.map(([value, text]) => h('option', { value: value ?? '', selected: value === chosen }, text)));
  return { el: h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input), input };
}

function usesText(link) {
  if (link.max_uses) return t('{uses} of {max} used', { uses: link.uses, max: link.max_uses });
  return link.uses ? tn(link.uses, 'Used {n} time', 'Used {n} times') : t('Not used yet');
}

export function openGroupInvites(conv) {
  const id = conv.id;
  const body = h('div', { class: 'group-invites' });
  const dialog = openDialog({ title: t('Invite links'), content: body, className: 'invites-dialog' });
  const list = h('ul', { class: 'invite-list', 'aria-label': t('Invite links') });
  const shown = h('div', { class: 'invite-shown' });
  const expiry = select(t('Works for'), EXPIRIES, 7 * 86400);
  const uses = select(t('Who can join by it'), USES, null);
  const create = h('button', { class: 'btn primary', type: 'submit' }, icon('link', { size: 16 }), t('Create link'));
  const form = h('form', { class: 'stack invite-form' }, h('div', { class: 'row' }, expiry.el, uses.el), h('div', { class: 'actions-row' }, create));
  let links = null;

  function showLink(link) {
    replace(
      shown,
      link.token
        ? [h('div', { class: 'qr-frame' }, qrImage(`/conversations/${id}/invite-links/${link.id}/qr`, t('QR code of the invite link'))), linkBox(link.url, t('Copy link'))]
        : h('p', { class: 'muted' }, t('This link was made before the server changed its invite key: revoke it and create another.')),
    );
  }

  function render() {
    if (!links) {
      replace(list, h('li', { class: 'muted' }, t('Loading…')));
      return;
    }
    if (!links.length) {
      replace(list, h('li', { class: 'muted' }, t('No invite links yet.')));
      return;
    }
    replace(
      list,
      links.map((link) =>
        h(
          'li',
          { class: 'invite-item', 'data-link': link.id },
          h('div', { class: 'invite-main' }, h('div', null, t('Expires {when}', { when: dateTime(link.expires_at) })), h('div', { class: 'muted small' }, usesText(link))),
          h('button', { class: 'btn small', type: 'button', onclick: () => showLink(link) }, icon('qr', { size: 16 }), t('Show')),
          h('button', {
            class: 'btn small danger',
            type: 'button',
            onclick: async (event) => {
              const button = event.currentTarget;
              if (!(await confirmDialog(t('Revoke this invite link?'), { detail: t('It stops working at once, also as a QR code.'), confirm: t('Revoke'), danger: true }))) return;
              try {
                await busy(button, null, () => del(`/conversations/${id}/invite-links/${link.id}`));
                links = links.filter((l) => l.id !== link.id);
                replace(shown);
                render();
                toast(t('Invite link revoked.'));
              } catch (error) {
                toast(humanError(error), { kind: 'error' });
              }
            },
          }, t('Revoke')),
        ),
      ),
    );
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const wanted = { expires_in: Number(expiry.input.value) };
    if (uses.input.value) wanted.max_uses = Number(uses.input.value);
    try {
      const link = await busy(create, t('Creating…'), () => post(`/conversations/${id}/invite-links`, wanted));
      links = [...(links || []), link];
      render();
      showLink(link);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  });

  replace(
    body,
    h('p', { class: 'muted' }, t('Anyone with a link can see the group’s name, picture and member count, and join. They do not see messages from before they joined.')),
    form,
    shown,
    h('div', { class: 'section-title' }, t('Working links')),
    list,
  );
  render();
  get(`/conversations/${id}/invite-links`).then(
    (answer) => {
      links = answer.links;
      render();
    },
    (error) => {
      toast(humanError(error), { kind: 'error' });
      dialog.close();
    },
  );
  return dialog;
}

// ---- where a link leads ---------------------------------------------------------------------------

function page(el, title, back, ...content) {
  replace(
    el,
    h(
      'section',
      { class: 'page', 'aria-label': title },
      h('header', { class: 'pane-header' }, h('a', { class: 'icon-btn back always', href: back, 'aria-label': t('Back') }, icon('back')), h('h2', null, title)),
      h('div', { class: 'page-scroll' }, h('div', { class: 'page-body narrow invite-page' }, ...content)),
    ),
  );
}

function broken(el, title, back, error) {
  const gone = error instanceof ApiError && error.status === 404;
  page(el, title, back, emptyState('link', gone ? t('This invite link does not work') : t('Could not open the link'), gone ? t('It may have been changed, withdrawn or used up, or it has expired. Ask for a new one.') : humanError(error)));
}

/** #/invite/<token>: a person's card, and a friend request with a greeting. */
export function mountInviteCard(el, token) {
  const title = t('Invitation');
  let gone = false;
  page(el, title, '#/contacts', h('div', { class: 'skeleton-item', 'aria-hidden': 'true' }));

  function show(card) {
    if (gone) return;
    const who = h('div', { class: 'invite-card' }, avatar(card.display_name, card.user_id || 0, { size: 72, picture: card.avatar }), h('div', { class: 'invite-name', dir: 'auto' }, card.display_name));
    if (card.is_self) {
      page(el, title, '#/contacts', who, h('p', { class: 'muted center' }, t('This is your own invite link. Share it with people you want as friends.')));
      return;
    }
    if (card.is_friend) {
      const open = h('button', { class: 'btn primary wide', type: 'button', onclick: () => openDirect(card.user_id) }, icon('chat', { size: 18 }), t('Send message'));
      page(el, title, '#/contacts', who, h('p', { class: 'muted center' }, t('You are already friends.')), open);
      return;
    }
    if (card.requested) {
      page(el, title, '#/contacts', who, h('p', { class: 'muted center' }, t('You asked to be friends. They will see your request and can accept it.')));
      return;
    }
    const greeting = field(t('Greeting'), { maxlength: '200', autocomplete: 'off', value: state.me ? t("Hi, I'm {name}", { name: state.me.display_name }) : '' }, { hint: t('They see this with your request.') });
    const add = h('button', { class: 'btn primary wide', type: 'submit' }, icon('userPlus', { size: 18 }), t('Add friend'));
    const form = h('form', { class: 'stack' }, greeting, add);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const result = await busy(add, t('Sending…'), () => post('/friend-requests', { invite: token, greeting: greeting.input.value.trim() }));
        if (result.friend) {
          state.friends.set(result.friend.user.id, result.friend);
          changed('friends');
          toast(t('You are friends now.'));
          show({ ...card, is_friend: true, user_id: result.friend.user.id });
        } else {
          state.requests.set(result.request.id, result.request);
          changed('requests');
          toast(t('Friend request sent.'));
          show({ ...card, requested: true });
        }
      } catch (error) {
        greeting.setError(humanError(error));
      }
    });
    page(el, title, '#/contacts', who, h('p', { class: 'muted center' }, t('invited you to be friends on kith.')), form);
  }

  post('/invite-links/open', { token }).then(show, (error) => !gone && broken(el, title, '#/contacts', error));
  return { destroy: () => { gone = true; } };
}

/** #/join/<token>: a group's card, and joining it. */
export function mountJoinCard(el, token) {
  const title = t('Group invitation');
  let gone = false;
  let picture = null;
  page(el, title, '#/chats', h('div', { class: 'skeleton-item', 'aria-hidden': 'true' }));

  function show(card) {
    if (gone) return;
    const face = avatar(card.name, 0, { size: 72, group: true });
    if (card.avatar) {
      const img = h('img', { class: 'avatar-img', alt: '' });
      (picture ||= imageUrl('/group-links/picture', { token })).then((url) => {
        img.src = url;
        face.append(img);
        face.classList.add('has-picture');
      }, () => {});
    }
    const who = h(
      'div',
      { class: 'invite-card' },
      face,
      h('div', { class: 'invite-name', dir: 'auto' }, card.name || t('A group')),
      h('div', { class: 'muted' }, tn(card.member_count, '{n} member', '{n} members')),
    );
    if (card.is_member) {
      page(el, title, '#/chats', who, h('p', { class: 'muted center' }, t('You are in this group.')), h('a', { class: 'btn primary wide', href: `#/chats/${card.conversation_id}` }, icon('chat', { size: 18 }), t('Open chat')));
      return;
    }
    const join = h('button', { class: 'btn primary wide', type: 'button' }, icon('group', { size: 18 }), t('Join group'));
    join.addEventListener('click', async () => {
      try {
        const conv = await busy(join, t('Joining…'), () => post('/group-links/join', { token }));
        upsertConversation(conv);
        go(`chats/${conv.id}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) broken(el, title, '#/chats', error);
        else toast(humanError(error), { kind: 'error' });
      }
    });
    page(el, title, '#/chats', who, h('p', { class: 'muted center' }, t('You were invited to join. You will see the messages sent from when you join.')), join);
  }

  post('/group-links/open', { token }).then(show, (error) => !gone && broken(el, title, '#/chats', error));
  return {
    destroy: () => {
      gone = true;
      picture?.then((url) => URL.revokeObjectURL(url), () => {});
    },
  };
}
