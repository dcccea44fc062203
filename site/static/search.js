/* Search of the guidance site, in the browser, with Pagefind (pagefind/ beside assets/).
 *
 * Pagefind's index is in chunks: a query downloads the word chunks of its words, the filters it uses, and
 * one small fragment per result shown (20 a page), never the whole catalogue. Each filter group's counts
 * are asked for once the group has been on screen or focused (on a phone the filters come after the
 * results, so a reader who never scrolls to them never downloads them); until then a group shows the
 * counts written into the page, which are right for an empty search and hidden for any other.
 *
 * The whole state of a search lives in the page address (words, filters, sort, page), so a
 * counsellor can bookmark, share or print it; the offers marked for comparison live in the
 * tab's sessionStorage and in the comparison link. Nothing is sent anywhere but this site.
 * Provider data is only ever inserted as text (textContent), never as HTML, and always in its own
 * <bdi>, so a right-to-left title or name never reorders the words and numbers around it.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 20;
  var COMPARE_KEY = "mc-compare";
  var NOTHING = "\u0000";  // a filter value no offer has: "none of these" names a filter without narrowing
  var form = document.getElementById("search");
  if (!form) return;
  // The site's root is the folder above this script's (assets/), wherever the site is published.
  var root = new URL("../", (document.currentScript && document.currentScript.src) || window.location.href);

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
  var ranges = JSON.parse(document.getElementById("ranges").textContent);
  var groups = {};  // facet -> its fieldset
  var keys = {};  // facet -> value keys the page offers
  Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-facet]"), function (fieldset) {
    var facet = fieldset.getAttribute("data-facet");
    groups[facet] = fieldset;
    keys[facet] = Array.prototype.map.call(fieldset.querySelectorAll("input[type=checkbox]"), function (box) { return box.value; });
    Array.prototype.forEach.call(fieldset.querySelectorAll("[data-count-for]"), function (node) { node.setAttribute("data-written", node.textContent); });
  });
  var pagefind = null;
  var wanted = {};  // facets whose counts the reader can see: asked of Pagefind with every search
  var latest = 0;  // the newest search: answers to older ones are dropped
  var typingTimer = null;

  // -- state in the address -------------------------------------------------------------

  function emptyState() {
    return { q: "", facets: {}, from: "", to: "", ects_min: "", ects_max: "", price_max: "", sort: "", page: 1 };
  }

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var state = emptyState();
    ["q", "from", "to", "ects_min", "ects_max", "price_max", "sort"].forEach(function (name) { state[name] = params.get(name) || ""; });
    state.page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    Object.keys(keys).forEach(function (facet) {
      var chosen = params.getAll(facet).filter(function (key) { return keys[facet].indexOf(key) >= 0; });
      if (chosen.length) state.facets[facet] = chosen;
    });
    return state;
  }

  function stateFromForm(page) {
    var state = { q: form.q.value.trim(), facets: {}, from: form.from.value, to: form.to.value,
                  ects_min: form.ects_min.value, ects_max: form.ects_max.value, price_max: form.price_max.value,
                  sort: form.sort.value, page: page || 1 };
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-facet] input[type=checkbox]:checked"), function (box) {
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
    Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-facet] input[type=checkbox]"), function (box) {
      box.checked = (state.facets[box.name] || []).indexOf(box.value) >= 0;
    });
  }

  function isEmpty(state) {
    return !state.q && !Object.keys(state.facets).length && !state.from && !state.to && !state.ects_min && !state.ects_max && !state.price_max;
  }

  // -- what Pagefind is asked -----------------------------------------------------------

  // Pagefind matches filter values exactly: a range becomes the values the catalogue has within it.
  function range(filters, name, low, high, numeric) {
    if (!low && !high) return;
    var value = numeric ? parseFloat : String;
    var inside = (ranges[name] || []).filter(function (v) {
      return (!low || value(v) >= value(low)) && (!high || value(v) <= value(high));
    });
    filters[name] = { any: inside.length ? inside : [NOTHING] };
  }

  // The filters of a state; without those of facet ``except`` when its own counts are wanted (a value's count
  // is what the results would be if it were added to its facet's choices).
  function filtersOf(state, except) {
    var filters = {};
    Object.keys(state.facets).forEach(function (facet) {
      if (facet !== except) filters[facet] = { any: state.facets[facet] };
    });
    range(filters, "start_day", state.from, state.to, false);
    range(filters, "ects_value", state.ects_min, state.ects_max, true);
    range(filters, "price_value", "", state.price_max, true);
    return filters;
  }

  function named(filters, facets) {
    facets.forEach(function (facet) { if (!(facet in filters)) filters[facet] = { none: [NOTHING] }; });
    return filters;
  }

  function sortOf(state) {
    if (state.sort === "title") return { title: "asc" };
    if (state.sort === "ects") return { ects: "asc" };
    if (state.sort === "start" || !state.q) return { start: "asc" };
    return {};  // best match
  }

  // Without words, Pagefind would load every word chunk to list the offers: the word every record carries is one chunk.
  function term(state) {
    return state.q ? state.q : form.getAttribute("data-every");
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

  function isolated(name, attributes, text) {
    var node = element(name, attributes);
    node.appendChild(element("bdi", {}, text));
    return node;
  }

  function card(id, offer) {
    var meta = offer.meta;
    var item = element("li", { "class": "card" });
    var heading = element("h3");
    var link = element("a", { href: new URL(offer.url.replace(/^\//, ""), root).pathname });
    link.appendChild(element("bdi", {}, meta.title));
    if (meta.title_lang) link.setAttribute("lang", meta.title_lang);
    heading.appendChild(link);
    if (meta.title_language) {
      heading.appendChild(document.createTextNode(" "));
      heading.appendChild(element("span", { "class": "fallback" }, "(" + message("in", { language: meta.title_language }) + ")"));
    }
    item.appendChild(heading);
    if (meta.provider) item.appendChild(isolated("p", { "class": "provider" }, meta.provider));
    var facts = element("ul", { "class": "facts" });
    if (meta.level_label) facts.appendChild(element("li", { "class": meta.level === "complete" ? "badge" : "level" }, meta.level_label));
    if (meta.eqf) facts.appendChild(element("li", {}, message("eqf") + ": " + meta.eqf + (meta.national ? " (" + meta.national + ")" : "")));
    if (meta.ects) facts.appendChild(element("li", {}, meta.ects + " ECTS"));
    else if (meta.hours) facts.appendChild(element("li", {}, message("hours", { hours: meta.hours })));
    if (meta.modes) facts.appendChild(element("li", {}, meta.modes));
    if (meta.start) facts.appendChild(element("li", {}, message("starts", { date: meta.start })));
    if (meta.deadline) facts.appendChild(element("li", {}, message("apply", { date: meta.deadline })));
    if (meta.languages) facts.appendChild(element("li", {}, meta.languages));
    var places = meta.places ? JSON.parse(meta.places) : [];
    if (places.length) {
      var where = element("li", {}, message("where") + ": ");
      places.forEach(function (place, position) {
        if (position) where.appendChild(document.createTextNode(", "));
        where.appendChild(element("bdi", {}, place));
      });
      facts.appendChild(where);
    }
    if (meta.price) facts.appendChild(element("li", {}, meta.price));
    item.appendChild(facts);
    var toggle = element("p", { "class": "compare-toggle" });
    var boxId = "compare-" + id;
    var box = element("input", { type: "checkbox", id: boxId, "data-iri": meta.iri });
    box.checked = marked().indexOf(meta.iri) >= 0;
    var label = element("label", { "for": boxId }, message("compare"));
    var hidden = element("span", { "class": "visually-hidden" }, " ");
    hidden.appendChild(element("bdi", {}, meta.title));
    label.appendChild(hidden);
    toggle.appendChild(box);
    toggle.appendChild(label);
    item.appendChild(toggle);
    return item;
  }

  // Cards are added in order, each as soon as its fragment and those before it have come: the first
  // result shows without waiting for the twentieth.
  // The old cards stay until the first new one is there, so the page does not jump (and bring the filters on
  // screen, which would load their counts) while fragments are on their way.
  function showResults(search, shown) {
    var first = true;
    var chain = Promise.resolve();
    if (!shown.length) results.textContent = "";
    shown.map(function (result) { return { id: result.id, load: result.data() }; }).forEach(function (result) {
      chain = chain.then(function () { return result.load; }).then(function (offer) {
        if (search !== latest) return;
        if (first) results.textContent = "";
        first = false;
        results.appendChild(card(result.id, offer));
      });
    });
    return chain;
  }

  function showPager(state, page, pages) {
    pager.textContent = "";
    if (pages <= 1) return;
    var list = element("ul");
    var numbers = [];
    for (var number = 1; number <= pages; number++) {
      if (number === 1 || number === pages || Math.abs(number - page) <= 2) numbers.push(number);
    }
    numbers.forEach(function (number, position) {
      if (position && number - numbers[position - 1] > 1) list.appendChild(element("li", { "aria-hidden": "true" }, "…"));
      var entry = element("li");
      if (number === page) entry.appendChild(element("span", { "aria-current": "page" }, String(number)));
      else {
        var link = element("a", { href: query(state, number), "data-page": String(number) }, String(number));
        link.setAttribute("aria-label", message("page", { number: number }));
        entry.appendChild(link);
      }
      list.appendChild(entry);
    });
    pager.appendChild(list);
  }

  function showCounts(facet, counts) {
    Array.prototype.forEach.call(groups[facet].querySelectorAll("[data-count-for]"), function (node) {
      var key = node.getAttribute("data-count-for").slice(facet.length + 1);
      node.textContent = "(" + numberFormat.format(counts[key] || 0) + ")";
      node.hidden = false;
    });
  }

  // The counts written into the page: every listed offer, right while nothing is searched for or chosen.
  function showWritten(facet) {
    Array.prototype.forEach.call(groups[facet].querySelectorAll("[data-count-for]"), function (node) {
      node.textContent = node.getAttribute("data-written");
      node.hidden = false;
    });
  }

  function hideCounts(facet) {
    Array.prototype.forEach.call(groups[facet].querySelectorAll("[data-count-for]"), function (node) { node.hidden = true; });
  }

  // Counts for the facets the reader can see: those chosen in are counted without their own choices, one search
  // each; the others come with the search for the results (a facet named in a search is counted by Pagefind).
  function count(state, search, outcome) {
    if (isEmpty(state)) {
      Object.keys(groups).forEach(showWritten);
      return Promise.resolve();
    }
    var asked = Object.keys(wanted).concat(Object.keys(state.facets)).filter(function (facet, position, all) { return all.indexOf(facet) === position; });
    Object.keys(groups).forEach(function (facet) {
      if (asked.indexOf(facet) < 0) hideCounts(facet);
    });
    return Promise.all(asked.map(function (facet) {
      if (!state.facets[facet] && outcome && outcome.filters[facet]) return Promise.resolve([facet, outcome.filters[facet]]);
      var filters = named(filtersOf(state, facet), [facet]);
      return pagefind.search(term(state), { filters: filters }).then(function (answer) { return [facet, answer.filters[facet] || {}]; });
    })).then(function (all) {
      if (search !== latest) return;
      all.forEach(function (pair) { showCounts(pair[0], pair[1]); });
    });
  }

  // A large catalogue is not listed whole before the reader asks for something: Pagefind would list, sort and count
  // every offer, minutes on a slow phone at 100,000 offers. The page says how many there are and waits.
  var LIST_ALL_UP_TO = 5000;

  function render(state) {
    var search = ++latest;
    var total = parseInt(form.getAttribute("data-total"), 10) || 0;
    if (isEmpty(state) && total > LIST_ALL_UP_TO) {
      results.textContent = "";
      pager.textContent = "";
      status.textContent = message("found", { count: numberFormat.format(total) }) + " " + message("ask");
      Object.keys(groups).forEach(showWritten);
      return Promise.resolve();
    }
    // While nothing is searched for, the counts written into the page are right: no filter need be loaded.
    var unchosen = isEmpty(state) ? [] : Object.keys(wanted).filter(function (facet) { return !state.facets[facet]; });
    var options = { filters: named(filtersOf(state), unchosen), sort: sortOf(state) };
    results.setAttribute("aria-busy", "true");
    return pagefind.search(term(state), options).then(function (outcome) {
      if (search !== latest) return null;
      var total = outcome.results.length;
      var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      var page = Math.min(state.page, pages);
      status.textContent = total === 1 ? message("found-one") : total ? message("found", { count: numberFormat.format(total) }) : message("none");
      showPager(state, page, pages);
      share.textContent = "";
      share.appendChild(element("a", { href: window.location.href }, message("share")));
      var shown = showResults(search, outcome.results.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)).then(watchGroups);
      return Promise.all([shown, count(state, search, outcome)]);
    }).then(function () {
      if (search === latest) results.removeAttribute("aria-busy");
    }).catch(failed);
  }

  function go(state, replace) {
    var address = query(state);
    if (replace) window.history.replaceState(null, "", address);
    else window.history.pushState(null, "", address);
    return render(state);
  }

  function failed() {
    form.hidden = false;
    results.removeAttribute("aria-busy");
    status.textContent = message("failed");
  }

  // -- wiring -----------------------------------------------------------------------------

  // A filter group's counts are asked for once it is on screen, or reached with the keyboard.
  // Filter groups are watched once the first results are there: before, the empty list puts them all on screen.
  var watching = false;

  function watchGroups() {
    if (watching) return;
    watching = true;
    function want(facet) {
      if (wanted[facet]) return;
      wanted[facet] = true;
      var state = readState();
      if (!isEmpty(state)) count(state, latest, null);
    }
    Object.keys(groups).forEach(function (facet) {
      groups[facet].addEventListener("focusin", function () { want(facet); });
    });
    if (!("IntersectionObserver" in window)) {
      Object.keys(groups).forEach(want);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        want(entry.target.getAttribute("data-facet"));
      });
    }, { rootMargin: "100px" });
    Object.keys(groups).forEach(function (facet) { observer.observe(groups[facet]); });
  }

  function start(module) {
    pagefind = module;
    form.hidden = false;
    var state = readState();
    showInForm(state);
    updateCompareLink(marked());

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(typingTimer);
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
      go(stateFromForm(parseInt(link.getAttribute("data-page"), 10))).then(function () {
        document.getElementById("results-heading").scrollIntoView();
        var first = results.querySelector("a");
        if (first) first.focus();
      });
    });
    document.getElementById("clear").addEventListener("click", function (event) {
      event.preventDefault();
      showInForm(emptyState());
      go(emptyState());
    });
    window.addEventListener("popstate", function () {
      var state = readState();
      showInForm(state);
      render(state);
    });
    return render(state);
  }

  import(new URL("pagefind/pagefind.js", root).href)
    .then(function (module) {
      return module.options({ excerptLength: 0 }).then(function () { return module.init(); }).then(function () { return module; });
    })
    .then(start)
    .catch(failed);
})();
