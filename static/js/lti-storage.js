// LTI Platform Storage (1EdTech "LTI Client Side postMessages" and "Platform OIDC
// Storage"): the LMS keeps this login's state and nonce for a frame that may have no
// cookies. The page's data (#lti-storage-data) comes from courses/lti/storage.py.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lti-storage-data").textContent);
  var ANSWER_TIMEOUT_MS = 4000;

  function platformWindow() {
    if (window.parent && window.parent !== window) return window.parent;
    return window.opener || null;
  }

  // "_parent" is the LMS's window; any other name is one of its frames.
  function targetWindow(name) {
    var base = platformWindow();
    if (!base) return null;
    if (!name || name === "_parent") return base;
    try {
      return base.frames[name] || null;
    } catch (error) {
      return null;
    }
  }

  function messageId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // Post one message to the LMS's origin; resolve with its answer, reject on an error or silence.
  function ask(target, message) {
    return new Promise(function (resolve, reject) {
      var id = messageId();
      var expected = message.subject + ".response";
      var timer = window.setTimeout(function () {
        stop();
        reject(new Error("The LMS did not answer " + message.subject + "."));
      }, ANSWER_TIMEOUT_MS);
      function onMessage(event) {
        var reply = event.data;
        if (event.origin !== data.origin || !reply || typeof reply !== "object") return;
        if (reply.message_id !== id || reply.subject !== expected) return;
        stop();
        if (reply.error) {
          var detail = reply.error.message || reply.error.code || "refused";
          reject(new Error("The LMS refused " + message.subject + ": " + detail));
        } else {
          resolve(reply);
        }
      }
      function stop() {
        window.clearTimeout(timer);
        window.removeEventListener("message", onMessage);
      }
      window.addEventListener("message", onMessage);
      message.message_id = id;
      target.postMessage(message, data.origin);
    });
  }

  // The frame that handles a subject, once lti.capabilities says the LMS offers it.
  function frameFor(subject) {
    var target = targetWindow(data.target);
    if (!target) return Promise.reject(new Error("This page is not inside the LMS."));
    return ask(target, { subject: "lti.capabilities" }).then(function (reply) {
      var offered = (reply.supported_messages || []).filter(function (entry) {
        return entry && entry.subject === subject;
      })[0];
      if (!offered) throw new Error("The LMS does not offer " + subject + ".");
      return offered.frame ? targetWindow(offered.frame) || target : target;
    });
  }

  // Whether this frame keeps the cookies the tool's session will use.
  function cookiesKept() {
    var probe = "datagen_cookie_probe";
    document.cookie = probe + "=1; path=/" + data.cookie_attributes;
    var kept = document.cookie.indexOf(probe + "=1") !== -1;
    document.cookie = probe + "=; path=/; max-age=0" + data.cookie_attributes;
    return kept;
  }

  function postLaunch(proof) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = data.action;
    var fields = Object.assign({}, data.fields);
    fields[data.proof_field] = proof;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function showFailure(error) {
    document.getElementById("lti-storage-working").hidden = true;
    document.getElementById("lti-storage-failed").hidden = false;
    document.getElementById("lti-storage-reason").textContent = error.message;
    document.getElementById("lti-new-window").href = data.new_window;
  }

  if (data.mode === "login") {
    frameFor("lti.put_data")
      .then(function (frame) {
        return Promise.all(data.items.map(function (item) {
          return ask(frame, { subject: "lti.put_data", key: item.key, value: item.value });
        }));
      })
      .then(
        function () { window.location.replace(data.next); },
        // No storage at the LMS: the cookie login (its check page offers a new window).
        function () { window.location.replace(data.fallback); }
      );
  } else if (data.mode === "launch") {
    frameFor("lti.get_data")
      .then(function (frame) {
        return Promise.all([
          ask(frame, { subject: "lti.get_data", key: data.state_key }),
          ask(frame, { subject: "lti.get_data", key: data.nonce_key }),
        ]);
      })
      .then(function (replies) {
        if (typeof replies[0].value !== "string" || replies[1].value !== data.nonce) {
          throw new Error("The LMS does not hold this login's state and nonce.");
        }
        if (!cookiesKept()) {
          throw new Error("Your browser keeps no cookies for this tool inside the course page.");
        }
        postLaunch(replies[0].value);
      })
      .catch(showFailure);
  }
})();
