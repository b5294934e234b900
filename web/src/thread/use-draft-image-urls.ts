import { useEffect, useMemo } from 'react';
import type { OutboxItem } from '../offline/outbox-store';

/** Object URLs of images still being sent, revoked when they leave the outbox. */
export function useDraftImageUrls(items: readonly OutboxItem[]): Map<string, string> {
  const urls = useMemo(() => {
    const map = new Map<string, string>();
    for (const item of items) if (item.image) map.set(item.clientMessageId, URL.createObjectURL(item.image));
    return map;
  }, [items]);
  useEffect(() => () => urls.forEach((url) => URL.revokeObjectURL(url)), [urls]);
  return urls;
}
