// The demo LMS's LTI Platform Storage frame (1EdTech "LTI Client Side postMessages"):
// keeps the tool's OIDC state and nonce for a frame that may have no cookies.
// Only the tool's origin is answered; each origin sees only the keys it stored.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("demo-storage-config").textContent);
  var MAX_LENGTH = 4096;
  var memory = {};

  function storageKey(origin, key) {
    return "lti-storage|" + origin + "|" + key;
  }

  // sessionStorage lasts as long as the tab; an in-memory copy if the browser refuses it.
  function store(name, value) {
    try {
      window.sessionStorage.setItem(name, value);
    } catch (error) {
      memory[name] = value;
    }
  }

  function load(name) {
    try {
      var value = window.sessionStorage.getItem(name);
      if (value !== null) return value;
    } catch (error) {
      // fall through to the in-memory copy
    }
    return Object.prototype.hasOwnProperty.call(memory, name) ? memory[name] : null;
  }

  function valid(text) {
    return typeof text === "string" && text.length > 0 && text.length <= MAX_LENGTH;
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.origin !== config.tool_origin || !event.source) return;
    if (!message || typeof message !== "object" || typeof message.subject !== "string") return;
    var answer = { subject: message.subject + ".response", message_id: message.message_id };
    if (message.subject === "lti.capabilities") {
      answer.supported_messages = [
        { subject: "lti.capabilities" },
        { subject: "lti.put_data", frame: config.frame },
        { subject: "lti.get_data", frame: config.frame },
      ];
    } else if (message.subject === "lti.put_data") {
      if (!valid(message.key) || !valid(message.value)) {
        answer.error = { code: "bad_request", message: "key and value must be short strings" };
      } else {
        store(storageKey(event.origin, message.key), message.value);
        answer.key = message.key;
        answer.value = message.value;
      }
    } else if (message.subject === "lti.get_data") {
      var value = valid(message.key) ? load(storageKey(event.origin, message.key)) : null;
      if (value === null) {
        answer.error = { code: "bad_request", message: "no value stored under this key" };
      } else {
        answer.key = message.key;
        answer.value = value;
      }
    } else {
      answer.error = { code: "unsupported_subject", message: "not supported: " + message.subject };
    }
    event.source.postMessage(answer, event.origin);
  });
})();
