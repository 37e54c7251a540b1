// The OIDC login's cookie check (templates/lti/cookie_check.html): go on with the login
// when this frame keeps the tool's cookies, else offer a new window. Over https the
// tool's cookies are SameSite=None; Secure; Partitioned (CHIPS), so the probe is too:
// browsers that block third-party cookies still keep partitioned ones.
(function () {
  "use strict";
  var params = JSON.parse(document.getElementById("lti-login-params").textContent);
  var checking = document.getElementById("lti-cookie-checking");
  var query = Object.keys(params).map(function (key) {
    return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
  }).join("&");
  var url = window.location.origin + window.location.pathname + "?" + query;
  var attributes = checking.dataset.secure === "1" ? "; SameSite=None; Secure; Partitioned" : "";
  document.cookie = "lti1p3_test_cookie=1; path=/" + attributes;
  if (document.cookie.indexOf("lti1p3_test_cookie") !== -1) {
    document.cookie = "lti1p3_test_cookie=1; expires=Thu, 01 Jan 1970 00:00:01 GMT; path=/" + attributes;
    window.location.replace(url);
  } else {
    checking.hidden = true;
    document.getElementById("lti-cookie-blocked").hidden = false;
    document.getElementById("lti-new-window").href = url;
  }
})();
