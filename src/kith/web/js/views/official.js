// Official accounts for their followers: finding one by name (#/contacts/accounts) and its page
// (#/contacts/account/5) with Follow and Unfollow. Its conversation is a chat (views/chat.js).

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { avatar, busy, confirmDialog, emptyState, toast } from '../ui/widgets.js';
import { humanError } from '../api.js';
import { t } from '../i18n.js';
import { follow, loadAccount, scanTicket, searchAccounts, unfollow } from '../actions.js';
import { conversationOfAccount, state, subscribe, subscriptions } from '../store.js';

const KINDS = { subscription: t('Subscription account'), service: t('Service account') };

export const accountAvatar = (account, size) => avatar(account.name, -account.id, { size, official: true, picture: account.avatar });

function pageHeader(title) {
  return h(
    'header',
    { class: 'pane-header' },
    h('a', { class: 'icon-btn back', href: '#/contacts', 'aria-label': t('Back to contacts') }, icon('back')),
    h('h2', null, title),
  );
}

function accountRow(account) {
  return h(
    'li',
    null,
    h(
      'a',
      { class: 'contact-item', href: `#/contacts/account/${account.id}` },
      accountAvatar(account, 40),
      h(
        'span',
        { class: 'contact-main' },
        h('span', { class: 'contact-name' }, account.name),
        h('span', { class: 'contact-sub' }, account.description || KINDS[account.kind] || ''),
      ),
      account.following ? h('span', { class: 'tag accent' }, t('Following')) : null,
    ),
  );
}

/** Search accounts by name; below, the ones you follow. */
export function mountAccountSearch(el) {
  const input = h('input', {
    class: 'search-input',
    type: 'search',
    placeholder: t('Search official accounts'),
    'aria-label': t('Search official accounts'),
    autocomplete: 'off',
    maxlength: '32',
  });
  const results = h('div', { class: 'account-results', 'aria-live': 'polite' });
  const followed = h('div');
  const form = h('form', { class: 'search account-search', role: 'search' }, icon('search', { size: 16 }), input);
  el.replaceChildren(
    h(
      'section',
      { class: 'page', 'aria-label': t('Official accounts') },
      pageHeader(t('Official accounts')),
      h('div', { class: 'page-scroll' }, h('div', { class: 'page-body' }, h('p', { class: 'muted' }, t('News, shops and services publish here. Follow one to get its messages in Chats → Subscriptions.')), form, results, followed)),
    ),
  );
  let asked = 0;
  let timer = null;
  let destroyed = false;

  async function run() {
    const words = input.value.trim();
    const mine = ++asked;
    if (!words) {
      results.replaceChildren();
      return;
    }
    results.replaceChildren(h('div', { class: 'muted pad-y' }, h('span', { class: 'spinner small', 'aria-hidden': 'true' }), h('span', { class: 'sr-only' }, t('Searching'))));
    try {
      const accounts = await searchAccounts(words);
      if (mine !== asked || destroyed) return;
      replace(
        results,
        accounts.length
          ? [h('h3', { class: 'list-heading flush' }, t('Accounts')), h('ul', { class: 'contact-list flush', 'aria-label': t('Accounts found') }, accounts.map((a) => accountRow(state.accounts.get(a.id) || a)))]
          : h('p', { class: 'muted' }, t('No account is called “{words}”.', { words })),
      );
    } catch (error) {
      if (mine === asked && !destroyed) replace(results, h('p', { class: 'form-error' }, humanError(error)));
    }
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });

  function renderFollowed() {
    const convs = subscriptions();
    replace(
      followed,
      convs.length
        ? [h('h3', { class: 'list-heading flush' }, t('Following · {n}', { n: convs.length })), h('ul', { class: 'contact-list flush', 'aria-label': t('Following') }, convs.map((c) => accountRow(c.account)))]
        : null,
    );
  }
  const unsubscribe = subscribe(['conversations', 'accounts', 'ready'], renderFollowed);
  renderFollowed();
  input.focus();
  return {
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      unsubscribe();
    },
  };
}

/** One account's page: who it is, and Follow (which opens its conversation) or Unfollow. */
export function mountAccountPage(el, accountId) {
  const body = h('div', { class: 'page-body' });
  el.replaceChildren(h('section', { class: 'page', 'aria-label': t('Official account') }, pageHeader(t('Official account')), h('div', { class: 'page-scroll' }, body)));
  let failed = null;
  let lastSig = null;

  function render() {
    const account = state.accounts.get(accountId);
    const conv = conversationOfAccount(accountId);
    const sig = JSON.stringify([account, conv?.id, failed]);
    if (sig === lastSig) return;
    lastSig = sig;
    if (!account) {
      replace(body, failed ? emptyState('megaphone', t('No such account'), failed) : h('div', { class: 'skeleton-item', 'aria-hidden': 'true' }));
      return;
    }
    const actions = [];
    if (account.following) {
      if (conv) actions.push(h('a', { class: 'btn primary', href: `#/chats/subscriptions/${conv.id}` }, icon('chat', { size: 18 }), t('Messages')));
      actions.push(
        h('button', {
          class: 'btn danger',
          type: 'button',
          onclick: async (e) => {
            const button = e.currentTarget;
            const sure = await confirmDialog(t('Unfollow {name}?', { name: account.name }), {
              detail: t('It will not be able to send you anything any more. Its messages so far stay in your chats.'),
              confirm: t('Unfollow'),
              danger: true,
            });
            if (!sure) return;
            try {
              await busy(button, t('Unfollowing…'), () => unfollow(accountId));
              toast(t('You unfollowed {name}.', { name: account.name }));
            } catch (error) {
              toast(humanError(error), { kind: 'error' });
            }
          },
        }, t('Unfollow')),
      );
    } else {
      actions.push(
        h('button', {
          class: 'btn primary',
          type: 'button',
          onclick: async (e) => {
            try {
              await busy(e.currentTarget, t('Following…'), () => follow(accountId));
            } catch (error) {
              toast(humanError(error), { kind: 'error' });
            }
          },
        }, icon('plus', { size: 18 }), t('Follow')),
      );
      if (conv) actions.push(h('a', { class: 'btn', href: `#/chats/subscriptions/${conv.id}` }, t('Earlier messages')));
    }
    replace(
      body,
      h(
        'div',
        { class: 'profile-hero' },
        accountAvatar(account, 72),
        h(
          'div',
          null,
          h('h3', { class: 'profile-name' }, account.name),
          h('div', { class: 'muted' }, KINDS[account.kind] || t('Official account'), account.following ? h('span', { class: 'tag accent' }, t('Following')) : null),
        ),
      ),
      account.description ? h('p', { class: 'account-description' }, account.description) : null,
      h('div', { class: 'actions-row' }, actions),
      h('p', { class: 'muted small' }, account.following
        ? t('It can write to you after you write to it or use its menu, a few times within a short while. Mute it like any chat.')
        : t('An account can never write to you unless you follow it. Unfollow it at any time.')),
    );
  }
  const unsubscribe = subscribe(['accounts', 'conversations', 'ready'], render);
  render();
  loadAccount(accountId).catch((error) => {
    failed = humanError(error);
    render();
  });
  return { destroy: unsubscribe };
}


/** #/contacts/scan/<ticket>: where an account's QR code leads; follows it and opens its chat. */
export function mountScan(el, ticket) {
  replace(el, pageHeader(t('Official account')), h('div', { class: 'pane-body' }, emptyState('megaphone', t('Following…'), '')));
  let gone = false;
  scanTicket(ticket).catch((error) => {
    if (gone) return;
    replace(
      el,
      pageHeader(t('Official account')),
      h('div', { class: 'pane-body' }, emptyState('megaphone', t('This QR code does not work'), humanError(error))),
    );
  });
  return { destroy: () => { gone = true; } };
}
