// YAML editors with line numbers and highlighting (CodeMirror 5, vendored); without
// scripts, or if CodeMirror is missing, the plain textarea stays. "Go to line N"
// buttons next to an error move the cursor to the line at fault.
(function () {
  "use strict";
  var editors = {};

  function labelFor(textarea) {
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    return label ? label.textContent.trim() : "Editor";
  }
  function enhance(textarea) {
    if (!window.CodeMirror) { return; }
    var cm = window.CodeMirror.fromTextArea(textarea, {
      mode: textarea.getAttribute("data-editor") || "yaml",
      lineNumbers: true,
      indentUnit: 2,
      tabSize: 2,
      lineWrapping: false,
      screenReaderLabel: labelFor(textarea),
      extraKeys: {
        // Tab indents with spaces (YAML refuses tabs); Escape then Tab leaves the editor.
        Tab: function (editor) {
          if (editor.somethingSelected()) { editor.indentSelection("add"); }
          else { editor.replaceSelection("  ", "end"); }
        },
        "Shift-Tab": function (editor) { editor.indentSelection("subtract"); },
        Esc: function (editor) { editor.getInputField().blur(); }
      }
    });
    cm.getWrapperElement().classList.add("code-editor");
    editors[textarea.id] = cm;
    // Keep the textarea current, so scripts and the form read what is shown.
    cm.on("change", function () { cm.save(); });
  }
  function gotoLine(id, line) {
    var cm = editors[id];
    if (cm) {
      var index = Math.max(0, Math.min(line - 1, cm.lineCount() - 1));
      cm.focus();
      cm.setCursor({ line: index, ch: 0 });
      cm.addLineClass(index, "background", "error-line");
      cm.scrollIntoView({ line: index, ch: 0 }, 80);
      return;
    }
    var textarea = document.getElementById(id);
    if (!textarea) { return; }
    var lines = textarea.value.split("\n");
    var offset = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i++) { offset += lines[i].length + 1; }
    textarea.focus();
    textarea.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-editor]"), enhance);
    Array.prototype.forEach.call(document.querySelectorAll("[data-goto-line]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        gotoLine(button.getAttribute("data-editor-for"), parseInt(button.getAttribute("data-goto-line"), 10));
      });
    });
    // Mark the line at fault as soon as the page opens.
    var first = document.querySelector("[data-goto-line]");
    if (first && editors[first.getAttribute("data-editor-for")]) {
      var cm = editors[first.getAttribute("data-editor-for")];
      var index = parseInt(first.getAttribute("data-goto-line"), 10) - 1;
      if (index >= 0 && index < cm.lineCount()) { cm.addLineClass(index, "background", "error-line"); }
    }
  }
  // An editor in a hidden tab measured nothing: measure it when its tab is shown.
  document.addEventListener("tabs:shown", function (event) {
    Object.keys(editors).forEach(function (id) {
      if (event.detail.panel.contains(editors[id].getWrapperElement())) { editors[id].refresh(); }
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
