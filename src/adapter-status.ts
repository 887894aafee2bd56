// What an adapter may tell the supervisor about its connection after start (optional: an adapter that
// says nothing counts as up once start() resolved). Kept apart from ports.ts so adapters can adopt it
// one by one; every member is optional, so any ChatAdapter is a StatusReporting one.
import type { ChatAdapter } from './ports.ts';

export interface AdapterStatus {
  /** connecting: waiting for a login or a reconnect; up: receiving and sending; down: lost, recovering on its own. */
  state: 'connecting' | 'up' | 'down';
  /** One line: what went wrong and what to check. No secrets. */
  error?: string;
  /** WeChat: the login QR code's content while the account waits for a scan. */
  loginQr?: string;
}

export interface StatusReporting {
  /** Where the connection stands now; read right after start() resolved. */
  status?(): AdapterStatus;
  /** Calls `listener` on each change after start (logout, login, polling stopped, socket dropped). Returns an unsubscribe. */
  onStatusChange?(listener: (status: AdapterStatus) => void): () => void;
}

export type ObservableAdapter = ChatAdapter & StatusReporting;

/** Holds an adapter's current status and tells listeners when it changes (not when it is set again unchanged). */
export class StatusBox {
  private current: AdapterStatus;
  private readonly listeners = new Set<(status: AdapterStatus) => void>();

  constructor(initial: AdapterStatus = { state: 'up' }) {
    this.current = initial;
  }

  get(): AdapterStatus {
    return this.current;
  }

  set(next: AdapterStatus): void {
    if (next.state === this.current.state && next.error === this.current.error && next.loginQr === this.current.loginQr) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  onChange(listener: (status: AdapterStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
