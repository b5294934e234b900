import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Wraps Apollo's landing page plugin (Sandbox, which loads from Apollo's CDN) to add a link to
 * the local GraphiQL under its "cannot be loaded" notice: offline or behind a proxy, that
 * notice is all Sandbox shows. Goes through the plugin API only: the inner plugin renders,
 * this one amends its HTML.
 */
export function withGraphiQLLink<T extends object>(inner: ApolloServerPlugin<T>, graphiqlPath: string): ApolloServerPlugin<T> {
  return {
    async serverWillStart(service) {
      const listener = await inner.serverWillStart?.(service);
      const render = listener?.renderLandingPage;
      if (!listener || !render) return listener;
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render.call(listener);
          const html = page.html;
          return { html: typeof html === 'string' ? addLink(html, graphiqlPath) : async () => addLink(await html(), graphiqlPath) };
        },
      };
    },
  };
}

function addLink(html: string, graphiqlPath: string): string {
  const link = `<p>Offline or behind a proxy? Use the local <a href="${graphiqlPath}">GraphiQL</a>.</p>`;
  const notice = /cannot be loaded[^<]*<\/p>/;
  // Beside the notice when Apollo's markup has it; otherwise at the end of the page.
  return notice.test(html) ? html.replace(notice, (match) => match + link) : html.replace('</body>', `${link}</body>`);
}
