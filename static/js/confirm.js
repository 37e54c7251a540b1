// Ask before a form with data-confirm is sent, in a <dialog> (keyboard: Escape cancels).
(function () {
  "use strict";
  function ask(form) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-text");
    var text = document.createElement("p");
    text.id = "confirm-text";
    text.textContent = form.getAttribute("data-confirm");
    var buttons = document.createElement("form");
    buttons.method = "dialog";
    buttons.className = "inline-form";
    var yes = document.createElement("button");
    yes.value = "yes";
    yes.className = "danger";
    yes.textContent = form.getAttribute("data-confirm-button") || "Yes";
    var no = document.createElement("button");
    no.value = "no";
    no.className = "secondary";
    no.textContent = "Cancel";
    buttons.append(yes, no);
    dialog.append(text, buttons);
    document.body.appendChild(dialog);
    dialog.addEventListener("close", function () {
      var confirmed = dialog.returnValue === "yes";
      dialog.remove();
      if (confirmed) {
        var flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "confirmed";
        flag.value = "yes";
        form.appendChild(flag);
        form.dataset.confirmed = "yes";
        form.submit();
      }
    });
    dialog.showModal();
    no.focus();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]") || form.dataset.confirmed === "yes") { return; }
    if (typeof HTMLDialogElement === "undefined") { return; }  // the server asks instead
    event.preventDefault();
    ask(form);
  });
})();
