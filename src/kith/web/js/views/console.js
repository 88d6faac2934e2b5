// Me → Official accounts: the owner's console. Create an account (its AppSecret is shown once),
// see its AppID and gh id, point it at a webhook (kith checks it with WeChat's handshake), reset
// the AppSecret, and read the last deliveries to the webhook (docs/platform.md, "For owners").

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { dateTime } from '../ui/format.js';
import { busy, confirmDialog, copyField, emptyState, field, openDialog, toast } from '../ui/widgets.js';
import { get, humanError, post, put } from '../api.js';
import { go } from '../router.js';
import { intlLocale, t, tn } from '../i18n.js';

const KINDS = { subscription: t('Subscription account'), service: t('Service account') };
const MODES = {
  plain: t('Plain text'),
  compatible: t('Compatible (plain and encrypted)'),
  safe: t('Safe (encrypted)'),
};
const WHEN = new Intl.DateTimeFormat(intlLocale, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
const STATUS = { delivered: t('Delivered'), no_reply: t('No reply'), abnormal_reply: t('Bad reply'), failed: t('Failed') };
const COLUMNS = [['time', t('Time')], ['event', t('Event')], ['status', t('Status')], ['latency', t('Latency')], ['error', t('Error')]];

/** "Service account · 3 followers", with " · no webhook yet" for the list. */
function accountLine(account, { hook = false } = {}) {
  const parts = [KINDS[account.kind], tn(account.followers, '{n} follower', '{n} followers')];
  if (hook && !account.webhook_url) parts.push(t('no webhook yet'));
  return parts.join(' · ');
}

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
function showSecret(created, { title = t('Your new account') } = {}) {
  return new Promise((resolve) => {
    openDialog({
      title,
      className: 'secret-dialog',
      onClose: resolve,
      content: (close) =>
        h(
          'div',
          null,
          h('p', { class: 'muted' }, t('Your server needs both to call kith. Keep the AppSecret private, like a password.')),
          copyField('AppID', created.account.app_id),
          copyField('AppSecret', created.app_secret, { secret: true }),
          h('p', { class: 'once-note', role: 'note' }, icon('alert', { size: 18 }), h('span', null, h('strong', null, t('Shown only once. ')), t('kith keeps only a fingerprint of the AppSecret: copy it now. Lost it? Reset it for a new one.'))),
          h('div', { class: 'dialog-actions' }, h('button', { class: 'btn primary', type: 'button', onclick: close }, t('I have copied it'))),
        ),
    });
  });
}

function mountAccountList(body) {
  const list = h('ul', { class: 'contact-list flush', 'aria-label': t('Your official accounts') });
  const name = field(t('Name'), { maxlength: '32', autocomplete: 'off', required: true }, { hint: t('Unique on this server. Followers find the account by it.') });
  const kind = select(t('Kind'), KINDS, 'subscription');
  const description = field(t('Description'), { maxlength: '200', autocomplete: 'off', multiline: true, rows: '2' }, { hint: t('A line on its page.') });
  const create = h('button', { class: 'btn primary', type: 'submit' }, icon('plus', { size: 18 }), t('Create account'));
  const form = h('form', { class: 'stack', 'aria-label': t('Create an official account') }, name, kind, description, h('div', { class: 'actions-row' }, create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!name.input.value.trim()) {
      name.setError(t('Give the account a name.'));
      return;
    }
    let created;
    try {
      created = await busy(create, t('Creating…'), () =>
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
    h('p', { class: 'muted' }, t('An official account publishes to the people who follow it. Your own server answers its messages through a webhook, in the WeChat Official Account protocol: bots written with wechatpy or werobot run unchanged.')),
    h('h3', null, t('Your accounts')),
    list,
    h('h3', null, t('Create an account')),
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
                  h('span', { class: 'contact-main' }, h('span', { class: 'contact-name' }, a.name), h('span', { class: 'contact-sub' }, accountLine(a, { hook: true }))),
                  icon('right', { size: 18, className: 'chevron' }),
                ),
              ),
            )
          : h('li', { class: 'muted' }, t('None yet.')),
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
    const url = field(t('Webhook URL'), { type: 'url', value: account.webhook_url, autocomplete: 'off', placeholder: 'https://bot.example.org/wechat', maxlength: '1024' }, { hint: t('Your server. kith checks it with the echostr handshake before saving.') });
    const token = field(t('Token'), { value: account.token, autocomplete: 'off', maxlength: '32', pattern: '[A-Za-z0-9]{3,32}', spellcheck: 'false' }, { hint: t('3 to 32 letters and digits, the same as in your server’s settings.') });
    const aesKey = field(t('EncodingAESKey'), { value: account.encoding_aes_key, autocomplete: 'off', maxlength: '43', spellcheck: 'false', class: 'input mono' }, { hint: t('43 letters and digits; needed for compatible and safe mode.') });
    const generate = h('button', { class: 'link-btn', type: 'button', onclick: () => { aesKey.input.value = randomKey(); aesKey.setError(''); } }, t('Make one'));
    aesKey.querySelector('label').append(' ', generate);
    const mode = select(t('Message mode'), MODES, account.mode || 'plain');
    const save = h('button', { class: 'btn primary', type: 'submit' }, t('Save webhook'));
    const problem = h('div', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'stack', 'aria-label': t('Webhook') }, url, token, aesKey, mode, problem, h('div', { class: 'actions-row' }, save));
    form.addEventListener('input', () => replace(problem));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      replace(problem);
      const change = { webhook_url: url.input.value.trim(), token: token.input.value.trim(), encoding_aes_key: aesKey.input.value.trim(), mode: mode.input.value };
      try {
        const saved = await busy(save, t('Checking…'), () => put(`${base}/webhook`, change));
        toast(saved.webhook_url ? t('Webhook saved. Your server answered the check.') : t('Webhook removed.'));
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
        const sure = await confirmDialog(t('Reset the AppSecret?'), {
          detail: t('The old AppSecret and every access token made with it stop working at once. Your server needs the new one.'),
          confirm: t('Reset'),
          danger: true,
        });
        if (!sure) return;
        try {
          const created = await busy(reset, t('Resetting…'), () => post(`${base}/secret`));
          await showSecret(created, { title: t('New AppSecret') });
        } catch (error) {
          toast(humanError(error), { kind: 'error' });
        }
      },
    }, t('Reset AppSecret'));

    const deliveries = h('div', { class: 'deliveries' });
    const refresh = h('button', { class: 'btn small', type: 'button', onclick: () => busy(refresh, t('Refreshing…'), loadDeliveries) }, t('Refresh'));
    async function loadDeliveries() {
      try {
        const { deliveries: rows } = await get(`${base}/deliveries`);
        if (destroyed) return;
        replace(deliveries, rows.length ? deliveryTable(rows) : h('p', { class: 'muted' }, t('Nothing delivered yet. Messages, follows and menu taps show here as your webhook gets them.')));
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
        h('div', null, h('h3', { class: 'profile-name' }, account.name), h('div', { class: 'muted' }, accountLine(account)), account.description ? h('p', { class: 'person-status' }, account.description) : null),
      ),
      h('h3', null, t('Credentials')),
      copyField('AppID', account.app_id),
      copyField(t('Account id (gh)'), account.gh_id),
      copyField(t('API address'), `${location.origin}/cgi-bin/`),
      h('div', { class: 'actions-row' }, reset),
      h('h3', null, t('Webhook')),
      form,
      h('div', { class: 'section-title' }, h('h3', null, t('Last deliveries')), refresh),
      deliveries,
    );
    loadDeliveries();
  }

  get(`${base}/console`).then(
    (account) => !destroyed && render(account),
    (error) => !destroyed && replace(body, emptyState('megaphone', t('Not one of your accounts'), humanError(error), h('a', { class: 'btn', href: '#/me/accounts' }, t('Your accounts')))),
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
      h('thead', null, h('tr', null, COLUMNS.map(([key, label]) => h('th', { scope: 'col', class: key === 'latency' ? 'num' : null }, label)))),
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
            h('td', { class: 'num' }, d.latency_ms === null || d.latency_ms === undefined ? '—' : t('{n} ms', { n: d.latency_ms })),
            h('td', { class: 'error-cell' }, d.error || ''),
          ),
        ),
      ),
    ),
  );
}
