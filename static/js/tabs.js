// Sections as tabs: [data-tabs] is a nav of plain #anchors (they work without scripts);
// here it becomes a tablist showing one section at a time, following the URL's hash.
(function () {
  "use strict";
  function setup(nav) {
    var links = Array.prototype.slice.call(nav.querySelectorAll('a[href^="#"]'));
    var tabs = [];
    links.forEach(function (link) {
      var panel = document.getElementById(link.getAttribute("href").slice(1));
      if (!panel) { return; }
      var id = "tab-" + panel.id;
      link.id = id;
      link.setAttribute("role", "tab");
      link.setAttribute("aria-controls", panel.id);
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", id);
      panel.setAttribute("tabindex", "-1");
      tabs.push({ link: link, panel: panel });
    });
    if (!tabs.length) { return; }
    nav.setAttribute("role", "tablist");
    nav.classList.add("tabs");

    function find(hash) {
      var target = hash ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
      if (!target) { return null; }
      for (var i = 0; i < tabs.length; i++) {
        if (tabs[i].panel === target || tabs[i].panel.contains(target)) { return tabs[i]; }
      }
      return null;
    }
    function show(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.link.setAttribute("aria-selected", on ? "true" : "false");
        t.link.setAttribute("tabindex", on ? "0" : "-1");
        t.panel.hidden = !on;
      });
      if (focus) { tab.link.focus(); }
      document.dispatchEvent(new CustomEvent("tabs:shown", { detail: { panel: tab.panel } }));
    }
    function select(tab, focus) {
      show(tab, focus);
      if (history.replaceState) { history.replaceState(null, "", "#" + tab.panel.id); }
    }
    tabs.forEach(function (tab, index) {
      tab.link.addEventListener("click", function (event) {
        event.preventDefault();
        select(tab, false);
      });
      tab.link.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") { next = tabs[(index + 1) % tabs.length]; }
        else if (event.key === "ArrowLeft") { next = tabs[(index - 1 + tabs.length) % tabs.length]; }
        else if (event.key === "Home") { next = tabs[0]; }
        else if (event.key === "End") { next = tabs[tabs.length - 1]; }
        else if (event.key === " ") { next = tab; }
        if (next) {
          event.preventDefault();
          select(next, true);
        }
      });
    });
    // In-page links to a section (or to something inside one) switch tabs too.
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
      if (!link || link.getAttribute("role") === "tab") { return; }
      var tab = find(link.getAttribute("href"));
      if (tab) { show(tab, false); }
    });
    window.addEventListener("hashchange", function () {
      var tab = find(location.hash);
      if (tab) { show(tab, false); }
    });
    var first = find(location.hash);
    // An error on the page (a form sent back with a problem) opens its section.
    if (!first) {
      var alert = document.querySelector('[role="tabpanel"] .message.error');
      if (alert) { first = find("#" + alert.closest('[role="tabpanel"]').id); }
    }
    show(first || tabs[0], false);
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tabs]"), setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
