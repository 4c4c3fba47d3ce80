// When frames are handled: after every socket readable in this turn of the event loop has been
// heard (setImmediate runs after the poll phase). After the queue stalls, a heartbeat that waited
// in one socket then still counts before a request from another socket runs the silence check.

export interface HasInbox {
  handleInbox(): void;
}

/** Told of each turn's bounds: the journal seals a turn's records into one batch. */
export interface TurnListener {
  beginTurn(): void;
  /** The turn's frames are all handled; none of its replies has left yet. */
  endTurn(): void;
}

export class Turns {
  private readonly waiting = new Set<HasInbox>();
  private scheduled = false;

  constructor(private readonly listener: () => TurnListener | undefined = () => undefined) {}

  /** Frames are waiting on this connection; they are handled once this turn's input is heard. */
  add(connection: HasInbox): void {
    this.waiting.add(connection);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const listener = this.listener();
    listener?.beginTurn();
    try {
      for (const connection of this.waiting) {
        this.waiting.delete(connection);
        connection.handleInbox();
      }
    } finally {
      listener?.endTurn();
    }
  };
}
