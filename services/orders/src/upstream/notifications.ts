// Calls to the notifications service.
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';

export interface NotificationRequest {
  orderId: string;
  userId: number;
  message: string;
}

export interface NotificationsApi {
  notify(request: NotificationRequest, headers: ForwardHeaders): Promise<void>;
}

export function createNotificationsApi(client: UpstreamClient): NotificationsApi {
  return {
    async notify(request, headers) {
      const res = await client.request({ method: 'POST', path: '/notifications', headers, json: { ...request, channel: 'email' } });
      if (res.status !== 201) throw unexpectedAnswer('notifications', res.status, 'no record');
    },
  };
}
