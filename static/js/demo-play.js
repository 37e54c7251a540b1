// The demo LMS's play page: size the tool's frame to the page it shows (lti.frameResize).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("demo-frame-config").textContent);
  var MIN_HEIGHT = 200;
  var MAX_HEIGHT = 20000;

  window.addEventListener("message", function (event) {
    var frame = document.querySelector("iframe.demo-frame");
    var message = event.data;
    if (!frame || event.source !== frame.contentWindow || event.origin !== config.tool_origin) {
      return;
    }
    if (!message || typeof message !== "object" || message.subject !== "lti.frameResize") return;
    var height = Number(message.height);
    if (!isFinite(height) || height <= 0) return;
    height = Math.min(Math.max(Math.ceil(height), MIN_HEIGHT), MAX_HEIGHT);
    frame.style.height = height + "px";
    frame.style.minHeight = "0";
    frame.dataset.resizedTo = String(height);
  });
})();
