import { afterEach, describe, expect, it, vi } from 'vitest';
import { message } from '../test/fixtures';
import { Outbox, type Sender, type SendOutcome } from './outbox';
import { OutboxStore } from './outbox-store';

let dbCount = 0;
const freshStore = () => new OutboxStore(`outbox-test-${++dbCount}`);
const outboxes: Outbox[] = [];

function makeOutbox(store: OutboxStore, outcomes: SendOutcome[]) {
  const calls: string[] = [];
  const sender: Sender = async (item) => {
    calls.push(item.clientMessageId);
    return outcomes.shift() ?? { kind: 'retry' };
  };
  const sent: string[] = [];
  const outbox = new Outbox(store, sender, (m) => sent.push(m.id));
  outboxes.push(outbox);
  return { outbox, calls, sent };
}

afterEach(() => outboxes.splice(0).forEach((o) => o.stop()));

describe('Outbox', () => {
  it('keeps a send without an answer pending and retries it with the same clientMessageId until answered', async () => {
    const store = freshStore();
    const { outbox, calls, sent } = makeOutbox(store, [{ kind: 'retry' }, { kind: 'retry' }, { kind: 'sent', message: message({ id: 'stored' }) }]);
    await outbox.ready;
    await outbox.send({ conversationId: 'c1', content: 'hello' });
    expect(outbox.get().items).toHaveLength(1);
    expect(outbox.get().items[0].failed).toBeUndefined();
    await outbox.flush();
    await outbox.flush();
    expect(new Set(calls).size).toBe(1);
    expect(calls).toHaveLength(3);
    expect(sent).toEqual(['stored']);
    expect(outbox.get().items).toHaveLength(0);
    expect(await store.all()).toHaveLength(0);
  });

  it('marks a send failed only on an error answer, and does not retry it', async () => {
    const { outbox, calls } = makeOutbox(freshStore(), [{ kind: 'failed', message: 'RATE_LIMITED' }]);
    await outbox.ready;
    await outbox.send({ conversationId: 'c1', content: 'hello' });
    expect(outbox.get().items[0].failed).toBe(true);
    await outbox.flush();
    expect(calls).toHaveLength(1);
  });

  it('keeps a reply’s replyToId in the stored item, so every retry (also after a reload) answers the same message', async () => {
    const store = freshStore();
    const replies: (string | undefined)[] = [];
    const sender: Sender = async (item) => {
      replies.push(item.replyToId);
      return { kind: 'retry' };
    };
    const outbox = new Outbox(store, sender, () => undefined);
    outboxes.push(outbox);
    await outbox.ready;
    await outbox.send({ conversationId: 'c1', content: 'yes, 9 works', replyToId: 'm-question' });
    await outbox.flush();
    expect(replies).toEqual(['m-question', 'm-question']);
    expect((await store.all())[0].replyToId).toBe('m-question');
  });

  it('survives a reload: a pending send waits in IndexedDB and goes out from the next tab', async () => {
    const store = freshStore();
    const first = makeOutbox(store, [{ kind: 'retry' }]);
    await first.outbox.ready;
    await first.outbox.send({ conversationId: 'c1', content: 'while offline' });
    first.outbox.stop();
    const key = first.calls[0];

    const second = makeOutbox(store, [{ kind: 'sent', message: message({ id: 'm-once' }) }]);
    await second.outbox.ready;
    await vi.waitFor(() => expect(second.sent).toEqual(['m-once']));
    expect(second.calls).toEqual([key]);
    expect(await store.all()).toHaveLength(0);
  });

  it('never sends one item twice at the same time (a flush during a slow send)', async () => {
    let release: (o: SendOutcome) => void = () => undefined;
    const calls: string[] = [];
    const sender: Sender = (item) => {
      calls.push(item.clientMessageId);
      return new Promise((resolve) => (release = resolve));
    };
    const outbox = new Outbox(freshStore(), sender, () => undefined);
    outboxes.push(outbox);
    await outbox.ready;
    const sending = outbox.send({ conversationId: 'c1', content: 'slow' });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    void outbox.flush();
    void outbox.flush();
    expect(calls).toHaveLength(1);
    release({ kind: 'sent', message: message() });
    await sending;
  });
});
