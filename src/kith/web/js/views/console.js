// Me → Official accounts: the owner's console. Create an account (its AppSecret is shown once),
// see its AppID and gh id, point it at a webhook (kith checks it with WeChat's handshake), reset
// the AppSecret, and read the last deliveries to the webhook (docs/platform.md, "For owners").

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { dateTime } from '../ui/format.js';
import { busy, confirmDialog, copyField, emptyState, field, openDialog, toast } from '../ui/widgets.js';
import { get, humanError, post, put } from '../api.js';
import { go } from '../router.js';

const KINDS = { subscription: 'Subscription account', service: 'Service account' };
const MODES = {
  plain: 'Plain text',
  compatible: 'Compatible (plain and encrypted)',
  safe: 'Safe (encrypted)',
};
const WHEN = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
const STATUS = { delivered: 'Delivered', no_reply: 'No reply', abnormal_reply: 'Bad reply', failed: 'Failed' };

/** mount(body, path): path is [] for the list, [id] for one account's console. */
export function mountConsole(body, path) {
  const id = Number(path[0]);
  return id ? mountAccountConsole(body, id) : mountAccountList(body);
}

function select(label, options, value) {
  const id = `s${Math.random().toString(36).slice(2)}`;
  const el = h('select', { id, class: 'input' }, Object.entries(options).map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), el, h('div', { class: 'field-msg' }));
  wrap.input = el;
  return wrap;
}

/** The AppSecret, shown this once: a dialog with Copy, and a clear warning. */
function showSecret(created, { title = 'Your new account' } = {}) {
  return new Promise((resolve) => {
    openDialog({
      title,
      className: 'secret-dialog',
      onClose: resolve,
      content: (close) =>
        h(
          'div',
          null,
          h('p', { class: 'muted' }, 'Your server needs both to call kith. Keep the AppSecret private, like a password.'),
          copyField('AppID', created.account.app_id),
          copyField('AppSecret', created.app_secret, { secret: true }),
          h('p', { class: 'once-note', role: 'note' }, icon('alert', { size: 18 }), h('span', null, h('strong', null, 'Shown only once. '), 'kith keeps only a fingerprint of the AppSecret: copy it now. Lost it? Reset it for a new one.')),
          h('div', { class: 'dialog-actions' }, h('button', { class: 'btn primary', type: 'button', onclick: close }, 'I have copied it')),
        ),
    });
  });
}

function mountAccountList(body) {
  const list = h('ul', { class: 'contact-list flush', 'aria-label': 'Your official accounts' });
  const name = field('Name', { maxlength: '32', autocomplete: 'off', required: true }, { hint: 'Unique on this server. Followers find the account by it.' });
  const kind = select('Kind', KINDS, 'subscription');
  const description = field('Description', { maxlength: '200', autocomplete: 'off', multiline: true, rows: '2' }, { hint: 'A line on its page.' });
  const create = h('button', { class: 'btn primary', type: 'submit' }, icon('plus', { size: 18 }), 'Create account');
  const form = h('form', { class: 'stack', 'aria-label': 'Create an official account' }, name, kind, description, h('div', { class: 'actions-row' }, create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!name.input.value.trim()) {
      name.setError('Give the account a name.');
      return;
    }
    let created;
    try {
      created = await busy(create, 'Creating…', () =>
        post('/official-accounts', { name: name.input.value.trim(), kind: kind.input.value, description: description.input.value.trim() }),
      );
    } catch (error) {
      (error.fields?.field === 'description' ? description : name).setError(humanError(error));
      return;
    }
    await showSecret(created);
    go(`me/accounts/${created.account.id}`);
  });
  replace(
    body,
    h('p', { class: 'muted' }, 'An official account publishes to the people who follow it. Your own server answers its messages through a webhook, in the WeChat Official Account protocol: bots written with wechatpy or werobot run unchanged.'),
    h('h3', null, 'Your accounts'),
    list,
    h('h3', null, 'Create an account'),
    form,
  );
  replace(list, h('li', { class: 'skeleton-item', 'aria-hidden': 'true' }));
  get('/official-accounts/mine').then(
    ({ accounts }) => {
      replace(
        list,
        accounts.length
          ? accounts.map((a) =>
              h(
                'li',
                null,
                h(
                  'a',
                  { class: 'contact-item', href: `#/me/accounts/${a.id}` },
                  h('span', { class: 'avatar tile' }, icon('megaphone', { size: 20 })),
                  h('span', { class: 'contact-main' }, h('span', { class: 'contact-name' }, a.name), h('span', { class: 'contact-sub' }, `${KINDS[a.kind]} · ${a.followers} follower${a.followers === 1 ? '' : 's'}${a.webhook_url ? '' : ' · no webhook yet'}`)),
                  icon('right', { size: 18, className: 'chevron' }),
                ),
              ),
            )
          : h('li', { class: 'muted' }, 'None yet.'),
      );
    },
    (error) => replace(list, h('li', { class: 'form-error' }, humanError(error))),
  );
  return { destroy() {} };
}

function randomKey() {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...crypto.getRandomValues(new Uint8Array(43))].map((b) => letters[b % letters.length]).join('');
}

function mountAccountConsole(body, accountId) {
  let destroyed = false;
  replace(body, h('div', { class: 'skeleton-item', 'aria-hidden': 'true' }));
  const base = `/official-accounts/${accountId}`;

  function render(account) {
    const url = field('Webhook URL', { type: 'url', value: account.webhook_url, autocomplete: 'off', placeholder: 'https://bot.example.org/wechat', maxlength: '1024' }, { hint: 'Your server. kith checks it with the echostr handshake before saving.' });
    const token = field('Token', { value: account.token, autocomplete: 'off', maxlength: '32', pattern: '[A-Za-z0-9]{3,32}', spellcheck: 'false' }, { hint: '3 to 32 letters and digits, the same as in your server’s settings.' });
    const aesKey = field('EncodingAESKey', { value: account.encoding_aes_key, autocomplete: 'off', maxlength: '43', spellcheck: 'false', class: 'input mono' }, { hint: '43 letters and digits; needed for compatible and safe mode.' });
    const generate = h('button', { class: 'link-btn', type: 'button', onclick: () => { aesKey.input.value = randomKey(); aesKey.setError(''); } }, 'Make one');
    aesKey.querySelector('label').append(' ', generate);
    const mode = select('Message mode', MODES, account.mode || 'plain');
    const save = h('button', { class: 'btn primary', type: 'submit' }, 'Save webhook');
    const problem = h('div', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'stack', 'aria-label': 'Webhook' }, url, token, aesKey, mode, problem, h('div', { class: 'actions-row' }, save));
    form.addEventListener('input', () => replace(problem));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      replace(problem);
      const change = { webhook_url: url.input.value.trim(), token: token.input.value.trim(), encoding_aes_key: aesKey.input.value.trim(), mode: mode.input.value };
      try {
        const saved = await busy(save, 'Checking…', () => put(`${base}/webhook`, change));
        toast(saved.webhook_url ? 'Webhook saved. Your server answered the check.' : 'Webhook removed.');
        if (!destroyed) render(saved);
      } catch (error) {
        const target = { token: token, encoding_aes_key: aesKey }[error.fields?.field];
        if (target) target.setError(humanError(error));
        else replace(problem, humanError(error));
      }
    });

    const reset = h('button', {
      class: 'btn danger',
      type: 'button',
      onclick: async () => {
        const sure = await confirmDialog('Reset the AppSecret?', {
          detail: 'The old AppSecret and every access token made with it stop working at once. Your server needs the new one.',
          confirm: 'Reset',
          danger: true,
        });
        if (!sure) return;
        try {
          const created = await busy(reset, 'Resetting…', () => post(`${base}/secret`));
          await showSecret(created, { title: 'New AppSecret' });
        } catch (error) {
          toast(humanError(error), { kind: 'error' });
        }
      },
    }, 'Reset AppSecret');

    const deliveries = h('div', { class: 'deliveries' });
    const refresh = h('button', { class: 'btn small', type: 'button', onclick: () => busy(refresh, 'Refreshing…', loadDeliveries) }, 'Refresh');
    async function loadDeliveries() {
      try {
        const { deliveries: rows } = await get(`${base}/deliveries`);
        if (destroyed) return;
        replace(deliveries, rows.length ? deliveryTable(rows) : h('p', { class: 'muted' }, 'Nothing delivered yet. Messages, follows and menu taps show here as your webhook gets them.'));
      } catch (error) {
        replace(deliveries, h('p', { class: 'form-error' }, humanError(error)));
      }
    }

    replace(
      body,
      h(
        'div',
        { class: 'profile-hero' },
        h('span', { class: 'avatar tile', style: { '--size': '64px' } }, icon('megaphone', { size: 30 })),
        h('div', null, h('h3', { class: 'profile-name' }, account.name), h('div', { class: 'muted' }, `${KINDS[account.kind]} · ${account.followers} follower${account.followers === 1 ? '' : 's'}`), account.description ? h('p', { class: 'person-status' }, account.description) : null),
      ),
      h('h3', null, 'Credentials'),
      copyField('AppID', account.app_id),
      copyField('Account id (gh)', account.gh_id),
      copyField('API address', `${location.origin}/cgi-bin/`),
      h('div', { class: 'actions-row' }, reset),
      h('h3', null, 'Webhook'),
      form,
      h('div', { class: 'section-title' }, h('h3', null, 'Last deliveries'), refresh),
      deliveries,
    );
    loadDeliveries();
  }

  get(`${base}/console`).then(
    (account) => !destroyed && render(account),
    (error) => !destroyed && replace(body, emptyState('megaphone', 'Not one of your accounts', humanError(error), h('a', { class: 'btn', href: '#/me/accounts' }, 'Your accounts'))),
  );
  return {
    destroy() {
      destroyed = true;
    },
  };
}

function deliveryTable(rows) {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'delivery-table' },
      h('thead', null, h('tr', null, ['Time', 'Event', 'Status', 'Latency', 'Error'].map((t) => h('th', { scope: 'col', class: t === 'Latency' ? 'num' : null }, t)))),
      h(
        'tbody',
        null,
        rows.map((d) =>
          h(
            'tr',
            { 'data-status': d.status },
            h('td', { class: 'when', title: dateTime(d.at) }, WHEN.format(d.at)),
            h('td', null, h('code', null, d.event)),
            h('td', null, h('span', { class: `status ${d.status}` }, STATUS[d.status] || d.status)),
            h('td', { class: 'num' }, d.latency_ms === null || d.latency_ms === undefined ? '—' : `${d.latency_ms} ms`),
            h('td', { class: 'error-cell' }, d.error || ''),
          ),
        ),
      ),
    ),
  );
}
