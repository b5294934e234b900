import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SignedIn, SignedOut } from './App';
import { takeTokenFromLocation, viewerIdOf } from './session/session-token';
import { startSession } from './session/start-session';
import './styles.css';

const token = takeTokenFromLocation(window.location, window.history, window.sessionStorage);
const viewerId = token ? viewerIdOf(token) : null;
const root = createRoot(document.getElementById('root')!);
root.render(<StrictMode>{token && viewerId ? <SignedIn session={startSession(token, viewerId)} /> : <SignedOut />}</StrictMode>);
