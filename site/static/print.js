// The date a page is printed, written on the printout in the page's language (without JavaScript a line is left to fill in).
window.addEventListener("beforeprint", function () {
  var lang = document.documentElement.lang || "en";
  var text = new Date().toLocaleDateString(lang === "sv" ? "sv-SE" : "en-GB", { year: "numeric", month: "long", day: "numeric" });
  document.querySelectorAll("[data-printed]").forEach(function (node) { node.textContent = text; });
});
