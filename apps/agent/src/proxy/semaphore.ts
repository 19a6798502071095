// A counting semaphore with a FIFO wait queue, one per concurrency-control rule of a virtual database. Taking a
// free slot is synchronous; waiting is a callback, so a session simply stops reading its client meanwhile.

export interface SlotWaiter {
  onSlot(): void;
}

export class Semaphore {
  active = 0;
  private readonly queue: SlotWaiter[] = [];

  constructor(public max: number) {}

  tryAcquire(): boolean {
    if (this.active >= this.max || this.queue.length > 0) return false;
    this.active++;
    return true;
  }

  /** Queues the waiter; it gets the slot (already counted) in onSlot(). */
  wait(waiter: SlotWaiter): void {
    this.queue.push(waiter);
  }

  cancel(waiter: SlotWaiter): void {
    const at = this.queue.indexOf(waiter);
    if (at !== -1) this.queue.splice(at, 1);
  }

  release(): void {
    this.active--;
    this.grant();
  }

  /** A new config changed maxConcurrency: a larger limit serves waiters at once. */
  resize(max: number): void {
    this.max = max;
    this.grant();
  }

  private grant(): void {
    while (this.active < this.max && this.queue.length > 0) {
      this.active++;
      (this.queue.shift() as SlotWaiter).onSlot();
    }
  }
}
