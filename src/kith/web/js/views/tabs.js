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

export const TABS = [
  {
    id: 'chats',
    label: 'Chats',
    icon: 'chat',
    view: chats,
    topics: ['conversations'],
    badge: () => totalUnread(),
    badgeLabel: (n) => `${n} unread`,
    // #/chats/subscriptions is a list (the accounts you follow); a chat in it is the detail
    hasDetail: (route) => route.path.length > (route.path[0] === 'subscriptions' ? 1 : 0),
  },
  {
    id: 'contacts',
    label: 'Contacts',
    icon: 'contacts',
    view: contacts,
    topics: ['requests'],
    badge: () => incomingRequests().length,
    badgeLabel: (n) => `${n} friend request${n === 1 ? '' : 's'}`,
    hasDetail: (route) => route.path.length > 0,
  },
  {
    id: 'moments',
    label: 'Moments',
    icon: 'moments',
    view: momentsTab,
    topics: ['moment-notes'],
    badge: () => unseenNotes(),
    badgeLabel: (n) => `${n} new notification${n === 1 ? '' : 's'}`,
    hasDetail: (route) => route.path.length > 0,
    mainFirst: (route) => route.path.length === 0, // the feed
  },
  {
    id: 'me',
    label: 'Me',
    icon: 'me',
    view: me,
    topics: [],
    badge: () => 0,
    hasDetail: (route) => route.path.length > 0,
  },
];
