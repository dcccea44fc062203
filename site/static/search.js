/* Search of the guidance site, in the browser, from the prebuilt index /assets/search-<lang>.json.
 *
 * The whole state of a search lives in the page address (words, filters, sort, page), so a
 * counsellor can bookmark, share or print it; the offers marked for comparison live in the
 * tab's sessionStorage and in the comparison link. Nothing is sent anywhere.
 * Provider data is only ever inserted as text (textContent), never as HTML, and always in its own
 * <bdi>, so a right-to-left title or name never reorders the words and numbers around it.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 20;
  var COMPARE_KEY = "mc-compare";
  var form = document.getElementById("search");
  if (!form) return;

  var messages = {};
  var template = document.getElementById("messages");
  Array.prototype.forEach.call(template.content.querySelectorAll("[data-key]"), function (node) {
    messages[node.getAttribute("data-key")] = node.textContent;
  });
  function message(key, values) {
    return (messages[key] || key).replace(/\{(\w+)\}/g, function (_, name) {
      return values && name in values ? values[name] : "";
    });
  }

  var lang = form.getAttribute("data-lang");
  var numberFormat = new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var pager = document.getElementById("pager");
  var share = document.getElementById("share");
  var compareLink = document.getElementById("compare-link");
  var index = null;
  var keyToPosition = {};  // facet -> value key -> position in index.values[facet]
  var facetPosition = {};  // facet -> position of its value list in each offer row
  var typingTimer = null;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // -- state in the address -------------------------------------------------------------

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var state = { q: params.get("q") || "", facets: {}, from: params.get("from") || "", to: params.get("to") || "",
                  ects_min: params.get("ects_min") || "", ects_max: params.get("ects_max") || "",
                  price_max: params.get("price_max") || "", sort: params.get("sort") || "",
                  page: Math.max(1, parseInt(params.get("page") || "1", 10) || 1) };
    Object.keys(index.values).forEach(function (facet) {
      var chosen = params.getAll(facet).filter(function (key) { return key in keyToPosition[facet]; });
      if (chosen.length) state.facets[facet] = chosen;
    });
    return state;
  }

  function stateFromForm(page) {
    var state = { q: form.q.value.trim(), facets: {}, from: form.from.value, to: form.to.value,
                  ects_min: form.ects_min.value, ects_max: form.ects_max.value, price_max: form.price_max.value,
                  sort: form.sort.value, page: page || 1 };
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]:checked"), function (box) {
      (state.facets[box.name] = state.facets[box.name] || []).push(box.value);
    });
    return state;
  }

  function query(state, page) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    Object.keys(state.facets).forEach(function (facet) {
      state.facets[facet].forEach(function (key) { params.append(facet, key); });
    });
    ["from", "to", "ects_min", "ects_max", "price_max", "sort"].forEach(function (name) {
      if (state[name]) params.set(name, state[name]);
    });
    if ((page || state.page) > 1) params.set("page", String(page || state.page));
    var text = params.toString();
    return text ? "?" + text : window.location.pathname;
  }

  function showInForm(state) {
    form.q.value = state.q;
    ["from", "to", "ects_min", "ects_max", "price_max", "sort"].forEach(function (name) { form[name].value = state[name]; });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) {
      box.checked = (state.facets[box.name] || []).indexOf(box.value) >= 0;
    });
  }

  // -- matching -------------------------------------------------------------------------

  function matchesFacet(row, facet, chosen) {
    var positions = row[4][facetPosition[facet]] || [];
    for (var i = 0; i < chosen.length; i++) {
      if (positions.indexOf(keyToPosition[facet][chosen[i]]) >= 0) return true;
    }
    return false;
  }

  function matchesOther(row, state, terms) {
    for (var i = 0; i < terms.length; i++) if (row[14].indexOf(terms[i]) < 0) return false;
    var start = row[5];
    if (state.from && (!start || start < state.from)) return false;
    if (state.to && (!start || start > state.to)) return false;
    var ects = row[6];
    if (state.ects_min && (ects === null || ects < parseFloat(state.ects_min))) return false;
    if (state.ects_max && (ects === null || ects > parseFloat(state.ects_max))) return false;
    if (state.price_max && (row[8] === null || row[8] > parseFloat(state.price_max))) return false;
    return true;
  }

  function score(row, terms) {
    var title = fold(row[1]);
    var total = 0;
    terms.forEach(function (term) {
      if (title.indexOf(term) >= 0) total += 3;
      if ((" " + row[14]).indexOf(" " + term) >= 0) total += 1;
    });
    return total;
  }

  function search(state) {
    var terms = fold(state.q).split(" ").filter(Boolean);
    var facets = Object.keys(state.facets);
    var found = [];
    var counts = {};
    Object.keys(index.values).forEach(function (facet) { counts[facet] = {}; });
    index.offers.forEach(function (row) {
      if (!matchesOther(row, state, terms)) return;
      var failing = facets.filter(function (facet) { return !matchesFacet(row, facet, state.facets[facet]); });
      if (failing.length === 0) found.push(row);
      // A value's count is what the results would be if it were added to its facet's choices.
      Object.keys(index.values).forEach(function (facet) {
        if (failing.length === 0 || (failing.length === 1 && failing[0] === facet)) {
          (row[4][facetPosition[facet]] || []).forEach(function (position) {
            counts[facet][position] = (counts[facet][position] || 0) + 1;
          });
        }
      });
    });
    var byTitle = function (a, b) { return a[1].localeCompare(b[1], lang); };
    // Offers still to start come first, soonest first; then undated ones; offers already under way last.
    var today = new Date().toISOString().slice(0, 10);
    var startKey = function (row) { return !row[5] ? "1" : row[5] >= today ? "0" + row[5] : "2" + (99999999 - parseInt(row[5].replace(/-/g, ""), 10)); };
    var byStart = function (a, b) { var x = startKey(a), y = startKey(b); return x < y ? -1 : x > y ? 1 : byTitle(a, b); };
    if (state.sort === "title") found.sort(byTitle);
    else if (state.sort === "ects") found.sort(function (a, b) { return (a[6] === null ? 1e9 : a[6]) - (b[6] === null ? 1e9 : b[6]) || byStart(a, b); });
    else if (state.sort === "start" || terms.length === 0) found.sort(byStart);
    else {
      var scores = new Map(found.map(function (row) { return [row, score(row, terms)]; }));
      found.sort(function (a, b) { return scores.get(b) - scores.get(a) || byStart(a, b); });
    }
    return { offers: found, counts: counts };
  }

  // -- the comparison shortlist ---------------------------------------------------------

  function marked() {
    try { return JSON.parse(window.sessionStorage.getItem(COMPARE_KEY) || "[]"); } catch (error) { return []; }
  }

  function setMarked(list) {
    try { window.sessionStorage.setItem(COMPARE_KEY, JSON.stringify(list)); } catch (error) { /* private mode: the link still carries them */ }
    updateCompareLink(list);
  }

  function updateCompareLink(list) {
    var params = new URLSearchParams();
    list.forEach(function (iri) { params.append("o", iri); });
    compareLink.href = compareLink.getAttribute("data-base") + (list.length ? "?" + params.toString() : "");
    compareLink.textContent = message("compare-count", { count: numberFormat.format(list.length) });
  }

  // -- showing results ------------------------------------------------------------------

  function element(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(row) {
    var item = element("li", { "class": "card" });
    var heading = element("h3");
    var link = element("a", { href: row[0] });
    link.appendChild(element("bdi", {}, row[1]));
    if (row[2] && row[2].split("-")[0] !== lang) link.setAttribute("lang", row[2]);
    heading.appendChild(link);
    item.appendChild(heading);
    if (row[3]) {
      var provider = element("p", { "class": "provider" });
      provider.appendChild(element("bdi", {}, row[3]));
      item.appendChild(provider);
    }
    var facts = element("ul", { "class": "facts" });
    if (row[16]) facts.appendChild(element("li", { "class": row[9] ? "badge" : "level" }, row[16]));
    else if (row[9]) facts.appendChild(element("li", { "class": "badge" }, message("mc")));
    if (row[10]) facts.appendChild(element("li", {}, message("eqf") + ": " + row[10]));
    if (row[13]) facts.appendChild(element("li", {}, row[13] + " ECTS"));
    else if (row[7] !== null) facts.appendChild(element("li", {}, message("hours", { hours: numberFormat.format(row[7]) })));
    if (row[11].length) facts.appendChild(element("li", {}, row[11].join(", ")));
    if (row[12]) facts.appendChild(element("li", {}, message("starts", { date: row[12] })));
    item.appendChild(facts);
    var toggle = element("p", { "class": "compare-toggle" });
    var id = "compare-" + row[17];
    var box = element("input", { type: "checkbox", id: id, "data-iri": row[15] });
    box.checked = marked().indexOf(row[15]) >= 0;
    var label = element("label", { "for": id }, message("compare"));
    var hidden = element("span", { "class": "visually-hidden" }, " ");
    hidden.appendChild(element("bdi", {}, row[1]));
    label.appendChild(hidden);
    toggle.appendChild(box);
    toggle.appendChild(label);
    item.appendChild(toggle);
    return item;
  }

  function render(state) {
    var outcome = search(state);
    var pages = Math.max(1, Math.ceil(outcome.offers.length / PAGE_SIZE));
    var page = Math.min(state.page, pages);
    results.textContent = "";
    outcome.offers.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).forEach(function (row) { results.appendChild(card(row)); });
    var total = outcome.offers.length;
    status.textContent = total === 1 ? message("found-one") : total ? message("found", { count: numberFormat.format(total) }) : message("none");
    Array.prototype.forEach.call(form.querySelectorAll("[data-count-for]"), function (node) {
      var parts = node.getAttribute("data-count-for").split(":");
      var position = keyToPosition[parts[0]][parts.slice(1).join(":")];
      node.textContent = "(" + numberFormat.format(outcome.counts[parts[0]][position] || 0) + ")";
    });
    pager.textContent = "";
    if (pages > 1) {
      var list = element("ul");
      for (var number = 1; number <= pages; number++) {
        var entry = element("li");
        if (number === page) entry.appendChild(element("span", { "aria-current": "page" }, String(number)));
        else {
          var link = element("a", { href: query(state, number), "data-page": String(number) }, String(number));
          link.setAttribute("aria-label", message("page", { number: number }));
          entry.appendChild(link);
        }
        list.appendChild(entry);
      }
      pager.appendChild(list);
    }
    share.textContent = "";
    share.appendChild(element("a", { href: window.location.href }, message("share")));
  }

  function go(state, replace) {
    var address = query(state);
    if (replace) window.history.replaceState(null, "", address);
    else window.history.pushState(null, "", address);
    render(state);
  }

  // -- wiring -----------------------------------------------------------------------------

  function start(data) {
    index = data;
    index.offers.forEach(function (row, position) { row[17] = position; });
    index.order.forEach(function (facet, position) { facetPosition[facet] = position; });
    Object.keys(index.values).forEach(function (facet) {
      keyToPosition[facet] = {};
      index.values[facet].forEach(function (value, position) { keyToPosition[facet][value[2]] = position; });
    });
    form.hidden = false;
    var state = readState();
    showInForm(state);
    updateCompareLink(marked());
    render(state);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      go(stateFromForm(1));
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches("input[data-iri]")) {
        var list = marked();
        var iri = event.target.getAttribute("data-iri");
        if (event.target.checked && list.indexOf(iri) < 0) list.push(iri);
        if (!event.target.checked) list = list.filter(function (x) { return x !== iri; });
        setMarked(list);
        return;
      }
      if (event.target.id === "q") return;
      go(stateFromForm(1));
    });
    form.q.addEventListener("input", function () {
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(function () { go(stateFromForm(1), true); }, 300);
    });
    pager.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-page]");
      if (!link) return;
      event.preventDefault();
      go(stateFromForm(parseInt(link.getAttribute("data-page"), 10)));
      document.getElementById("results-heading").scrollIntoView();
      var first = results.querySelector("a");
      if (first) first.focus();
    });
    document.getElementById("clear").addEventListener("click", function (event) {
      event.preventDefault();
      go({ q: "", facets: {}, from: "", to: "", ects_min: "", ects_max: "", price_max: "", sort: "", page: 1 });
      showInForm(readState());
    });
    window.addEventListener("popstate", function () {
      var state = readState();
      showInForm(state);
      render(state);
    });
  }

  fetch(form.getAttribute("data-index"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(start)
    .catch(function () {
      form.hidden = false;
      status.textContent = message("failed");
    });
})();
