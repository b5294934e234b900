import { digestHtml, digestText, preview } from '../../src/email/digest-template';
import { html } from '../../src/email/html';

describe('digest template', () => {
  test('every interpolated value is HTML-escaped, nested templates are not escaped twice', () => {
    const name = `<img src=x onerror="alert(1)">&'`;
    expect(html`<p>${name}</p>${html`<b>${'a<b'}</b>`}`.value).toBe('<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</p><b>a&lt;b</b>');
    const page = digestHtml({
      conversations: [{ senderName: '<Ana>', unreadCount: 2, preview: 'x < y & "z"' }],
      appUrl: 'https://app.example.test/?a=1&b="2"',
      unsubscribeUrl: 'https://chat.example.test/email/unsubscribe?token=t',
    });
    expect(page).toContain('2 new messages from &lt;Ana&gt;');
    expect(page).toContain('x &lt; y &amp; &quot;z&quot;');
    expect(page).toContain('href="https://app.example.test/?a=1&amp;b=&quot;2&quot;"');
    expect(page).not.toContain('<Ana>');
  });

  test('the text part is plain; without APP_URL there is no link line', () => {
    const text = digestText({ conversations: [{ senderName: 'Ana', unreadCount: 1, preview: 'x < y' }], unsubscribeUrl: 'https://u.example.test/' });
    expect(text).toBe('1 new message from Ana:\n  x < y\n\nUnsubscribe from these emails: https://u.example.test/\n');
  });

  test('the preview keeps the first 100 characters, never half an emoji', () => {
    expect(preview('🙂'.repeat(150))).toBe('🙂'.repeat(100));
    expect(preview('short')).toBe('short');
    expect(preview(null)).toBe('[image]');
  });
});
