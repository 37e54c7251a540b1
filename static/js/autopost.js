// Post the page's form at once (deep-linking returns, launches of the demo LMS).
document.getElementById("autopost").submit();
