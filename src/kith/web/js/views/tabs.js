// The app's tabs. A tab is a list pane (left column on desktop) and a main pane (right column;
// on a phone, a full screen with a back button). Add a tab: write views/<tab>.js exporting
// mountList(el, route) and mountMain(el, route) (each returns {update?(route), destroy()}),
// then add an entry here. mainFirst(route): on a phone, show the main pane (with the tabs) where
// the list pane would be.

import * as chats from './chats.js';
import * as contacts from './contacts.js';
import * as me from './me.js';
import * as momentsTab from './moments.js';
import { incomingRequests, totalUnread } from '../store.js';
import { unseenNotes } from '../moments.js';
import { t, tn } from '../i18n.js';

export const TABS = [
  {
    id: 'chats',
    label: t('Chats'),
    icon: 'chat',
    view: chats,
    topics: ['conversations'],
    badge: () => totalUnread(),
    badgeLabel: (n) => tn(n, '{n} unread', '{n} unread'),
    // #/chats/subscriptions is a list (the accounts you follow); a chat in it is the detail
    hasDetail: (route) => route.path.length > (route.path[0] === 'subscriptions' ? 1 : 0),
  },
  {
    id: 'contacts',
    label: t('Contacts'),
    icon: 'contacts',
    view: contacts,
    topics: ['requests'],
    badge: () => incomingRequests().length,
    badgeLabel: (n) => tn(n, '{n} friend request', '{n} friend requests'),
    hasDetail: (route) => route.path.length > 0,
  },
  {
    id: 'moments',
    label: t('Moments'),
    icon: 'moments',
    view: momentsTab,
    topics: ['moment-notes'],
    badge: () => unseenNotes(),
    badgeLabel: (n) => tn(n, '{n} new notification', '{n} new notifications'),
    hasDetail: (route) => route.path.length > 0,
    mainFirst: (route) => route.path.length === 0, // the feed
  },
  {
    id: 'me',
    label: t('Me'),
    icon: 'me',
    view: me,
    topics: [],
    badge: () => 0,
    hasDetail: (route) => route.path.length > 0,
  },
];
