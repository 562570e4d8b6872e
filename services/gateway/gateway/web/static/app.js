// e-Kinerja pages: progressive enhancement only (every form works without this file).
// - live pages (body[data-live-stream]) re-read their #live region when the score stream
//   reports a change of the shown month (and person, when data-live-nip is set);
// - the session is renewed in the background before the access token expires;
// - the approval queue gets "select all" and a selected count;
// - HR's NIP fields suggest employees by name or NIP as one types (asked of the server:
//   a page does not carry the regency's whole directory);
// - on phones the main menu folds behind a "Menu" button;
// - a "print" button (the pay slip) shows and prints the page (the print style sheet in
//   app.css leaves out the menu and the forms).
(function () {
  'use strict';

  function cookie(name) {
    var m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : '';
  }

  function refreshSession() {
    var token = cookie('ek_csrf');
    if (!token) return Promise.resolve(false);
    return fetch('/api/auth/refresh', {
      method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': token }
    }).then(function (r) { return r.ok; }, function () { return false; });
  }

  // --- sign-in page: a session that can be renewed goes straight on ----------------------
  var signIn = document.querySelector('form[data-refresh-first]');
  if (signIn && cookie('ek_csrf')) {
    refreshSession().then(function (ok) {
      if (ok) window.location.replace(signIn.getAttribute('data-refresh-first') || '/app');
    });
  }

  // --- keep the session: the access token lives 10 minutes ------------------------------
  if (!signIn && cookie('ek_csrf')) {
    window.setInterval(refreshSession, 8 * 60 * 1000);
  }

  // --- a form sends the session's current CSRF token: a renewal (every 8 minutes, or when
  //     a live stream ends, perhaps on the page before this one) rotates the cookie after
  //     the page was rendered with the old value ----------------------------------------
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var field = form && form.querySelector ? form.querySelector('input[name="csrf_token"]') : null;
    var token = cookie('ek_csrf');
    if (field && token) field.value = token;
  }, true);

  // --- phone menu: the "Menu" button opens and closes the list (CSS shows it on phones) ---
  var nav = document.querySelector('nav.nav');
  var toggle = nav && nav.querySelector('.nav-toggle');
  if (toggle) {
    var setOpen = function (open) {
      nav.classList.toggle('open', open);
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    };
    nav.classList.add('collapsible');
    toggle.hidden = false;
    toggle.addEventListener('click', function () { setOpen(!nav.classList.contains('open')); });
    nav.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && nav.classList.contains('open')) { setOpen(false); toggle.focus(); }
    });
  }

  // --- live region -----------------------------------------------------------------------
  var body = document.body;
  var streamUrl = body.getAttribute('data-live-stream');
  var live = document.getElementById('live');
  if (streamUrl && live && window.EventSource) {
    var period = body.getAttribute('data-live-period');
    var nip = body.getAttribute('data-live-nip');
    var state = document.querySelector('[data-live-state]');
    var timer = null;
    var busy = false;
    var again = false;

    var reload = function () {
      timer = null;
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.getElementById('live');
          if (!fresh) return;
          live.innerHTML = fresh.innerHTML;
          live.setAttribute('data-version', fresh.getAttribute('data-version') || '');
          live.classList.remove('live-flash');
          void live.offsetWidth;
          live.classList.add('live-flash');
        })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) { again = false; schedule(); }
        });
    };
    var schedule = function () { if (!timer) timer = window.setTimeout(reload, 400); };

    var connect = function () {
      var source = new EventSource(streamUrl, { withCredentials: true });
      source.addEventListener('open', function () {
        body.setAttribute('data-live-connected', 'true');
        if (state) { state.hidden = false; state.textContent = 'Tersambung: nilai diperbarui langsung.'; }
      });
      source.addEventListener('score', function (ev) {
        var s;
        try { s = JSON.parse(ev.data); } catch (e) { return; }
        if (s.period !== period || (nip && s.nip !== nip)) return;
        schedule();
      });
      source.addEventListener('error', function () {
        body.setAttribute('data-live-connected', 'false');
        if (source.readyState === EventSource.CLOSED) {
          // refused (the access token expired): renew the session, then reconnect
          refreshSession().then(function () { window.setTimeout(connect, 2000); });
        }
      });
    };
    connect();
  }

  // --- NIP fields: up to 20 employees whose name or NIP matches what is typed -----------
  var people = document.getElementById('pegawai');
  var suggest = people && people.getAttribute('data-suggest');
  if (suggest) {
    var waiting = null;
    var asked = '';
    document.addEventListener('input', function (ev) {
      var input = ev.target;
      if (!input || input.getAttribute('list') !== 'pegawai') return;
      var q = input.value.trim();
      if (q.length < 2 || q === asked) return;
      window.clearTimeout(waiting);
      waiting = window.setTimeout(function () {
        asked = q;
        fetch(suggest + '?q=' + encodeURIComponent(q),
              { credentials: 'same-origin', headers: { Accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : []; }, function () { return []; })
          .then(function (rows) {
            people.textContent = '';
            rows.forEach(function (p) {
              var option = document.createElement('option');
              option.value = p.nip;
              option.textContent = p.name + ' · ' + p.unit_name;
              people.appendChild(option);
            });
          });
      }, 200);
    });
  }

  // --- approval queue: select many -------------------------------------------------------
  var many = document.querySelector('form[data-select-many]');
  if (many) {
    var boxes = many.querySelectorAll('input[name="entry"]');
    var all = many.querySelector('[data-select-all]');
    var count = many.querySelector('[data-selected-count]');
    var update = function () {
      var n = 0;
      boxes.forEach(function (b) { if (b.checked) n += 1; });
      count.textContent = n + ' dari ' + boxes.length + ' dipilih';
      all.checked = n === boxes.length && n > 0;
      all.indeterminate = n > 0 && n < boxes.length;
    };
    all.closest('.select-all').hidden = false;
    all.addEventListener('change', function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      update();
    });
    boxes.forEach(function (b) { b.addEventListener('change', update); });
    update();
  }

  // --- print -------------------------------------------------------------------------------
  document.querySelectorAll('button[data-print]').forEach(function (b) {
    b.hidden = false;
    b.addEventListener('click', function () { window.print(); });
  });
})();
