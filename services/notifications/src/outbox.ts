// Recorded notifications: a bounded list that keeps the most recent ones.
export interface Notification {
  id: string;
  orderId?: string;
  userId?: number;
  channel: 'email' | 'sms';
  message: string;
  createdAt: string;
}

export type NotificationRequest = Omit<Notification, 'id' | 'createdAt'>;

export interface Outbox {
  record(request: NotificationRequest): Notification;
  /** Oldest first. */
  list(orderId?: string): Notification[];
  readonly capacity: number;
}

export function createOutbox(now: () => Date, capacity = 1000): Outbox {
  const items: Notification[] = [];
  let next = 1;
  return {
    capacity,
    record(request) {
      const notification: Notification = Object.freeze({ id: `n_${next++}`, ...request, createdAt: now().toISOString() });
      items.push(notification);
      if (items.length > capacity) items.splice(0, items.length - capacity);
      return notification;
    },
    list: (orderId) => (orderId === undefined ? [...items] : items.filter((n) => n.orderId === orderId)),
  };
}
