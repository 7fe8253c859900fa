import { createHash } from 'node:crypto'
import { PASSPHRASE_MIN_LENGTH } from './passphrase-rules.js'
import type { PassphraseRequest } from './desktop-store-key.js'

/**
 * The passphrase prompt's page, as a `data:` URL: an opaque origin of its own (not the
 * renderer's app://enclave, so the main window's page can never reach it), no files to ship or
 * serve. Its CSP allows exactly its one inline script and style, by hash; nothing else loads.
 * The page only calls `enclavePassphrase.submit(passphrase)`, which its preload exposes.
 */

// Plain ES2020 for the page's world; this project has no DOM types, so it is a string.
const SCRIPT = `'use strict';
const form = document.getElementById('form');
const first = document.getElementById('first');
const second = document.getElementById('second');
const error = document.getElementById('error');
const button = document.getElementById('submit');
const min = Number(document.body.dataset.min);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = first.value;
  if (second !== null) {
    if ([...value].length < min) { error.textContent = 'Use at least ' + min + ' characters.'; first.focus(); return; }
    if (value !== second.value) { error.textContent = 'The two passphrases are not the same.'; second.focus(); return; }
  } else if (value === '') { error.textContent = 'Enter your passphrase.'; first.focus(); return; }
  error.textContent = '';
  button.disabled = true;
  first.value = '';
  if (second !== null) second.value = '';
  globalThis.enclavePassphrase.submit(value);
});
`

const STYLE = `:root { color-scheme: light dark; font: 14px/1.45 system-ui, sans-serif; }
body { margin: 0; padding: 20px 24px; }
h1 { font-size: 17px; margin: 0 0 8px; }
p { margin: 0 0 12px; }
label { display: block; margin: 0 0 10px; }
input { display: block; box-sizing: border-box; width: 100%; margin-top: 4px; padding: 6px 8px; font: inherit; }
#error { color: #c62828; min-height: 1.45em; }
@media (prefers-color-scheme: dark) { #error { color: #ef9a9a; } }
button { font: inherit; padding: 6px 16px; float: right; }
`

const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${hashOf(SCRIPT)}`,
  `style-src ${hashOf(STYLE)}`,
  "base-uri 'none'",
  "form-action 'none'"
].join('; ')

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function html(request: PassphraseRequest): string {
  const create = request.mode === 'create'
  const title = create ? 'Choose a passphrase for Enclave' : 'Unlock Enclave'
  const intro = create
    ? (request.reason === 'no-keychain'
      ? 'This computer has no keyring to keep Enclave’s key safe, so your messages are locked with a passphrase instead. Enclave asks for it each time it starts. It cannot be recovered if you forget it.'
      : 'Your messages are locked with a passphrase. It cannot be recovered if you forget it.')
    : 'Your messages are locked with a passphrase. Enter it to open them.'
  const error = request.retry ? 'Wrong passphrase. Try again.' : ''
  const fields = create
    ? `<label>Passphrase (at least ${PASSPHRASE_MIN_LENGTH} characters)<input id="first" type="password" autocomplete="new-password" autofocus required></label>
<label>The same passphrase again<input id="second" type="password" autocomplete="new-password" required></label>`
    : '<label>Passphrase<input id="first" type="password" autocomplete="current-password" autofocus required></label>'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escape(CONTENT_SECURITY_POLICY)}">
<meta name="referrer" content="no-referrer">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body data-min="${PASSPHRASE_MIN_LENGTH}">
<form id="form" novalidate>
<h1>${escape(title)}</h1>
<p>${escape(intro)}</p>
${fields}
<p id="error" role="alert">${escape(error)}</p>
<button id="submit" type="submit">${create ? 'Create' : 'Unlock'}</button>
</form>
<script>${SCRIPT}</script>
</body>
</html>
`
}

export function passphrasePageUrl(request: PassphraseRequest): string {
  return `data:text/html;charset=utf-8,${encodeURIComponent(html(request))}`
}
