// The annotation page as one self-contained HTML document (inline CSS and JS, no external resources),
// served by server.ts at GET /. It shows one item at a time — the prompt, the model's response in an
// editable textarea, the item's current decision — with a progress line "N of M decided — a
// accepted, e edited, r rejected", a progress bar and a clickable list of all items. Keyboard:
// a accept · r reject · e edit (focuses the text; Ctrl+Enter saves it as an edit, Escape leaves it)
// · j/→ next · k/← previous · n next undecided. Shortcuts never fire while typing in a text field.
// After a decision it moves to the next undecided item. It talks to GET /api/state and POST
// /api/decision only; every data string is put in the page as text (textContent/value), never HTML.
// The server's per-session token is in <meta name="annotate-token">; every POST sends it back as the
// X-Annotate-Token header (server.ts refuses a decision without it: another site cannot post one).
// Element ids (for tests and assistive tech): progress, progress-bar, position, item-id, prompt,
// response, decision, accept-button, edit-button, save-edit-button, reject-button, prev-button,
// next-button, next-undecided-button, item-list, message.
// The script avoids backquotes and dollar-brace so that it can live in this template string as is.

const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #f6f6f4; }
  body { margin: 0; }
  header { padding: 12px 20px; background: #fff; border-bottom: 1px solid #ddd; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  #progress { margin: 0; font-variant-numeric: tabular-nums; }
  #progress-bar { width: 220px; height: 10px; }
  .layout { display: grid; grid-template-columns: 220px 1fr; gap: 16px; padding: 16px 20px; }
  nav { background: #fff; border: 1px solid #ddd; border-radius: 6px; max-height: 80vh; overflow: auto; }
  nav ol { list-style: none; margin: 0; padding: 4px; }
  nav button { width: 100%; text-align: left; border: 0; background: none; padding: 3px 6px; border-radius: 4px; cursor: pointer; font: inherit; font-size: 13px; }
  nav button[aria-current="true"] { background: #dde7ff; }
  .s-accept { color: #137333; } .s-edit { color: #8a5a00; } .s-reject { color: #b3261e; } .s-none { color: #666; }
  section.item { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 14px 18px; min-width: 0; }
  .meta { color: #555; font-size: 13px; display: flex; gap: 14px; flex-wrap: wrap; }
  .turn { border-left: 3px solid #ccd; padding: 4px 10px; margin: 8px 0; white-space: pre-wrap; }
  .turn .role { font-size: 12px; text-transform: uppercase; color: #557; display: block; }
  label { font-weight: 600; display: block; margin-top: 12px; }
  textarea { width: 100%; box-sizing: border-box; min-height: 200px; font: 14px/1.45 ui-monospace, monospace; padding: 8px; }
  textarea:focus { outline: 2px solid #4a7cff; }
  .toolbar { display: flex; gap: 8px; flex-wrap: wrap; margin: 10px 0; }
  .toolbar button { font: inherit; padding: 5px 10px; border-radius: 5px; border: 1px solid #bbb; background: #fafafa; cursor: pointer; }
  #message { min-height: 1.4em; margin: 4px 0; } #message.error { color: #b3261e; font-weight: 600; }
  kbd { border: 1px solid #bbb; border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; font-size: 12px; background: #fff; }
  #shortcuts { font-size: 13px; color: #444; } #shortcuts li { margin: 2px 0; }
  .warn { color: #8a5a00; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var TOKEN = document.querySelector('meta[name="annotate-token"]').getAttribute('content');
  var state = null;
  var index = 0;
  var busy = false;
  var LABEL = { accept: 'accepted', edit: 'edited', reject: 'rejected' };
  var MARK = { accept: '\\u2713 accepted', edit: '\\u270E edited', reject: '\\u2717 rejected' };
  function el(id) { return document.getElementById(id); }
  function say(text, isError) { var m = el('message'); m.textContent = text; m.className = isError ? 'error' : ''; }
  function item() { return state && state.items.length ? state.items[index] : null; }
  function decisionOf(it) { return state.decisions[it.id] || null; }

  function nextUndecided(from) {
    var n = state.items.length;
    for (var step = 1; step <= n; step++) {
      var i = (from + step) % n;
      if (!state.decisions[state.items[i].id]) return i;
    }
    return -1;
  }

  function renderProgress() {
    var p = state.progress;
    el('progress').textContent = p.decided + ' of ' + p.total + ' decided \\u2014 ' + p.accepted + ' accepted, ' + p.edited + ' edited, ' + p.rejected + ' rejected';
    el('progress-bar').max = Math.max(1, p.total);
    el('progress-bar').value = p.decided;
  }

  function renderList() {
    var list = el('item-list');
    list.textContent = '';
    state.items.forEach(function (it, i) {
      var d = decisionOf(it);
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = d ? 's-' + d.decision : 's-none';
      b.textContent = (i + 1) + '. ' + (d ? MARK[d.decision] : '\\u2022 undecided');
      b.setAttribute('aria-label', 'item ' + (i + 1) + ', ' + (d ? LABEL[d.decision] : 'undecided'));
      if (i === index) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', function () { go(i); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function renderItem() {
    var it = item();
    var prompt = el('prompt');
    prompt.textContent = '';
    if (!it) {
      el('position').textContent = 'The queue is empty';
      el('item-id').textContent = '';
      el('response').value = '';
      el('response').disabled = true;
      el('decision').textContent = '';
      return;
    }
    el('response').disabled = false;
    el('position').textContent = 'Item ' + (index + 1) + ' of ' + state.items.length;
    el('item-id').textContent = 'id ' + it.id + (it.kind ? ' \\u00B7 ' + it.kind : '');
    var pv = it.provenance || {};
    el('provenance').textContent = 'model ' + (pv.model || '?') + (pv.source ? ' \\u00B7 ' + pv.source.file + ':' + pv.source.line : '');
    el('truncated').hidden = pv.finishReason !== 'length';
    it.messages.forEach(function (m) {
      var div = document.createElement('div');
      div.className = 'turn';
      var role = document.createElement('span');
      role.className = 'role';
      role.textContent = m.role;
      div.appendChild(role);
      div.appendChild(document.createTextNode(m.content));
      prompt.appendChild(div);
    });
    var d = decisionOf(it);
    el('response').value = d && d.decision === 'edit' ? d.response : it.response;
    el('decision').textContent = d ? LABEL[d.decision] + ' (' + d.annotator + ', ' + d.at + ')' : 'undecided';
    el('decision').className = d ? 's-' + d.decision : 's-none';
    el('original').hidden = !(d && d.decision === 'edit');
    el('original-text').textContent = it.response;
  }

  function render() { renderProgress(); renderList(); renderItem(); }

  function go(i) {
    if (!state || !state.items.length) return;
    index = Math.max(0, Math.min(state.items.length - 1, i));
    say('', false);
    render();
  }

  function send(decision, response) {
    var it = item();
    if (!it || busy) return;
    busy = true;
    var body = { id: it.id, decision: decision };
    if (response !== undefined) body.response = response;
    fetch('/api/decision', { method: 'POST', headers: { 'content-type': 'application/json', 'x-annotate-token': TOKEN }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; }); })
      .then(function (r) {
        busy = false;
        if (!r.ok) { say('not saved (' + r.status + '): ' + r.body.error, true); return; }
        state = r.body;
        var done = index;
        var next = nextUndecided(index);
        if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
        if (next >= 0) index = next;
        render();
        say('saved: item ' + (done + 1) + ' ' + LABEL[decision] + (next >= 0 ? '' : ' \\u2014 every item is decided'), false);
      })
      .catch(function (e) { busy = false; say('not saved: ' + e.message, true); });
  }

  function accept() { send('accept'); }
  function reject() { send('reject'); }
  function startEdit() { var t = el('response'); if (t.disabled) return; t.focus(); say('editing: Ctrl+Enter saves the text as an edit, Escape leaves the text', false); }
  function saveEdit() {
    var it = item();
    if (!it) return;
    var text = el('response').value;
    if (text.trim() === '') { say('the edited response is empty: write the answer, or reject the item (r)', true); return; }
    if (text === it.response) { say('the text is the model\\'s response unchanged: accept it (a) instead', true); return; }
    send('edit', text);
  }

  document.addEventListener('keydown', function (ev) {
    var t = ev.target;
    var typing = t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.isContentEditable);
    if (typing) {
      if (t.id === 'response' && ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); saveEdit(); }
      else if (ev.key === 'Escape') { ev.preventDefault(); t.blur(); say('', false); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !state) return;
    var handled = true;
    switch (ev.key) {
      case 'a': accept(); break;
      case 'r': reject(); break;
      case 'e': startEdit(); break;
      case 'j': case 'ArrowRight': go(index + 1); break;
      case 'k': case 'ArrowLeft': go(index - 1); break;
      case 'n': var i = nextUndecided(index); if (i >= 0) go(i); else say('every item is decided', false); break;
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });

  el('accept-button').addEventListener('click', accept);
  el('reject-button').addEventListener('click', reject);
  el('edit-button').addEventListener('click', startEdit);
  el('save-edit-button').addEventListener('click', saveEdit);
  el('prev-button').addEventListener('click', function () { go(index - 1); });
  el('next-button').addEventListener('click', function () { go(index + 1); });
  el('next-undecided-button').addEventListener('click', function () { var i = nextUndecided(index); if (i >= 0) go(i); });

  fetch('/api/state').then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); }).then(function (r) {
    if (!r.ok) { say('cannot load the queue: ' + r.body.error, true); return; }
    state = r.body;
    var first = state.items.findIndex(function (it) { return !state.decisions[it.id]; });
    index = first >= 0 ? first : 0;
    render();
    if (state.warnings && state.warnings.length) say(state.warnings.join('; '), true);
    document.body.setAttribute('data-ready', 'true');
  }).catch(function (e) { say('cannot load the queue: ' + e.message, true); });
})();
`;

/** The page for one server session; `token` (hex) is the value its POSTs must carry. */
export function annotationPage(token: string): string {
  if (!/^[0-9a-f]+$/.test(token)) throw new Error(`annotation page: the token must be hex, got '${token}'`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="annotate-token" content="${token}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>posttrain · annotation queue</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Annotation queue</h1>
  <p id="progress" role="status" aria-live="polite">loading…</p>
  <progress id="progress-bar" max="1" value="0" aria-label="items decided"></progress>
</header>
<div class="layout">
  <nav aria-label="items"><ol id="item-list"></ol></nav>
  <main>
    <section class="item" aria-labelledby="position">
      <h2 id="position">loading…</h2>
      <div class="meta"><span id="item-id"></span><span id="provenance"></span><span id="truncated" class="warn" hidden>response cut at the token limit</span></div>
      <h3>Prompt</h3>
      <div id="prompt" aria-label="prompt"></div>
      <label for="response">Response (editable: <kbd>e</kbd> to edit, <kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves as an edit)</label>
      <textarea id="response" spellcheck="true"></textarea>
      <details id="original" hidden><summary>The model's original response</summary><pre id="original-text" style="white-space: pre-wrap"></pre></details>
      <p>Decision: <strong id="decision" aria-live="polite">undecided</strong></p>
      <div class="toolbar" role="toolbar" aria-label="decide and navigate">
        <button type="button" id="accept-button" aria-keyshortcuts="a">Accept (a)</button>
        <button type="button" id="edit-button" aria-keyshortcuts="e">Edit (e)</button>
        <button type="button" id="save-edit-button" aria-keyshortcuts="Control+Enter">Save edit (Ctrl+Enter)</button>
        <button type="button" id="reject-button" aria-keyshortcuts="r">Reject (r)</button>
        <button type="button" id="prev-button" aria-keyshortcuts="k ArrowLeft">Previous (k / ←)</button>
        <button type="button" id="next-button" aria-keyshortcuts="j ArrowRight">Next (j / →)</button>
        <button type="button" id="next-undecided-button" aria-keyshortcuts="n">Next undecided (n)</button>
      </div>
      <p id="message" role="alert"></p>
    </section>
    <section id="shortcuts" aria-labelledby="shortcuts-title">
      <h3 id="shortcuts-title">Keyboard shortcuts</h3>
      <ul>
        <li><kbd>a</kbd> accept the model's response as it is</li>
        <li><kbd>r</kbd> reject the item (it stays out of the SFT data)</li>
        <li><kbd>e</kbd> edit: focus the response; <kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves the text as an edit; <kbd>Escape</kbd> leaves the text unsaved</li>
        <li><kbd>j</kbd> or <kbd>→</kbd> next item · <kbd>k</kbd> or <kbd>←</kbd> previous item · <kbd>n</kbd> next undecided item</li>
        <li>Shortcuts do not act while you type in the response. Every decision is saved to disk at once; a decision can be changed later.</li>
      </ul>
    </section>
  </main>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
