// "Run on my data": send a SQL answer to the tool, show the first rows it returns.
(function () {
  "use strict";
  function cell(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text === null ? "NULL" : String(text);
    return el;
  }
  function show(box, data) {
    box.replaceChildren();
    if (data.error) {
      var p = cell("p", data.error);
      p.className = "message error";
      p.setAttribute("role", "alert");
      box.appendChild(p);
      return;
    }
    var table = document.createElement("table");
    table.className = "data";
    var head = document.createElement("tr");
    data.columns.forEach(function (c) { head.appendChild(cell("th", c)); });
    table.appendChild(head);
    data.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (v) { tr.appendChild(cell("td", v)); });
      table.appendChild(tr);
    });
    var wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.appendChild(table);
    box.appendChild(wrap);
    var note = data.rows.length + " row" + (data.rows.length === 1 ? "" : "s") +
      (data.truncated ? " shown (more not shown)" : "");
    var p = cell("p", note);
    p.className = "muted";
    box.appendChild(p);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.run-sql");
    if (!button) return;
    var form = button.closest("form");
    var area = document.getElementById(button.dataset.target);
    var box = button.closest("fieldset").querySelector(".run-result");
    var body = new FormData();
    body.append("sql", area.value);
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    button.disabled = true;
    box.replaceChildren(cell("p", "Running…"));
    fetch(form.dataset.queryUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { show(box, data); })
      .catch(function () { show(box, { error: "The query could not be sent; check your connection and try again." }); })
      .finally(function () { button.disabled = false; });
  });
})();
