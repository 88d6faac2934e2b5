// Times and counts, in the client's language (i18n.js): "14:05" and "Mar 3" or "3月3日".

import { intlLocale, t } from '../i18n.js';

const time = new Intl.DateTimeFormat(intlLocale, { hour: 'numeric', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(intlLocale, { weekday: 'short' });
const longWeekday = new Intl.DateTimeFormat(intlLocale, { weekday: 'long', month: 'long', day: 'numeric' });
const shortDate = new Intl.DateTimeFormat(intlLocale, { month: 'short', day: 'numeric' });
const fullDate = new Intl.DateTimeFormat(intlLocale, { year: 'numeric', month: 'short', day: 'numeric' });
const fullDateTime = new Intl.DateTimeFormat(intlLocale, { dateStyle: 'medium', timeStyle: 'short' });
const ago = new Intl.RelativeTimeFormat(intlLocale, { numeric: 'always' });

function startOfDay(ms) {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const DAY = 86400000;

function daysAgo(ms) {
  return Math.round((startOfDay(Date.now()) - startOfDay(ms)) / DAY);
}

/** For the chat list: "14:05", "Yesterday", "Tue", "Mar 3", "Mar 3, 2023". */
export function listTime(ms) {
  if (!ms) return '';
  const days = daysAgo(ms);
  if (days <= 0) return time.format(ms);
  if (days === 1) return t('Yesterday');
  if (days < 7) return weekday.format(ms);
  if (new Date(ms).getFullYear() === new Date().getFullYear()) return shortDate.format(ms);
  return fullDate.format(ms);
}

export function clockTime(ms) {
  return time.format(ms);
}

/** For separators between days in a chat: "Today", "Yesterday", "Monday, March 3". */
export function dayLabel(ms) {
  const days = daysAgo(ms);
  if (days <= 0) return t('Today');
  if (days === 1) return t('Yesterday');
  if (new Date(ms).getFullYear() === new Date().getFullYear()) return longWeekday.format(ms);
  return fullDate.format(ms);
}

export function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dateTime(ms) {
  return fullDateTime.format(ms);
}

/** "just now", "5 minutes ago", or a date: for "last seen" of devices. */
export function relative(ms) {
  const diff = Date.now() - ms;
  if (diff < 90 * 1000) return t('just now');
  if (diff < 3600 * 1000) return ago.format(-Math.round(diff / 60000), 'minute');
  if (diff < DAY && daysAgo(ms) === 0) return t('today at {time}', { time: time.format(ms) });
  if (daysAgo(ms) === 1) return t('yesterday at {time}', { time: time.format(ms) });
  return fullDate.format(ms);
}

/** For Moments: "Just now", "5 minutes ago", "3 hours ago", "Yesterday", "4 days ago", or a date. */
export function momentTime(ms) {
  const diff = Date.now() - ms;
  if (diff < 60 * 1000) return t('Just now');
  if (diff < 3600 * 1000) return ago.format(-Math.floor(diff / 60000), 'minute');
  const days = daysAgo(ms);
  if (diff < DAY && days === 0) return ago.format(-Math.floor(diff / 3600000), 'hour');
  if (days <= 1) return t('Yesterday');
  if (days < 7) return ago.format(-days, 'day');
  if (new Date(ms).getFullYear() === new Date().getFullYear()) return shortDate.format(ms);
  return fullDate.format(ms);
}

/** A voice note's length: 0:07, 1:00. */
export function duration(ms) {
  const seconds = Math.max(0, Math.round((Number(ms) || 0) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A file's size in the units people use: 812 B, 14 KB, 3.2 MB. */
export function fileSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  return `${shown} ${units[unit]}`;
}
