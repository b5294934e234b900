import { beforeEach, describe, expect, it } from 'vitest';
import { takeTokenFromLocation, viewerIdOf } from './session-token';

const jwt = (claims: object) => `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, '')}.sig`;

describe('sign-in by #token=', () => {
  beforeEach(() => {
    sessionStorage.clear();
    localStorage.clear();
    window.history.replaceState(null, '', '/app/');
  });

  it('keeps the token in sessionStorage only and takes it out of the address', () => {
    const token = jwt({ sub: 'u1' });
    window.history.replaceState(null, '', `/app/#token=${token}`);
    expect(takeTokenFromLocation(window.location, window.history, sessionStorage)).toBe(token);
    expect(window.location.href).toBe(`${window.location.origin}/app/`);
    expect(sessionStorage.length).toBe(1);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  it('stays signed in on a reload (no hash) and is signed out in a tab that never had a token', () => {
    expect(takeTokenFromLocation(window.location, window.history, sessionStorage)).toBeNull();
    window.history.replaceState(null, '', `/app/#token=abc`);
    takeTokenFromLocation(window.location, window.history, sessionStorage);
    expect(takeTokenFromLocation(window.location, window.history, sessionStorage)).toBe('abc');
  });

  it('reads the viewer id from the sub claim, and nothing from a malformed token', () => {
    expect(viewerIdOf(jwt({ sub: 'b6f1c1a0-0000-4000-8000-000000000001' }))).toBe('b6f1c1a0-0000-4000-8000-000000000001');
    expect(viewerIdOf('not-a-jwt')).toBeNull();
    expect(viewerIdOf(jwt({ name: 'no sub' }))).toBeNull();
  });
});
