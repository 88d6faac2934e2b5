// Sign in and create an account.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { busy, field } from '../ui/widgets.js';
import { deviceKey, get, humanError, post } from '../api.js';
import { deviceName } from '../session.js';
import { t } from '../i18n.js';

/** Show the sign-in screen; onSession(session) is called with {token, user, device}. A server with no
 * account yet opens on sign-up; one whose sign-up is closed offers only sign-in. */
export function mountAuth(root, { onSession, notice = '', mode: initialMode = 'sign-in' }) {
  let mode = initialMode;
  let server = { registration_open: true, first_account: false };
  get('/server').then((info) => {
    server = info;
    if (info.first_account && info.registration_open) mode = 'sign-up';
    else if (!info.registration_open) mode = 'sign-in';
    if (root.contains(card) && (info.first_account || !info.registration_open)) render();
  }, () => {});
  root.className = 'auth-screen';
  root.removeAttribute('aria-busy');
  const card = h('div', { class: 'auth-card' });
  replace(
    root,
    h(
      'main',
      { class: 'auth' },
      h('div', { class: 'auth-brand' }, h('span', { class: 'auth-logo' }, icon('logo', { size: 34 })), h('span', null, 'kith')),
      h('p', { class: 'auth-tagline' }, t('Chat with the people you know.')),
      card,
    ),
  );

  function render() {
    const signUp = mode === 'sign-up';
    const handle = field(t('Handle'), { name: 'handle', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true }, { hint: signUp ? t('3 to 32 characters: a–z, 0–9, _ and . — friends add you by it.') : '' });
    const name = signUp ? field(t('Your name'), { name: 'display_name', autocomplete: 'name', required: true, maxlength: '64' }, { hint: t('How your friends will see you.') }) : null;
    const password = field(t('Password'), { name: 'password', type: 'password', autocomplete: signUp ? 'new-password' : 'current-password', required: true }, { hint: signUp ? t('At least 8 characters.') : '' });
    const error = h('div', { class: 'form-error', role: 'alert' }, notice);
    notice = '';
    const submit = h('button', { class: 'btn primary wide', type: 'submit' }, signUp ? t('Create account') : t('Sign in'));
    const form = h('form', { class: 'stack', novalidate: true }, handle, name, password, error, submit);
    const check = (values) => {
      if (!values.handle) return [handle, t('Type your handle.')];
      if (signUp) {
        values.display_name = name.input.value.trim();
        if (!/^[a-z0-9_.]{3,32}$/.test(values.handle)) return [handle, t('A handle is 3 to 32 characters: a–z, 0–9, _ and .')];
        if (!values.display_name) return [name, t('Tell your friends your name.')];
        if (values.password.length < 8) return [password, t('A password must be at least 8 characters.')];
      } else if (!values.password) {
        return [password, t('Type your password.')];
      }
      return null;
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.textContent = '';
      const values = { handle: handle.input.value.trim().toLowerCase(), password: password.input.value };
      const problem = check(values);
      if (problem) {
        problem[0].setError(problem[1]);
        problem[0].input.focus();
        return;
      }
      values.device_name = deviceName();
      const key = deviceKey();
      if (key) values.device_key = key;
      try {
        const session = await busy(submit, signUp ? t('Creating account…') : t('Signing in…'), () => post(signUp ? '/accounts' : '/sessions', values));
        onSession(session);
      } catch (e) {
        const target = { handle, display_name: name, password }[e.fields?.field];
        if (target && e.code !== 'wrong_credentials') {
          target.setError(humanError(e));
          target.input.focus();
        } else {
          error.textContent = humanError(e);
          if (e.code === 'wrong_credentials') password.input.select();
        }
      }
    });
    const welcome = signUp && server.first_account
      ? h('p', { class: 'auth-welcome' }, t('This server is new: create its first account, then invite the people you know.'))
      : null;
    const switcher = !server.registration_open ? h('p', { class: 'auth-switch' }, t('Sign-up is closed on this server: ask its admin for an account.')) : h(
      'p',
      { class: 'auth-switch' },
      signUp ? t('Already have an account?') : t('New to kith?'),
      ' ',
      h('button', {
        class: 'link-btn',
        type: 'button',
        onclick: () => {
          mode = signUp ? 'sign-in' : 'sign-up';
          render();
        },
      }, signUp ? t('Sign in') : t('Create an account')),
    );
    replace(card, h('h1', null, signUp ? t('Create your account') : t('Sign in')), welcome, form, switcher);
    handle.input.focus();
  }
  render();
}
