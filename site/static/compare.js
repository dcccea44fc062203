/* Comparing offers side by side.
 *
 * The shortlist is kept in the tab's sessionStorage and in the comparison page's address
 * (?o=IRI&o=IRI), so a comparison can be bookmarked, shared or printed. Where each offer's page
 * is comes from a small lookup file per hash of its IRI (assets/offers/), and the details from the
 * offer pages themselves (same site), element by element, so the comparison shows exactly what
 * each offer page shows, and downloads only what it compares. Content from those pages is our own escaped HTML;
 * provider text never becomes markup here, and sits in its own <bdi> (as on the offer pages),
 * so a right-to-left title or name never reorders the words around it.
 */
(function () {
  "use strict";

  var COMPARE_KEY = "mc-compare";

  function marked() {
    try { return JSON.parse(window.sessionStorage.getItem(COMPARE_KEY) || "[]"); } catch (error) { return []; }
  }

  function setMarked(list) {
    try { window.sessionStorage.setItem(COMPARE_KEY, JSON.stringify(list)); } catch (error) { /* the address still carries them */ }
  }

  // -- on an offer page: "Add to comparison" ----------------------------------------------

  Array.prototype.forEach.call(document.querySelectorAll("[data-add-to-comparison]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var list = marked();
      var iri = link.getAttribute("data-add-to-comparison");
      if (list.indexOf(iri) < 0) list.push(iri);
      setMarked(list);
      var params = new URLSearchParams();
      list.forEach(function (item) { params.append("o", item); });
      window.location.href = link.getAttribute("href").split("?")[0] + "?" + params.toString();
    });
  });

  // -- on the comparison page -------------------------------------------------------------

  var container = document.getElementById("comparison");
  if (!container) return;

  var messages = {};
  Array.prototype.forEach.call(document.getElementById("compare-messages").content.querySelectorAll("[data-key]"), function (node) {
    messages[node.getAttribute("data-key")] = node.textContent;
  });
  function message(key, values) {
    return (messages[key] || key).replace(/\{(\w+)\}/g, function (_, name) { return values && name in values ? values[name] : ""; });
  }

  var status = document.getElementById("compare-status");
  // The site's root is the folder above this script's (assets/); offer paths are below the page's language folder.
  var root = new URL("../", (document.currentScript && document.currentScript.src) || window.location.href);
  var pageFolder = new URL("./", window.location.href);
  var table = document.getElementById("compare-table");
  var shareLink = document.getElementById("compare-share");

  function element(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function current() {
    var fromAddress = new URLSearchParams(window.location.search).getAll("o");
    var list = fromAddress.length ? fromAddress : marked();
    return list.filter(function (iri, position) { return iri && list.indexOf(iri) === position; });
  }

  function remember(list) {
    setMarked(list);
    var params = new URLSearchParams();
    list.forEach(function (iri) { params.append("o", iri); });
    var address = window.location.pathname + (list.length ? "?" + params.toString() : "");
    window.history.replaceState(null, "", address);
    shareLink.href = address;
  }

  function details(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var heading = page.querySelector(".offer h1 bdi");
        var title = { text: heading ? heading.textContent : url, lang: heading ? heading.getAttribute("lang") || "" : "" };
        var rows = [];
        var provider = page.querySelector(".offer .provider a");
        rows.push({ key: "provider", label: message("provider"), cell: provider ? Array.prototype.slice.call(provider.childNodes) : [] });
        // Where to apply comes first after the provider: a printed comparison must carry it.
        var homepage = page.querySelector(".offer .actions a.button:not(.secondary)");
        rows.push({ key: "homepage", label: message("homepage"), cell: homepage ? [link(homepage)] : [] });
        Array.prototype.forEach.call(page.querySelectorAll(".offer dl.facts-list"), function (facts) {
          Array.prototype.forEach.call(facts.querySelectorAll("dt"), function (term) {
            var value = term.nextElementSibling;
            rows.push({ key: "fact:" + term.textContent, label: term.textContent, cell: value ? Array.prototype.slice.call(value.childNodes) : [] });
          });
        });
        Array.prototype.forEach.call(page.querySelectorAll("table.annex tbody tr"), function (row) {
          var heading = row.querySelector("th").cloneNode(true);
          Array.prototype.forEach.call(heading.querySelectorAll(".explanation"), function (node) { node.remove(); });
          var cell = row.querySelector("td");
          rows.push({ key: row.getAttribute("data-element"), label: heading.textContent.trim(), present: row.classList.contains("present"),
                      cell: Array.prototype.slice.call(cell.childNodes) });
        });
        return { title: title, rows: rows };
      })
      .catch(function () { return null; });
  }

  function link(anchor) {
    var copy = element("a", { href: anchor.getAttribute("href") }, anchor.getAttribute("href"));
    return copy;
  }

  function counted(count) {
    return count === 1 ? message("count-one") : message("count", { count: count });
  }

  function draw(list, rowsByOffer, titles, pages) {
    var head = table.tHead;
    var body = table.tBodies[0];
    head.textContent = "";
    body.textContent = "";
    if (!list.length) {
      status.textContent = message("empty");
      return;
    }
    var headRow = element("tr");
    headRow.appendChild(element("th", { scope: "col" }, message("element")));
    list.forEach(function (iri) {
      var cell = element("th", { scope: "col" });
      var title = titles[iri];
      var link = element("a", { href: new URL(pages[iri]).pathname });
      link.appendChild(element("bdi", {}, title.text));
      if (title.lang) link.setAttribute("lang", title.lang);
      cell.appendChild(link);
      cell.appendChild(document.createElement("br"));
      var remove = element("button", { type: "button", "class": "secondary", "data-remove": iri }, "×");
      remove.setAttribute("aria-label", message("remove", { title: title.text }));
      cell.appendChild(remove);
      headRow.appendChild(cell);
    });
    head.appendChild(headRow);
    var order = [];
    var labels = {};
    list.forEach(function (iri) {
      (rowsByOffer[iri] || []).forEach(function (row) {
        if (!(row.key in labels)) { order.push(row.key); labels[row.key] = row.label; }
      });
    });
    order.forEach(function (key) {
      var line = element("tr");
      line.appendChild(element("th", { scope: "row" }, labels[key]));
      list.forEach(function (iri) {
        var cell = element("td");
        var rows = rowsByOffer[iri];
        if (rows === null) cell.textContent = message("failed");
        else {
          var found = rows.filter(function (row) { return row.key === key; })[0];
          if (found && found.cell.length) found.cell.forEach(function (node) { cell.appendChild(document.importNode(node, true)); });
          else cell.appendChild(element("p", { "class": "not-given" }, message("not-given")));
        }
        line.appendChild(cell);
      });
      body.appendChild(line);
    });
  }

  // Where each offer's page is: the lookup file of its IRI's hash (FNV-1a, as the site builder computes it),
  // a few kilobytes whatever the size of the catalogue; null for an offer no longer in it.
  function shard(iri) {
    var hash = 0x811c9dc5;
    new TextEncoder().encode(iri).forEach(function (byte) { hash = Math.imul(hash ^ byte, 0x01000193) >>> 0; });
    return ("00000000" + hash.toString(16)).slice(-8).slice(0, 3);
  }

  function locate(list) {
    var files = {};
    list.forEach(function (iri) {
      var name = shard(iri);
      if (!(name in files)) {
        files[name] = fetch(new URL("assets/offers/" + name + ".json", root).href, { credentials: "same-origin" })
          .then(function (response) {
            if (response.status === 404) return {};
            if (!response.ok) throw new Error(response.status);
            return response.json();
          });
      }
    });
    return Promise.all(list.map(function (iri) {
      return files[shard(iri)].then(function (paths) { return iri in paths ? new URL(paths[iri], pageFolder).href : null; });
    }));
  }

  function start(asked) {
    var list = [];
    var pages = {};
    locate(asked).then(function (urls) {
      asked.forEach(function (iri, position) {
        if (urls[position]) { list.push(iri); pages[iri] = urls[position]; }
      });
      var gone = asked.length - list.length;
      remember(list);
      container.hidden = false;
      return Promise.all(list.map(function (iri) { return details(pages[iri]); })).then(function (all) {
        var rowsByOffer = {};
        var titles = {};
        list.forEach(function (iri, position) {
          rowsByOffer[iri] = all[position] && all[position].rows;
          titles[iri] = all[position] ? all[position].title : { text: iri, lang: "" };
        });
        draw(list, rowsByOffer, titles, pages);
        var text = list.length ? counted(list.length) : message("empty");
        if (gone) text += " " + message("missing", { count: gone });
        status.textContent = text;

        table.addEventListener("click", function (event) {
          var button = event.target.closest("button[data-remove]");
          if (!button) return;
          var iri = button.getAttribute("data-remove");
          list = list.filter(function (item) { return item !== iri; });
          remember(list);
          draw(list, rowsByOffer, titles, pages);
          status.textContent = list.length ? counted(list.length) : message("empty");
        });
        document.getElementById("compare-clear").addEventListener("click", function () {
          list = [];
          remember(list);
          draw(list, {}, titles, pages);
          status.textContent = message("empty");
        });
      });
    }).catch(function () {
      container.hidden = false;
      status.textContent = message("failed");
    });
    document.getElementById("compare-print").addEventListener("click", function () { window.print(); });
  }

  start(current());
})();
