// The signed-in session (bearer token, user, device), kept in localStorage so reloads stay signed in.

import { t } from './i18n.js';

const KEY = 'kith.session';

export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY));
    return session && session.token && session.user && session.device ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify({ token: session.token, user: session.user, device: session.device }));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

/** A readable name for this browser, shown in the device list ("Chrome on Linux"). */
export function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : t('Browser');
  const os = /Android/.test(ua) ? 'Android'
    : /iPhone|iPad|iPod/.test(ua) ? 'iOS'
    : /Mac OS X/.test(ua) ? 'macOS'
    : /Windows/.test(ua) ? 'Windows'
    : /Linux|X11/.test(ua) ? 'Linux'
    : '';
  return os ? t('{browser} on {os}', { browser, os }) : browser;
}
