// The Me tab: your profile, your signed-in devices, your password, Moments (how far back friends
// see your posts), the language, your data, and signing out.

import { h, arrowNavigation, replace, isDesktop } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { relative } from '../ui/format.js';
import { avatar, avatarPicker, busy, confirmDialog, field, toast } from '../ui/widgets.js';
import { deleteAccount, download, humanError } from '../api.js';
import { changePassword, loadDevices, removeAvatar, revokeDevice, setAvatar, signOut, updateProfile } from '../actions.js';
import { state, subscribe } from '../store.js';
import { mountConsole } from './console.js';
import { mountPrivacy } from './privacy.js';
import { mountMomentSettings } from './moments.js';
import { mountMyInvite } from './invites.js';
import { mountNotifications } from './notifications.js';
import { LOCALES, locale, localeChosen, setLocale, t } from '../i18n.js';

const SECTIONS = [
  { id: 'profile', label: t('Profile'), icon: 'edit', mount: mountProfile },
  { id: 'invite', label: t('My invite link'), icon: 'qr', mount: mountMyInvite },
  { id: 'devices', label: t('Devices'), icon: 'device', mount: mountDevices },
  { id: 'notifications', label: t('Notifications'), icon: 'bell', mount: mountNotifications },
  { id: 'privacy', label: t('Privacy'), icon: 'eye', mount: mountPrivacy },
  { id: 'password', label: t('Password'), icon: 'lock', mount: mountPassword },
  { id: 'moments', label: t('Moments'), icon: 'moments', mount: mountMomentSettings },
  { id: 'accounts', label: t('Official accounts'), icon: 'megaphone', mount: mountConsole },
  { id: 'language', label: t('Language'), icon: 'language', mount: mountLanguage },
  { id: 'data', label: t('Your data'), icon: 'inbox', mount: mountData },
];

export function mountList(el, route) {
  let selected = route.path[0] || (isDesktop() ? 'profile' : null);
  const card = h('div', { class: 'me-card' });
  const menu = h('ul', { class: 'contact-list me-menu', 'aria-label': t('Settings') });
  const out = h('button', { class: 'btn wide', type: 'button' }, icon('logout', { size: 18 }), t('Sign out'));
  out.addEventListener('click', async () => {
    if (!(await confirmDialog(t('Sign out of kith on this device?'), { confirm: t('Sign out') }))) return;
    await busy(out, t('Signing out…'), () => signOut());
  });
  el.replaceChildren(h('header', { class: 'pane-header' }, h('h1', null, t('Me'))), h('div', { class: 'pane-scroll' }, card, menu, h('div', { class: 'pad' }, out)));
  arrowNavigation(menu, 'a.contact-item');

  function render() {
    const me = state.me;
    if (!me) return;
    replace(
      card,
      avatar(me.display_name, me.id, { size: 64, picture: me.avatar }),
      h('div', null, h('div', { class: 'me-name' }, me.display_name), h('div', { class: 'muted' }, `@${me.handle}`), h('div', { class: 'me-status' }, me.status || t('No status yet'))),
    );
    replace(
      menu,
      SECTIONS.map((s) =>
        h('li', null, h('a', { class: 'contact-item', href: `#/me/${s.id}`, 'aria-current': s.id === selected ? 'true' : null }, h('span', { class: 'avatar tile' }, icon(s.icon, { size: 20 })), h('span', { class: 'contact-main' }, h('span', { class: 'contact-name' }, s.label)), icon('right', { size: 18, className: 'chevron' }))),
      ),
    );
  }
  const unsubscribe = subscribe(['me', 'ready'], render);
  render();
  return {
    update(next) {
      selected = next.path[0] || (isDesktop() ? 'profile' : null);
      render();
    },
    destroy: unsubscribe,
  };
}

export function mountMain(el, route) {
  const section = SECTIONS.find((s) => s.id === route.path[0]) || SECTIONS[0];
  const sub = route.path.slice(1); // a page within the section (one of your official accounts)
  const body = h('div', { class: `page-body${sub.length ? '' : ' narrow'}` });
  const back = sub.length ? `#/me/${section.id}` : '#/me';
  el.replaceChildren(
    h(
      'section',
      { class: 'page', 'aria-label': section.label },
      // on a desktop the list is beside the page: a page within a section still needs its way back
      h('header', { class: 'pane-header' }, h('a', { class: `icon-btn back${sub.length ? ' always' : ''}`, href: back, 'aria-label': t('Back') }, icon('back')), h('h2', null, section.label)),
      h('div', { class: 'page-scroll' }, body),
    ),
  );
  return section.mount(body, sub);
}

function mountProfile(body) {
  const name = field(t('Display name'), { maxlength: '64', autocomplete: 'name', required: true });
  const status = field(t('Status line'), { maxlength: '140', autocomplete: 'off', placeholder: t('What are you up to?') }, { hint: t('Your friends see this under your name.') });
  const save = h('button', { class: 'btn primary', type: 'submit' }, t('Save'));
  const form = h('form', { class: 'stack' }, name, status, h('div', { class: 'actions-row' }, save));
  const fill = () => {
    if (!state.me) return;
    name.input.value = state.me.display_name;
    status.input.value = state.me.status;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const changes = {};
    if (name.input.value.trim() !== state.me.display_name) changes.display_name = name.input.value.trim();
    if (status.input.value.trim() !== state.me.status) changes.status = status.input.value.trim();
    if (!Object.keys(changes).length) {
      toast(t('Nothing to save.'));
      return;
    }
    if (changes.display_name === '') {
      name.setError(t('Your name cannot be empty.'));
      return;
    }
    try {
      await busy(save, t('Saving…'), () => updateProfile(changes));
      toast(t('Profile saved.'));
    } catch (error) {
      (error.fields?.field === 'status' ? status : name).setError(humanError(error));
    }
  });
  const picture = avatarPicker({
    current: () => state.me?.avatar,
    draw: (size) => avatar(state.me?.display_name, state.me?.id, { size, picture: state.me?.avatar }),
    setLabel: t('Set avatar'),
    removeLabel: t('Remove avatar'),
    set: setAvatar,
    remove: removeAvatar,
    setDone: t('Avatar set.'),
    removeDone: t('Avatar removed.'),
  });
  replace(body, picture.el, h('p', { class: 'muted' }, t('Your handle is @{handle}. People add you by it; it cannot be changed.', { handle: state.me?.handle })), form);
  fill();
  const unsubscribe = subscribe('me', () => {
    picture.render();
    if (!form.contains(document.activeElement)) fill();
  });
  return { destroy: unsubscribe };
}

function mountDevices(body) {
  const list = h('ul', { class: 'device-list', 'aria-label': t('Devices') });
  replace(body, h('p', { class: 'muted' }, t('Everywhere you are signed in. Sign out a device you do not recognise or no longer use.')), list);
  let failed = null;

  function render() {
    if (failed) {
      replace(list, h('li', { class: 'muted' }, failed));
      return;
    }
    if (!state.devices) {
      replace(list, Array.from({ length: 2 }, () => h('li', { class: 'skeleton-item', 'aria-hidden': 'true' })));
      return;
    }
    const devices = [...state.devices].sort((a, b) => (b.id === state.deviceId) - (a.id === state.deviceId) || b.last_seen_at - a.last_seen_at);
    replace(
      list,
      devices.map((d) => {
        const current = d.id === state.deviceId;
        return h(
          'li',
          { class: 'device', 'data-device': d.id },
          h('span', { class: 'avatar tile' }, icon(/Android|iOS/.test(d.name) ? 'phone' : 'device', { size: 20 })),
          h('div', { class: 'device-main' }, h('div', { class: 'person-name' }, d.name, current ? h('span', { class: 'tag accent' }, t('This device')) : null), h('div', { class: 'muted small' }, current ? t('Active now') : t('Last active {when}', { when: relative(d.last_seen_at) }))),
          current
            ? null
            : h('button', {
                class: 'btn small danger',
                type: 'button',
                'aria-label': t('Sign out {device}', { device: d.name }),
                onclick: async (e) => {
                  const button = e.currentTarget;
                  if (!(await confirmDialog(t('Sign out “{device}”?', { device: d.name }), { detail: t('That device will need the password to sign in again.'), confirm: t('Sign out'), danger: true }))) return;
                  try {
                    await busy(button, null, () => revokeDevice(d.id));
                    toast(t('Device signed out.'));
                  } catch (error) {
                    toast(humanError(error), { kind: 'error' });
                  }
                },
              }, t('Sign out')),
        );
      }),
    );
  }
  const unsubscribe = subscribe('devices', render);
  render();
  loadDevices().catch((error) => {
    failed = humanError(error);
    render();
  });
  return { destroy: unsubscribe };
}

function mountPassword(body) {
  const old = field(t('Current password'), { type: 'password', autocomplete: 'current-password', required: true });
  const fresh = field(t('New password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: '8' }, { hint: t('At least 8 characters.') });
  const save = h('button', { class: 'btn primary', type: 'submit' }, t('Change password'));
  const form = h('form', { class: 'stack' }, old, fresh, h('div', { class: 'actions-row' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (fresh.input.value.length < 8) {
      fresh.setError(t('The new password must be at least 8 characters.'));
      return;
    }
    try {
      await busy(save, t('Changing…'), () => changePassword(old.input.value, fresh.input.value));
      old.input.value = fresh.input.value = '';
      toast(t('Password changed. Your other devices were signed out.'));
    } catch (error) {
      (error.code === 'wrong_password' ? old : fresh).setError(humanError(error));
    }
  });
  replace(body, h('p', { class: 'muted' }, t('Changing your password signs out all your other devices.')), form);
  return { destroy() {} };
}

/** Me > Language: English or Chinese, or the browser's own; choosing one reloads the client in it. */
function mountLanguage(body) {
  const options = [{ id: '', name: t('As the browser') }, ...LOCALES];
  const current = localeChosen ? locale : '';
  const choices = h(
    'div',
    { class: 'toggles', role: 'radiogroup', 'aria-label': t('Language') },
    options.map((option) =>
      h(
        'label',
        { class: 'toggle-row' },
        h('span', { lang: option.id || null }, option.name),
        h('input', {
          type: 'radio',
          name: 'locale',
          value: option.id,
          checked: option.id === current,
          onchange: () => setLocale(option.id || null),
        }),
      ),
    ),
  );
  replace(body, choices, h('p', { class: 'muted' }, t('Dates and times follow the language too. This choice is kept in this browser.')));
  return { destroy() {} };
}

function mountData(body) {
  const get = h('button', { class: 'btn', type: 'button' }, t('Download my data'));
  get.addEventListener('click', async () => {
    try {
      await busy(get, t('Preparing…'), () => download('/me/export'));
      toast(t('Your data was downloaded.'));
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  });
  const password = field(t('Your password'), { type: 'password', autocomplete: 'current-password', required: true });
  const remove = h('button', { class: 'btn danger', type: 'submit' }, t('Delete my account'));
  const form = h('form', { class: 'stack', 'aria-label': t('Delete your account') }, password, h('div', { class: 'actions-row' }, remove));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!password.input.value) {
      password.setError(t('Enter your password to delete your account.'));
      return;
    }
    const sure = await confirmDialog(t('Delete your account for good?'), {
      detail: t('Your profile, friends, devices and chats go, on every device, and cannot be brought back. Messages you sent stay in your friends’ chats, shown as from “Deleted user”.'),
      confirm: t('Delete account'),
      danger: true,
    });
    if (!sure) return;
    try {
      await busy(remove, t('Deleting…'), () => deleteAccount(password.input.value));
    } catch (error) {
      password.setError(error.code === 'wrong_password' ? t('The password is wrong.') : humanError(error));
      return;
    }
    await signOut({ server: false, notice: t('Your account was deleted.') });
  });
  replace(
    body,
    h('h3', null, t('Download your data')),
    h('p', { class: 'muted' }, t('A zip of JSON files: your profile, devices, friends and requests, and every conversation with the messages you can see.')),
    h('div', { class: 'actions-row' }, get),
    h('h3', null, t('Delete your account')),
    h('p', { class: 'muted' }, t('Signs you out everywhere and deletes your profile, friends and chats. Your handle becomes free for others.')),
    form,
  );
  return { destroy() {} };
}
