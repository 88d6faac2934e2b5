// The client's two languages: English, in which every string is written, and Simplified Chinese,
// whose translations are in /locales/zh-CN.json keyed by the English (docs/web-client.md, "Languages").
//
//   t('Add a friend')                      a string
//   t('{name} joined the group', { name })  with placeholders
//   tn(n, '{n} member', '{n} members')      with a count (English has two forms, Chinese one)
//
// The language is the one chosen in Me → Language, else the browser's first of the two. It is
// decided once, at start-up (this module waits for the catalog before any other runs), so
// module-level strings are translated too; changing it reloads the page.

const STORAGE_KEY = 'kith.locale';
export const LOCALES = [
  { id: 'en', name: 'English' },
  { id: 'zh-CN', name: '简体中文' },
];

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: follow the browser
  }
}

/** 'zh-CN' for any Chinese the browser prefers before English, else 'en'. */
function detect() {
  for (const tag of navigator.languages?.length ? navigator.languages : [navigator.language || 'en']) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

const chosen = stored();
const wanted = LOCALES.some((l) => l.id === chosen) ? chosen : detect();
/** Whether the language was chosen in Me rather than taken from the browser. */
export const localeChosen = wanted === chosen;

async function load(id) {
  if (id === 'en') return null;
  try {
    const response = await fetch(`/locales/${id}.json`);
    if (response.ok) return await response.json();
  } catch {
    // offline at start-up: English rather than nothing
  }
  return null;
}

const catalog = await load(wanted);
/** The language in use: 'en' or 'zh-CN' (English when the catalog could not be read). */
export const locale = catalog ? wanted : 'en';
/** For Intl's dates and numbers: Chinese, or the English the browser prefers (en-GB's 24-hour clock). */
export const intlLocale =
  locale === 'en' ? (navigator.languages || []).find((tag) => String(tag).toLowerCase().startsWith('en')) || 'en' : locale;
document.documentElement.lang = locale;

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The string `english` in the language in use, with {placeholders} filled from `params`. */
export function t(english, params) {
  return fill((catalog && catalog[english]) || english, params);
}

/** A string with a count: `one` when n is 1 in English, else `other`; {n} is the count. */
export function tn(n, one, other, params) {
  // Chinese has one form: the catalog translates `other` only
  const translated = catalog && catalog[other];
  return fill(translated || (n === 1 ? one : other), { n, ...params });
}

/** Switch to `id` (or back to the browser's language with null) and start again in it. */
export function setLocale(id) {
  try {
    if (id) localStorage.setItem(STORAGE_KEY, id);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    return;
  }
  location.reload();
}
