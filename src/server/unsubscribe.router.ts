import express, { type Router } from 'express';
import { html } from '../email/html';
import type { UnsubscribeService } from '../email/unsubscribe.service';

const page = (body: ReturnType<typeof html>) => html`<!doctype html>
<html><head><meta charset="utf-8"><title>Email notifications</title></head>
<body style="font-family: sans-serif">${body}</body></html>
`.value;

/**
 * `/email/unsubscribe?token=...` (CONTRACT.md "Email"): POST (the RFC 8058 one-click request,
 * `List-Unsubscribe=One-Click`, or the page's own form) turns email off and answers 200; GET
 * only shows a page with that form, because mail scanners follow links.
 */
export function unsubscribeRouter(unsubscribe: UnsubscribeService): Router {
  const router = express.Router();
  router.get('/email/unsubscribe', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    res.type('html');
    if (!(await unsubscribe.isValid(token))) {
      res.status(400).send(page(html`<p>This unsubscribe link is not valid.</p>`));
      return;
    }
    res.send(
      page(html`<p>Stop receiving email notifications about unread messages?</p>
<form method="post" action="/email/unsubscribe?token=${token}">
<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button>
</form>`),
    );
  });
  router.post('/email/unsubscribe', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const oneClick = (req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click';
    if (!oneClick) {
      res.status(400).type('text').send('expected List-Unsubscribe=One-Click');
      return;
    }
    if (!(await unsubscribe.unsubscribe(token))) {
      res.status(400).type('text').send('invalid unsubscribe link');
      return;
    }
    res.type('html').send(page(html`<p>You will not receive email notifications any more. You can turn them on again in the app's settings.</p>`));
  });
  return router;
}
