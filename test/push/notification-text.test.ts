import fc from 'fast-check';
import { messagesSummaryText, newMessageText, previewText } from '../../src/push/notification-text';

describe('newMessageText', () => {
  it('uses the sender name as title and a preview as body', () => {
    expect(newMessageText({ senderName: 'Ana', type: 'TEXT', content: 'Are you free tomorrow?' })).toEqual({
      title: 'Ana',
      body: 'Are you free tomorrow?',
    });
  });

  it('falls back to "New message" without a sender name', () => {
    expect(newMessageText({ senderName: null, type: 'TEXT', content: 'hi' }).title).toBe('New message');
    expect(newMessageText({ senderName: '   ', type: 'TEXT', content: 'hi' }).title).toBe('New message');
  });

  it('says "📷 Photo" for an image', () => {
    expect(newMessageText({ senderName: 'Ana', type: 'IMAGE', content: null })).toEqual({ title: 'Ana', body: '📷 Photo' });
  });

  it('never sends an empty body', () => {
    expect(newMessageText({ senderName: 'Ana', type: 'TEXT', content: ' \n ' }).body).toBe('New message');
  });
});

describe('previewText', () => {
  it('makes one line of several', () => {
    expect(previewText('line one\nline two\r\n\tthree  spaces')).toBe('line one line two three spaces');
  });

  it('cuts long text at 100 characters with an ellipsis', () => {
    const text = 'a'.repeat(150);
    expect(previewText(text)).toBe(`${'a'.repeat(100)}…`);
    expect(previewText('b'.repeat(100))).toBe('b'.repeat(100));
  });

  it('does not split emoji or accented letters', () => {
    const family = '👨‍👩‍👧';
    const text = `${'x'.repeat(99)}${family}${family}`;
    expect(previewText(text)).toBe(`${'x'.repeat(99)}${family}…`);
    expect(previewText(`${'y'.repeat(99)}e\u0301zz`)).toBe(`${'y'.repeat(99)}e\u0301…`);
  });

  it('drops bidi overrides and control characters', () => {
    expect(previewText('abc\u202Eevil\u0007')).toBe('abc evil');
  });

  it('property: one line, at most 101 graphemes, no leading space', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const preview = previewText(text);
        expect(preview).not.toMatch(/[\n\r\t]/);
        expect([...segmenter.segment(preview)].length).toBeLessThanOrEqual(101);
        expect(preview).toBe(preview.trimStart());
      }),
    );
  });
});

describe('messagesSummaryText', () => {
  it('summarizes several messages: "3 new messages from Ana"', () => {
    const messages = [
      { senderName: 'Ana', type: 'TEXT' as const, content: 'one' },
      { senderName: 'Ana', type: 'IMAGE' as const },
      { senderName: 'Ana', type: 'TEXT' as const, content: 'three' },
    ];
    expect(messagesSummaryText(messages)).toEqual({ title: 'Ana', body: '3 new messages from Ana' });
  });

  it('is the single-message text for one message', () => {
    expect(messagesSummaryText([{ senderName: 'Ana', type: 'TEXT', content: 'hi' }])).toEqual({ title: 'Ana', body: 'hi' });
  });

  it('works without a sender name', () => {
    expect(messagesSummaryText([{ type: 'TEXT', content: 'a' }, { type: 'TEXT', content: 'b' }])).toEqual({
      title: 'New message',
      body: '2 new messages',
    });
  });

  it('refuses an empty list', () => {
    expect(() => messagesSummaryText([])).toThrow(RangeError);
  });
});
