// Inside an LMS frame: tell the LMS the page's height (lti.frameResize) whenever it
// changes, so that the frame fits the page instead of scrolling inside it.
(function () {
  "use strict";
  if (window.parent === window || typeof window.ResizeObserver === "undefined") return;
  var root = document.documentElement;
  var sent = 0;

  function send() {
    // The content's own height: the html element, not the (frame-sized) viewport.
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height <= 0 || height === sent) return;
    sent = height;
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }

  function start() {
    new window.ResizeObserver(send).observe(root);
    send();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
