// When frames are handled: after every socket readable in this turn of the event loop has been
// heard (setImmediate runs after the poll phase). After the queue stalls, a heartbeat that waited
// in one socket then still counts before a request from another socket runs the silence check.

export interface HasInbox {
  handleInbox(): void;
}

export class Turns {
  private readonly waiting = new Set<HasInbox>();
  private scheduled = false;

  /** @param ended called once each turn's frames are all handled, before any of its replies leave */
  constructor(private readonly ended: () => void = () => {}) {}

  /** Frames are waiting on this connection; they are handled once this turn's input is heard. */
  add(connection: HasInbox): void {
    this.waiting.add(connection);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    for (const connection of this.waiting) {
      this.waiting.delete(connection);
      connection.handleInbox();
    }
    this.ended();
  };
}
