// Small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var input = event.target.closest("input.copy");
  if (input) { input.select(); }
});

// A disclosure button (the phone menu) opens and closes what it controls; the stylesheet
// shows the controlled element while aria-expanded is true. Escape closes it again.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[aria-expanded][aria-controls]");
  if (button) {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
  }
});
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") { return; }
  document.querySelectorAll('button[aria-expanded="true"][aria-controls]').forEach(function (button) {
    var region = document.getElementById(button.getAttribute("aria-controls"));
    if (document.activeElement === button || (region && region.contains(document.activeElement))) {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
});
