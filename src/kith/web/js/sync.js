// The WebSocket connection (docs/websocket.md): hello with the last seq applied, events pushed in
// order, acks for sends and reads. Reconnects by itself with backoff, resumes from the last seq,
// and goes quiet while the browser says it is offline (no doomed connection attempts).

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const PING_EVERY_MS = 25000;
const PONG_WITHIN_MS = 10000;

export class Sync {
  /**
   * handlers: {
   *   since(): the last seq applied,
   *   events(list), ack(frame), error(frame), state(name),
   *   ready(frame): connected and resumed,
   *   ended(code): the token is no good (signed out elsewhere),
   *   resync(): the server's log is behind ours; load a fresh snapshot,
   * }
   */
  constructor(token, handlers) {
    this.token = token;
    this.on = handlers;
    this.ws = null;
    this.state = 'idle';
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.stopped = false;
    this.refs = 0;
    this.pendingReads = new Map(); // conversation id -> seq not yet sent
    this.onOnline = () => this.connectNow();
    this.onOffline = () => this.drop('offline');
    this.onVisible = () => {
      if (document.visibilityState === 'visible' && this.state !== 'online') this.connectNow();
    };
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisible);
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.retryTimer);
    this.closeSocket();
    this.setState('idle');
  }

  get online() {
    return this.state === 'online';
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.on.state(state);
  }

  connect() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.setState('offline'); // the 'online' event brings us back
      return;
    }
    this.setState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/ws`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token: this.token, since: this.on.since() }));
    ws.onmessage = (message) => this.receive(ws, message);
    ws.onclose = (event) => this.closed(ws, event.code);
  }

  connectNow() {
    if (this.stopped) return;
    this.attempt = 0;
    if (!this.ws) this.connect();
  }

  receive(ws, message) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    clearTimeout(this.pongTimer); // anything from the server proves the connection is alive
    switch (frame.type) {
      case 'ready':
        this.attempt = 0;
        this.setState('online');
        this.schedulePing();
        this.on.ready(frame);
        for (const [conversationId, seq] of this.pendingReads) this.read(conversationId, seq);
        break;
      case 'events':
        this.on.events(frame.events);
        break;
      case 'ack':
        this.on.ack(frame);
        break;
      case 'error':
        this.on.error(frame);
        break;
      case 'typing':
        this.on.typing?.(frame); // not an event: no seq, nothing to resume
        break;
      default:
        break; // pong, or something newer than this client
    }
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.stopTimers();
    if (this.stopped) return;
    if (code === 4001 || code === 4003) {
      this.setState('idle');
      this.on.ended(code);
      return;
    }
    if (code === 4009) {
      this.setState('connecting');
      this.on.resync(); // loads a fresh snapshot, then calls connectNow()
      return;
    }
    this.scheduleReconnect();
  }

  /** Give up on the current socket now (the browser went offline, or pings went unanswered). */
  drop(reason) {
    this.closeSocket();
    if (this.stopped) return;
    if (reason === 'offline' || !navigator.onLine) this.setState('offline');
    else this.scheduleReconnect();
  }

  closeSocket() {
    this.stopTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch {
        // already closing
      }
    }
  }

  scheduleReconnect() {
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.setState('offline');
      return;
    }
    this.setState('connecting');
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const delay = base * (0.8 + Math.random() * 0.4);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  stopTimers() {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  schedulePing() {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      if (!this.send({ type: 'ping', ref: `p${++this.refs}` })) return;
      this.pongTimer = setTimeout(() => this.drop('timeout'), PONG_WITHIN_MS);
      this.schedulePing();
    }, PING_EVERY_MS);
  }

  /** Send a frame if connected; false if not (the caller keeps it for later). */
  send(frame) {
    if (!this.ws || this.state !== 'online') return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Move the read position; remembered and sent on reconnect if we are offline now. */
  read(conversationId, seq) {
    this.pendingReads.set(conversationId, Math.max(seq, this.pendingReads.get(conversationId) || 0));
    const sent = this.send({ type: 'read', conversation_id: conversationId, seq, ref: `r${++this.refs}` });
    if (sent) this.pendingReads.delete(conversationId);
  }
}
