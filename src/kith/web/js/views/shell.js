// The signed-in layout: tab rail (a bottom bar on phones), list pane, main pane, connection status.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { badge, toast } from '../ui/widgets.js';
import { onNotice, state, subscribe } from '../store.js';
import { TABS } from './tabs.js';
import { t } from '../i18n.js';

export function mountShell(root) {
  const tabButtons = new Map();
  const nav = h(
    'nav',
    { class: 'rail', 'aria-label': t('Main') },
    h('div', { class: 'rail-brand', 'aria-hidden': 'true' }, icon('logo', { size: 26 })),
    TABS.map((tab) => {
      const count = h('span', { class: 'rail-badge' });
      const link = h(
        'a',
        { class: 'rail-tab', href: `#/${tab.id}`, 'data-tab': tab.id },
        h('span', { class: 'rail-icon' }, icon(tab.icon, { size: 24 }), count),
        h('span', { class: 'rail-label' }, tab.label),
      );
      link.count = count;
      tabButtons.set(tab.id, link);
      return link;
    }),
  );
  const listPane = h('section', { class: 'list-pane' });
  const mainPane = h('main', { class: 'main-pane', id: 'main' });
  replace(root, nav, listPane, mainPane);
  root.className = 'app';
  root.removeAttribute('aria-busy');

  let currentTab = null;
  let listView = null;
  let mainView = null;
  let mainKey = null;

  function show(route) {
    const tab = TABS.find((each) => each.id === route.tab) || TABS[0];
    if (tab !== currentTab) {
      listView?.destroy();
      mainView?.destroy();
      listView = mainView = null;
      mainKey = null;
      currentTab = tab;
      listPane.setAttribute('aria-label', tab.label);
      listView = tab.view.mountList(listPane, route);
    } else {
      listView?.update?.(route);
    }
    const key = route.path.join('/');
    if (key !== mainKey || !mainView) {
      mainView?.destroy();
      mainKey = key;
      mainPane.replaceChildren();
      mainView = tab.view.mountMain(mainPane, route);
    } else {
      mainView.update?.(route);
    }
    root.classList.toggle('has-detail', tab.hasDetail(route));
    // on a phone, a tab whose first screen is its main pane (the Moments feed) shows it, tabs below
    root.classList.toggle('main-first', Boolean(tab.mainFirst?.(route)));
    root.dataset.tab = tab.id;
    for (const [id, link] of tabButtons) {
      if (id === tab.id) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  function updateBadges() {
    let total = 0;
    for (const tab of TABS) {
      const n = tab.badge();
      const link = tabButtons.get(tab.id);
      link.count.replaceChildren();
      if (n) link.count.append(badge(n, { label: tab.badgeLabel(n) }));
      link.setAttribute('aria-label', n ? t('{tab}, {count}', { tab: tab.label, count: tab.badgeLabel(n) }) : tab.label);
      if (tab.id === 'chats') total = n;
    }
    document.title = total ? `(${total}) kith` : 'kith';
  }

  const unsubscribe = subscribe([...new Set(TABS.flatMap((each) => each.topics)), 'ready'], updateBadges);
  updateBadges();
  const stopStatus = mountConnectionStatus(document.getElementById('conn'));
  const stopNotices = onNotice((notice) => {
    // the chat with them is on top of the list already (the server opened it)
    if (notice.kind === 'accepted') toast(t('{name} accepted your friend request. Say hello!', { name: notice.user.display_name }));
  });

  return {
    show,
    destroy() {
      unsubscribe();
      stopStatus();
      stopNotices();
      listView?.destroy();
      mainView?.destroy();
    },
  };
}

/** "You're offline" / "Connecting…" / "Back online": a strip above the app, in the layout, so it covers nothing. */
function mountConnectionStatus(el) {
  let shownProblem = false;
  let delay = null;
  let hide = null;
  const set = (kind, text, iconName) => {
    el.dataset.state = kind;
    replace(el, kind ? [icon(iconName, { size: 16 }), h('span', null, text)] : []);
    el.classList.toggle('visible', Boolean(kind));
  };
  const update = () => {
    clearTimeout(delay);
    clearTimeout(hide);
    if (state.connection === 'offline') {
      shownProblem = true;
      set('offline', t("You're offline. New messages will arrive when you reconnect."), 'wifiOff');
    } else if (state.connection === 'connecting') {
      const show = () => {
        shownProblem = true;
        set('connecting', t('Connecting…'), 'clock');
      };
      if (shownProblem) show();
      else delay = setTimeout(show, 1500);
    } else if (state.connection === 'online' && shownProblem) {
      shownProblem = false;
      set('online', t('Back online'), 'check');
      hide = setTimeout(() => set('', '', null), 2000);
    } else {
      set('', '', null);
    }
  };
  const unsubscribe = subscribe('connection', update);
  update();
  return () => {
    unsubscribe();
    clearTimeout(delay);
    clearTimeout(hide);
    set('', '', null);
  };
}
