// Signing in and out: a small form that exchanges a seeded username for a token from users.
import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { StorefrontDeps } from '../app.ts';
import { forwardHeaders } from '../request.ts';
import { clearSession, safeNext, writeSession } from '../session.ts';
import { SignInPage } from '../views/pages.tsx';
import { renderPage } from '../views/render.tsx';
import { readForm } from './form.ts';

const signInSchema = z.object({ username: z.string().check(z.trim(), z.minLength(1), z.maxLength(64)), next: z.optional(z.string()) });

export function sessionRoutes(deps: StorefrontDeps) {
  return new Hono()
    .get('/signin', (c) => renderPage(c, deps.identity, { title: 'Sign in' }, <SignInPage next={safeNext(c.req.query('next'))} />))
    .post('/signin', async (c) => {
      const form = signInSchema.safeParse(await readForm(c));
      const next = safeNext(form.success ? form.data.next : undefined);
      if (!form.success) {
        return renderPage(c, deps.identity, { title: 'Sign in', status: 400 }, <SignInPage next={next} notice={{ kind: 'error', text: 'Enter a username: alice, bob or carol.' }} />);
      }
      const { data, served } = await deps.users.signIn(form.data.username.toLowerCase(), forwardHeaders(c));
      if (!data) {
        return renderPage(
          c,
          deps.identity,
          { title: 'Sign in', status: 401, served: [served] },
          <SignInPage next={next} username={form.data.username} notice={{ kind: 'error', text: 'There is no such account in the sandbox. Try alice, bob or carol.' }} />,
        );
      }
      writeSession(c, data.token, data.expiresInSeconds);
      return c.redirect(next, 303);
    })
    .post('/signout', async (c) => {
      await readForm(c);
      clearSession(c);
      return c.redirect('/', 303);
    });
}
